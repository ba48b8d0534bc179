package ruledetect

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/criteria"
	"github.com/ruledetect/ruledetect/internal/sketch"
	"github.com/ruledetect/ruledetect/violation"
)

// advanceTo moves the watermark to t (Unix ns), closes every evaluation
// period boundary it reaches (the boundary at T closes when the watermark
// reaches T plus the allowed lateness), in order, and judges the held
// per-input datapoints whose lateness has passed. Called with mu held.
func (e *Engine) advanceTo(t int64) {
	e.syncWatermark()
	for t > e.watermark && e.closing.Load() {
		e.closeDone.Wait()
		e.syncWatermark()
	}
	if t <= e.watermark {
		return
	}
	prev := e.watermark
	e.watermark = t
	e.wmPub.Store(t)
	if target := e.closeTarget(t); target > e.closed.Load() {
		e.closing.Store(true)
		e.closeUpTo(target, prev)
		e.endClose()
	}
	e.judgeHeld(t-int64(e.opts.allowedLateness), true)
}

// endClose ends a close, here or in the background (closeInBackground):
// the inputs and callers waiting for the clock go on, and retention runs
// on the boundary reached (on event time too, also for an engine that is
// fed inputs and never Advanced). Called with mu held.
func (e *Engine) endClose() {
	e.closing.Store(false)
	e.signalClock()
	e.closeDone.Broadcast()
	e.log.Prune(time.Unix(0, e.closed.Load()*int64(e.opts.period)))
}

// closeUpTo closes the boundaries after e.closed up to target; prev is the
// watermark before this advance, so no input is newer than it.
//
// Past the first few boundaries after prev nothing changes from one
// boundary to the next but expiries: every window has emptied, every
// streak has seen the same verdict often enough to stay put. There the
// boundaries are crossed by fastForward, in time proportional to the
// things rather than to things × boundaries, with the same result.
func (e *Engine) closeUpTo(target, prev int64) {
	p := int64(e.opts.period)
	steady := e.steadyFrom(prev)
	for m := e.closed.Load() + 1; m <= target; m++ {
		if m >= steady && e.fastForwardable() {
			e.fastForward(m, target)
			return
		}
		e.judgeHeld(m*p, false)
		// Closed before its datapoints are made: an input of a period this
		// boundary ends is late from now on, not added to a window being
		// read (each shard then catches up, see admitInShard).
		e.closed.Store(m)
		e.signalClock()
		e.closePeriod(m)
		if e.retaining {
			e.flushExports()
			e.sweepMetrics()
		}
	}
}

// steadyFrom returns the first boundary from which, with no input after
// prev, every window is empty and every streak has seen at least
// MaxConsecutive identical verdicts (a fixed point of violation.Streak).
func (e *Engine) steadyFrom(prev int64) int64 {
	longest := 0
	for _, rec := range e.cfg.Load().profiles {
		for _, cb := range rec.behaviors {
			longest = max(longest, cb.periods)
		}
	}
	return e.periodOf(prev) + int64(longest) + int64(e.slack()) + violation.MaxConsecutive + 1
}

// fastForwardable reports whether boundaries can be crossed without
// producing each one's datapoints: not with a population exchange (other
// engines may have inputs, and wait for this one's population at every
// boundary), nor with a datapoint observer, metric retention or export
// (they asked for every datapoint, zero counts included).
func (e *Engine) fastForwardable() bool {
	return e.opts.exchange == nil && e.opts.observer == nil && !e.retaining && len(e.held) == 0
}

