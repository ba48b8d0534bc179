package ruledetect

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/dimension"
	"github.com/ruledetect/ruledetect/violation"
)

// IngestMessage applies a message a thing sent or received.
//
// The context of every ingest call and of Advance works the same way. A call
// whose ctx is already done is rejected with ctx.Err() and changes nothing
// (not even the counters of Stats). Otherwise the input is applied, and ctx
// bounds only what may follow: when the delivery queue is over its bound
// (DeliveryPolicy), the call waits for the sinks to catch up until the
// policy's Wait passes or ctx ends, whichever is first. A wait cut short by
// ctx ends as one that timed out: the input stays applied, the call returns
// nil, and the queue's overflow is counted in Stats().Delivery.Spilled.
func (e *Engine) IngestMessage(ctx context.Context, m Message) error {
	return e.ingestMessage(ctx, nil, m)
}

// ingestMessage applies m; h, when not nil, is the handle of m.Thing,
// whose name was checked when it was made.
func (e *Engine) ingestMessage(ctx context.Context, h *Thing, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if h == nil {
		if err := checkThing("IngestMessage", m.Thing); err != nil {
			return e.reject(err)
		}
	}
	if err := m.check(); err != nil {
		return e.reject(err)
	}
	in := inMessageSent
	if m.Direction == Received {
		in = inMessageReceived
	}
	sh, ts, err := e.enter("IngestMessage", m.Thing, h, m.Time)
	if err != nil {
		return err
	}
	defer e.leave(ctx, sh)
	t := m.Time.UnixNano()
	k := e.periodOf(t)
	var dims dimMemo
	for _, i := range ts.cov.byInput[in] {
		cb := ts.cov.behaviors[i]
		if cb.dim != nil && !dims.passes(cb, m.Topic, ts.name) {
			continue
		}
		switch {
		case cb.sourceIP:
			if m.SourceIP.IsValid() {
				addr := [1]netip.Addr{m.SourceIP.Unmap()}
				e.observe(ts, int(i), datapoint{kind: dpAddrs, addrs: addr[:]}, t)
			}
		case cb.agg == aggPerInput:
			e.observe(ts, int(i), datapoint{kind: dpCount, count: uint64(m.Bytes)}, t)
		case cb.agg == aggSumIfAny:
			e.add(ts, int(i), k, uint64(m.Bytes))
		default:
			e.add(ts, int(i), k, 1)
		}
	}
	return nil
}

// dimMemo remembers, for one input, whether its topic matched each dimension
// seen so far, so that behaviors sharing a dimension (often with IN and
// NOT_IN) match the topic once.
type dimMemo struct {
	n       int
	matcher [4]*dimension.Matcher
	match   [4]bool
}

// passes reports whether the topic passes cb's dimension, as
// cb.dim.Passes(cb.dimOp, topic, client) does.
func (d *dimMemo) passes(cb *compiledBehavior, topic, client string) bool {
	var match bool
	j := 0
	for j < d.n && d.matcher[j] != cb.dim {
		j++
	}
	if j < d.n {
		match = d.match[j]
	} else {
		match = cb.dim.Match(topic, client)
		if d.n < len(d.matcher) {
			d.matcher[d.n], d.match[d.n] = cb.dim, match
			d.n++
		}
	}
	return cb.dimOp.Admits(match)
}

// IngestAuthorizationFailure applies an authorization failure; ctx is as
// for IngestMessage.
func (e *Engine) IngestAuthorizationFailure(ctx context.Context, f AuthorizationFailure) error {
	return e.ingestAuthorizationFailure(ctx, nil, f)
}

func (e *Engine) ingestAuthorizationFailure(ctx context.Context, h *Thing, f AuthorizationFailure) error {
	const op = "IngestAuthorizationFailure"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := firstErr(checkThingUnless(h, op, f.Thing), checkTime(op, f.Thing, f.Time), checkTopic(op, f.Thing, f.Topic)); err != nil {
		return e.reject(err)
	}
	sh, ts, err := e.enter(op, f.Thing, h, f.Time)
	if err != nil {
		return err
	}
	defer e.leave(ctx, sh)
	k := e.periodOf(f.Time.UnixNano())
	var dims dimMemo
	for _, i := range ts.cov.byInput[inAuthFailure] {
		cb := ts.cov.behaviors[i]
		if cb.dim != nil && !dims.passes(cb, f.Topic, ts.name) {
			continue
		}
		e.add(ts, int(i), k, 1)
	}
	return nil
}

