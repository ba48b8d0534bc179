package eval

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/criteria"
	"github.com/ruledetect/ruledetect/violation"
)

// advanceTo moves the watermark to t (Unix ns), closes every evaluation
// period boundary it reaches (the boundary at T closes when the watermark
// reaches T plus the allowed lateness), in order, and judges the held
// per-input datapoints whose lateness has passed. Called with mu held.
func (p *Plane) advanceTo(t int64) {
	p.syncWatermark()
	for t > p.watermark && p.closing.Load() {
		p.closeDone.Wait()
		p.syncWatermark()
	}
	if t <= p.watermark {
		return
	}
	prev := p.watermark
	p.watermark = t
	p.wmPub.Store(t)
	if target := p.CloseTarget(t); target > p.closed.Load() {
		p.closing.Store(true)
		p.closeUpTo(target, prev)
		p.endClose()
	}
	p.judgeHeld(t-int64(p.opts.AllowedLateness), true)
}

// endClose ends a close, here or in the background (closeInBackground):
// the inputs and callers waiting for the clock go on, and retention runs
// on the boundary reached (on event time too, also for an engine that is
// fed inputs and never Advanced). Called with mu held.
func (p *Plane) endClose() {
	p.closing.Store(false)
	p.signalClock()
	p.closeDone.Broadcast()
	p.log.Prune(time.Unix(0, p.closed.Load()*int64(p.opts.Period)))
}

// closeUpTo closes the boundaries after p.closed up to target; prev is the
// watermark before this advance, so no input is newer than it.
//
// Past the first few boundaries after prev nothing changes from one
// boundary to the next but expiries: every window has emptied, every
// streak has seen the same verdict often enough to stay put. There the
// boundaries are crossed by fastForward, in time proportional to the
// things rather than to things × boundaries, with the same result.
func (p *Plane) closeUpTo(target, prev int64) {
	P := int64(p.opts.Period)
	steady := p.steadyFrom(prev)
	for m := p.closed.Load() + 1; m <= target; m++ {
		if m >= steady && p.fastForwardable() {
			p.fastForward(m, target)
			return
		}
		p.judgeHeld(m*P, false)
		// Closed before its datapoints are made: an input of a period this
		// boundary ends is late from now on, not added to a window being
		// read (each shard then catches up, see admitInShard).
		p.closed.Store(m)
		p.signalClock()
		p.closePeriod(m)
		if p.opts.Retaining && p.hooks.Closed != nil {
			p.hooks.Closed()
		}
	}
}

// steadyFrom returns the first boundary from which, with no input after
// prev, every window is empty and every streak has seen at least
// MaxConsecutive identical verdicts (a fixed point of violation.Streak).
func (p *Plane) steadyFrom(prev int64) int64 {
	longest := p.rules.Load().longest
	return p.periodOf(prev) + int64(longest) + int64(p.Slack()) + violation.MaxConsecutive + 1
}

