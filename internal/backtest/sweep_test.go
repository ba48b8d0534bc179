package backtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/criteria"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// counts records a count series for thing, one datapoint per 5 minutes,
// judged against less-than-equals limit.
func counts(r *Recorder, thing string, limit int64, vs ...int64) {
	for i, v := range vs {
		r.Observe(ruledetect.Datapoint{Thing: thing, Profile: "p", Behavior: "msgs", Metric: "aws:num-messages-sent",
			Time: t0.Add(time.Duration(i+1) * 5 * time.Minute), Value: behavior.MetricValue{Count: &v}, Violating: v > limit})
	}
}

// The sweep counts the Alarm transitions of violation.Streak, worked out
// by hand: with limit 2, a = 3 3 0 3 3 3 has violating runs of 2 and 3.
func TestSweepByHand(t *testing.T) {
	r := NewRecorder()
	counts(r, "a", 2, 3, 3, 0, 3, 3, 3)
	counts(r, "b", 2, 1, 5, 1, 1, 1, 1)
	rec := r.Recording("", nil, nil)
	require.Len(t, rec.behaviors, 1)
	sw := runSweep(rec.behaviors[0], criteria.LessThanEquals, criteria.Int(2), 2, 1)
	assert.Zero(t, sw.Disagreements)
	cell := func(th int64, c int) SweepCell {
		ti := -1
		for i, n := range sw.Thresholds {
			if n.Compare(criteria.Int(th)) == 0 {
				ti = i
			}
		}
		require.GreaterOrEqual(t, ti, 0, "threshold %d among %v", th, sw.Thresholds)
		for ci, cc := range sw.Consecutive {
			if cc == c {
				return sw.Cells[ti][ci]
			}
		}
		t.Fatalf("consecutive %d not in %v", c, sw.Consecutive)
		return SweepCell{}
	}
	// Limit 2, 2 to alarm, 1 to clear: a alarms at its 2nd, clears at the
	// 0, alarms again at the 5th; b never has two in a row.
	assert.Equal(t, SweepCell{Alarms: 2, Things: 1}, cell(2, 2))
	// 1 to alarm: a twice, b once (the 5).
	assert.Equal(t, SweepCell{Alarms: 3, Things: 2}, cell(2, 1))
	// 3 to alarm: only a's second run.
	assert.Equal(t, SweepCell{Alarms: 1, Things: 1}, cell(2, 3))
	// Limit 1 (half): b's 5 only violates once in a row... a as before.
	assert.Equal(t, SweepCell{Alarms: 2, Things: 1}, cell(1, 2))
	// Limit 4 (twice): only b's 5, once.
	assert.Equal(t, SweepCell{Alarms: 1, Things: 1}, cell(4, 1))
	assert.Equal(t, SweepCell{}, cell(4, 2))
	assert.Equal(t, criteria.Int(2), sw.Thresholds[sw.CurrentThreshold])
	assert.Equal(t, 2, sw.Consecutive[sw.CurrentConsecutive])
}

// A recorded verdict other than the operator's at the configured
// threshold is counted, not hidden.
func TestSweepDisagreements(t *testing.T) {
	r := NewRecorder()
	counts(r, "a", 5, 3, 3) // judged against 5, swept at 2
	rec := r.Recording("", nil, nil)
	sw := runSweep(rec.behaviors[0], criteria.LessThanEquals, criteria.Int(2), 1, 1)
	assert.Equal(t, 2, sw.Disagreements)
}
