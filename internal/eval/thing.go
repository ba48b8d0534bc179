package eval

import (
	"slices"
	"unsafe"

	"github.com/ruledetect/ruledetect/internal/report"
	"github.com/ruledetect/ruledetect/violation"
)

// staleVersion marks a thing whose Coverage must be recomputed although the
// config did not change (its kind did). Rules.stamp never returns it.
const staleVersion = ^uint32(0)

// stamp is r's version as a thing records the version it was aligned
// with: 32 bits, which keeps a thing's fixed state small, and never
// staleVersion. Two versions 2³²−1 apart share a stamp; a thing could only
// miss a realignment if it went unaligned across that many configuration
// changes, and every period close aligns every thing with input.
func (r *Rules) stamp() uint32 { return uint32(r.version % uint64(staleVersion)) }

// Thing is everything the engine keeps about one thing: its kind (for
// target Coverage), when it last sent anything, and one slot per behavior
// that applies to it, aligned with its coverage, and the ring of periods
// of its windowed behaviors.
//
// The fixed part is 88 bytes (TestThingSize): a fleet of millions keeps
// one per thing. The slots and the ring are its tail: pointer-free memory
// that newThing places right after the struct, in the same allocation, so
// that an input, which reads the fields from name on and one period of
// the ring, touches two or three adjacent cache lines and no other
// allocation. A tail made later (a realignment, a restore of windows, a
// coverage too large for newThing) is allocated apart, slots and ring
// together where it can.
type Thing struct {
	// kind is the kind told by SetKind; nil is Kind{} (unregistered).
	kind *Kind
	// counters is the last cumulative network_stats, when enabled (nil
	// until the first report with them).
	counters *report.CounterState
	// disconnectedAt is when it last disconnected (Unix ns), 0 while connected.
	disconnectedAt int64

	// The fields an input reads and writes, next to the ring.
	name string
	cov  *Coverage
	// slotp points to the slots of cov's behaviors (slots), nil when cov
	// has none or ts has no cov.
	slotp *slot
	// ring points to cov.ringLen periods of the windowed behaviors of cov
	// (at cov.ringOff), all with period head at index 0 (ringOf); nil
	// until a windowed behavior needs it.
	ring *acc
	head int64
	// lastInput is the event time (Unix ns) of its newest input; 0 = none yet.
	lastInput int64
	// cfgVersion is the stamp of the Rules ts was aligned with.
	cfgVersion uint32
	// shard is the index of the shard that holds the state.
	shard uint16
	// told reports that the thing's registration or groups were told to the
	// engine; such a thing is kept when it goes idle, others are dropped.
	told bool
	// dropped reports that the engine no longer holds this state (the thing
	// went idle); a Thing handle that points to it must look it up again.
	dropped bool
}

// The tail of a thing is reached through the pointers slotp and ring with
// unsafe.Slice, its lengths taken from cov: a slice header per part would
// take 48 bytes of every thing where the two pointers take 16. This is
// sound because (1) the tail is pointer-free (acc and slot hold numbers
// only), so the garbage collector needs no type for it, and the pointers,
// ordinary Go pointers into its allocation, keep it alive; (2) every
// assignment of cov sets slotp and ring to memory of at least cov's
// lengths (placeTail, or nil), so no slice reaches past its allocation,
// which the race detector's checkptr verifies in tests.

// slots returns the alarm state of each behavior of cov, in its order.
func (ts *Thing) slots() []slot {
	if ts.slotp == nil {
		return nil
	}
	return unsafe.Slice(ts.slotp, len(ts.cov.behaviors))
}

// rings returns the whole ring, or nil when ts holds none.
func (ts *Thing) rings() []acc {
	if ts.ring == nil {
		return nil
	}
	return unsafe.Slice(ts.ring, ts.cov.ringLen)
}

// kindOf returns the thing's kind.
func (ts *Thing) kindOf() Kind {
	if ts.kind == nil {
		return Kind{}
	}
	return *ts.kind
}

// forget drops the state of an idle thing that is kept (it was told its
// kind): its slots, windows, input times and coverage.
func (ts *Thing) forget() {
	ts.slotp, ts.ring, ts.cov, ts.lastInput, ts.disconnectedAt = nil, nil, nil, 0, 0
}

// tailBytes returns the bytes of a tail for cov's slots and, with ring,
// its ring: the ring first (acc is 8-byte aligned), then one byte per slot.
func tailBytes(cov *Coverage, ring bool) int {
	n := len(cov.behaviors)
	if ring {
		n += int(cov.ringLen) * int(unsafe.Sizeof(acc{}))
	}
	return n
}

// tailWords returns the 8-byte words of a tail for cov's slots and, with
// ring, its ring.
func tailWords(cov *Coverage, ring bool) int { return (tailBytes(cov, ring) + 7) / 8 }

// placeTail points ts's slots and, with ring, its ring into tail, zeroed
// memory of at least tailWords(cov, ring) words, and makes cov ts's
// coverage (nil: none). With a name, the tail has room for it after the
// slots, and it becomes ts's.
func (ts *Thing) placeTail(cov *Coverage, tail unsafe.Pointer, ring bool, name string) {
	ts.cov, ts.slotp, ts.ring = cov, nil, nil
	off := 0
	if cov != nil {
		if ring && cov.ringLen > 0 {
			ts.ring = (*acc)(tail)
		}
		if len(cov.behaviors) > 0 {
			ts.slotp = (*slot)(unsafe.Add(tail, tailBytes(cov, ring)-len(cov.behaviors)))
		}
		off = tailBytes(cov, ring)
	}
	if name != "" {
		b := unsafe.Slice((*byte)(unsafe.Add(tail, off)), len(name))
		copy(b, name)
		ts.name = unsafe.String(&b[0], len(b)) // never written again
	}
}

