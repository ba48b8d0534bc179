package backtest

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/criteria"
	"github.com/ruledetect/ruledetect/violation"
)

// TopThings is how many things a behavior's chart offers in its selector.
const TopThings = 8

// band is an in-alarm interval of one thing, [from, to) in Unix ns.
type band struct{ from, to int64 }

// mark is an event drawn on a chart.
type mark struct {
	t   int64
	v   float64
	typ violation.EventType
}

// thingView is one thing's part of a behavior's chart and tables.
type thingView struct {
	thing       string
	points      []point
	bands       []band
	marks       []mark
	alarms      int
	timeInAlarm time.Duration
	peak        float64
}

// behaviorView is one behavior's section of the report.
type behaviorView struct {
	id                    string
	profile, name, metric string
	criterion             string // in words
	threshold             *float64
	statistical           bool
	fleet                 []fleetPoint
	alarms, thingsInAlarm int
	things                []*thingView // every thing with datapoints or events, most in alarm first
	t0, t1                int64        // the span of its datapoints and events (the recording's, when set)
	sweep                 *Sweep
}

// report is what the HTML shows.
type report struct {
	title            string
	start, end       int64
	datapoints       int
	events           map[violation.EventType]int
	behaviors        []*behaviorView
	thingRows        []thingRow
	thingsWithAlarms int
}

// thingRow is a line of the table of things.
type thingRow struct {
	thing       string
	alarms      int
	timeInAlarm time.Duration
	behaviors   []string
}

// MaxThingRows bounds the table of things.
const MaxThingRows = 50

// findBehavior returns the profile's definition of a behavior.
func findBehavior(profiles []*behavior.SecurityProfile, profile, name string) *behavior.Behavior {
	for _, sp := range profiles {
		if sp.SecurityProfileName != profile {
			continue
		}
		for i := range sp.Behaviors {
			if sp.Behaviors[i].Name == name {
				return &sp.Behaviors[i]
			}
		}
	}
	return nil
}

