package eval

import (
	"math/bits"
	"time"
)

// The clock: the watermark (the newest event time seen), the newest
// closed boundary, and the moves of both. An input that reaches no new
// boundary takes only its shard's lock (admitInShard); one that starts the
// clock, crosses a boundary or may be too far ahead takes mu and moves the
// clock first (moveClock).

// InputError is an input the clock refuses: one older than the newest
// closed boundary (Late), or one further ahead of the watermark than
// Options.MaxClockJump allows. Both are counted in Stats.
type InputError struct {
	Late    bool
	Message string
}

// Error returns the message.
func (e *InputError) Error() string { return e.Message }

// Slack is the number of periods an input may land behind the newest one
// (the allowed lateness in whole periods, rounded up).
func (p *Plane) Slack() int32 {
	P := p.opts.Period
	return int32((p.opts.AllowedLateness + P - 1) / P)
}

// CloseTarget is the newest boundary that watermark w closes: the last
// whose time plus the allowed lateness w has reached.
func (p *Plane) CloseTarget(w int64) int64 {
	return p.periodOf(w - int64(p.opts.AllowedLateness))
}

// periodOf returns the index of the evaluation period that contains t (Unix ns).
func (p *Plane) periodOf(t int64) int64 {
	P := int64(p.opts.Period)
	k := t / P
	if t%P < 0 {
		k--
	}
	return k
}

// ClosedBoundary returns the newest evaluation period boundary closed, and
// false before the first input or Advance.
//
// A boundary counts once its close is done, every event it produces
// logged. While no close is under way that is the closed mark, read
// without mu: a replay asks after every record. The reads are ordered so
// that the mark cannot be one of a close still running: a close sets
// closing before it moves the mark and clears it only when done, so a
// mark read before closing is seen clear was either moved by a finished
// close or not moved yet (started is read first for the same reason:
// start sets the mark before it). Otherwise it waits for the close, as
// every caller of mu does.
func (p *Plane) ClosedBoundary() (time.Time, bool) {
	if p.started.Load() {
		if m := p.closed.Load(); !p.closing.Load() {
			return time.Unix(0, m*int64(p.opts.Period)).UTC(), true
		}
	}
	p.mu.Lock()
	defer p.unlock()
	if !p.started.Load() {
		return time.Time{}, false
	}
	return time.Unix(0, p.closed.Load()*int64(p.opts.Period)).UTC(), true
}

// Advance moves the watermark to t without an input: it closes every
// evaluation period up to t, emits the invalidations due by t and prunes
// the log. Advancing to a time before the watermark does nothing.
func (p *Plane) Advance(t time.Time) {
	p.mu.Lock()
	defer p.unlock()
	ns := t.UnixNano()
	if !p.started.Load() {
		p.start(ns)
	}
	p.advanceTo(ns)
	p.expireIdle(ns)
	p.log.Prune(t)
}

// start sets the clock at the first input or Advance: the watermark at t,
// and the boundaries up to t less the allowed lateness closed. Called with
// mu held.
func (p *Plane) start(t int64) {
	p.watermark = t
	p.wmPub.Store(t)
	p.setClosed(p.CloseTarget(t))
	p.started.Store(true)
	p.signalClock()
}

// setClosed marks every boundary up to m closed, in the clock and in
// every shard. Called with mu held and no shard lock.
func (p *Plane) setClosed(m int64) {
	p.closed.Store(m)
	for _, sh := range p.shards {
		sh.mu.Lock()
		sh.closed = m
		sh.mu.Unlock()
	}
}