// IngestConnect applies a connection attempt; ctx is as for IngestMessage.
func (e *Engine) IngestConnect(ctx context.Context, c Connect) error {
	return e.ingestConnect(ctx, nil, c)
}

func (e *Engine) ingestConnect(ctx context.Context, h *Thing, c Connect) error {
	const op = "IngestConnect"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := firstErr(checkThingUnless(h, op, c.Thing), checkTime(op, c.Thing, c.Time)); err != nil {
		return e.reject(err)
	}
	sh, ts, err := e.enter(op, c.Thing, h, c.Time)
	if err != nil {
		return err
	}
	defer e.leave(ctx, sh)
	t := c.Time.UnixNano()
	k := e.periodOf(t)
	if c.Failed {
		for _, i := range ts.cov.byInput[inConnect] {
			if !ts.cov.behaviors[i].sourceIP {
				e.add(ts, int(i), k, 1)
			}
		}
		return nil
	}
	if ts.disconnectedAt != 0 {
		ts.disconnectedAt = 0
		// Reconnected: aws:disconnect-duration behaviors get a zero datapoint,
		// which can clear their alarm.
		for _, i := range ts.cov.windowed {
			if ts.cov.behaviors[i].agg == aggDisconnected {
				e.observe(ts, int(i), datapoint{kind: dpCount}, t)
			}
		}
	}
	for _, i := range ts.cov.byInput[inConnect] {
		cb := ts.cov.behaviors[i]
		if cb.sourceIP {
			if c.SourceIP.IsValid() {
				addr := [1]netip.Addr{c.SourceIP.Unmap()}
				e.observe(ts, int(i), datapoint{kind: dpAddrs, addrs: addr[:]}, t)
			}
			continue
		}
		e.add(ts, int(i), k, 1)
	}
	return nil
}

// IngestDisconnect applies a disconnection; ctx is as for IngestMessage.
func (e *Engine) IngestDisconnect(ctx context.Context, d Disconnect) error {
	return e.ingestDisconnect(ctx, nil, d)
}

func (e *Engine) ingestDisconnect(ctx context.Context, h *Thing, d Disconnect) error {
	const op = "IngestDisconnect"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := firstErr(checkThingUnless(h, op, d.Thing), checkTime(op, d.Thing, d.Time)); err != nil {
		return e.reject(err)
	}
	sh, ts, err := e.enter(op, d.Thing, h, d.Time)
	if err != nil {
		return err
	}
	defer e.leave(ctx, sh)
	t := d.Time.UnixNano()
	if ts.disconnectedAt == 0 {
		ts.disconnectedAt = t
	}
	k := e.periodOf(t)
	for _, i := range ts.cov.byInput[inDisconnect] {
		if ts.cov.behaviors[i].agg == aggCount {
			e.add(ts, int(i), k, 1)
		}
	}
	return nil
}

// Advance moves the watermark to t without an input: it closes every
// evaluation period up to t, producing their datapoints, emits the
// invalidations due by t and drops violation events past retention. Use it
// at the end of a replay, or on a timer in a live system, so that windows
// close even when the fleet goes quiet. Advancing to a time before the
// watermark does nothing. ctx is as for IngestMessage: an Advance whose ctx
// is already done returns ctx.Err() and moves nothing; otherwise it returns
// nil, and ctx bounds only its wait for room in the delivery queue.
func (e *Engine) Advance(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.Before(minTime) {
		return nil
	}
	if t.After(maxTime) {
		t = maxTime // beyond it, Unix nanoseconds wrap
	}
	e.mu.Lock()
	defer e.unlockClock(ctx)
	ns := t.UnixNano()
	if !e.started.Load() {
		e.start(ns)
	}
	e.advanceTo(ns)
	e.expireIdle(ns)
	e.log.Prune(t)
	return nil
}