// fastForward closes boundaries from..target, all in the steady state of
// steadyFrom. A thing's windowed behaviors then give each boundary the same
// datapoint (a zero count; nothing for sums and last values, which need an
// input), judged the same way (a statistical count is compared with the
// percentile of a fleet of zeros, 0), until the thing expires at its last
// input plus the horizon. Only the last of those datapoints can show (as
// the active violation's last violation, if it is in alarm); the others
// only count. The exception is a disconnect duration, which grows: the
// things with one open are closed boundary by boundary, at most horizon/P
// boundaries each before they expire.
func (e *Engine) fastForward(from, target int64) {
	p, horizon := int64(e.opts.period), int64(e.opts.invalidationHorizon)
	cfg := e.cfg.Load()
	type expiry struct {
		at int64
		ts *thingState
	}
	var expiries []expiry
	var growing []*thingState
	e.lockShards()
	defer e.unlockShards()
	e.eachThing(func(ts *thingState) {
		if ts.lastInput == 0 {
			return
		}
		ts.align(e, cfg)
		x := ts.lastInput + horizon
		// The boundaries from..last still judge ts; it expires at the first
		// boundary at or after x.
		last := min(target, ceilDiv(x, p)-1)
		if last >= from {
			e.settle(ts, from, last)
			if ts.disconnectedAt != 0 && ts.cov.hasDisconnectDuration() {
				growing = append(growing, ts)
			}
		}
		if x <= target*p {
			expiries = append(expiries, expiry{x, ts})
		}
	})
	slices.SortFunc(expiries, func(a, b expiry) int {
		return cmp.Or(cmp.Compare(a.at, b.at), strings.Compare(a.ts.name, b.ts.name))
	})
	// Growing disconnect durations (never statistical), boundary by
	// boundary, with the expiries of every thing in time order among them.
	for m := from; m <= target && len(growing) > 0; m++ {
		T := m * p
		for len(expiries) > 0 && expiries[0].at <= T {
			e.expire(expiries[0].ts)
			expiries = expiries[1:]
		}
		growing = slices.DeleteFunc(growing, func(ts *thingState) bool {
			if ts.dropped || ts.lastInput == 0 {
				return true
			}
			for _, i := range ts.cov.windowed {
				if ts.cov.behaviors[i].agg == aggDisconnected {
					e.closeSlot(ts, int(i), m, T)
				}
			}
			return false
		})
	}
	for _, x := range expiries {
		e.expire(x.ts)
	}
	// Every shard is closed to target before an input can reach one.
	e.closed.Store(target)
	for _, sh := range e.shards {
		sh.closed = target
	}
	e.signalClock()
}

// settle gives each windowed behavior of ts its steady datapoint at the
// boundaries from..last, all at once: the datapoints are counted, and the
// last is judged, which is all that a run of identical verdicts past a
// streak's fixed point can change. Disconnect durations are not steady;
// fastForward steps them.
func (e *Engine) settle(ts *thingState, from, last int64) {
	p := int64(e.opts.period)
	ts.shiftTo(last - 1)
	n := uint64(last - from + 1)
	for _, i := range ts.cov.windowed {
		cb := ts.cov.behaviors[i]
		if cb.agg != aggCount || (cb.eval != evalStatic && cb.eval != evalStatistical) {
			continue // no input, no datapoint; retained values do not fast-forward (fastForwardable)
		}
		d := datapoint{kind: dpCount}
		violating := false
		switch cb.eval {
		case evalStatic:
			if !d.fits(cb.crit) {
				continue
			}
			violating = !d.compliant(cb.crit)
		case evalStatistical:
			violating = !cb.op.Holds(d.num(), criteria.Float(0))
		}
		e.shards[ts.shard].datapoints.Add(n - 1)
		e.transition(ts, int(i), d, violating, last*p, 0)
	}
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b > 0 {
		q++
	}
	return q
}

// closeScratch holds what closing a period reuses from one close to the
// next, in one shard.
type closeScratch struct {
	batches map[uint64]*statBatch // by compiled behavior id
	order   []*statBatch
}

// statBatch gathers one statistical behavior's datapoints at one boundary
// in one shard: the shard's population and the members to judge against
// the fleet's percentile.
type statBatch struct {
	sh      *shard
	cb      *compiledBehavior
	pop     *sketch.Population
	members []statMember
}

// fleetScratch gathers the shards' batches of one boundary by behavior.
type fleetScratch struct {
	batches map[uint64]*fleetBatch // by compiled behavior id
	order   []*fleetBatch
}

// fleetBatch is one statistical behavior at one boundary across the
// shards: their batches and, when more than one has datapoints, the
// merge of their populations.
type fleetBatch struct {
	cb    *compiledBehavior
	pop   *sketch.Population
	parts []*statBatch
}

type statMember struct {
	ts *thingState
	i  int
	d  datapoint
}

// closePeriod produces the datapoints at boundary m·P: first the
// invalidations due by then, then every windowed datapoint, then the
// statistical ones against the fleet's percentile of the same boundary.
// The shards close in parallel (see eachShard), each taking inputs again
// as soon as it is closed; they join only for the statistical populations.
func (e *Engine) closePeriod(m int64) {
	e.eachShard(func(sh *shard) { e.closeShard(sh, m) })
	e.judgeStatistical(m * int64(e.opts.period))
}

