package replay

// internLimit is the size of one generation of an internCache: with two
// generations a cache keeps between internLimit and twice as many recent
// values. A fleet of 100,000 things (thing names, topics and addresses per
// thing) stays cached; a larger one allocates for the values it misses.
const internLimit = 1 << 17

// internCache maps the text of a valid thing name, topic or address to its
// value, so that a value every record repeats costs no allocation.
//
// It keeps two generations and drops the older one when the newer is full,
// rather than clearing one map: a replay that cycles through more names than
// one map holds then still finds the names it saw recently, instead of
// missing on every record until the map fills again.
type internCache[V any] struct {
	cur, old map[string]internEntry[V]
}

type internEntry[V any] struct {
	key string
	v   V
}

// get returns the value cached for b.
func (c *internCache[V]) get(b []byte) (V, bool) {
	if e, ok := c.cur[string(b)]; ok {
		return e.v, true
	}
	e, ok := c.old[string(b)]
	if ok {
		c.add(e)
	}
	return e.v, ok
}

// put caches v, the value of the text key.
func (c *internCache[V]) put(key string, v V) {
	c.add(internEntry[V]{key, v})
}

func (c *internCache[V]) add(e internEntry[V]) {
	if c.cur == nil {
		c.cur = make(map[string]internEntry[V])
	} else if len(c.cur) >= internLimit {
		clear(c.old)
		c.cur, c.old = c.old, c.cur
		if c.cur == nil {
			c.cur = make(map[string]internEntry[V])
		}
	}
	c.cur[e.key] = e
}

// len returns the number of values cached.
func (c *internCache[V]) len() int { return len(c.cur) + len(c.old) }