// build derives the report from a recording.
func build(rec *Recording) *report {
	rp := &report{title: rec.Title, datapoints: rec.datapoints, events: map[violation.EventType]int{}}
	lo, hi := int64(0), int64(0)
	widen := func(t int64) {
		if lo == 0 || t < lo {
			lo = t
		}
		if t > hi {
			hi = t
		}
	}
	for _, b := range rec.behaviors {
		for _, s := range b.things {
			if len(s.points) > 0 {
				widen(s.points[0].t)
				widen(s.points[len(s.points)-1].t)
			}
		}
	}
	evs := map[key][]int{} // indexes into rec.Events
	for i, ev := range rec.Events {
		widen(ev.ViolationEventTime.UnixNano())
		rp.events[ev.ViolationEventType]++
		k := key{ev.SecurityProfileName, ev.Behavior.Name, ev.ThingName}
		evs[k] = append(evs[k], i)
	}
	if !rec.Start.IsZero() {
		lo = rec.Start.UnixNano()
	}
	if !rec.End.IsZero() {
		hi = rec.End.UnixNano()
	}
	if hi <= lo {
		hi = lo + int64(time.Minute)
	}
	rp.start, rp.end = lo, hi

	rows := map[string]*thingRow{}
	for bi, b := range rec.behaviors {
		bv := &behaviorView{id: fmt.Sprintf("b%d", bi), profile: b.profile, name: b.name, metric: b.metric, statistical: b.statistical}
		def := findBehavior(rec.Profiles, b.profile, b.name)
		st := staticOf(def)
		if def != nil && def.Criteria != nil {
			if bv.metric == "" {
				bv.metric = def.Metric
			}
			if st.current != nil {
				f := st.current.Float64()
				bv.threshold = &f
			}
			bv.criterion = criterionText(def.Criteria, st.toAlarm, st.toClear)
		}
		for t, thr := range b.fleet {
			bv.fleet = append(bv.fleet, fleetPoint{t, thr})
		}
		slices.SortFunc(bv.fleet, func(a, b fleetPoint) int { return cmp.Compare(a.t, b.t) })

		bv.t0, bv.t1 = behaviorSpan(b, rec, evs, lo, hi)
		names := map[string]bool{}
		for name := range b.things {
			names[name] = true
		}
		for k := range evs {
			if k.profile == b.profile && k.behavior == b.name {
				names[k.thing] = true
			}
		}
		for name := range names {
			tv := &thingView{thing: name}
			if s := b.things[name]; s != nil {
				tv.points = s.points
				for i := range s.points {
					tv.peak = max(tv.peak, s.points[i].v)
				}
			}
			open := int64(-1)
			for _, i := range evs[key{b.profile, b.name, name}] {
				ev := &rec.Events[i]
				t := ev.ViolationEventTime.UnixNano()
				tv.marks = append(tv.marks, mark{t: t, v: valueOf(ev.MetricValue), typ: ev.ViolationEventType})
				switch ev.ViolationEventType {
				case violation.InAlarm:
					tv.alarms++
					if open < 0 {
						open = t
					}
				default:
					if open >= 0 {
						tv.bands = append(tv.bands, band{open, t})
						open = -1
					}
				}
			}
			if open >= 0 {
				tv.bands = append(tv.bands, band{open, bv.t1})
			}
			for _, bd := range tv.bands {
				tv.timeInAlarm += time.Duration(bd.to - bd.from)
			}
			bv.things = append(bv.things, tv)
			bv.alarms += tv.alarms
			if tv.alarms > 0 {
				bv.thingsInAlarm++
				r := rows[name]
				if r == nil {
					r = &thingRow{thing: name}
					rows[name] = r
				}
				r.alarms += tv.alarms
				r.timeInAlarm += tv.timeInAlarm
				r.behaviors = append(r.behaviors, b.profile+"/"+b.name)
			}
		}
		slices.SortFunc(bv.things, func(a, b *thingView) int {
			return cmp.Or(cmp.Compare(b.timeInAlarm, a.timeInAlarm), cmp.Compare(b.alarms, a.alarms),
				cmp.Compare(b.peak, a.peak), cmp.Compare(a.thing, b.thing))
		})
		if st.sweepable() && !b.statistical {
			bv.sweep = runSweep(b, st.op, *st.current, st.toAlarm, st.toClear)
		}
		rp.behaviors = append(rp.behaviors, bv)
	}
	for _, r := range rows {
		rp.thingRows = append(rp.thingRows, *r)
	}
	rp.thingsWithAlarms = len(rp.thingRows)
	slices.SortFunc(rp.thingRows, func(a, b thingRow) int {
		return cmp.Or(cmp.Compare(b.timeInAlarm, a.timeInAlarm), cmp.Compare(b.alarms, a.alarms), cmp.Compare(a.thing, b.thing))
	})
	rp.thingRows = rp.thingRows[:min(len(rp.thingRows), MaxThingRows)]
	return rp
}

// valueOf is the value a chart draws for an event's metric value: the
// number, or a list's length; 0 for none.
func valueOf(v *behavior.MetricValue) float64 {
	switch {
	case v == nil:
		return 0
	case v.Count != nil:
		return float64(*v.Count)
	case v.Number != nil:
		return *v.Number
	case v.CIDRs != nil:
		return float64(len(v.CIDRs))
	case v.Ports != nil:
		return float64(len(v.Ports))
	case v.Numbers != nil:
		return float64(len(v.Numbers))
	}
	return float64(len(v.Strings))
}

