// Package intern caches the text of a value that inputs repeat (a thing
// name, a topic, an address) with its value: a replay's record parser and
// a report decoder look each such text up instead of allocating it again
// or parsing it again, in a table built for lookups that miss the
// processor's caches.
package intern

import (
	"hash/maphash"
	"unsafe"
)

// DefaultLimit is the size of one generation of a Cache whose Limit is 0:
// with two generations a cache keeps between Limit and twice as many recent
// values. A fleet of 100,000 things (thing names, topics and addresses per
// thing) stays cached; a larger one allocates for the values it misses.
const DefaultLimit = 3 << 15 // 98,304: a full generation's table is 2^17 slots, 3/4 full

// Cache maps texts to their values. The zero Cache is empty, with
// DefaultLimit; a Cache is not safe for concurrent use.
//
// It keeps two generations and drops the older one when the newer is full,
// rather than clearing one table: a replay that cycles through more names
// than one table holds then still finds the names it saw recently, instead
// of missing on every record until the table fills again.
//
// Each generation is an open-addressing table whose slots hold the first
// prefix bytes of their key: a lookup of a key that short (most
// thing names, many topics, every IPv4 address) reads one 64-byte slot and
// nothing else. In a fleet of thousands of things the lookups miss the
// processor's caches, and a Go map's lookup touched three places (its
// control word, its slot, the key's own bytes); the lookups were a quarter
// of a replay's parsing.
type Cache[V any] struct {
	// Limit is the number of values of one generation, DefaultLimit when
	// 0. Set it before the first Put.
	Limit    int
	seed     maphash.Seed
	cur, old table[V]
}

// prefix is how many bytes of its key a slot holds.
const prefix = 24

// slot is one entry: its key's length, hash tag and first bytes, the
// whole key, and the value.
type slot[V any] struct {
	pre [prefix]byte
	n   uint32 // len(key)
	tag uint32 // the key's hash's high half, with the low bit set: 0 is an empty slot
	key string
	v   V
}

// table is one generation: linear probing, at most 3/4 full.
type table[V any] struct {
	slots []slot[V]
	count int
}

// Get returns the value cached for the text b. It allocates nothing.
func (c *Cache[V]) Get(b []byte) (V, bool) {
	if c.cur.slots == nil {
		var zero V
		return zero, false
	}
	h := maphash.Bytes(c.seed, b)
	if s := c.cur.find(b, h); s != nil {
		return s.v, true
	}
	if s := c.old.find(b, h); s != nil {
		v := s.v
		c.add(s.key, h, v)
		return v, true
	}
	var zero V
	return zero, false
}

// Put caches v as the value of the text key, which Get did not find: the
// cache keeps key, so it must not be a view of memory that changes.
func (c *Cache[V]) Put(key string, v V) {
	if c.cur.slots == nil && c.old.slots == nil {
		c.seed = maphash.MakeSeed()
	}
	c.add(key, maphash.String(c.seed, key), v)
}

func (c *Cache[V]) add(key string, h uint64, v V) {
	limit := c.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if c.cur.count >= limit {
		// The older generation goes; its table, cleared, is the new one's.
		c.cur, c.old = c.old, c.cur
		clear(c.cur.slots)
		c.cur.count = 0
	}
	c.cur.insert(key, h, v)
}

// Len returns the number of values cached, in both generations.
func (c *Cache[V]) Len() int { return c.cur.count + c.old.count }

// tagOf returns the tag of a key whose hash is h: its high half, with the
// low bit set (0 is an empty slot). The tag also places the key (home), so
// that a table grows without hashing its keys again.
func tagOf(h uint64) uint32 { return uint32(h>>32) | 1 }

// home returns the slot where a key of tag probing starts.
func (t *table[V]) home(tag uint32) int { return int(tag>>1) & (len(t.slots) - 1) }

// find returns the slot of b, whose hash is h, or nil.
func (t *table[V]) find(b []byte, h uint64) *slot[V] {
	if t.count == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	tag := tagOf(h)
	for i := t.home(tag); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.tag == 0 {
			return nil
		}
		if s.tag == tag && int(s.n) == len(b) && s.holds(b) {
			return s
		}
	}
}

// holds reports whether the slot's key is b, which has the key's length:
// from the slot alone when the key fits in it.
func (s *slot[V]) holds(b []byte) bool {
	if len(b) <= prefix {
		return string(s.pre[:len(b)]) == string(b)
	}
	return s.key == string(b)
}

// insert adds key, whose hash is h, and v, growing the table to keep it at
// most 3/4 full.
func (t *table[V]) insert(key string, h uint64, v V) {
	if 4*(t.count+1) > 3*len(t.slots) {
		t.grow()
	}
	s := t.free(tagOf(h))
	s.n, s.tag, s.key, s.v = uint32(len(key)), tagOf(h), key, v
	copy(s.pre[:], key)
	t.count++
}

// free returns the empty slot where a new key of tag goes.
func (t *table[V]) free(tag uint32) *slot[V] {
	mask := len(t.slots) - 1
	i := t.home(tag)
	for t.slots[i].tag != 0 {
		i = (i + 1) & mask
	}
	return &t.slots[i]
}

// grow doubles the table (from 64 slots) and places every entry again.
func (t *table[V]) grow() {
	old := t.slots
	t.slots = make([]slot[V], max(64, 2*len(old)))
	t.touchPages()
	for k := range old {
		if s := &old[k]; s.tag != 0 {
			*t.free(s.tag) = *s
		}
	}
}

// touchPages writes to every page of a new table before the table is
// read. Memory fresh from the operating system is not yet mapped: a read
// maps the shared zero page, and the write that follows must then copy it
// and flush that page's address from every processor running the program,
// by interrupt (perf, a replay of a 5,200-thing fleet on a 2-core VM: 3.3%
// of its time went to those flushes as its tables grew). A first write maps
// a page of its own at once.
func (t *table[V]) touchPages() {
	step := max(1, pageSize/int(unsafe.Sizeof(slot[V]{})))
	for i := 0; i < len(t.slots); i += step {
		t.slots[i].tag = 0
	}
}

// pageSize is the smallest page size of the platforms Go runs on; touching
// every pageSize bytes touches every page of a larger size too.
const pageSize = 4096

// The slot of a cache of strings is one cache line.
var _ [64 - unsafe.Sizeof(slot[string]{})]byte
