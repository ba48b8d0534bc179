package main

import (
	"context"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/detecttest"
	"github.com/ruledetect/ruledetect/internal/testfile"
)

// testRecorder collects the runs of every test case into one report.
// Cases run on engines of their own, so each thing is named after its
// case ("case name: thing") to keep the cases' series apart.
type testRecorder struct {
	report   *backtestReport
	profiles []*behavior.SecurityProfile
	seen     map[string]bool // profile names
	events   []ruledetect.ViolationEvent
}

func newTestRecorder(path string) *testRecorder {
	return &testRecorder{report: newBacktestReport(path, "ruledetect test"), seen: map[string]bool{}}
}

// caseThing is a thing's name in the report.
func caseThing(c *testfile.Case, thing string) string { return c.Name + ": " + thing }

// options records the case's datapoints.
func (r *testRecorder) options(f *testfile.File, c *testfile.Case) []detecttest.Option {
	return []detecttest.Option{detecttest.WithDatapointObserver(func(d ruledetect.Datapoint) {
		d.Thing = caseThing(c, d.Thing)
		r.report.rec.Observe(d)
	})}
}

// caseDone keeps the case's events and profiles (the first of each name:
// the report shows one definition per behavior).
func (r *testRecorder) caseDone(c *testfile.Case, s *detecttest.Sim, profiles []*behavior.SecurityProfile) {
	ctx := context.Background()
	s.Datapoints() // waits for the engine to deliver them
	for ev, err := range s.Engine.ViolationEvents(ctx, ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(time.Unix(0, 0).UTC()),
		EndTime:   behavior.At(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)),
	}) {
		if err != nil {
			break
		}
		ev.ThingName = caseThing(c, ev.ThingName)
		r.events = append(r.events, ev)
	}
	for _, sp := range profiles {
		if r.seen[sp.SecurityProfileName] {
			continue
		}
		r.seen[sp.SecurityProfileName] = true
		r.profiles = append(r.profiles, sp)
	}
}

func (r *testRecorder) write() error {
	sortEvents(r.events)
	return r.report.write(nil, r.profiles, r.events, time.Time{}, time.Time{})
}
