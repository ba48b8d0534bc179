package backtest

import (
	"math"
	"slices"

	"github.com/ruledetect/ruledetect/criteria"
	"github.com/ruledetect/ruledetect/violation"
)

// SweepCell is what the recorded datapoints would have raised at one
// threshold and consecutiveDatapointsToAlarm.
type SweepCell struct {
	Alarms int // in-alarm events
	Things int // things with at least one
}

// Sweep is the threshold sweep of one static numeric behavior.
type Sweep struct {
	Operator    criteria.Operator
	Thresholds  []criteria.Number // ascending; includes the behavior's own
	Consecutive []int             // consecutiveDatapointsToAlarm values, ascending; includes the behavior's own
	ToClear     int               // consecutiveDatapointsToClear, as configured
	Cells       [][]SweepCell     // [threshold][consecutive]
	// Current is the cell of the behavior as configured.
	CurrentThreshold, CurrentConsecutive int
	// Disagreements counts datapoints whose recorded verdict differs from
	// the operator's at the configured threshold: 0 unless the recording
	// mixes profile versions.
	Disagreements int
}

// sweepConsecutive are the consecutiveDatapointsToAlarm values a sweep
// tries besides the behavior's own.
var sweepConsecutive = []int{1, 2, 3, 5}

// sweepQuantiles are the quantiles of the recorded values a sweep tries
// as thresholds besides the behavior's own.
var sweepQuantiles = []float64{0.5, 0.9, 0.99, 0.999, 1}

// maxQuantileSample bounds the values sorted to find the quantiles.
const maxQuantileSample = 100_000

// sweepThresholds picks the thresholds to try: the configured one, half
// and twice it, and quantiles of the recorded values, as integers for a
// count behavior.
func sweepThresholds(b *behaviorRec, current criteria.Number) []criteria.Number {
	n := 0
	for _, s := range b.things {
		n += len(s.points)
	}
	step := max(1, n/maxQuantileSample)
	var vals []float64
	k := 0
	for _, s := range b.things {
		for i := range s.points {
			if k%step == 0 && s.points[i].numeric {
				vals = append(vals, s.points[i].v)
			}
			k++
		}
	}
	slices.Sort(vals)
	cands := []float64{current.Float64(), current.Float64() / 2, current.Float64() * 2}
	for _, q := range sweepQuantiles {
		if len(vals) > 0 {
			cands = append(cands, vals[min(len(vals)-1, int(q*float64(len(vals)-1)+0.5))])
		}
	}
	out := []criteria.Number{current}
	for _, c := range cands[1:] {
		var n criteria.Number
		if current.IsInt() {
			if c < 0 || c > math.MaxInt64/2 {
				continue
			}
			n = criteria.Int(int64(math.Round(c)))
		} else {
			n = criteria.Float(c)
		}
		if !slices.ContainsFunc(out, func(m criteria.Number) bool { return m.Compare(n) == 0 }) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, criteria.Number.Compare)
	return out
}

// runSweep re-runs the alarm state machine (violation.Streak, the engine's
// own) over every thing's recorded datapoints at each threshold and
// consecutive count. The engine also resets a streak when it invalidates
// an alarm (a thing idle for the invalidation horizon, a profile change),
// which a recording of one profile version within the horizon never sees.
func runSweep(b *behaviorRec, op criteria.Operator, current criteria.Number, toAlarm, toClear int) *Sweep {
	sw := &Sweep{Operator: op, ToClear: toClear, Thresholds: sweepThresholds(b, current)}
	sw.Consecutive = slices.Clone(sweepConsecutive)
	if !slices.Contains(sw.Consecutive, toAlarm) {
		sw.Consecutive = append(sw.Consecutive, toAlarm)
		slices.Sort(sw.Consecutive)
	}
	sw.CurrentThreshold = slices.IndexFunc(sw.Thresholds, func(n criteria.Number) bool { return n.Compare(current) == 0 })
	sw.CurrentConsecutive = slices.Index(sw.Consecutive, toAlarm)
	sw.Cells = make([][]SweepCell, len(sw.Thresholds))
	for i := range sw.Cells {
		sw.Cells[i] = make([]SweepCell, len(sw.Consecutive))
	}
	verdict := make([]bool, 0, 1024)
	for _, s := range b.things {
		for ti, t := range sw.Thresholds {
			verdict = verdict[:0]
			for i := range s.points {
				p := &s.points[i]
				v := p.numeric && !op.Holds(p.num(), t)
				verdict = append(verdict, v)
				if ti == sw.CurrentThreshold && v != p.violating {
					sw.Disagreements++
				}
			}
			for ci, c := range sw.Consecutive {
				var st violation.Streak
				alarms := 0
				for _, v := range verdict {
					if st.Observe(v, c, toClear) == violation.Alarm {
						alarms++
					}
				}
				cell := &sw.Cells[ti][ci]
				cell.Alarms += alarms
				if alarms > 0 {
					cell.Things++
				}
			}
		}
	}
	return sw
}