// fastForwardable reports whether boundaries can be crossed without
// producing each one's datapoints: not with a population exchange (other
// engines may have inputs, and wait for this one's population at every
// boundary), nor with a datapoint observer, metric retention or export
// (they asked for every datapoint, zero counts included).
func (p *Plane) fastForwardable() bool {
	return p.hooks.Exchange == nil && p.hooks.Observe == nil && !p.opts.Retaining && len(p.held) == 0
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
func (p *Plane) fastForward(from, target int64) {
	P, horizon := int64(p.opts.Period), int64(p.opts.Horizon)
	rules := p.rules.Load()
	type expiry struct {
		at int64
		ts *Thing
	}
	var expiries []expiry
	var growing []*Thing
	p.lockShards()
	defer p.unlockShards()
	p.eachThing(func(ts *Thing) {
		if ts.lastInput == 0 {
			return
		}
		ts.align(rules)
		x := ts.lastInput + horizon
		// The boundaries from..last still judge ts; it expires at the first
		// boundary at or after x.
		last := min(target, ceilDiv(x, P)-1)
		if last >= from {
			p.settle(ts, from, last)
			if ts.disconnectedAt != 0 && ts.cov.hasDisconnectDuration() {
				growing = append(growing, ts)
			}
		}
		if x <= target*P {
			expiries = append(expiries, expiry{x, ts})
		}
	})
	slices.SortFunc(expiries, func(a, b expiry) int {
		return cmp.Or(cmp.Compare(a.at, b.at), strings.Compare(a.ts.name, b.ts.name))
	})
	// Growing disconnect durations (never statistical), boundary by
	// boundary, with the expiries of every thing in time order among them.
	for m := from; m <= target && len(growing) > 0; m++ {
		T := m * P
		for len(expiries) > 0 && expiries[0].at <= T {
			p.expire(expiries[0].ts)
			expiries = expiries[1:]
		}
		growing = slices.DeleteFunc(growing, func(ts *Thing) bool {
			if ts.dropped || ts.lastInput == 0 {
				return true
			}
			for _, i := range ts.cov.windowed {
				if ts.cov.behaviors[i].agg.grows() {
					p.closeSlot(ts, int(i), m, T)
				}
			}
			return false
		})
	}
	for _, x := range expiries {
		p.expire(x.ts)
	}
	// Every shard is closed to target before an input can reach one.
	p.closed.Store(target)
	for _, sh := range p.shards {
		sh.closed = target
	}
	p.signalClock()
}

// settle gives each windowed behavior of ts its steady datapoint at the
// boundaries from..last, all at once: the datapoints are counted, and the
// last is judged, which is all that a run of identical verdicts past a
// streak's fixed point can change. Disconnect durations are not steady;
// fastForward steps them.
func (p *Plane) settle(ts *Thing, from, last int64) {
	P := int64(p.opts.Period)
	ts.shiftTo(last - 1)
	n := uint64(last - from + 1)
	for _, i := range ts.cov.windowed {
		cb := ts.cov.behaviors[i]
		d, ok := cb.agg.steady()
		if !ok || (cb.eval != evalStatic && cb.eval != evalStatistical) {
			continue // no input, no datapoint; retained values do not fast-forward (fastForwardable)
		}
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
		p.shards[ts.shard].datapoints.Add(n - 1)
		p.transition(ts, int(i), &d, violating, last*P, 0)
	}
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b > 0 {
		q++
	}
	return q
}

// closePeriod produces the datapoints at boundary m·P: first the
// invalidations due by then, then every windowed datapoint, then the
// statistical ones against the fleet's percentile of the same boundary.
// The shards close in parallel (see eachShard), each taking inputs again
// as soon as it is closed; they join only for the statistical populations.
func (p *Plane) closePeriod(m int64) {
	p.eachShard(func(sh *shard, sw *sweeper) { p.closeShard(sh, m, sw) })
	p.judgeStatistical(m * int64(p.opts.Period))
}

// closeShard closes boundary m in sh, unless that is done: the closer
// calls it for every shard, and an input that finds its shard behind the
// clock calls it for its own rather than wait for the closer to get there
// (admitInShard). The shard's statistical datapoints wait in its scratch
// for judgeStatistical. Called with sh.mu held, while mu's holder closes m.
//
// A sweeper (one of eachShard's goroutines; sw nil otherwise) closes the
// shard a chunk of things at a time, and between two chunks releases the
// shard's lock and yields its processor: the inputs it keeps waiting are
// then those of one chunk, not of a shard, and whatever the scheduler
// queued behind it runs (see giveWay). What is left waits in sh.rest: the
// shard stays behind the clock meanwhile, so that its next input finishes
// the close (admitInShard), as it would have started it, before it changes
// anything; nothing else changes a shard while mu's holder closes. An
// input that closes its shard does so at once: it is the one waiting.
func (p *Plane) closeShard(sh *shard, m int64, sw *sweeper) {
	for sh.closed < m && !p.closeChunk(sh, m, sw) {
		sh.mu.Unlock()
		runtime.Gosched()
		sh.mu.Lock() // an input may have finished the close meanwhile
	}
}

// closeChunk goes on with the close of boundary m in sh, by one chunk for
// a sweeper and to the end otherwise, and reports whether the shard is
// closed. Called with sh.mu held and sh not closed to m.
func (p *Plane) closeChunk(sh *shard, m int64, sw *sweeper) bool {
	T := m * int64(p.opts.Period)
	rules := p.rules.Load()
	if sh.restOf != m {
		if sw == nil {
			oldest := int64(math.MaxInt64)
			for c := sh.things.cursor(); c.next(); { // closeThing may remove c.ts, which a cursor allows
				oldest = min(oldest, p.closeThing(c.ts, m, T, rules))
			}
			p.closedShard(sh, m, oldest)
			return true
		}
		sw.things = slices.Grow(sw.things[:0], sh.things.len())
		for c := sh.things.cursor(); c.next(); {
			sw.things = append(sw.things, c.ts)
		}
		sh.rest, sh.restOf, sh.restOldest = sw.things, m, math.MaxInt64
	}
	n := len(sh.rest)
	if sw != nil {
		n = min(n, sweepChunk)
	}
	for _, ts := range sh.rest[:n] {
		sh.restOldest = min(sh.restOldest, p.closeThing(ts, m, T, rules))
	}
	if sh.rest = sh.rest[n:]; len(sh.rest) > 0 {
		return false
	}
	p.closedShard(sh, m, sh.restOldest)
	return true
}

// closedShard ends the close of boundary m in sh; oldest is the least last
// input of its things. Called with sh.mu held.
func (p *Plane) closedShard(sh *shard, m, oldest int64) {
	sh.rest, sh.restOf = nil, 0 // the sweeper's, which it reuses for its next shard
	sh.oldestInput.Store(oldest)
	sh.closed = m
}

// closeThing closes boundary m, at T, for ts (expiring it first if its
// horizon has passed), and returns its last input, or math.MaxInt64 when
// it is not a thing with inputs any more (for the shard's oldestInput).
func (p *Plane) closeThing(ts *Thing, m, T int64, rules *Rules) int64 {
	if ts.lastInput == 0 || p.expireIfIdle(ts, T) {
		return math.MaxInt64
	}
	last := ts.lastInput
	ts.align(rules)
	if len(ts.cov.windowed) == 0 {
		return last
	}
	ts.shiftTo(m - 1)
	for _, i := range ts.cov.windowed {
		p.closeSlot(ts, int(i), m, T)
	}
	return last
}

// closeSlot produces the datapoint of behavior i of ts at boundary T = m·P,
// retains its period's value and judges it (a statistical one waits in its
// shard's batch for the fleet's percentile). The thing's head has been
// shifted to period m−1 or later.
func (p *Plane) closeSlot(ts *Thing, i int, m, T int64) {
	d, ok := ts.windowDatapoint(i, m, T)
	if !ok {
		return
	}
	cb := ts.cov.behaviors[i]
	if p.opts.Retaining && cb.in != inReport {
		if spec := ts.cov.retained(i); spec != nil {
			if v, ok := ts.periodValue(i, m, &d); ok {
				p.hooks.Retain(ts.name, spec, v.owned(), T)
			}
		}
	}
	switch cb.eval {
	case evalStatistical:
		p.shards[ts.shard].batch(p, cb).add(ts, i, d)
	case evalStatic:
		p.judge(ts, i, &d, T)
	}
}

// expire handles a thing that has had no input for the invalidation
// horizon: its open alarms become alarm-invalidated, dated its last input +
// horizon (the moment it went silent too long), and its state is dropped. A thing whose
// registration or groups were told to the engine keeps that, nothing else.
func (p *Plane) expire(ts *Thing) {
	at := ts.lastInput + int64(p.opts.Horizon)
	for i := range ts.slots() {
		if ts.slots()[i].streak.InAlarm() {
			ev, _ := p.log.Invalidate(ts.key(i), time.Unix(0, at))
			p.emit(ev)
		}
	}
	if !ts.told {
		p.shards[ts.shard].things.remove(ts) // the current thing of a close loop's cursor, if any
		p.thingCount.Add(-1)
		ts.dropped = true // handles that hold it look the thing up again
		return
	}
	ts.forget()
}

// expireIdle expires every thing whose horizon has passed by t; Advance
// calls it so that invalidations between period boundaries are not late.
// Called with mu held.
//
// It visits only the shards where a thing may be due (oldestInput): the
// close that Advance has just made visited every thing, and left each
// shard's bound exact, so an Advance does not walk the whole fleet a
// second time (at 10^6 things, ~0.3 s of cache misses, holding each
// shard's lock in turn) to find, as a rule, nothing. The shards it does
// visit it sweeps as a close does (eachShard).
func (p *Plane) expireIdle(t int64) {
	due := t - int64(p.opts.Horizon)
	if !slices.ContainsFunc(p.shards, func(sh *shard) bool { return sh.oldestInput.Load() <= due }) {
		return
	}
	p.eachShard(func(sh *shard, _ *sweeper) {
		if sh.oldestInput.Load() > due {
			return
		}
		oldest := int64(math.MaxInt64)
		for c := sh.things.cursor(); c.next(); { // expireIfIdle may remove c.ts, which a cursor allows
			if ts := c.ts; !p.expireIfIdle(ts, t) && ts.lastInput != 0 {
				oldest = min(oldest, ts.lastInput)
			}
		}
		sh.oldestInput.Store(oldest)
	})
}

// expireIfIdle expires ts if, by t, it has had an input and then none for
// the invalidation horizon; the expiry is due at its last input + horizon.
// It is small enough to inline on the ingest path.
func (p *Plane) expireIfIdle(ts *Thing, t int64) bool {
	if ts.lastInput == 0 || ts.lastInput > t-int64(p.opts.Horizon) {
		return false
	}
	p.expire(ts)
	return true
}

// InvalidateWhere turns every open alarm matching match into
// alarm-invalidated at the watermark, and resets the streaks behind them,
// because what they monitored changed or stopped applying. Called with every
// lock held (LockAll).
func (p *Plane) InvalidateWhere(match func(violation.Key) bool) {
	at := time.Unix(0, p.watermark)
	for _, k := range p.log.ActiveKeys(match) {
		ev, _ := p.log.Invalidate(k, at)
		p.emit(ev)
		ts := p.thing(k.Thing)
		if ts == nil || ts.cov == nil {
			continue
		}
		for i, cb := range ts.cov.behaviors {
			if cb.profile == k.Profile && cb.b.Name == k.Behavior {
				ts.slots()[i].streak.Reset()
			}
		}
	}
}