// enter admits an input of thing at t and returns the thing's shard,
// locked, and its state, aligned with the current config; the caller
// applies the input and calls leave. In a serial engine it holds mu too.
//
// An input that moves the clock to no new boundary, the common case, takes
// only its shard's lock (admitInShard), so that inputs of things in
// different shards are applied in parallel. One that starts the clock,
// closes a boundary or may be too far ahead takes mu and moves the clock
// first (moveClock), then tries again.
func (e *Engine) enter(op, thing string, h *Thing, t time.Time) (*shard, *thingState, error) {
	ns := t.UnixNano()
	sh := e.shardFor(thing, h)
	for {
		if !e.serial {
			sh.mu.Lock()
			ok, err := e.admitInShard(sh, op, thing, t)
			if err != nil {
				sh.mu.Unlock()
				return nil, nil, err
			}
			if ok {
				if sh.snap != nil {
					sh.snap.encodePending(sh) // a snapshot is under way
				}
				return sh, sh.admit(e, thing, h, ns), nil
			}
			sh.mu.Unlock()
		}
		if !e.lockClock(ns) {
			continue // a close under way reached t's boundary
		}
		background, err := e.moveClock(op, thing, t)
		if err != nil {
			e.mu.Unlock()
			return nil, nil, err
		}
		if e.serial {
			sh.mu.Lock()
			return sh, sh.admit(e, thing, h, ns), nil
		}
		if !background {
			e.mu.Unlock()
		}
	}
}

// lockClock takes mu to move the clock to t. While a close is under way it
// does not wait for mu, which the close holds until the whole fleet is
// closed: it waits for the close to reach t's boundary, and then returns
// false, so that the input goes in with its shard's lock only (closing
// the shard first if the close has not reached it).
func (e *Engine) lockClock(t int64) bool {
	if e.serial {
		e.mu.Lock() // every input of a serial engine holds mu
		return true
	}
	for {
		moved := *e.moved.Load()
		if e.started.Load() && e.closeTarget(t) <= e.closed.Load() && !e.tooFarAhead(t, e.wmPub.Load()) {
			return false
		}
		if !e.closing.Load() {
			e.mu.Lock()
			return true
		}
		<-moved
	}
}

// tooFarAhead reports whether an input at t is further ahead of the
// watermark w than WithMaxClockJump allows.
func (e *Engine) tooFarAhead(t, w int64) bool {
	jump := e.opts.maxClockJump
	return jump > 0 && t-w > int64(jump)
}

// leave ends the section enter began, and waits for room in the delivery
// queue no longer than ctx.
func (e *Engine) leave(ctx context.Context, sh *shard) {
	sh.mu.Unlock()
	if e.serial {
		e.mu.Unlock()
	}
	e.waitForRoom(ctx)
}

// admitInShard reports whether an input at t can be applied with only its
// shard's lock, held by the caller: the clock has started, no boundary
// that t reaches is left to close and t is not far enough ahead to be a
// clock jump. It returns ErrLateInput for an input older than the newest
// closed boundary. While a period close is under way and has not reached
// this shard, an input of a period after the boundary being closed closes
// the shard first, so that it waits for one shard's close, not the fleet's.
func (e *Engine) admitInShard(sh *shard, op, thing string, t time.Time) (bool, error) {
	if !e.started.Load() {
		return false, nil
	}
	ns := t.UnixNano()
	ct := e.closeTarget(ns)
	for ct > sh.closed {
		if ct > e.closed.Load() {
			return false, nil
		}
		// The clock has closed a boundary (it closes one at a time) and
		// its closer has not reached this shard yet: close it here rather
		// than wait for the whole fleet's close.
		e.closeShard(sh, sh.closed+1)
	}
	if e.tooFarAhead(ns, max(sh.wm.Load(), e.wmPub.Load())) {
		return false, nil // moveClock decides, with the whole watermark
	}
	if e.periodOf(ns) < e.closed.Load() {
		return false, e.late(op, thing, t)
	}
	return true, nil
}

