package eval

import (
	"unsafe"

	"github.com/ruledetect/ruledetect/internal/prefetch"
)

// An input in a fleet far larger than the processor's caches waits for
// memory two or three times in turn: the index group where its name's
// lookup starts (or the handle), then the thing's state. Each wait is a
// random access, hundreds of cycles, and an input's work is too long for
// the processor to reach the next input's loads meanwhile. A caller with
// a run of inputs overlaps those waits by asking for the memory of the
// inputs ahead while it applies the current ones: PrefetchIndex for the
// inputs two groups ahead, PrefetchThing for the next group (a group is
// PrefetchAhead inputs), so that each finds its memory on its way when it
// is applied.
//
// Both are hints: they change nothing, skip a shard another goroutine
// holds rather than wait for it, and an input applied without them, or
// after the thing changed, is applied exactly as before.

// PrefetchAhead is the number of inputs in a group: enough that the
// fetches of a group, asked for back to back, overlap and cover a random
// access with the work of a group, few enough that the lines asked for are
// still in the caches when their inputs come. Of 4, 8, 16 and 32, 8 was
// fastest at 10^6 things in random order (BenchmarkCloudMessageShuffled,
// by-handle and by-name runs).
const PrefetchAhead = 8

// PrefetchPays reports whether the fleet is large enough for prefetching
// to pay: from PrefetchFrom things, whose state no longer fits in the
// caches. Below, every input finds its memory cached and a prefetch only
// costs its hash, lock and call.
func (p *Plane) PrefetchPays() bool { return p.thingCount.Load() >= PrefetchFrom }

// PrefetchFrom is the fleet size from which PrefetchPays: 32,768 things
// keep about 10 MB of state, more than a core's share of the caches.
var PrefetchFrom int64 = 1 << 15 // a variable for the tests, which prefetch in small fleets too

// PrefetchIndex starts loading the index group where the lookup of the
// thing named name starts.
func (p *Plane) PrefetchIndex(name string) {
	sh, hash := p.shardFor(name, nil)
	if !sh.mu.TryLock() {
		return
	}
	if g := sh.things.homeGroup(hash); g != nil {
		prefetch.Line(unsafe.Pointer(g))
	}
	sh.mu.Unlock()
}

// PrefetchThing starts loading the state of the thing named name, through
// h when it is not nil: the thing's fixed part and what its allocation
// holds after it, its slots and its periods. By name it takes the thing
// its index group points to, which PrefetchIndex made cheap to read.
func (p *Plane) PrefetchThing(name string, h *Handle) {
	var ts *Thing
	if h != nil {
		ts = h.ts.Load()
	} else {
		sh, hash := p.shardFor(name, nil)
		if !sh.mu.TryLock() {
			return
		}
		// Not getHashed: it compares names, which reads the thing, the
		// very wait this is to start early.
		ts = sh.things.candidate(hash)
		sh.mu.Unlock()
	}
	if ts != nil {
		prefetch.Span(unsafe.Pointer(ts), thingSpan)
	}
}

// ApplyAhead applies inputs 0..n-1 in order (apply) and stops at the
// first error, returning the number applied. When pays (PrefetchPays),
// it meanwhile fetches the memory of the inputs ahead in the two steps
// above: first (the index group, or the handle: PrefetchIndex), then (the
// thing's state, found through what first fetched: PrefetchThing). It
// does so a group of PrefetchAhead inputs at a time, first for the group
// two ahead of the one it applies, then for the next one: the fetches of
// a group are asked for back to back, so that their waits overlap (a
// prefetch on a page the processor has not mapped yet holds it up like a
// load), and the first group of a run waits for memory about once, not
// once per input.
func ApplyAhead(pays bool, n int, first, then func(int), apply func(int) error) (int, error) {
	const g = PrefetchAhead
	if !pays {
		for i := range n {
			if err := apply(i); err != nil {
				return i, err
			}
		}
		return n, nil
	}
	each := func(f func(int), from int) {
		for j := from; j < min(from+g, n); j++ {
			f(j)
		}
	}
	each(first, 0)
	each(first, g)
	each(then, 0)
	for at := 0; at < n; at += g {
		each(first, at+2*g)
		each(then, at+g)
		for i := at; i < min(at+g, n); i++ {
			if err := apply(i); err != nil {
				return i, err
			}
		}
	}
	return n, nil
}

// thingSpan is how much of a thing's allocation PrefetchThing fetches: the
// fixed part and a tail of up to 232 bytes (its periods, its slots and its
// name: a profile of about ten windowed behaviors), the whole allocation
// for most profiles. An input reads the state from the name field on, the
// current period of the ring, and by name the name's bytes at the end.
const thingSpan = 320