// criterionText says a behavior's criteria in words.
func criterionText(c *behavior.BehaviorCriteria, toAlarm, toClear int) string {
	var b strings.Builder
	b.WriteString(c.ComparisonOperator)
	switch {
	case c.StatisticalThreshold != nil && c.StatisticalThreshold.Statistic != nil:
		fmt.Fprintf(&b, " the fleet's %s", *c.StatisticalThreshold.Statistic)
	case c.Value != nil:
		v := c.Value
		switch {
		case v.Count != nil:
			fmt.Fprintf(&b, " %d", *v.Count)
		case v.Number != nil:
			fmt.Fprintf(&b, " %g", *v.Number)
		case v.CIDRs != nil:
			fmt.Fprintf(&b, " %v", v.CIDRs)
		case v.Ports != nil:
			fmt.Fprintf(&b, " %v", v.Ports)
		case v.Numbers != nil:
			fmt.Fprintf(&b, " %v", v.Numbers)
		case v.Strings != nil:
			fmt.Fprintf(&b, " %q", v.Strings)
		}
	}
	if c.DurationSeconds != nil {
		fmt.Fprintf(&b, " over %d s", *c.DurationSeconds)
	} else {
		b.WriteString(" per input")
	}
	fmt.Fprintf(&b, "; %d to alarm, %d to clear", toAlarm, toClear)
	return b.String()
}

// key names one (profile, behavior, thing).
type key struct{ profile, behavior, thing string }

// behaviorSpan is the time axis of a behavior's chart: the recording's
// Start and End when set, else the span of the behavior's own datapoints
// and events (within a recording of several test cases, they differ).
func behaviorSpan(b *behaviorRec, rec *Recording, evs map[key][]int, lo, hi int64) (int64, int64) {
	if !rec.Start.IsZero() && !rec.End.IsZero() {
		return lo, hi
	}
	t0, t1 := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range b.things {
		if len(s.points) > 0 {
			t0 = min(t0, s.points[0].t)
			t1 = max(t1, s.points[len(s.points)-1].t)
		}
	}
	for k, idx := range evs {
		if k.profile != b.profile || k.behavior != b.name {
			continue
		}
		for _, i := range idx {
			t := rec.Events[i].ViolationEventTime.UnixNano()
			t0, t1 = min(t0, t), max(t1, t)
		}
	}
	if t0 > t1 {
		return lo, hi
	}
	if !rec.Start.IsZero() {
		t0 = lo
	}
	if !rec.End.IsZero() {
		t1 = hi
	}
	if t1 <= t0 {
		t1 = t0 + int64(time.Minute)
	}
	return t0, t1
}

// static is what a sweep needs of a behavior's criteria.
type static struct {
	op               criteria.Operator
	current          *criteria.Number // the threshold, for a count or number value
	toAlarm, toClear int
}

// sweepable reports whether the behavior is a static numeric comparison.
func (s static) sweepable() bool { return s.current != nil && s.op.IsComparison() }

// staticOf reads a behavior's operator, threshold and consecutive counts
// (1 when absent, as the engine defaults them).
func staticOf(def *behavior.Behavior) static {
	st := static{toAlarm: 1, toClear: 1}
	if def == nil || def.Criteria == nil {
		return st
	}
	c := def.Criteria
	if c.ConsecutiveDatapointsToAlarm != nil {
		st.toAlarm = int(*c.ConsecutiveDatapointsToAlarm)
	}
	if c.ConsecutiveDatapointsToClear != nil {
		st.toClear = int(*c.ConsecutiveDatapointsToClear)
	}
	st.op, _ = criteria.ParseOperator(c.ComparisonOperator)
	if c.Value != nil && c.StatisticalThreshold == nil {
		switch {
		case c.Value.Count != nil:
			n := criteria.Int(*c.Value.Count)
			st.current = &n
		case c.Value.Number != nil:
			n := criteria.Float(*c.Value.Number)
			st.current = &n
		}
	}
	return st
}

// Sweep returns the threshold sweep of a static numeric behavior of the
// recording, as the report shows it; false for another behavior, or one
// without datapoints.
func (r *Recording) Sweep(profile, name string) (*Sweep, bool) {
	st := staticOf(findBehavior(r.Profiles, profile, name))
	if !st.sweepable() {
		return nil, false
	}
	for _, b := range r.behaviors {
		if b.profile == profile && b.name == name && !b.statistical {
			return runSweep(b, st.op, *st.current, st.toAlarm, st.toClear), true
		}
	}
	return nil, false
}
