package eval

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"time"
)

// Handle is a thing's name with its shard and, once found, its state: an
// input through a handle skips the name's hash and lookup, which in a
// fleet of millions is a random probe into a table far larger than the
// CPU caches. It is safe for concurrent use.
type Handle struct {
	name string
	sh   *shard
	// ts is the thing's state, as last found; written with sh.mu held,
	// and atomic so that PrefetchThing may read it without the lock.
	ts atomic.Pointer[Thing]
}

// InitHandle makes h a handle on the thing named name (checked by the
// caller). It fills h in place: a Handle holds an atomic and is not copied.
func (p *Plane) InitHandle(h *Handle, name string) {
	h.name, h.sh = name, p.shardOf(name)
}

// Name returns the handle's thing name.
func (h *Handle) Name() string { return h.name }

// admitted is an input let in by enter: its thing's shard, locked, and
// state, and its time (Unix ns) and period. swept is set when the input
// did a sweep's work on its shard first (closed it, or encoded it for a
// snapshot), which other goroutines may have waited for (giveWay).
type admitted struct {
	sh    *shard
	ts    *Thing
	ns, k int64
	swept bool
}

// enter admits an input of thing at t and sets a to the thing's shard,
// locked, and its state, aligned with the rules in force; the caller
// applies the input and calls leave. In a serial plane it holds mu too.
// It fills a rather than return it, because a returned struct is written
// to memory and read back in wider words, which the CPU cannot forward
// from the narrower writes: a stall of about 5% of a cached input.
//
// An input that moves the clock to no new boundary, the common case, takes
// only its shard's lock (admitInShard), so that inputs of things in
// different shards are applied in parallel. One that starts the clock,
// closes a boundary or may be too far ahead takes mu and moves the clock
// first (moveClock), then tries again.
func (p *Plane) enter(a *admitted, thing string, h *Handle, t time.Time) error {
	ns := t.UnixNano()
	k := p.periodOf(ns)
	sh, hash := p.shardFor(thing, h)
	for {
		if !p.serial {
			sh.mu.Lock()
			closed := sh.closed
			ok, err := p.admitInShard(sh, t, ns, k)
			swept := sh.closed != closed // it closed its shard first
			if err != nil {
				sh.mu.Unlock()
				p.giveWay(swept)
				return err
			}
			if ok {
				if sh.snap != nil {
					sh.snap.encodePending(sh) // a snapshot is under way
					swept = true
				}
				a.set(sh, sh.admit(p, thing, h, hash, ns), ns, k, swept)
				return nil
			}
			sh.mu.Unlock()
			p.giveWay(swept)
		}
		if !p.lockClock(ns) {
			continue // a close under way reached t's boundary
		}
		background, err := p.moveClock(t)
		if err != nil {
			p.unlock()
			return err
		}
		if p.serial {
			sh.mu.Lock()
			a.set(sh, sh.admit(p, thing, h, hash, ns), ns, k, false)
			return nil
		}
		if !background {
			p.unlock()
		}
	}
}

// set fills a, field by field (see enter).
func (a *admitted) set(sh *shard, ts *Thing, ns, k int64, swept bool) {
	a.sh, a.ts, a.ns, a.k, a.swept = sh, ts, ns, k, swept
}

// leave ends the section enter began.
func (p *Plane) leave(a *admitted) {
	a.sh.mu.Unlock()
	if p.serial {
		p.unlock()
	}
	p.giveWay(a.swept)
}

// giveWayOneIn is how rarely an input gives way while the plane sweeps its
// shards on goroutines of its own (giveWay): about once in 10-20 µs of
// ingest on one goroutine, for a Gosched of a fraction of a microsecond.
const giveWayOneIn = 16

// giveWay yields the processor, after an input has released its locks,
// when the input swept its shard first (closed it, or encoded it for a
// snapshot), or, one input in giveWayOneIn, while goroutines of the plane
// sweep the shards (a close's workers, a snapshot's encoder).
//
// While a sweep runs there are more goroutines that want a processor
// than there are processors, and the Go scheduler turns a goroutine that
// never blocks, such as a busy ingest loop, off its processor only when
// it has run for 10 ms or more. Meanwhile whatever waits in that
// processor's queue waits too: another input woken by the release of a
// shard lock (it is queued where the lock was released), or an input
// preempted at the same moment (two of them preempted at once go to one
// processor's queue together). Those waits, of 10 to 20 ms, were the worst
// an input saw during a close at 10^6 things, not the close's work
// itself. Giving way now and then bounds them by the time between two
// yields; the sweep's own goroutines yield after every shard, and a
// close's after every chunk of one (closeShard).
//
// The test of swept and sweeping inlines, and an input pays for a call
// only while a sweep runs.
func (p *Plane) giveWay(swept bool) {
	if swept || p.sweeping.Load() != 0 {
		yieldOneIn(swept)
	}
}

