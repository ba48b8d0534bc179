package intern

import (
	"fmt"
	"hash/maphash"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Cache rotates its generations instead of growing without bound.
func TestCacheBounded(t *testing.T) {
	var c Cache[string]
	for i := range 3 * DefaultLimit {
		s := fmt.Sprint(i)
		c.Put(s, s)
	}
	assert.LessOrEqual(t, c.Len(), 2*DefaultLimit)
	_, ok := c.Get([]byte(fmt.Sprint(3*DefaultLimit - 1)))
	assert.True(t, ok, "the newest value is cached")
	_, ok = c.Get([]byte("0"))
	assert.False(t, ok, "the oldest is gone")
}

// A Cache gives back what was put, short keys (kept in the slot) and long
// ones alike, through rotations: every key put or found within the last
// Limit additions (a key found in the older generation is added again) is
// there, with its value.
func TestCacheValues(t *testing.T) {
	for _, limit := range []int{0, 100} {
		t.Run(fmt.Sprint("limit=", limit), func(t *testing.T) {
			c := Cache[string]{Limit: limit}
			if limit == 0 {
				limit = DefaultLimit
			}
			key := func(i int) string {
				if i%3 == 0 {
					return fmt.Sprintf("a-long-key-longer-than-the-slot-%08d", i)
				}
				return fmt.Sprintf("k%d", i)
			}
			n := 2*limit + 1000
			every := max(1, limit/10)
			for i := range n {
				k := key(i)
				_, ok := c.Get([]byte(k))
				require.False(t, ok, k)
				c.Put(k, k)
				if i%every == every-1 && i >= limit { // a key from long ago, found again, stays
					v, ok := c.Get([]byte(key(i - limit/2)))
					require.True(t, ok, i)
					require.Equal(t, key(i-limit/2), v)
				}
			}
			for i := n - limit + 20; i < n; i++ { // the last puts, less the keys found again since
				v, ok := c.Get([]byte(key(i)))
				require.True(t, ok, key(i))
				require.Equal(t, key(i), v)
			}
			assert.LessOrEqual(t, c.Len(), 2*limit)
		})
	}
}

// Keys whose hashes collide, in tag and home, are told apart by their
// length and bytes, inside the slot and beyond it; a growing table keeps
// them all.
func TestTableCollisions(t *testing.T) {
	var tab table[int]
	const h = 0xdeadbeef_00000000
	keys := []string{"a", "b", "ab", strings.Repeat("x", prefix), strings.Repeat("x", prefix+1), strings.Repeat("x", prefix) + "y"}
	for i := range 200 {
		keys = append(keys, fmt.Sprintf("k%03d", i))
	}
	for i, k := range keys {
		require.Nil(t, tab.find([]byte(k), h), k)
		tab.insert(k, h, i)
	}
	for i, k := range keys {
		s := tab.find([]byte(k), h)
		require.NotNil(t, s, k)
		assert.Equal(t, i, s.v, k)
	}
	assert.Nil(t, tab.find([]byte("xx"), h))
	assert.Nil(t, tab.find([]byte(strings.Repeat("x", prefix)+"z"), h))
	assert.Equal(t, len(keys), tab.count)
	assert.LessOrEqual(t, 4*tab.count, 3*len(tab.slots))
}

// Get allocates nothing, found or not.
func TestGetAllocatesNothing(t *testing.T) {
	var c Cache[int]
	c.Put("present", 1)
	present, absent := []byte("present"), []byte("absent")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		c.Get(present)
		c.Get(absent)
	}))
}

// FuzzCache checks a Cache against a map, on a small alphabet of keys (so
// that they repeat and collide in length) and a small Limit (so that
// generations rotate): a value found is the one put for its key, and a key
// put or found within the last Limit puts and finds is still there (a key
// found in the older generation is added again, so finds count).
func FuzzCache(f *testing.F) {
	f.Add([]byte("\x00a\x01b\x00a\x02"), uint8(3))
	f.Add([]byte(strings.Repeat("\x00xyz\x01", 20)), uint8(1))
	f.Fuzz(func(t *testing.T, ops []byte, limit uint8) {
		c := Cache[int]{Limit: int(limit%16) + 1}
		put := map[string]int{}
		var order []string // the keys put or found, in order
		for i := 0; i+1 < len(ops); i += 2 {
			op, n := ops[i], int(ops[i+1]%40)
			key := strings.Repeat(string(rune('a'+op%3)), n)
			v, ok := c.Get([]byte(key))
			if ok {
				require.Equal(t, put[key], v, "key %q", key)
				order = append(order, key)
				continue
			}
			if op&0x80 != 0 {
				c.Put(key, i)
				put[key] = i
				order = append(order, key)
			}
		}
		for j := max(0, len(order)-c.Limit); j < len(order); j++ {
			require.True(t, c.holds([]byte(order[j])), "key %q, %d of %d", order[j], j, len(order))
		}
	})
}

// holds reports whether the cache holds b, without adding it again as Get
// does when it finds b in the older generation.
func (c *Cache[V]) holds(b []byte) bool {
	if c.cur.slots == nil {
		return false
	}
	h := maphash.Bytes(c.seed, b)
	return c.cur.find(b, h) != nil || c.old.find(b, h) != nil
}
