package ruledetect

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/criteria"
	"github.com/ruledetect/ruledetect/internal/sketch"
	"github.com/ruledetect/ruledetect/violation"
)

// advanceTo moves the watermark to t (Unix ns) and closes every evaluation
// period boundary up to t, in order. It is called with mu held.
func (e *Engine) advanceTo(t int64) {
	if t <= e.watermark {
		return
	}
	prev := e.watermark
	e.watermark = t
	target := e.periodOf(t)
	if target <= e.closed {
		return
	}
	e.closeUpTo(target, prev)
	// Retention runs on event time too (DESIGN rule 12), also for an engine
	// that is fed inputs and never Advanced.
	e.log.Prune(time.Unix(0, e.closed*int64(e.opts.period)))
}

// closeUpTo closes the boundaries after e.closed up to target; prev is the
// watermark before this advance.
func (e *Engine) closeUpTo(target, prev int64) {
	p, horizon := int64(e.opts.period), int64(e.opts.invalidationHorizon)
	for m := e.closed + 1; m <= target; m++ {
		e.closePeriod(m)
		e.closed = m
		if m*p-horizon > prev {
			// Every thing has been idle for longer than the horizon: this close
			// expired them all, and the boundaries up to t have nothing to do.
			e.closed = target
			return
		}
	}
}

// closeScratch holds what closing a period reuses from one close to the next.
type closeScratch struct {
	batches map[uint64]*statBatch // by compiled behavior id
	order   []*statBatch
}

// statBatch gathers one statistical behavior's datapoints at one boundary:
// the fleet population and the members to judge against its percentile.
type statBatch struct {
	cb      *compiledBehavior
	pop     *sketch.Population
	members []statMember
}

type statMember struct {
	ts *thingState
	i  int
	d  datapoint
}

// closePeriod produces the datapoints at boundary m·P (DESIGN rules 4, 5, 8):
// first the invalidations due by then, then every windowed datapoint, then
// the statistical ones against the fleet's percentile of the same boundary.
func (e *Engine) closePeriod(m int64) {
	T := m * int64(e.opts.period)
	cfg := e.cfg.Load()
	for _, ts := range e.things {
		if ts.lastInput == 0 || e.expireIfIdle(ts, T) {
			continue
		}
		ts.align(e, cfg)
		if len(ts.cov.windowed) == 0 {
			continue
		}
		ts.shiftTo(m - 1)
		for _, i := range ts.cov.windowed {
			e.closeSlot(ts, int(i), m, T)
		}
	}
	e.judgeStatistical(T)
}

// closeSlot produces the datapoint of behavior i of ts at boundary T = m·P.
// The thing's windows have been shifted to period m−1.
func (e *Engine) closeSlot(ts *thingState, i int, m, T int64) {
	cb := ts.cov.behaviors[i]
	var d datapoint
	switch cb.agg {
	case aggCount:
		v, _ := sum(ts.window(i))
		d = datapoint{kind: dpCount, count: v}
	case aggSumIfAny:
		v, any := sum(ts.window(i))
		if !any {
			return
		}
		d = windowValue(cb, v)
	case aggLast:
		v, ok := last(ts.window(i))
		if !ok {
			return
		}
		d = windowValue(cb, v)
	case aggDisconnected:
		if ts.disconnectedAt == 0 {
			return
		}
		d = datapoint{kind: dpCount, count: uint64((T - ts.disconnectedAt) / int64(time.Minute))}
	default:
		return
	}
	if cb.eval == evalStatistical {
		e.batch(cb).add(ts, i, d)
		return
	}
	e.observe(ts, i, d, T)
}

func (e *Engine) batch(cb *compiledBehavior) *statBatch {
	sc := &e.scratch
	if sc.batches == nil {
		sc.batches = map[uint64]*statBatch{}
	}
	b := sc.batches[cb.id]
	if b == nil {
		b = &statBatch{pop: sketch.NewPopulation(e.opts.exactPopulation)}
		sc.batches[cb.id] = b
	}
	if b.cb == nil {
		b.cb = cb
		sc.order = append(sc.order, b)
	}
	return b
}

// reset empties b for the next boundary, keeping its memory.
func (b *statBatch) reset() {
	clear(b.members)
	b.members = b.members[:0]
	b.pop.Reset()
	b.cb = nil
}