// syncWatermark folds the newest input times of the shards, which inputs
// that do not take mu leave there, into the watermark. It reads only the
// shards whose time has moved since it last looked (wmMoved), each under
// its lock unless the caller holds them all (lockShards): an input
// rejected as too far ahead, which syncs, then costs the same in any
// fleet, and not a visit to every shard. Called with mu held.
func (p *Plane) syncWatermark() {
	for w := range p.wmMoved { // empty in a serial plane, whose inputs move the watermark themselves
		if p.wmMoved[w].Load() == 0 {
			continue // a load, not a locked swap, when nothing moved
		}
		for b := p.wmMoved[w].Swap(0); b != 0; b &= b - 1 {
			sh := p.shards[w*64+bits.TrailingZeros64(b)]
			if !p.shardsHeld {
				sh.mu.Lock()
			}
			p.watermark = max(p.watermark, sh.wm)
			sh.wmNew = false
			if !p.shardsHeld {
				sh.mu.Unlock()
			}
		}
	}
	if p.wmPub.Load() != p.watermark {
		p.wmPub.Store(p.watermark)
	}
}

// lockClock takes mu to move the clock to t and reports true, or reports
// false when the clock has reached t's boundary meanwhile (a close marks
// its boundary closed before it closes the shards), so that the input goes
// in with its shard's lock only (closing the shard first if the close has
// not reached it).
//
// It never queues on mu: mu may be held, or taken while the input waits,
// for a whole fleet's close (an Advance holds it throughout; an input that
// crosses a boundary hands it to the close's goroutine), and an input
// queued behind such a close waited for all of it (at 10^6 things, the
// 200 ms worst case of BenchmarkIngestStall during=close: inputs that
// crossed the boundary together, all but one queued on mu). It tries mu,
// and otherwise waits for the clock to move or mu to be released (unlock
// tells the inputs waiting here), then looks again.
func (p *Plane) lockClock(t int64) bool {
	if p.serial {
		p.mu.Lock() // every input of a serial plane holds mu
		return true
	}
	for waiting := false; ; {
		moved := *p.moved.Load()
		reached := p.started.Load() && p.CloseTarget(t) <= p.closed.Load() && !p.tooFarAhead(t, p.wmPub.Load())
		if reached || !p.closing.Load() && p.mu.TryLock() {
			if waiting {
				p.clockWaiters.Add(-1)
			}
			return !reached
		}
		if !waiting {
			// Registered before the next try, so that a release of mu
			// after this failed one signals (unlock); the loop tries again
			// before it waits. An input that gets mu at once, the common
			// case, does not register.
			p.clockWaiters.Add(1)
			waiting = true
			continue
		}
		<-moved
	}
}

// unlock releases mu, and wakes the inputs waiting in lockClock for it.
// Every release of mu goes through it.
func (p *Plane) unlock() {
	p.mu.Unlock()
	if p.clockWaiters.Load() != 0 {
		p.signalClock()
	}
}

// signalClock wakes the inputs waiting in lockClock: the closed boundary
// moved, a close ended, or mu was released.
func (p *Plane) signalClock() {
	ch := make(chan struct{})
	close(*p.moved.Swap(&ch))
}

// tooFarAhead reports whether an input at t is further ahead of the
// watermark w than Options.MaxClockJump allows.
func (p *Plane) tooFarAhead(t, w int64) bool {
	jump := p.opts.MaxClockJump
	return jump > 0 && t-w > int64(jump)
}

// admitInShard reports whether an input at t can be applied with only its
// shard's lock, held by the caller: the clock has started, no boundary
// that t reaches is left to close and t is not far enough ahead to be a
// clock jump. It returns a late InputError for an input older than the
// newest closed boundary. While a period close is under way and has not
// reached this shard, an input of a period after the boundary being closed
// closes the shard first, so that it waits for one shard's close, not the
// fleet's.
//
// ns is t in Unix ns and k its period (periodOf), which the caller has
// computed, so that an input divides by the period once.
func (p *Plane) admitInShard(sh *shard, t time.Time, ns, k int64) (bool, error) {
	if !p.started.Load() {
		return false, nil
	}
	ct := k // CloseTarget(ns), without a second division when nothing is allowed late
	if p.opts.AllowedLateness != 0 {
		ct = p.CloseTarget(ns)
	}
	for ct > sh.closed {
		if ct > p.closed.Load() {
			return false, nil
		}
		// The clock has closed a boundary (it closes one at a time) and
		// its closer has not reached this shard yet: close it here rather
		// than wait for the whole fleet's close.
		p.closeShard(sh, sh.closed+1, nil)
	}
	if p.tooFarAhead(ns, max(sh.wm, p.wmPub.Load())) {
		return false, nil // moveClock decides, with the whole watermark
	}
	if k < p.closed.Load() {
		return false, p.lateInput(t)
	}
	return true, nil
}

