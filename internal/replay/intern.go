package replay

import "hash/maphash"

// internLimit is the size of one generation of an internCache: with two
// generations a cache keeps between internLimit and twice as many recent
// values. A fleet of 100,000 things (thing names, topics and addresses per
// thing) stays cached; a larger one allocates for the values it misses.
const internLimit = 1 << 17

// internCache maps the text of a valid thing name, topic or address to its
// value, so that a value every record repeats costs no allocation.
//
// It keeps two generations and drops the older one when the newer is full,
// rather than clearing one table: a replay that cycles through more names
// than one table holds then still finds the names it saw recently, instead
// of missing on every record until the table fills again.
//
// Each generation is an open-addressing table whose slot holds the key's
// text when it is short (as thing names, topics and addresses mostly are):
// a lookup that hits reads one slot and nothing else. With a Go map it read
// the map's control word, the slot and the key's bytes elsewhere in the
// heap, three cache misses in a fleet's worth of names, and a replay looks
// up one to three values on every line.
type internCache[V any] struct {
	seed     maphash.Seed
	cur, old internTable[V]
}

// internShort is the longest key kept in the slot itself.
const internShort = 24

// internSlot is one entry of an internTable.
type internSlot[V any] struct {
	hash  uint32 // of the key, with the top bit set: 0 is an empty slot
	n     uint32 // the key's length
	short [internShort]byte
	long  string // the key when longer than internShort
	v     V
}

func (s *internSlot[V]) is(hash uint32, b []byte) bool {
	if s.hash != hash || int(s.n) != len(b) {
		return false
	}
	if len(b) <= internShort {
		return string(s.short[:len(b)]) == string(b)
	}
	return s.long == string(b)
}

// internTable is an open-addressing hash table with linear probing, at
// most half full.
type internTable[V any] struct {
	slots []internSlot[V] // len a power of two, or 0
	n     int
}

// find returns the slot of the key b of the given hash, or the empty slot
// where it belongs.
func (t *internTable[V]) find(hash uint32, b []byte) *internSlot[V] {
	mask := uint32(len(t.slots) - 1)
	for i := hash & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.hash == 0 || s.is(hash, b) {
			return s
		}
	}
}

// insert adds a slot whose key the table does not hold.
func (t *internTable[V]) insert(s *internSlot[V]) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := uint32(len(t.slots) - 1)
	i := s.hash & mask
	for t.slots[i].hash != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = *s
	t.n++
}

func (t *internTable[V]) grow() {
	old := t.slots
	t.slots = make([]internSlot[V], max(64, 2*len(old)))
	t.n = 0
	for i := range old {
		if old[i].hash != 0 {
			t.insert(&old[i])
		}
	}
}

func (t *internTable[V]) reset() {
	clear(t.slots)
	t.n = 0
}

// The hash of a key, by maphash.Bytes or maphash.String (which agree),
// its top bit set.
func (c *internCache[V]) hash(b []byte) uint32 {
	c.init()
	return uint32(maphash.Bytes(c.seed, b)) | 1<<31
}

func (c *internCache[V]) hashString(key string) uint32 {
	c.init()
	return uint32(maphash.String(c.seed, key)) | 1<<31
}

func (c *internCache[V]) init() {
	if c.seed == (maphash.Seed{}) {
		c.seed = maphash.MakeSeed()
	}
}

// get returns the value cached for b.
func (c *internCache[V]) get(b []byte) (V, bool) {
	h := c.hash(b)
	if c.cur.n > 0 {
		if s := c.cur.find(h, b); s.hash != 0 {
			return s.v, true
		}
	}
	if c.old.n > 0 {
		if s := c.old.find(h, b); s.hash != 0 {
			e := *s // add may clear the old table
			c.add(&e)
			return e.v, true
		}
	}
	var zero V
	return zero, false
}

// put caches v, the value of the text key, which the cache does not hold.
func (c *internCache[V]) put(key string, v V) {
	s := internSlot[V]{hash: c.hashString(key), n: uint32(len(key)), v: v}
	if len(key) <= internShort {
		copy(s.short[:], key)
	} else {
		s.long = key
	}
	c.add(&s)
}

func (c *internCache[V]) add(s *internSlot[V]) {
	if c.cur.n >= internLimit {
		c.old.reset()
		c.cur, c.old = c.old, c.cur
	}
	c.cur.insert(s)
}

// len returns the number of values cached.
func (c *internCache[V]) len() int { return c.cur.n + c.old.n }