func (b *statBatch) add(ts *thingState, i int, d datapoint) {
	b.members = append(b.members, statMember{ts: ts, i: i, d: d})
	b.pop.Add(d.num().Float64())
}

// judgeStatistical compares every member of every batch with its batch's
// percentile, then empties the batches for the next boundary.
//
// Batches are judged in (profile, behavior) order, not in the order the
// things map happened to produce their first datapoints: engines that share
// a fleet through a blocking PopulationExchange must call it for the same
// keys in the same order, or each waits for the other on a different key.
// For the same reason, with an exchange every statistical behavior of every
// attached profile takes part, with an empty local population when none of
// this engine's things gave it a datapoint at T.
func (e *Engine) judgeStatistical(T int64) {
	sc := &e.scratch
	if e.opts.exchange != nil {
		cfg := e.cfg.Load()
		for _, profiles := range cfg.targets {
			for _, p := range profiles {
				if rec := cfg.profiles[p]; rec != nil {
					for _, cb := range rec.behaviors {
						if cb.eval == evalStatistical {
							e.batch(cb)
						}
					}
				}
			}
		}
	}
	slices.SortFunc(sc.order, func(a, b *statBatch) int {
		return cmp.Or(strings.Compare(a.cb.profile, b.cb.profile), strings.Compare(a.cb.b.Name, b.cb.b.Name))
	})
	for _, b := range sc.order {
		pop := e.exchange(b, T)
		if pop.Len() == 0 {
			// Nothing to judge (an engine without datapoints for it), and an
			// empty population has no percentile.
			b.reset()
			continue
		}
		threshold := criteria.Float(pop.Quantile(b.cb.statistic.Quantile()))
		for _, mb := range b.members {
			e.transition(mb.ts, mb.i, mb.d, !b.cb.op.Holds(mb.d.num(), threshold), T, threshold.Float64())
		}
		b.reset()
	}
	clear(sc.order)
	sc.order = sc.order[:0]
	if len(sc.batches) > 1024 {
		sc.batches = nil // behaviors come and go; don't keep populations of deleted ones forever
	}
}

// expire handles a thing that has had no input for the invalidation
// horizon: its open alarms become alarm-invalidated at its last input +
// horizon (DESIGN rule 7) and its state is dropped. A thing whose
// registration or groups were told to the engine keeps that, nothing else.
func (e *Engine) expire(ts *thingState) {
	at := ts.lastInput + int64(e.opts.invalidationHorizon)
	for i := range ts.slots {
		if ts.slots[i].streak.InAlarm() {
			ev, _ := e.log.Invalidate(ts.key(i), time.Unix(0, at))
			e.emit(ev)
		}
	}
	if !ts.told {
		delete(e.things, ts.name)
		ts.dropped = true // handles that hold it look the thing up again
		return
	}
	ts.slots, ts.ring, ts.cov, ts.lastInput, ts.disconnectedAt = nil, nil, nil, 0, 0
}

// expireIdle expires every thing whose horizon has passed by t; Advance
// calls it so that invalidations between period boundaries are not late.
func (e *Engine) expireIdle(t int64) {
	for _, ts := range e.things {
		e.expireIfIdle(ts, t)
	}
}

// expireIfIdle expires ts if, by t, it has had an input and then none for
// the invalidation horizon; the expiry is due at its last input + horizon.
// It is small enough to inline on the ingest path.
func (e *Engine) expireIfIdle(ts *thingState, t int64) bool {
	if ts.lastInput == 0 || ts.lastInput > t-int64(e.opts.invalidationHorizon) {
		return false
	}
	e.expire(ts)
	return true
}

// invalidateWhere turns every open alarm matching match into
// alarm-invalidated at the watermark, and resets the streaks behind them,
// because what they monitored changed (DESIGN rule 7). Called with mu held.
func (e *Engine) invalidateWhere(match func(violation.Key) bool) {
	at := time.Unix(0, e.watermark)
	for _, k := range e.log.ActiveKeys(match) {
		ev, _ := e.log.Invalidate(k, at)
		e.emit(ev)
		ts := e.things[k.Thing]
		if ts == nil || ts.cov == nil {
			continue
		}
		for i, cb := range ts.cov.behaviors {
			if cb.profile == k.Profile && cb.b.Name == k.Behavior {
				ts.slots[i].streak.Reset()
			}
		}
	}
}
