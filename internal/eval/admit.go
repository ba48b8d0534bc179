package eval

import "time"

// Handle is a thing's name with its shard and, once found, its state: an
// input through a handle skips the name's hash and lookup, which in a
// fleet of millions is a random probe into a table far larger than the
// CPU caches. It is safe for concurrent use.
type Handle struct {
	name string
	sh   *shard
	ts   *Thing // guarded by sh.mu
}

// Handle returns a handle on the thing named name (checked by the caller).
func (p *Plane) Handle(name string) *Handle {
	return &Handle{name: name, sh: p.shardOf(name)}
}

// Name returns the handle's thing name.
func (h *Handle) Name() string { return h.name }

// admitted is an input let in by enter: its thing's shard, locked, and
// state, and its time (Unix ns) and period.
type admitted struct {
	sh    *shard
	ts    *Thing
	ns, k int64
}

// enter admits an input of thing at t and returns the thing's shard,
// locked, and its state, aligned with the rules in force; the caller
// applies the input and calls leave. In a serial plane it holds mu too.
//
// An input that moves the clock to no new boundary, the common case, takes
// only its shard's lock (admitInShard), so that inputs of things in
// different shards are applied in parallel. One that starts the clock,
// closes a boundary or may be too far ahead takes mu and moves the clock
// first (moveClock), then tries again.
func (p *Plane) enter(thing string, h *Handle, t time.Time) (admitted, error) {
	ns := t.UnixNano()
	sh := p.shardFor(thing, h)
	for {
		if !p.serial {
			sh.mu.Lock()
			ok, err := p.admitInShard(sh, t)
			if err != nil {
				sh.mu.Unlock()
				return admitted{}, err
			}
			if ok {
				if sh.snap != nil {
					sh.snap.encodePending(sh) // a snapshot is under way
				}
				return admitted{sh, sh.admit(p, thing, h, ns), ns, p.periodOf(ns)}, nil
			}
			sh.mu.Unlock()
		}
		if !p.lockClock(ns) {
			continue // a close under way reached t's boundary
		}
		background, err := p.moveClock(t)
		if err != nil {
			p.mu.Unlock()
			return admitted{}, err
		}
		if p.serial {
			sh.mu.Lock()
			return admitted{sh, sh.admit(p, thing, h, ns), ns, p.periodOf(ns)}, nil
		}
		if !background {
			p.mu.Unlock()
		}
	}
}

// leave ends the section enter began.
func (p *Plane) leave(sh *shard) {
	sh.mu.Unlock()
	if p.serial {
		p.mu.Unlock()
	}
}

// admit returns the state of thing, which an input at t is about to be
// applied to: created if needed, expired first if its horizon ran out,
// aligned with the rules in force. Called with sh.mu held.
func (sh *shard) admit(p *Plane, thing string, h *Handle, t int64) *Thing {
	ts := sh.lookup(p, thing, h)
	if p.expireIfIdle(ts, t) {
		// Its horizon ran out between two boundaries: the alarms of its
		// silence are invalidated before this input starts new state.
		ts = sh.lookup(p, thing, h)
	}
	ts.align(p.rules.Load())
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
// whose state is still the plane's, it skips the map: the name lookup is
// the dominant cost of an event in a fleet of millions. Called with sh.mu
// held.
func (sh *shard) lookup(p *Plane, thing string, h *Handle) *Thing {
	if h != nil && h.ts != nil && !h.ts.dropped {
		return h.ts
	}
	ts := sh.things.get(thing)
	if ts == nil {
		// Aligned at once with the rules of an unregistered thing, its
		// slots and ring in its allocation (newThing): admit aligns it
		// next anyway.
		r := p.rules.Load()
		ts = sh.newThing(p, newThing(r.Coverage(Kind{}), true, thing))
		ts.cfgVersion = r.stamp()
	}
	if h != nil {
		h.ts = ts
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