// moveClock checks t against the watermark and closes the periods t
// passes, or starts closing them in the background (closeInBackground),
// which it reports; mu then belongs to that close. It is called with mu
// held.
func (e *Engine) moveClock(op, thing string, t time.Time) (background bool, err error) {
	ns := t.UnixNano()
	if !e.started.Load() {
		e.start(ns)
	}
	e.syncWatermark()
	if e.tooFarAhead(ns, e.watermark) {
		jump := e.opts.maxClockJump
		e.stats.clockJumps.Add(1)
		return false, &Error{Op: op, Kind: ErrClockJump, Resource: thing,
			Message: "input at " + t.UTC().Format(time.RFC3339Nano) + " is more than " + jump.String() + " ahead of the watermark, " +
				time.Unix(0, e.watermark).UTC().Format(time.RFC3339Nano) + " (a device clock? see WithMaxClockJump)"}
	}
	for {
		if e.periodOf(ns) < e.closed.Load() {
			return false, e.late(op, thing, t)
		}
		// While another caller closes boundaries (and waits for a
		// population exchange without the lock), an input of a period that
		// a window being closed may still hold goes in; a later one waits,
		// as it would have for the lock.
		if !e.closing.Load() || e.periodOf(ns) <= e.closed.Load()+int64(e.slack()) {
			break
		}
		e.closeDone.Wait()
	}
	if e.closeInBackground(ns) {
		return true, nil
	}
	e.advanceTo(ns)
	return false, nil
}

// closeInBackground starts the close of the one boundary the input at t
// reaches, when it is one and nothing needs the fleet's order, and reports
// whether it did: the
// boundary is marked closed at once, so that the input, and every other
// one, closes only its own shard before it is applied (admitInShard),
// while a goroutine of the engine's closes the rest of the fleet and
// judges the statistical behaviors, holding mu until it is done. So no
// input waits for the whole fleet's close, the one that crosses the
// boundary included. Calls that show what a close produces (listings,
// Stats, Flush) wait for it first (awaitClose); those that take mu wait
// anyway.
//
// Called with mu held; when it reports true, mu belongs to the background
// close, which unlocks it.
func (e *Engine) closeInBackground(t int64) bool {
	m := e.closeTarget(t)
	if e.serial || e.opts.exchange != nil || e.closing.Load() || m != e.closed.Load()+1 || t <= e.watermark {
		return false // an exchange releases mu midway, and may call the engine
	}
	if m >= e.steadyFrom(e.watermark) && e.fastForwardable() {
		return false // crossed in one sweep by advanceTo, holding every shard
	}
	e.watermark = t
	e.wmPub.Store(t)
	e.closing.Store(true)
	e.closed.Store(m)
	e.bgClose.Store(true)
	e.signalClock()
	go func() {
		e.closePeriod(m)
		e.endClose()
		e.bgClose.Store(false)
		e.mu.Unlock() // it holds back no caller: the next input waits for room in the queue
	}()
	return true
}

// awaitClose waits for a close that an input started in the background
// (closeInBackground), so that what it produced shows.
func (e *Engine) awaitClose() {
	if e.bgClose.Load() {
		e.mu.Lock()
		e.mu.Unlock() //nolint:staticcheck // an empty section: the background close holds mu until it is done
	}
}

// late counts and returns the ErrLateInput of an input at t.
func (e *Engine) late(op, thing string, t time.Time) error {
	e.stats.late.Add(1)
	return &Error{Op: op, Kind: ErrLateInput, Resource: thing,
		Message: "input at " + t.UTC().Format(time.RFC3339Nano) + " is older than the newest closed evaluation period, ending " +
			time.Unix(0, e.closed.Load()*int64(e.opts.period)).UTC().Format(time.RFC3339)}
}

// syncWatermark folds the newest input times of the shards, which inputs
// that do not take mu leave there, into the watermark. Called with mu held.
func (e *Engine) syncWatermark() {
	if !e.serial {
		for _, sh := range e.shards {
			e.watermark = max(e.watermark, sh.wm.Load())
		}
	}
	e.wmPub.Store(e.watermark)
}

// admit returns the state of thing, which an input at t is about to be
// applied to: created if needed, expired first if its horizon ran out,
// aligned with the current config. Called with sh.mu held.
func (sh *shard) admit(e *Engine, thing string, h *Thing, t int64) *thingState {
	ts := sh.lookup(e, thing, h)
	if e.expireIfIdle(ts, t) {
		// Its horizon ran out between two boundaries: the alarms of its
		// silence are invalidated before this input starts new state.
		ts = sh.lookup(e, thing, h)
	}
	ts.align(e, e.cfg.Load())
	if t > ts.lastInput {
		ts.lastInput = t
	}
	if t > sh.wm.Load() {
		sh.wm.Store(t)
	}
	sh.inputs.Add(1)
	return ts
}

