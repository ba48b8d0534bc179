package eval

import (
	"slices"

	"github.com/ruledetect/ruledetect/internal/report"
	"github.com/ruledetect/ruledetect/violation"
)

// staleVersion marks a thing whose Coverage must be recomputed although the
// config did not change (its kind did).
const staleVersion = ^uint64(0)

// Thing is everything the engine keeps about one thing: its kind (for
// target Coverage), when it last sent anything, and one slot per behavior
// that applies to it, aligned with its coverage.
//
// The fields an input reads and writes come last, next to the ring that
// newThing places right after the struct: in a fleet far larger than
// the caches, an input then touches two adjacent cache lines of it.
type Thing struct {
	name string
	kind Kind
	// slots holds the alarm state of each behavior of cov, in its order.
	slots []slot
	// counters is the last cumulative network_stats, when enabled (nil
	// until the first report with them).
	counters *report.CounterState
	// disconnectedAt is when it last disconnected (Unix ns), 0 while connected.
	disconnectedAt int64

	// told reports that the thing's registration or groups were told to the
	// engine; such a thing is kept when it goes idle, others are dropped.
	told bool
	// dropped reports that the engine no longer holds this state (the thing
	// went idle); a Thing handle that points to it must look it up again.
	dropped bool
	// shard is the index of the shard that holds the state.
	shard uint16
	// lastInput is the event time (Unix ns) of its newest input; 0 = none yet.
	lastInput  int64
	cfgVersion uint64
	cov        *Coverage
	// ring holds the periods of the windowed behaviors of cov (at
	// cov.ringOff), all with period head at index 0 (ringOf).
	ring []acc
	head int64
}

// newThing returns an empty thing state whose ring, of up to ring
// periods, lives in the same allocation, right after it: at a million
// things in random order, every input's state is a cache miss, and a ring
// of its own would be a second one. The ring starts empty (len 0, the
// room in its capacity) and is taken when the first windowed input comes
// (ringMem). Larger rings are allocated apart.
func newThing(ring int) *Thing {
	switch {
	case ring == 0:
		return &Thing{}
	case ring <= 2:
		return inlineRing(func(r *[2]acc) []acc { return r[:] })
	case ring <= 4:
		return inlineRing(func(r *[4]acc) []acc { return r[:] })
	case ring <= 5:
		return inlineRing(func(r *[5]acc) []acc { return r[:] })
	case ring <= 6:
		return inlineRing(func(r *[6]acc) []acc { return r[:] })
	case ring <= 8:
		return inlineRing(func(r *[8]acc) []acc { return r[:] })
	case ring <= 12:
		return inlineRing(func(r *[12]acc) []acc { return r[:] })
	case ring <= 16:
		return inlineRing(func(r *[16]acc) []acc { return r[:] })
	}
	return &Thing{}
}

// withRing is a thing state and the room for its ring, allocated together.
type withRing[R any] struct {
	ts   Thing
	ring R
}

func inlineRing[R any](slice func(*R) []acc) *Thing {
	x := new(withRing[R])
	x.ts.ring = slice(&x.ring)[:0]
	return &x.ts
}

// ringMem returns a cleared ring of n periods for ts: in the room ts
// already has, or newly allocated.
func (ts *Thing) ringMem(n int32) []acc {
	if int(n) <= cap(ts.ring) {
		r := ts.ring[:n]
		clear(r)
		return r
	}
	return make([]acc, n)
}

// align makes the thing's slots match the behaviors of r, carrying the
// state of behaviors that did not change (same id) and dropping the rest. The
// log's alarms of dropped behaviors were invalidated by the change itself.
func (ts *Thing) align(r *Rules) {
	if ts.cov != nil && ts.cfgVersion == r.version {
		return
	}
	cov := r.Coverage(ts.kind)
	if cov == ts.cov {
		// Another config version, the same behaviors (a change elsewhere).
		ts.cfgVersion = r.version
		return
	}
	old, oldRing, oldCov := ts.slots, ts.ring, ts.cov
	var slots []slot
	if len(cov.behaviors) > 0 {
		slots = make([]slot, len(cov.behaviors))
	}
	ring := oldRing[:0] // taken here only to carry windows over; else at the next input
	if cov.ringLen > 0 && len(oldRing) > 0 {
		ring = make([]acc, cov.ringLen)
	}
	if oldCov != nil {
		for i, cb := range cov.behaviors {
			j := slices.IndexFunc(oldCov.behaviors, func(o *Behavior) bool { return o.id == cb.id })
			if j < 0 {
				continue
			}
			slots[i].streak = old[j].streak
			if n := int32(cb.periods) + cov.slack; len(ring) > 0 && cb.periods > 0 && oldCov.behaviors[j].periods == cb.periods {
				// Same window length: it carries over, at the same head.
				copy(ring[cov.ringOff[i]:cov.ringOff[i]+n], oldRing[oldCov.ringOff[j]:oldCov.ringOff[j]+n])
			}
		}
	}
	ts.slots, ts.ring, ts.cov, ts.cfgVersion = slots, ring, cov, r.version
}

// key returns the violation key of the thing's behavior i.
func (ts *Thing) key(i int) violation.Key {
	cb := ts.cov.behaviors[i]
	return violation.Key{Thing: ts.name, Profile: cb.profile, Behavior: cb.b.Name}
}

// slotOf returns the index of the compiled behavior id among the thing's
// slots (trying hint first), or -1 when it no longer applies to the thing
// or the thing's state was dropped.
func (ts *Thing) slotOf(id uint64, hint int) int {
	if ts.dropped || ts.cov == nil {
		return -1
	}
	if hint >= 0 && hint < len(ts.cov.behaviors) && ts.cov.behaviors[hint].id == id {
		return hint
	}
	return slices.IndexFunc(ts.cov.behaviors, func(cb *Behavior) bool { return cb.id == id })
}
