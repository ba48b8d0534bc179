package main

import (
	"slices"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/criteria"
	"github.com/ruledetect/ruledetect/detecttest"
	"github.com/ruledetect/ruledetect/internal/backtest"
	"github.com/ruledetect/ruledetect/internal/fleet"
)

// fleetInputs is a fleet's records as test-kit inputs.
func fleetInputs(cfg fleet.Config) []detecttest.Input {
	var out []detecttest.Input
	for rec := range fleet.New(cfg).Records() {
		in := recordInput(rec)
		in.Report = slices.Clone(in.Report)
		out = append(out, *in)
	}
	return out
}

// runFleetProfile replays inputs through profileJSON (with the fleet's
// custom metrics), recording into rec when not nil, and returns the events.
func runFleetProfile(t *testing.T, profileJSON string, inputs []detecttest.Input, rec *backtest.Recorder) []ruledetect.ViolationEvent {
	t.Helper()
	var opts []detecttest.Option
	for _, m := range fleet.CustomMetrics() {
		opts = append(opts, detecttest.WithCustomMetric(string(m)))
	}
	if rec != nil {
		opts = append(opts, detecttest.WithDatapointObserver(rec.Observe))
	}
	s := detecttest.New(t, profileJSON, opts...)
	s.Send(inputs...)
	s.AdvanceToTime(closingTime(inputs[len(inputs)-1].Time, 300*time.Second))
	s.Datapoints() // delivered
	events, err := allEvents(s.Engine)
	require.NoError(t, err)
	return events
}

// alarmCount counts the in-alarm events of a behavior and the things that
// raised them.
func alarmCount(events []ruledetect.ViolationEvent, name string) backtest.SweepCell {
	var c backtest.SweepCell
	things := map[string]bool{}
	for _, ev := range events {
		if ev.Behavior.Name == name && ev.ViolationEventType == "in-alarm" {
			c.Alarms++
			things[ev.ThingName] = true
		}
	}
	c.Things = len(things)
	return c
}

// The threshold sweep agrees with replays at those thresholds: for three
// behaviors of the demo fleet, the engine run again with a swept threshold
// and consecutive count raises the alarms the sweep says.
func TestSweepAgreesWithReplays(t *testing.T) {
	inputs := fleetInputs(fleet.Config{Things: 40, Duration: 3 * time.Hour, Seed: 3})
	rec := backtest.NewRecorder()
	base := runFleetProfile(t, string(fleet.Profile()), inputs, rec)
	sp, err := behavior.ParseSecurityProfile(fleet.Profile())
	require.NoError(t, err)
	recording := rec.Recording("", []*behavior.SecurityProfile{sp}, base)

	checked := 0
	for _, name := range []string{fleet.BehaviorMessagesSent, "MessageSize", "CpuUsage"} {
		sw, ok := recording.Sweep(fleet.ProfileName, name)
		require.True(t, ok, name)
		require.Zero(t, sw.Disagreements, name)
		// The configured cell is what the replay raised.
		assert.Equal(t, alarmCount(base, name), sw.Cells[sw.CurrentThreshold][sw.CurrentConsecutive], "%s as configured", name)
		// The lowest threshold with one and three to alarm, the next with two.
		for _, cell := range [][2]int{{0, slices.Index(sw.Consecutive, 1)}, {0, slices.Index(sw.Consecutive, 3)}, {1, slices.Index(sw.Consecutive, 2)}} {
			ti, ci := cell[0], cell[1]
			threshold, toAlarm := sw.Thresholds[ti], sw.Consecutive[ci]
			changed := withCriteria(t, sp, name, threshold, toAlarm)
			got := alarmCount(runFleetProfile(t, changed, inputs, nil), name)
			t.Logf("%s at threshold %s, %d to alarm: replay %+v, sweep %+v", name, threshold, toAlarm, got, sw.Cells[ti][ci])
			assert.Equal(t, got, sw.Cells[ti][ci], "%s at threshold %s, %d to alarm", name, threshold, toAlarm)
			if got.Alarms > 0 {
				checked++
			}
		}
	}
	assert.GreaterOrEqual(t, checked, 6, "the swept cells compared include alarms")
}

// withCriteria returns the profile JSON with one behavior's threshold and
// consecutiveDatapointsToAlarm changed.
func withCriteria(t *testing.T, sp *behavior.SecurityProfile, name string, threshold criteria.Number, toAlarm int) string {
	t.Helper()
	b, err := json.Marshal(sp)
	require.NoError(t, err)
	cp, err := behavior.ParseSecurityProfile(b)
	require.NoError(t, err)
	for i := range cp.Behaviors {
		c := cp.Behaviors[i].Criteria
		if cp.Behaviors[i].Name != name {
			continue
		}
		if n, ok := threshold.Int64(); ok && c.Value.Count != nil {
			c.Value.Count = &n
		} else {
			f := threshold.Float64()
			c.Value.Number = &f
		}
		n := int64(toAlarm)
		c.ConsecutiveDatapointsToAlarm = &n
	}
	out, err := json.Marshal(cp)
	require.NoError(t, err)
	return string(out)
}
