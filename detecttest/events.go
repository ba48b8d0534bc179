package detecttest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
)

// Event is a violation event reduced to what a test states: when, what,
// which thing and behavior, and the value that triggered it.
type Event struct {
	Time     time.Time
	Type     string // in-alarm, alarm-cleared or alarm-invalidated
	Thing    string
	Profile  string // may be left empty when the Sim has one profile
	Behavior string
	// Value is the event's metricValue as compact JSON, e.g. {"count":3};
	// empty for alarm-invalidated, which carries none.
	Value string
}

// String is the event in one line, as diffs print it.
func (e Event) String() string {
	s := fmt.Sprintf("%s %s %s %s/%s", e.Time.UTC().Format(time.RFC3339), e.Type, e.Thing, e.Profile, e.Behavior)
	if e.Value != "" {
		s += " " + e.Value
	}
	return s
}

// Active is an active violation reduced to what a test states.
type Active struct {
	Thing    string
	Profile  string // may be left empty when the Sim has one profile
	Behavior string
	Since    time.Time // violationStartTime
	Last     time.Time // lastViolationTime
	Value    string    // lastViolationValue as compact JSON
}

// String is the active violation in one line, as diffs print it.
func (a Active) String() string {
	s := fmt.Sprintf("%s %s/%s since %s", a.Thing, a.Profile, a.Behavior, a.Since.UTC().Format(time.RFC3339))
	if !a.Last.IsZero() {
		s += " last " + a.Last.UTC().Format(time.RFC3339)
	}
	if a.Value != "" {
		s += " " + a.Value
	}
	return s
}

// ValueJSON returns v as the compact JSON a Value field holds ("" for nil).
func ValueJSON(v *behavior.MetricValue) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

// FromViolationEvent reduces a violation event to an Event.
func FromViolationEvent(ev ruledetect.ViolationEvent) Event {
	return Event{
		Time: ev.ViolationEventTime.Time.UTC(), Type: string(ev.ViolationEventType),
		Thing: ev.ThingName, Profile: ev.SecurityProfileName, Behavior: ev.Behavior.Name,
		Value: ValueJSON(ev.MetricValue),
	}
}

// SortEvents orders events by time, thing, profile and behavior, keeping
// the given order among equals: the order `ruledetect replay` prints.
func SortEvents(evs []Event) {
	slices.SortStableFunc(evs, func(a, b Event) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Thing, b.Thing),
			cmp.Compare(a.Profile, b.Profile), cmp.Compare(a.Behavior, b.Behavior))
	})
}

// Events returns every violation event so far, sorted by SortEvents.
func (s *Sim) Events() []Event {
	ctx := context.Background()
	var out []Event
	in := ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(time.Unix(0, 0).UTC()),
		EndTime:   behavior.At(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)),
	}
	for ev, err := range s.Engine.ViolationEvents(ctx, in) {
		if err != nil {
			s.fail(err)
			return out
		}
		out = append(out, FromViolationEvent(ev))
	}
	SortEvents(out)
	return out
}

// ActiveViolations returns the active violations now, sorted by thing,
// profile and behavior.
func (s *Sim) ActiveViolations() []Active {
	ctx := context.Background()
	var out []Active
	for v, err := range s.Engine.ActiveViolations(ctx, ruledetect.ListActiveViolationsInput{}) {
		if err != nil {
			s.fail(err)
			return out
		}
		out = append(out, Active{
			Thing: v.ThingName, Profile: v.SecurityProfileName, Behavior: v.Behavior.Name,
			Since: v.ViolationStartTime.Time.UTC(), Last: v.LastViolationTime.Time.UTC(),
			Value: ValueJSON(v.LastViolationValue),
		})
	}
	slices.SortFunc(out, func(a, b Active) int {
		return cmp.Or(cmp.Compare(a.Thing, b.Thing), cmp.Compare(a.Profile, b.Profile), cmp.Compare(a.Behavior, b.Behavior))
	})
	return out
}