// yieldOneIn yields the processor when swept, and otherwise one time in
// giveWayOneIn.
func yieldOneIn(swept bool) {
	if swept || rand.Uint32()%giveWayOneIn == 0 {
		runtime.Gosched()
	}
}

// admit returns the state of thing, which an input at t is about to be
// applied to: created if needed, expired first if its horizon ran out,
// aligned with the rules in force; hash is the name's from shardFor (0
// with a handle). Called with sh.mu held.
func (sh *shard) admit(p *Plane, thing string, h *Handle, hash uint64, t int64) *Thing {
	ts := sh.lookup(p, thing, h, hash)
	if p.expireIfIdle(ts, t) {
		// Its horizon ran out between two boundaries: the alarms of its
		// silence are invalidated before this input starts new state.
		ts = sh.lookup(p, thing, h, hash)
	}
	ts.align(p.rules.Load())
	if t > ts.lastInput {
		ts.lastInput = t
	}
	sh.lowerOldestInput(t)
	if t > sh.wm {
		sh.wm = t
		if !sh.wmNew && !p.serial {
			sh.wmNew = true
			p.wmMoved[sh.index/64].Or(1 << (sh.index % 64))
		}
	}
	sh.inputs++
	return ts
}

// lookup returns the state of thing, creating it if needed. With a handle
// whose state is still the plane's, it skips the index: the name lookup is
// the dominant cost of an event in a fleet of millions. hash is the name's
// (shardFor), or 0 when not computed. Called with sh.mu held.
func (sh *shard) lookup(p *Plane, thing string, h *Handle, hash uint64) *Thing {
	if h != nil {
		if ts := h.ts.Load(); ts != nil && !ts.dropped {
			return ts
		}
	}
	var ts *Thing
	if hash != 0 {
		ts = sh.things.getHashed(hash, thing)
	} else {
		ts = sh.things.get(thing) // a handle's thing, dropped or not yet found
	}
	if ts == nil {
		// Aligned at once with the rules of an unregistered thing, its
		// slots and ring in its allocation (newThing): admit aligns it
		// next anyway.
		r := p.rules.Load()
		ts = sh.newThing(p, newThing(r.Coverage(Kind{}), true, thing))
		ts.cfgVersion = r.stamp()
	}
	if h != nil {
		h.ts.Store(ts)
	}
	return ts
}

// newThing adds ts, a new state (newThing, which copies the name: the
// caller's may be a slice of a large buffer, a packet or a file's line,
// that the plane must not keep alive). Called with sh.mu held.
func (sh *shard) newThing(p *Plane, ts *Thing) *Thing {
	ts.shard = sh.index
	sh.add(ts)
	p.thingCount.Add(1)
	return ts
}

// SetKind tells the plane that thing is a registered thing of kind k (its
// groups), creating its state if needed: the thing is kept when it goes
// idle, and realigned with the behaviors of its kind at its next use,
// keeping the state of those that still apply. Called with every lock
// held (LockAll).
func (p *Plane) SetKind(thing string, k Kind) {
	sh := p.shardOf(thing)
	ts := sh.things.get(thing)
	if ts == nil {
		// Its coverage, slots and ring are made at its first input, for
		// its kind (align).
		ts = sh.newThing(p, newThing(nil, false, thing))
	}
	ts.kind, ts.told = &k, true
	ts.cfgVersion = staleVersion
}

// KindOf returns the kind of thing as told by SetKind, and whether it was
// told; it takes the thing's shard lock.
func (p *Plane) KindOf(thing string) (Kind, bool) {
	sh := p.shardOf(thing)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return p.kindHeld(thing)
}

// KindHeld is KindOf for a caller that holds every lock (LockAll).
func (p *Plane) KindHeld(thing string) (Kind, bool) { return p.kindHeld(thing) }

func (p *Plane) kindHeld(thing string) (Kind, bool) {
	ts := p.thing(thing)
	if ts == nil || !ts.told {
		return Kind{}, false
	}
	return ts.kindOf(), true
}
