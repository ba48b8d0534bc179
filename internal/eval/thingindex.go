package eval

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

// thingIndex is a shard's things by name: an open-addressing hash table
// of *Thing, built for a fleet of millions in random arrival, where every
// lookup is a cache miss. A Go map[string]*Thing keeps a slot of a string
// header and a pointer (24 bytes) and a control byte per entry, and a
// lookup reads its control word, the slot, the key's bytes and then the
// Thing: three or four cache lines.
//
// Here a group is one cache line: seven 8-bit tags (from hash bits the
// shard and the position do not use) in a control word, and the seven
// pointers. A lookup reads its home group, matches the tags in the word
// at once, and dereferences only the things whose tag matches: the one
// wanted, and another for one lookup in about 40 (7/255 per full group).
// So a lookup costs one line of the table, then the Thing that the input
// reads anyway (its name is the Thing's tail, next to the state).
//
// A thing that finds its home group full goes to the next one with room,
// and counts itself in the overflow byte (the control word's eighth) of
// each full group it passed, as in folly's F14: a lookup goes on past a
// group only while its overflow count is not 0, so that a miss usually
// stops at its home group. A removal decrements the counts on its way and
// brings back into the hole a thing that went past it, if any (refill):
// no tombstones, and no run longer than the things in it need, whatever
// the churn. A count that reached 255 stays there (a thing past it is
// still found) until the table grows.
//
// The table grows by half when it holds 7/8 of its slots, and never
// shrinks: a fleet that shrank may grow back. Measured over fleets of 10^3
// to 3·10^5 things (TestThingIndexLoad has the way), per thing and in
// groups read per lookup:
//
//	grow  load   B/thing (max)  hit    miss
//	×2    3/4    17.9 (24.5)    1.029  1.102
//	×2    7/8    15.2 (21.0)    1.076  1.442
//	×1.5  3/4    15.2 (20.9)    1.043  1.148
//	×1.5  13/16  14.0 (19.3)    1.070  1.317
//	×1.5  7/8    12.8 (18.0)    1.112  1.618
//
// A hit is what a message pays; a miss is a new thing's first input, or
// SetKind's. The Go map it replaced took 44 to 56 bytes per thing
// (BenchmarkThingIndex, B/entry).
//
// The zero thingIndex is empty; it needs its seed (setSeed) before its
// first add.
type thingIndex struct {
	groups []thingGroup
	n      int // things held
	grow   int // n at which an add grows the table
	seed   maphash.Seed
}

// groupSlots is the number of things in a group: seven pointers and the
// control word make 64 bytes, one cache line (the runtime rounds a
// multiple of 64 bytes up to a size class that is one too, or to whole
// pages, so groups do not straddle lines).
const groupSlots = 7

// thingGroup is a cache line of the index: ctrl holds the tag of slot i in
// byte i (0: empty) and the overflow count in byte 7.
type thingGroup struct {
	ctrl uint64
	ts   [groupSlots]*Thing
}

// The table's maximal load, as a fraction, and its growth factor (see
// thingIndex).
const (
	maxLoadNum, maxLoadDen = 7, 8
	growNum, growDen       = 3, 2
)

const (
	bytes01  = 0x0101010101010101
	tagBits  = 0x0080808080808080 // the high bit of each tag byte
	overflow = 56                 // ctrl>>overflow is the overflow count
)

// setSeed makes the index hash names with seed, the plane's: the shard
// is chosen from the same hash (Plane.shardOf), from its low bits, and
// the index uses the others. Only while the index is empty.
func (ix *thingIndex) setSeed(seed maphash.Seed) { ix.seed = seed }

// len returns the number of things held.
func (ix *thingIndex) len() int { return ix.n }

// hash returns the hash of name, as Plane.shardOf computes it.
func (ix *thingIndex) hash(name string) uint64 { return maphash.String(ix.seed, name) }