// defaultProfile fills an empty profile name when the Sim has one profile.
func (s *Sim) defaultProfile(p string) string {
	if p == "" && len(s.profiles) == 1 {
		return s.profiles[0]
	}
	return p
}

// DiffEvents compares the events so far with want (in any order; both are
// sorted by SortEvents) and returns "" when they are equal, or a go-cmp
// diff (-want +got, one event a line) followed by the datapoints of every behavior and thing
// the differing events name: the evidence that decided them.
func (s *Sim) DiffEvents(want ...Event) string {
	want = slices.Clone(want)
	for i := range want {
		want[i].Profile = s.defaultProfile(want[i].Profile)
		want[i].Time = want[i].Time.UTC()
	}
	SortEvents(want)
	got := s.Events()
	d := diffLines(lines(want), lines(got))
	if d == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("violation events differ (-want +got):\n")
	b.WriteString(d)
	b.WriteString(s.explain(symmetricDifference(want, got)))
	return b.String()
}

// AssertEvents fails the test with DiffEvents' diff when the events so far
// are not want.
func (s *Sim) AssertEvents(want ...Event) {
	if s.tb != nil {
		s.tb.Helper()
	}
	if d := s.DiffEvents(want...); d != "" {
		s.report(d)
	}
}

// DiffActive compares the active violations now with want and returns ""
// when they are equal, or a go-cmp diff followed by the datapoints of the
// behaviors and things that differ. A zero Last or empty Value in want is
// not compared.
func (s *Sim) DiffActive(want ...Active) string {
	got := s.ActiveViolations()
	want = slices.Clone(want)
	for i := range want {
		want[i].Profile = s.defaultProfile(want[i].Profile)
	}
	slices.SortFunc(want, func(a, b Active) int {
		return cmp.Or(cmp.Compare(a.Thing, b.Thing), cmp.Compare(a.Profile, b.Profile), cmp.Compare(a.Behavior, b.Behavior))
	})
	// A zero Last or empty Value in want is not compared: blank it in the
	// got entry of the same thing, profile and behavior.
	for i := range want {
		want[i].Since, want[i].Last = want[i].Since.UTC(), want[i].Last.UTC()
		for j := range got {
			if got[j].Thing != want[i].Thing || got[j].Profile != want[i].Profile || got[j].Behavior != want[i].Behavior {
				continue
			}
			if want[i].Last.IsZero() {
				got[j].Last = time.Time{}
			}
			if want[i].Value == "" {
				got[j].Value = ""
			}
		}
	}
	d := diffLines(lines(want), lines(got))
	if d == "" {
		return ""
	}
	// The datapoints from each violation's start to now.
	var evs []Event
	for _, a := range append(want, got...) {
		evs = append(evs, Event{Time: s.now, Thing: a.Thing, Profile: a.Profile, Behavior: a.Behavior})
		if !a.Since.IsZero() && a.Since.Before(s.now) {
			evs = append(evs, Event{Time: a.Since, Thing: a.Thing, Profile: a.Profile, Behavior: a.Behavior})
		}
	}
	return fmt.Sprintf("active violations at %s differ (-want +got):\n%s%s", s.now.Format(time.RFC3339), d, s.explain(evs))
}

// AssertActive fails the test with DiffActive's diff when the active
// violations now are not want.
func (s *Sim) AssertActive(want ...Active) {
	if s.tb != nil {
		s.tb.Helper()
	}
	if d := s.DiffActive(want...); d != "" {
		s.report(d)
	}
}

func (s *Sim) report(diff string) {
	if s.tb == nil {
		if s.err == nil {
			s.err = fmt.Errorf("%s", diff)
		}
		return
	}
	s.tb.Helper()
	s.tb.Error(diff)
}

// symmetricDifference returns the events of a not in b and of b not in a.
func symmetricDifference(a, b []Event) []Event {
	var out []Event
	for _, e := range a {
		if !slices.Contains(b, e) {
			out = append(out, e)
		}
	}
	for _, e := range b {
		if !slices.Contains(a, e) {
			out = append(out, e)
		}
	}
	return out
}
