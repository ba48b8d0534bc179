package eval

import (
	"time"

	"github.com/ruledetect/ruledetect/violation"
)

// The judge step: a datapoint goes through its slot's alarm state machine
// (violation.Streak), and the log records the transition.

// observe retains one datapoint of behavior i of ts, measured at t by an
// input, and judges it.
func (p *Plane) observe(ts *Thing, i int, d *Datapoint, t int64) {
	p.retainInput(ts, i, d, t)
	p.judge(ts, i, d, t)
}

// judge feeds one datapoint of behavior i of ts, at t, through the alarm
// state machine and records the transition in the log (once the allowed
// lateness has passed, with one).
func (p *Plane) judge(ts *Thing, i int, d *Datapoint, t int64) {
	cb := ts.cov.behaviors[i]
	if cb.eval != evalStatic || !d.fits(cb.crit) {
		return
	}
	if p.opts.AllowedLateness > 0 {
		p.hold(ts, i, d, t)
		return
	}
	p.transition(ts, i, d, !d.compliant(cb.crit), t, 0)
}

// transition applies a judged datapoint to the slot's streak and the log;
// threshold is the fleet percentile a statistical datapoint was judged by.
func (p *Plane) transition(ts *Thing, i int, d *Datapoint, violating bool, t int64, threshold float64) {
	cb := ts.cov.behaviors[i]
	s := &ts.slots()[i]
	p.shards[ts.shard].datapoints.Add(1)
	if p.hooks.Observe != nil {
		p.observed(ts, i, d, violating, t, threshold)
	}
	switch s.streak.Observe(violating, cb.toAlarm, cb.toClear) {
	case violation.Alarm:
		p.emit(p.log.Raise(ts.key(i), &cb.b, time.Unix(0, t), d.MetricValue(), cb.suppressed))
	case violation.StillViolating:
		p.log.Violate(ts.key(i), time.Unix(0, t), d.MetricValue())
	case violation.Clear:
		ev, _ := p.log.Clear(ts.key(i), time.Unix(0, t), d.MetricValue())
		p.emit(ev)
	}
}

// observed hands a judged datapoint to Hooks.Observe, its value copied:
// the hook's own. It is apart from transition so that d, which points into
// the input (or a stack array of the caller), does not escape to the heap
// on every judged datapoint, as it would if the hook took it directly.
func (p *Plane) observed(ts *Thing, i int, d *Datapoint, violating bool, t int64, threshold float64) {
	p.hooks.Observe(Judged{Thing: ts.name, Behavior: ts.cov.behaviors[i], Value: d.MetricValue(),
		Time: t, Violating: violating, Threshold: threshold})
}

// emit hands ev to the owner (Hooks.Emit), unless it is empty (a
// transition that recorded nothing).
func (p *Plane) emit(ev violation.Event) {
	if p.hooks.Emit != nil && ev.ViolationID != "" {
		p.hooks.Emit(ev)
	}
}