// newTail returns zeroed memory of w words allocated apart, nil for none.
// The words are uint64 so that the memory is 8-byte aligned for acc.
func newTail(w int) unsafe.Pointer {
	if w == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(make([]uint64, w)))
}

// withTail is a thing state and the room for its tail, allocated together.
type withTail[T any] struct {
	ts   Thing
	tail T
}

func inlineTail[T any]() (*Thing, unsafe.Pointer) {
	x := new(withTail[T])
	return &x.ts, unsafe.Pointer(&x.tail)
}

// tailRooms are the tails newThing allocates with a thing, in words: each
// makes the allocation exactly one of the runtime's size classes (112,
// 128, … 512 bytes with the 88-byte struct), so that the class's room is
// the tail's, not waste.
var tailRooms = [...]struct {
	words int
	alloc func() (*Thing, unsafe.Pointer)
}{
	{1, inlineTail[[1]uint64]}, {3, inlineTail[[3]uint64]}, {5, inlineTail[[5]uint64]},
	{7, inlineTail[[7]uint64]}, {9, inlineTail[[9]uint64]}, {11, inlineTail[[11]uint64]},
	{13, inlineTail[[13]uint64]}, {15, inlineTail[[15]uint64]}, {17, inlineTail[[17]uint64]},
	{19, inlineTail[[19]uint64]}, {21, inlineTail[[21]uint64]}, {25, inlineTail[[25]uint64]},
	{29, inlineTail[[29]uint64]}, {33, inlineTail[[33]uint64]}, {37, inlineTail[[37]uint64]},
	{41, inlineTail[[41]uint64]}, {45, inlineTail[[45]uint64]}, {49, inlineTail[[49]uint64]},
	{53, inlineTail[[53]uint64]},
}

// newThing returns the state of the thing named name, aligned with cov
// (nil: none yet), its slots and, with ring, its ring in the same
// allocation, right after it, and then its own copy of name: at a million
// things in random order, every input's state is a cache miss, and a tail
// or a name of its own would be another (an input reads the name to match
// topics with ${iot:ClientId}, and a lookup by name compares it). A tail
// larger than 424 bytes is allocated apart.
//
// The name's bytes keep the whole state alive: a string that outlives a
// dropped thing (the key of a violation event the log keeps for its
// retention, a name an observer hook kept) holds the state's 100 to 500
// bytes instead of the name's. Only things with violations leave such
// keys, and each event is larger than that anyway.
func newThing(cov *Coverage, ring bool, name string) *Thing {
	w := (len(name) + 7) / 8
	if cov != nil {
		w = (tailBytes(cov, ring) + len(name) + 7) / 8
	}
	for _, r := range tailRooms {
		if r.words >= w {
			ts, tail := r.alloc()
			ts.placeTail(cov, tail, ring, name)
			return ts
		}
	}
	ts := &Thing{}
	ts.placeTail(cov, newTail(w), ring, name)
	return ts
}

// ringMem gives ts a cleared ring, allocated apart: its tail had none
// (a restored thing without windows, or a realigned one).
func (ts *Thing) ringMem() {
	ts.ring = (*acc)(newTail(int(ts.cov.ringLen) * int(unsafe.Sizeof(acc{})/8)))
}

// align makes the thing's slots match the behaviors of r, carrying the
// state of behaviors that did not change (same id) and dropping the rest. The
// log's alarms of dropped behaviors were invalidated by the change itself.
func (ts *Thing) align(r *Rules) {
	stamp := r.stamp()
	if ts.cov != nil && ts.cfgVersion == stamp {
		return
	}
	cov := r.Coverage(ts.kindOf())
	if cov != ts.cov {
		ts.realign(cov)
	}
	ts.cfgVersion = stamp
}

// realign makes ts's state that of coverage cov (align).
func (ts *Thing) realign(cov *Coverage) {
	oldCov, old, oldRing := ts.cov, ts.slots(), ts.rings()
	if oldCov != nil && sameLayout(oldCov, cov) {
		// A configuration change elsewhere: every slot and window carries
		// over where it is.
		ts.cov = cov
		return
	}
	// The ring is taken here for a thing that had none yet (a new
	// coverage, with the slots), or to carry windows over; else at the
	// next windowed input.
	ring := cov.ringLen > 0 && (oldCov == nil || oldRing != nil)
	ts.placeTail(cov, newTail(tailWords(cov, ring)), ring, "")
	if oldCov == nil {
		return
	}
	slots, newRing := ts.slots(), ts.rings()
	for i, cb := range cov.behaviors {
		j := slices.IndexFunc(oldCov.behaviors, func(o *Behavior) bool { return o.id == cb.id })
		if j < 0 {
			continue
		}
		slots[i].streak = old[j].streak
		if n := int32(cb.periods) + cov.slack; newRing != nil && windowed(cb) && oldCov.behaviors[j].periods == cb.periods {
			// Same window length: it carries over, at the same head.
			copy(newRing[cov.ringOff[i]:cov.ringOff[i]+n], oldRing[oldCov.ringOff[j]:oldCov.ringOff[j]+n])
		}
	}
}

// sameLayout reports whether a and b hold the same behaviors in the same
// order (so with the same ring offsets).
func sameLayout(a, b *Coverage) bool {
	return a.slack == b.slack && slices.EqualFunc(a.behaviors, b.behaviors, func(x, y *Behavior) bool {
		return x.id == y.id && x.periods == y.periods
	})
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
