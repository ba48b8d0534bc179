package backtest

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/criteria"
)

// point is one datapoint of one thing, kept small (24 bytes) because a
// day of a fleet has millions.
type point struct {
	t         int64   // Unix nanoseconds
	v         float64 // the value drawn: the number, or a list's length
	i         int64   // the exact count, when isInt
	isInt     bool    // a count (compare as criteria.Int(i))
	numeric   bool    // a count or number: the sweep can re-judge it
	violating bool
}

// num is the point's value as the criteria package compares it.
func (p *point) num() criteria.Number {
	if p.isInt {
		return criteria.Int(p.i)
	}
	return criteria.Float(p.v)
}

// series is the datapoints of one (behavior, thing), in evaluation order.
type series struct {
	thing  string
	points []point
}

// fleetPoint is the percentile a statistical behavior's datapoints at one
// window end were judged against.
type fleetPoint struct {
	t         int64
	threshold float64
}

// behaviorRec is what the recorder keeps of one (profile, behavior).
type behaviorRec struct {
	profile, name, metric string
	statistical           bool
	things                map[string]*series
	fleet                 map[int64]float64
}

// Recorder collects the datapoints an engine judges (pass Observe to
// ruledetect.WithDatapointObserver), the violation events and the
// profiles, and makes a Recording of them. It is safe for concurrent use:
// the engine calls Observe from every goroutine that ingests.
type Recorder struct {
	mu sync.Mutex
	// behaviors is searched linearly: a profile has a few behaviors, and
	// comparing their names is cheaper than hashing them for every one of
	// millions of datapoints.
	behaviors  []*behaviorRec
	datapoints int
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Observe records one judged datapoint: pass it to
// ruledetect.WithDatapointObserver.
func (r *Recorder) Observe(d ruledetect.Datapoint) {
	p := point{t: d.Time.UnixNano(), violating: d.Violating}
	v := &d.Value
	switch {
	case v.Count != nil:
		p.i, p.v, p.isInt, p.numeric = *v.Count, float64(*v.Count), true, true
	case v.Number != nil:
		p.v, p.numeric = *v.Number, true
	case v.CIDRs != nil:
		p.v = float64(len(v.CIDRs))
	case v.Ports != nil:
		p.v = float64(len(v.Ports))
	case v.Numbers != nil:
		p.v = float64(len(v.Numbers))
	case v.Strings != nil:
		p.v = float64(len(v.Strings))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.datapoints++
	var b *behaviorRec
	for _, c := range r.behaviors {
		if c.name == d.Behavior && c.profile == d.Profile {
			b = c
			break
		}
	}
	if b == nil {
		b = &behaviorRec{profile: d.Profile, name: d.Behavior, metric: d.Metric, things: map[string]*series{}}
		r.behaviors = append(r.behaviors, b)
	}
	s := b.things[d.Thing]
	if s == nil {
		s = &series{thing: d.Thing}
		b.things[d.Thing] = s
	}
	s.points = append(s.points, p)
	if d.Statistical {
		b.statistical = true
		if b.fleet == nil {
			b.fleet = map[int64]float64{}
		}
		b.fleet[p.t] = d.Threshold
	}
}

// Recording is what a replay judged: the input of Build.
type Recording struct {
	Title    string
	Profiles []*behavior.SecurityProfile
	Events   []ruledetect.ViolationEvent
	// Start and End bound the charts' time axis; zero means the span of
	// the datapoints and events.
	Start, End time.Time

	behaviors  []*behaviorRec
	datapoints int
}

// Recording returns what was recorded, with the profiles (for the
// behaviors' criteria) and the violation events of the run.
func (r *Recorder) Recording(title string, profiles []*behavior.SecurityProfile, events []ruledetect.ViolationEvent) *Recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := &Recording{Title: title, Profiles: profiles, Events: events, datapoints: r.datapoints}
	rec.behaviors = append(rec.behaviors, r.behaviors...)
	// Behaviors with events but no datapoint (none was judged, say) still
	// get their section.
	seen := map[[2]string]bool{}
	for _, b := range rec.behaviors {
		seen[[2]string{b.profile, b.name}] = true
	}
	for _, ev := range events {
		k := [2]string{ev.SecurityProfileName, ev.Behavior.Name}
		if !seen[k] {
			seen[k] = true
			rec.behaviors = append(rec.behaviors, &behaviorRec{profile: k[0], name: k[1], metric: ev.Behavior.Metric, things: map[string]*series{}})
		}
	}
	order := map[[2]string]int{}
	for _, sp := range profiles {
		for i, b := range sp.Behaviors {
			order[[2]string{sp.SecurityProfileName, b.Name}] = i
		}
	}
	slices.SortFunc(rec.behaviors, func(a, b *behaviorRec) int {
		return cmp.Or(cmp.Compare(a.profile, b.profile),
			cmp.Compare(orderOf(order, a), orderOf(order, b)), cmp.Compare(a.name, b.name))
	})
	return rec
}

func orderOf(order map[[2]string]int, b *behaviorRec) int {
	if i, ok := order[[2]string{b.profile, b.name}]; ok {
		return i
	}
	return math.MaxInt
}