// lookup returns the state of thing, creating it if needed. With a handle
// whose state is still the engine's, it skips the map: the name lookup is
// the dominant cost of an event in a fleet of millions (a random probe into
// a table far larger than the caches). Called with sh.mu held.
func (sh *shard) lookup(e *Engine, thing string, h *Thing) *thingState {
	if h != nil && h.ts != nil && !h.ts.dropped {
		return h.ts
	}
	ts := sh.things[thing]
	if ts == nil {
		ts = sh.newThing(e, thing)
	}
	if h != nil {
		h.ts = ts
	}
	return ts
}

// newThing adds an empty state for thing, with room for the ring of an
// unregistered thing's behaviors (newThingState). Called with sh.mu held.
func (sh *shard) newThing(e *Engine, thing string) *thingState {
	ts := newThingState(int(e.cfg.Load().coverageFor(e, thingKind{}).ringLen))
	// Its own copy: the caller's name may be a slice of a large buffer (a
	// packet, a file's line) that the engine must not keep alive.
	ts.name, ts.shard = strings.Clone(thing), sh.index
	sh.things[ts.name] = ts
	e.thingCount.Add(1)
	return ts
}

// checkThingUnless checks a thing name unless it comes with a handle, whose
// name was checked when the handle was made.
func checkThingUnless(h *Thing, op, name string) error {
	if h != nil {
		return nil
	}
	return checkThing(op, name)
}

// reject counts an input refused before it reached the engine's state.
func (e *Engine) reject(err error) error {
	e.stats.rejected.Add(1)
	return err
}

// periodOf returns the index of the evaluation period that contains t (Unix ns).
func (e *Engine) periodOf(t int64) int64 {
	p := int64(e.opts.period)
	k := t / p
	if t%p < 0 {
		k--
	}
	return k
}

// start sets the clock at the first input or Advance: the watermark at t,
// and the boundaries up to t less the allowed lateness closed. Called with
// mu held.
func (e *Engine) start(t int64) {
	e.watermark = t
	e.wmPub.Store(t)
	e.setClosed(e.closeTarget(t))
	e.started.Store(true)
	e.signalClock()
}

// setClosed marks every boundary up to m closed, in the clock and in
// every shard. Called with mu held and no shard lock.
func (e *Engine) setClosed(m int64) {
	e.closed.Store(m)
	for _, sh := range e.shards {
		sh.mu.Lock()
		sh.closed = m
		sh.mu.Unlock()
	}
}

// observe retains one datapoint of behavior i of ts, measured at t by an
// input, and judges it.
func (e *Engine) observe(ts *thingState, i int, d datapoint, t int64) {
	e.retainInput(ts, i, d, t)
	e.judge(ts, i, d, t)
}

// judge feeds one datapoint of behavior i of ts, at t, through the alarm
// state machine and records the transition in the log (once the allowed
// lateness has passed, with one).
func (e *Engine) judge(ts *thingState, i int, d datapoint, t int64) {
	cb := ts.cov.behaviors[i]
	if cb.eval != evalStatic || !d.fits(cb.crit) {
		return
	}
	if e.opts.allowedLateness > 0 {
		e.hold(ts, i, d, t)
		return
	}
	e.transition(ts, i, d, !d.compliant(cb.crit), t, 0)
}

// transition applies a judged datapoint to the slot's streak and the log;
// threshold is the fleet percentile a statistical datapoint was judged by.
func (e *Engine) transition(ts *thingState, i int, d datapoint, violating bool, t int64, threshold float64) {
	cb := ts.cov.behaviors[i]
	s := &ts.slots[i]
	e.shards[ts.shard].datapoints.Add(1)
	if e.opts.observer != nil {
		e.observed(ts, i, &d, violating, t, threshold)
	}
	switch s.streak.Observe(violating, cb.toAlarm, cb.toClear) {
	case violation.Alarm:
		e.emit(e.log.Raise(ts.key(i), &cb.b, time.Unix(0, t), d.metricValue(), cb.suppressed))
	case violation.StillViolating:
		e.log.Violate(ts.key(i), time.Unix(0, t), d.metricValue())
	case violation.Clear:
		ev, _ := e.log.Clear(ts.key(i), time.Unix(0, t), d.metricValue())
		e.emit(ev)
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