// moveClock checks t against the watermark and closes the periods t
// passes, or starts closing them in the background (closeInBackground),
// which it reports; mu then belongs to that close. It is called with mu
// held.
func (p *Plane) moveClock(t time.Time) (background bool, err error) {
	ns := t.UnixNano()
	if !p.started.Load() {
		p.start(ns)
	}
	p.syncWatermark()
	if p.tooFarAhead(ns, p.watermark) {
		p.clockJumps.Add(1)
		return false, &InputError{Message: "input at " + t.UTC().Format(time.RFC3339Nano) + " is more than " + p.opts.MaxClockJump.String() +
			" ahead of the watermark, " + time.Unix(0, p.watermark).UTC().Format(time.RFC3339Nano) + " (a device clock? see WithMaxClockJump)"}
	}
	for {
		if p.periodOf(ns) < p.closed.Load() {
			return false, p.lateInput(t)
		}
		// While another caller closes boundaries (and waits for a
		// population exchange without the lock), an input of a period that
		// a window being closed may still hold goes in; a later one waits,
		// as it would have for the lock.
		if !p.closing.Load() || p.periodOf(ns) <= p.closed.Load()+int64(p.Slack()) {
			break
		}
		p.closeDone.Wait()
	}
	if p.closeInBackground(ns) {
		return true, nil
	}
	p.advanceTo(ns)
	return false, nil
}

// closeInBackground starts the close of the one boundary the input at t
// reaches, when it is one and nothing needs the fleet's order, and reports
// whether it did: the boundary is marked closed at once, so that the
// input, and every other one, closes only its own shard before it is
// applied (admitInShard), while a goroutine closes the rest of the fleet
// and judges the statistical behaviors, holding mu until it is done. So no
// input waits for the whole fleet's close, the one that crosses the
// boundary included. Calls that show what a close produces (listings,
// Stats, Flush) wait for it first (AwaitClose); those that take mu wait
// anyway.
//
// Called with mu held; when it reports true, mu belongs to the background
// close, which unlocks it.
func (p *Plane) closeInBackground(t int64) bool {
	m := p.CloseTarget(t)
	if p.serial || p.hooks.Exchange != nil || p.closing.Load() || m != p.closed.Load()+1 || t <= p.watermark {
		return false // an exchange releases mu midway, and may call the engine
	}
	if m >= p.steadyFrom(p.watermark) && p.fastForwardable() {
		return false // crossed in one sweep by advanceTo, holding every shard
	}
	p.watermark = t
	p.wmPub.Store(t)
	p.closing.Store(true)
	p.closed.Store(m)
	p.bgClose.Store(true)
	p.signalClock()
	go func() {
		p.closePeriod(m)
		p.endClose()
		p.bgClose.Store(false)
		p.unlock() // it holds back no caller: the next input waits for room in the queue
	}()
	return true
}

// AwaitClose waits for a close that an input started in the background
// (closeInBackground), so that what it produced shows.
func (p *Plane) AwaitClose() {
	if p.bgClose.Load() {
		p.mu.Lock()
		p.unlock() // an empty section: the background close holds mu until it is done
	}
}

// lateInput counts and returns the late InputError of an input at t.
func (p *Plane) lateInput(t time.Time) error {
	p.late.Add(1)
	return &InputError{Late: true, Message: "input at " + t.UTC().Format(time.RFC3339Nano) + " is older than the newest closed evaluation period, ending " +
		time.Unix(0, p.closed.Load()*int64(p.opts.Period)).UTC().Format(time.RFC3339)}
}