// closeShard closes boundary m in sh, unless that is done: the closer
// calls it for every shard, and an input that finds its shard behind the
// clock calls it for its own rather than wait for the closer to get there
// (admitInShard). The shard's statistical datapoints wait in its scratch
// for judgeStatistical. Called with sh.mu held, while mu's holder closes m.
func (e *Engine) closeShard(sh *shard, m int64) {
	if sh.closed >= m {
		return
	}
	T := m * int64(e.opts.period)
	cfg := e.cfg.Load()
	for _, ts := range sh.things {
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
	sh.closed = m
}

// closeSlot produces the datapoint of behavior i of ts at boundary T = m·P.
// The thing's head has been shifted to period m−1 or later.
func (e *Engine) closeSlot(ts *thingState, i int, m, T int64) {
	cb := ts.cov.behaviors[i]
	var d datapoint
	switch cb.agg {
	case aggCount:
		v, _ := sum(ts.window(i, m))
		d = datapoint{kind: dpCount, count: v}
	case aggSumIfAny:
		v, any := sum(ts.window(i, m))
		if !any {
			return
		}
		d = windowValue(cb, v)
	case aggLast:
		v, ok := last(ts.window(i, m))
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
	if e.retaining && cb.in != inReport {
		e.retainPeriod(ts, i, m, T, &d)
	}
	switch cb.eval {
	case evalStatistical:
		e.shards[ts.shard].batch(e, cb).add(ts, i, d)
	case evalStatic:
		e.judge(ts, i, d, T)
	}
}

// retainPeriod retains the cloud-side value of behavior i of ts for the
// period that boundary m closes (its own count, not the window's), if i
// feeds a series. d is the window's datapoint.
func (e *Engine) retainPeriod(ts *thingState, i int, m, T int64, d *datapoint) {
	spec := ts.cov.retained(i)
	if spec == nil {
		return
	}
	cb := ts.cov.behaviors[i]
	switch cb.agg {
	case aggCount, aggSumIfAny:
		var a acc // the period's own; zero in a ring not yet allocated
		if w := ts.window(i, m); len(w) > 0 {
			a = w[0]
		}
		if cb.agg == aggSumIfAny && !a.any {
			return
		}
		e.retain(ts, spec, &datapoint{kind: dpCount, count: a.v}, T)
	default:
		e.retain(ts, spec, d, T)
	}
}

// batch returns the shard's batch of the statistical behavior cb at the
// boundary being closed. Called with sh.mu held.
func (sh *shard) batch(e *Engine, cb *compiledBehavior) *statBatch {
	sc := &sh.scratch
	if sc.batches == nil {
		sc.batches = map[uint64]*statBatch{}
	}
	b := sc.batches[cb.id]
	if b == nil {
		b = &statBatch{sh: sh, pop: sketch.NewPopulation(e.opts.exactPopulation)}
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

// fleetBatch returns the fleet's batch of the statistical behavior cb at
// the boundary being closed. Called with mu held.
func (e *Engine) fleetBatch(cb *compiledBehavior) *fleetBatch {
	fs := &e.fleet
	if fs.batches == nil {
		fs.batches = map[uint64]*fleetBatch{}
	}
	b := fs.batches[cb.id]
	if b == nil {
		b = &fleetBatch{pop: sketch.NewPopulation(e.opts.exactPopulation)}
		fs.batches[cb.id] = b
	}
	if b.cb == nil {
		b.cb = cb
		fs.order = append(fs.order, b)
	}
	return b
}

// population returns the population of the shards' datapoints: the one
// shard's own when only one has any, else their merge.
func (b *fleetBatch) population() *sketch.Population {
	if len(b.parts) == 1 {
		return b.parts[0].pop
	}
	for _, p := range b.parts {
		// Merge fails only past 2^64 values, which no fleet reaches.
		_ = b.pop.Merge(p.pop)
	}
	return b.pop
}

func (b *fleetBatch) reset() {
	for _, p := range b.parts {
		p.reset()
	}
	clear(b.parts)
	b.parts = b.parts[:0]
	b.pop.Reset()
	b.cb = nil
}

// judgeStatistical gathers the shards' batches of boundary T by behavior,
// compares every member with its behavior's fleet percentile, then empties
// the batches for the next boundary.
//
// Batches are judged in (profile, behavior) order, not in the order the
// things happened to produce their first datapoints: engines that share a
// fleet through a blocking PopulationExchange must call it for the same
// keys in the same order, or each waits for the other on a different key.
// For the same reason, with an exchange every statistical behavior of every
// attached profile takes part, with an empty local population when none of
// this engine's things gave it a datapoint at T.
func (e *Engine) judgeStatistical(T int64) {
	fs := &e.fleet
	for _, sh := range e.shards {
		for _, b := range sh.scratch.order {
			fb := e.fleetBatch(b.cb)
			fb.parts = append(fb.parts, b)
		}
		clear(sh.scratch.order)
		sh.scratch.order = sh.scratch.order[:0]
		if len(sh.scratch.batches) > 1024 {
			sh.scratch.batches = nil // behaviors come and go; don't keep populations of deleted ones forever
		}
	}
	if e.opts.exchange != nil {
		cfg := e.cfg.Load()
		for _, profiles := range cfg.targets {
			for _, p := range profiles {
				if rec := cfg.profiles[p]; rec != nil {
					for _, cb := range rec.behaviors {
						if cb.eval == evalStatistical {
							e.fleetBatch(cb)
						}
					}
				}
			}
		}
	}
	slices.SortFunc(fs.order, func(a, b *fleetBatch) int {
		return cmp.Or(strings.Compare(a.cb.profile, b.cb.profile), strings.Compare(a.cb.b.Name, b.cb.b.Name))
	})
	for _, b := range fs.order {
		e.judgeFleetBatch(b, T)
		b.reset()
	}
	clear(fs.order)
	fs.order = fs.order[:0]
	if len(fs.batches) > 1024 {
		fs.batches = nil
	}
}

// judgeFleetBatch judges the members of b against the percentile of the
// fleet's population at T, each shard's under its lock.
func (e *Engine) judgeFleetBatch(b *fleetBatch, T int64) {
	pop := e.exchange(b.cb, b.population(), T)
	if pop.Len() == 0 {
		// Nothing to judge (an engine without datapoints for it), and an
		// empty population has no percentile.
		return
	}
	if pop.Quantile(0) < 0 {
		// "Percentile statistics are not available for metrics when any
		// of the metric values are negative numbers" (AWS IoT Device
		// Defender developer guide, custom metrics): no threshold, so no
		// datapoint of this window is judged, as with missing data.
		// Counted.
		e.stats.percentilesUnavailable.Add(1)
		return
	}
	threshold := criteria.Float(pop.Quantile(b.cb.statistic.Quantile()))
	for _, part := range b.parts {
		part.sh.mu.Lock()
		for _, mb := range part.members {
			// While the exchange ran without the lock, the profile may have
			// changed: judge only where the behavior still applies.
			if i := mb.ts.slotOf(b.cb.id, mb.i); i >= 0 {
				e.transition(mb.ts, i, mb.d, !b.cb.op.Holds(mb.d.num(), threshold), T, threshold.Float64())
			}
		}
		part.sh.mu.Unlock()
	}
}

// expire handles a thing that has had no input for the invalidation
// horizon: its open alarms become alarm-invalidated, dated its last input +
// horizon (the moment it went silent too long), and its state is dropped. A thing whose
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
		delete(e.shards[ts.shard].things, ts.name)
		e.thingCount.Add(-1)
		ts.dropped = true // handles that hold it look the thing up again
		return
	}
	ts.slots, ts.ring, ts.cov, ts.lastInput, ts.disconnectedAt = nil, nil, nil, 0, 0
}

// expireIdle expires every thing whose horizon has passed by t; Advance
// calls it so that invalidations between period boundaries are not late.
// Called with mu held.
func (e *Engine) expireIdle(t int64) {
	for _, sh := range e.shards {
		sh.mu.Lock()
		for _, ts := range sh.things {
			e.expireIfIdle(ts, t)
		}
		sh.mu.Unlock()
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
// because what they monitored changed or stopped applying. Called with every
// lock held (lockAll).
func (e *Engine) invalidateWhere(match func(violation.Key) bool) {
	at := time.Unix(0, e.watermark)
	for _, k := range e.log.ActiveKeys(match) {
		ev, _ := e.log.Invalidate(k, at)
		e.emit(ev)
		ts := e.thing(k.Thing)
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

// unlockClock releases mu, taken alone to move the clock, and waits for
// room in the delivery queue, no longer than ctx.
func (e *Engine) unlockClock(ctx context.Context) {
	e.mu.Unlock()
	e.waitForRoom(ctx)
}

// signalClock wakes the inputs waiting in lockClock: the closed boundary
// moved, or a close ended.
func (e *Engine) signalClock() {
	ch := make(chan struct{})
	close(*e.moved.Swap(&ch))
}