// home returns the home group of hash h in a table of n groups: from the
// high 32 bits of h (a multiply-shift, which any group count allows).
func home(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

// tagOf returns the tag of hash h: bits 24 to 31, clear of the shard's
// low bits (up to MaxShards) and of the position's high ones; 0 marks an
// empty slot, so 0 is taken as 1.
func tagOf(h uint64) uint64 {
	t := h >> 24 & 0xff
	if t == 0 {
		t = 1
	}
	return t
}

// matches returns a mask with the high bit set in each tag byte of ctrl
// that may equal tag (every one that does, and rarely one above it that
// does not: the borrow of the zero-byte test), and no other.
func matches(ctrl, tag uint64) uint64 {
	x := ctrl ^ tag*bytes01
	return (x - bytes01) &^ x & tagBits
}

// empties returns the mask of empty slots of ctrl; its lowest bit is
// exact.
func empties(ctrl uint64) uint64 { return (ctrl - bytes01) &^ ctrl & tagBits }

// get returns the thing named name, or nil.
func (ix *thingIndex) get(name string) *Thing {
	if ix.n == 0 {
		return nil
	}
	return ix.getHashed(ix.hash(name), name)
}

// getHashed is get with name's hash.
func (ix *thingIndex) getHashed(h uint64, name string) *Thing {
	gs := ix.groups
	tag := tagOf(h)
	i := home(h, len(gs))
	for range gs {
		g := &gs[i]
		for m := matches(g.ctrl, tag); m != 0; m &= m - 1 {
			if ts := g.ts[bits.TrailingZeros64(m)>>3]; ts != nil && ts.name == name {
				return ts
			}
		}
		if g.ctrl>>overflow == 0 {
			return nil
		}
		if i++; i == len(gs) {
			i = 0
		}
	}
	return nil
}

// homeGroup returns the group where the lookup of hash h starts, nil
// while the index has no table.
func (ix *thingIndex) homeGroup(h uint64) *thingGroup {
	if len(ix.groups) == 0 {
		return nil
	}
	return &ix.groups[home(h, len(ix.groups))]
}

// candidate returns the first thing of the home group of hash h whose tag
// matches, without reading any thing: almost always the thing of that
// hash, when there is one (see PrefetchThing).
func (ix *thingIndex) candidate(h uint64) *Thing {
	g := ix.homeGroup(h)
	if g == nil {
		return nil
	}
	if m := matches(g.ctrl, tagOf(h)); m != 0 {
		return g.ts[bits.TrailingZeros64(m)>>3]
	}
	return nil
}

// add puts ts in the index; no thing of its name is in it.
func (ix *thingIndex) add(ts *Thing) {
	if ix.n >= ix.grow {
		ix.resize(max(len(ix.groups)+1, len(ix.groups)*growNum/growDen))
	}
	ix.place(ix.hash(ts.name), ts)
	ix.n++
}

// reserve grows the table, if needed, to hold n things without growing
// again: a restore knows its count, and growing as it adds would read
// every thing of the shard again at each step.
func (ix *thingIndex) reserve(n int) {
	if n > ix.grow {
		ix.resize((n*maxLoadDen/maxLoadNum + groupSlots - 1) / groupSlots)
	}
}

// place puts ts, of hash h, in the first group from its home with room.
func (ix *thingIndex) place(h uint64, ts *Thing) {
	gs := ix.groups
	for i := home(h, len(gs)); ; {
		g := &gs[i]
		if m := empties(g.ctrl); m != 0 {
			s := bits.TrailingZeros64(m) >> 3
			g.ctrl |= tagOf(h) << (8 * s)
			g.ts[s] = ts
			return
		}
		if g.ctrl>>overflow != 0xff {
			g.ctrl += 1 << overflow
		}
		if i++; i == len(gs) {
			i = 0
		}
	}
}

// resize moves every thing into a table of at least n groups, the
// whole of the runtime's size class it takes.
func (ix *thingIndex) resize(n int) {
	old := ix.groups
	ix.groups = slices.Grow([]thingGroup(nil), n)
	ix.groups = ix.groups[:cap(ix.groups)]
	ix.grow = len(ix.groups) * groupSlots * maxLoadNum / maxLoadDen
	for gi := range old {
		for _, ts := range &old[gi].ts {
			if ts != nil {
				ix.place(ix.hash(ts.name), ts)
			}
		}
	}
}

// remove takes ts out of the index, and reports whether it was in it.
func (ix *thingIndex) remove(ts *Thing) bool {
	if ix.n == 0 {
		return false
	}
	gs := ix.groups
	h := ix.hash(ts.name)
	tag := tagOf(h)
	start := home(h, len(gs))
	i := start
	for range gs {
		g := &gs[i]
		for m := matches(g.ctrl, tag); m != 0; m &= m - 1 {
			s := bits.TrailingZeros64(m) >> 3
			if g.ts[s] != ts {
				continue
			}
			g.ctrl &^= 0xff << (8 * s)
			g.ts[s] = nil
			ix.n--
			ix.uncount(start, i)
			ix.refill(i, s)
			return true
		}
		if g.ctrl>>overflow == 0 {
			return false
		}
		if i++; i == len(gs) {
			i = 0
		}
	}
	return false
}

// uncount takes a thing that went from group from to group to out of the
// overflow counts of the groups it passed, from included to to excluded.
func (ix *thingIndex) uncount(from, to int) {
	for j := from; j != to; {
		if g := &ix.groups[j]; g.ctrl>>overflow != 0xff {
			g.ctrl -= 1 << overflow
		}
		if j++; j == len(ix.groups) {
			j = 0
		}
	}
}

// refill fills the hole left in slot s of group g, while a thing passed g
// (its overflow count is not 0): it brings back the nearest such thing,
// which leaves a hole further on, and so on. So a group with room is never
// passed, and a lookup stops at the first group with room at the latest:
// without this, things that went past a full group would stay past it when
// it empties, and a table with churn would grow runs that every miss reads
// to their end (with a random half of a 7/8-full table replaced, a miss
// read 38 groups where it read 5; replacing things in the order of their
// slots, as the close loop expires them, every group).
//
// Each candidate's home is found from its name's hash, a read of the
// thing: a cost of removals, which come with expiries, not of lookups.
func (ix *thingIndex) refill(g, s int) {
	gs := ix.groups
	n := len(gs)
	for gs[g].ctrl>>overflow != 0 {
		found := false
		for j, steps := g, 1; steps < n && !found; steps++ {
			if j++; j == n {
				j = 0
			}
			for k, ts := range &gs[j].ts {
				if ts == nil {
					continue
				}
				// It passed g if its home is as far back from j as g, or
				// further.
				if (j-home(ix.hash(ts.name), n)+n)%n < steps {
					continue
				}
				tag := gs[j].ctrl >> (8 * k) & 0xff
				gs[g].ctrl |= tag << (8 * s)
				gs[g].ts[s] = ts
				gs[j].ctrl &^= 0xff << (8 * k)
				gs[j].ts[k] = nil
				ix.uncount(g, j)
				g, s, found = j, k, true
				break
			}
			if !found && gs[j].ctrl>>overflow == 0 {
				return // nothing went past j, so nothing further went past g
			}
		}
		if !found {
			return // a saturated count: it no longer says how many passed
		}
	}
}

// thingCursor iterates over an index's things: a plain loop over the
// slots, no call per thing on a close. Removing the current thing
// meanwhile is sound (the cursor starts where nothing that a removal moves
// back crosses, and sees a thing moved into the current slot next), and
// each thing is seen once; removing another thing may hide one, and adding
// one may grow the table, after which the cursor sees the old one's things.
//
//	for c := sh.things.cursor(); c.next(); {
//		ts := c.ts
//	}
type thingCursor struct {
	gs    []thingGroup
	start int // group
	pos   int // of the current thing in slots from start's first
	ts    *Thing
	sink  int64 // of touch
}

// touchAhead is how many groups ahead of the current one a cursor reads
// the things (touch): a close reads every thing of a shard, scattered in
// memory far larger than the caches, and reading the seven of a group
// together waits for one cache miss, not seven in turn.
const touchAhead = 2

// cursor returns a cursor before the first thing of ix.
func (ix *thingIndex) cursor() thingCursor {
	c := thingCursor{gs: ix.groups}
	// After a group that nothing passed, no removal moves a thing back.
	for g := range ix.groups {
		if ix.groups[g].ctrl>>overflow == 0 {
			c.start = g + 1
			break
		}
	}
	return c
}

// at returns the thing in slot pos from the cursor's start, or nil.
func (c *thingCursor) at(pos int) *Thing {
	g := c.start + pos/groupSlots
	if g >= len(c.gs) {
		g -= len(c.gs)
	}
	return c.gs[g].ts[pos%groupSlots]
}

// touch reads the field of each thing of group g (from the cursor's
// start) that a close reads first, so that the CPU fetches their cache
// lines together.
func (c *thingCursor) touch(g int) {
	if g >= len(c.gs) {
		return
	}
	if g += c.start; g >= len(c.gs) {
		g -= len(c.gs)
	}
	for _, ts := range &c.gs[g].ts {
		if ts != nil {
			c.sink += ts.lastInput
		}
	}
}

// next moves c to the next thing, and reports whether there was one.
func (c *thingCursor) next() bool {
	if c.ts != nil {
		if ts := c.at(c.pos); ts != nil && ts != c.ts {
			c.ts = ts // moved back into the slot of the one removed
			return true
		}
		c.pos++
	}
	for ; c.pos < len(c.gs)*groupSlots; c.pos++ {
		if c.pos%groupSlots == 0 {
			if c.pos == 0 {
				for g := range touchAhead {
					c.touch(g)
				}
			}
			c.touch(c.pos/groupSlots + touchAhead)
		}
		if ts := c.at(c.pos); ts != nil {
			c.ts = ts
			return true
		}
	}
	c.ts = nil
	return false
}
