package eval

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestIndex returns an empty index with a fresh seed.
func newTestIndex() *thingIndex {
	ix := &thingIndex{}
	ix.setSeed(maphash.MakeSeed())
	return ix
}

// checkIndex verifies ix's invariants against want, the things it must
// hold: each is found by name and seen once by a cursor, each slot's tag
// is its thing's, each group's overflow count is the number of things
// that passed it (or saturated), and nothing else is found.
func checkIndex(t *testing.T, ix *thingIndex, want map[string]*Thing) {
	t.Helper()
	require.Equal(t, len(want), ix.len())
	seen := map[*Thing]int{}
	for c := ix.cursor(); c.next(); {
		seen[c.ts]++
	}
	require.Len(t, seen, len(want))
	passed := make([]int, len(ix.groups))
	for gi := range ix.groups {
		g := &ix.groups[gi]
		for s, ts := range &g.ts {
			tag := g.ctrl >> (8 * s) & 0xff
			if ts == nil {
				require.Zero(t, tag, "group %d slot %d: empty with a tag", gi, s)
				continue
			}
			require.Equal(t, 1, seen[ts], "%q seen", ts.name)
			require.Same(t, want[ts.name], ts)
			h := ix.hash(ts.name)
			require.Equal(t, tagOf(h), tag, "%q's tag", ts.name)
			for j := home(h, len(ix.groups)); j != gi; j = (j + 1) % len(ix.groups) {
				passed[j]++
			}
		}
	}
	for gi := range ix.groups {
		if c := int(ix.groups[gi].ctrl >> overflow); c != 0xff {
			require.Equal(t, passed[gi], c, "group %d's overflow count", gi)
			if empties(ix.groups[gi].ctrl) != 0 {
				require.Zero(t, c, "group %d has room and was passed", gi)
			}
		}
	}
	for name, ts := range want {
		require.Same(t, ts, ix.get(name), "get(%q)", name)
	}
}

// collidingNames returns n names whose hashes (under ix's seed) share one
// of few tags, so that lookups compare names of other things often.
func collidingNames(ix *thingIndex, n, tags int) []string {
	var names []string
	for i := 0; len(names) < n; i++ {
		name := "thing-" + strconv.Itoa(i)
		if int(tagOf(ix.hash(name))) <= tags {
			names = append(names, name)
		}
	}
	return names
}

func TestThingIndexEmpty(t *testing.T) {
	var zero thingIndex // the zero index, before its seed: a new shard's
	assert.Nil(t, zero.get("a"))
	assert.False(t, zero.remove(newThing(nil, false, "a")))
	assert.Zero(t, zero.len())
	c := zero.cursor()
	assert.False(t, c.next())

	ix := newTestIndex()
	a := newThing(nil, false, "a")
	ix.add(a)
	require.True(t, ix.remove(a))
	assert.False(t, ix.remove(a), "twice")
	assert.Nil(t, ix.get("a"))
	checkIndex(t, ix, map[string]*Thing{})
}

// TestThingIndexModel runs random adds, removes and gets against a map,
// through growth and back, with names that share few tags.
func TestThingIndexModel(t *testing.T) {
	for _, tc := range []struct {
		names, tags, ops int
	}{
		{50, 255, 2000},
		{300, 3, 5000}, // tags collide: names are compared
		{3000, 255, 30000},
	} {
		t.Run(fmt.Sprint(tc.names, "/", tc.tags), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.names)))
			ix := newTestIndex()
			names := collidingNames(ix, tc.names, tc.tags)
			want := map[string]*Thing{}
			for op := range tc.ops {
				name := names[rng.IntN(len(names))]
				// Adds outnumber removes in the first half, then the
				// reverse: the table grows, then empties.
				grow := op < tc.ops/2
				switch r := rng.IntN(10); {
				case r < 4 && grow || r < 2:
					if want[name] == nil {
						ts := newThing(nil, false, name)
						ix.add(ts)
						want[name] = ts
					}
				case r < 8:
					if ts := want[name]; ts != nil {
						require.True(t, ix.remove(ts))
						delete(want, name)
					} else {
						require.False(t, ix.remove(newThing(nil, false, name)), "a thing not held, of a held name")
					}
				default:
					require.Same(t, want[name], ix.get(name))
				}
				if op%97 == 0 {
					checkIndex(t, ix, want)
				}
			}
			checkIndex(t, ix, want)
		})
	}
}

// TestThingIndexRemoveChain removes, in every order, things that share a
// home group and overflowed past it into the next ones: each removal
// leaves the others found and the overflow counts exact.
func TestThingIndexRemoveChain(t *testing.T) {
	ix, chain := chainIndex(t)
	require.Equal(t, uint64(13), ix.groups[5].ctrl>>overflow, "13 passed group 5")
	require.Equal(t, uint64(6), ix.groups[6].ctrl>>overflow, "6 passed group 6")
	for _, order := range [][]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19},
		{19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
		{7, 14, 0, 19, 3, 10, 17, 1, 8, 15, 4, 11, 18, 2, 9, 16, 5, 12, 6, 13},
	} {
		want := map[string]*Thing{}
		for _, ts := range chain {
			want[ts.name] = ts
		}
		for _, k := range order {
			ts := chain[k]
			require.True(t, ix.remove(ts))
			delete(want, ts.name)
			checkIndex(t, ix, want)
			assert.Nil(t, ix.get(ts.name))
		}
		require.Zero(t, ix.groups[5].ctrl>>overflow)
		for _, ts := range chain {
			ix.add(ts)
		}
	}
}

// chainIndex returns an index of 40 groups filled with a chain of 20
// things that all have home group 5, in the order added: 7 in group 5, the
// others past it.
func chainIndex(t *testing.T) (*thingIndex, []*Thing) {
	t.Helper()
	ix := newTestIndex()
	ix.resize(40)
	require.GreaterOrEqual(t, ix.grow, 20)
	var chain []*Thing
	for i := 0; len(chain) < 20; i++ {
		name := "t" + strconv.Itoa(i)
		if home(ix.hash(name), len(ix.groups)) == 5 {
			ts := newThing(nil, false, name)
			ix.add(ts)
			chain = append(chain, ts)
		}
	}
	return ix, chain
}

// TestThingIndexRemoveWhileIterating removes things as a close loop
// expires them, the current one and others: every thing is seen once.
func TestThingIndexRemoveWhileIterating(t *testing.T) {
	ix := newTestIndex()
	want := map[string]*Thing{}
	for _, name := range collidingNames(ix, 2000, 20) {
		ts := newThing(nil, false, name)
		ix.add(ts)
		want[name] = ts
	}
	seen := map[*Thing]bool{}
	for c := ix.cursor(); c.next(); {
		require.False(t, seen[c.ts], "%q seen twice", c.ts.name)
		seen[c.ts] = true
		if len(seen)%3 != 0 {
			require.True(t, ix.remove(c.ts))
			delete(want, c.ts.name)
		}
	}
	require.Len(t, seen, 2000)
	checkIndex(t, ix, want)
}

// A close loop sees each thing once when things of the last group went
// past it into the first and the last group's expire: the cursor starts
// after a group that nothing passed, so a removal never brings back a
// thing it saw.
func TestThingIndexCursorWraps(t *testing.T) {
	ix := newTestIndex()
	ix.resize(40)
	last := len(ix.groups) - 1
	want := map[string]*Thing{}
	homes := map[int]int{}
	for i := 0; homes[last] < 10 || homes[0] < 5 || homes[1] < 3; i++ {
		name := "t" + strconv.Itoa(i)
		g := home(ix.hash(name), len(ix.groups))
		if (g == last && homes[g] < 10) || (g == 0 && homes[g] < 5) || (g == 1 && homes[g] < 3) {
			homes[g]++
			want[name] = newThing(nil, false, name)
			ix.add(want[name])
		}
	}
	require.Equal(t, uint64(3), ix.groups[last].ctrl>>overflow, "3 went past the last group")
	checkIndex(t, ix, want)
	// The things of the last group expire; those that went past it stay.
	expire := map[*Thing]bool{}
	for _, ts := range ix.groups[last].ts {
		expire[ts] = true
	}
	seen := map[*Thing]int{}
	for c := ix.cursor(); c.next(); {
		seen[c.ts]++
		if expire[c.ts] {
			require.True(t, ix.remove(c.ts))
			delete(want, c.ts.name)
		}
	}
	assert.Len(t, seen, 18)
	for ts, n := range seen {
		assert.Equal(t, 1, n, "%q", ts.name)
	}
	checkIndex(t, ix, want)
}

// A table reserved for n things holds them without growing, at most 7/8
// full and, past a few groups, at least 0.8 (the size class's rounding).
func TestThingIndexReserve(t *testing.T) {
	for _, n := range []int{1, 6, 7, 100, 3906} {
		ix := newTestIndex()
		ix.reserve(n)
		groups := len(ix.groups)
		for i := range n {
			ix.add(newThing(nil, false, "t"+strconv.Itoa(i)))
		}
		assert.Equal(t, groups, len(ix.groups), "n=%d grew", n)
		if n >= 100 {
			assert.GreaterOrEqual(t, float64(n)/float64(groups*groupSlots), 0.8, "n=%d", n)
		}
		ix.reserve(n / 2)
		assert.Equal(t, groups, len(ix.groups), "n=%d: a smaller reserve shrank it", n)
	}
}

// A thing past a saturated overflow count is found, and removed, though the
// count no longer tells how many passed.
func TestThingIndexSaturated(t *testing.T) {
	ix := newTestIndex()
	ix.resize(64)
	ix.groups[3].ctrl |= 0xff << overflow
	var ts []*Thing
	for i := 0; len(ts) < 10; i++ {
		name := "t" + strconv.Itoa(i)
		if home(ix.hash(name), len(ix.groups)) == 3 {
			ts = append(ts, newThing(nil, false, name))
			ix.add(ts[len(ts)-1])
		}
	}
	for _, x := range ts {
		require.Same(t, x, ix.get(x.name))
	}
	for _, x := range ts {
		require.True(t, ix.remove(x))
		require.Nil(t, ix.get(x.name))
	}
	assert.Equal(t, uint64(0xff), ix.groups[3].ctrl>>overflow)
}

// FuzzThingIndex runs a sequence of operations, two bytes each (an op and
// a name among 64 of few tags), against a map.
func FuzzThingIndex(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 1, 1, 2, 2, 0, 1})
	f.Add(make([]byte, 200))
	seq := make([]byte, 0, 400)
	for i := range 200 {
		seq = append(seq, byte(i%3), byte(i*7))
	}
	f.Add(seq)
	ix := newTestIndex()
	names := collidingNames(ix, 64, 2)
	f.Fuzz(func(t *testing.T, ops []byte) {
		ix := &thingIndex{seed: ix.seed}
		want := map[string]*Thing{}
		for i := 0; i+1 < len(ops); i += 2 {
			name := names[ops[i+1]%64]
			switch ops[i] % 3 {
			case 0:
				if want[name] == nil {
					want[name] = newThing(nil, false, name)
					ix.add(want[name])
				}
			case 1:
				if ts := want[name]; ts != nil {
					require.True(t, ix.remove(ts))
					delete(want, name)
				}
			case 2:
				require.Same(t, want[name], ix.get(name))
			}
		}
		checkIndex(t, ix, want)
	})
}

// TestThingIndexLoad logs the figures that chose the table's load and
// growth: the bytes per thing over fleet sizes, and the groups a lookup
// reads (a hit, a miss) and the things it dereferences that are not the
// one wanted.
func TestThingIndexLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 10^5 things")
	}
	ix := newTestIndex()
	var bytes, count, maxB, minB float64
	minB = 1e9
	for n := 1; n <= 100_000; n++ {
		ix.add(newThing(nil, false, "thing-"+strconv.Itoa(n)))
		if n >= 1000 {
			b := float64(len(ix.groups)*64) / float64(n)
			bytes, count, maxB, minB = bytes+b, count+1, max(maxB, b), min(minB, b)
		}
	}
	hit, miss, wrong := probeStats(ix, 100_000)
	t.Logf("n=1e3..1e5: %.1f B/thing on average (%.1f..%.1f); at 1e5: load %.2f, groups read per hit %.3f, per miss %.3f, other things dereferenced per hit %.4f",
		bytes/count, minB, maxB, float64(ix.n)/float64(len(ix.groups)*groupSlots), hit, miss, wrong)
}

// probeStats returns the mean groups read by lookups of ix's things (hit)
// and of absent names (miss), and the things dereferenced per hit that are
// not the one wanted.
func probeStats(ix *thingIndex, misses int) (hit, miss, wrong float64) {
	probe := func(name string) (groups, wrong int) {
		h := ix.hash(name)
		tag := tagOf(h)
		for i := home(h, len(ix.groups)); groups < len(ix.groups); i = (i + 1) % len(ix.groups) {
			groups++
			g := &ix.groups[i]
			for m := matches(g.ctrl, tag); m != 0; m &= m - 1 {
				if ts := g.ts[bits.TrailingZeros64(m)>>3]; ts != nil {
					if ts.name == name {
						return groups, wrong
					}
					wrong++
				}
			}
			if g.ctrl>>overflow == 0 {
				return groups, wrong
			}
		}
		return groups, wrong
	}
	var hits, wrongs int
	for c := ix.cursor(); c.next(); {
		g, w := probe(c.ts.name)
		hits, wrongs = hits+g, wrongs+w
	}
	var ms int
	for i := range misses {
		g, _ := probe("absent-" + strconv.Itoa(i))
		ms += g
	}
	return float64(hits) / float64(ix.n), float64(ms) / float64(misses), float64(wrongs) / float64(ix.n)
}

// BenchmarkThingIndex looks things up by name in a thingIndex and in the
// map[string]*Thing it replaces, with n things and the probes in random
// order (each a cache miss at 10^6), hits and misses, and reads the
// thing found, as an input does next: the index reads the thing to
// compare its name, the map reads its own copy of the name's header and
// then the thing. B/entry is the heap the table takes per thing (the
// things and names not counted). probe=churn removes a thing and adds it
// back.
func BenchmarkThingIndex(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		things := make([]*Thing, n)
		for i := range things {
			things[i] = newThing(nil, false, "thing-"+strconv.Itoa(i))
		}
		probes := make([]string, n)
		absent := make([]string, n)
		for i, k := range rand.Perm(n) {
			probes[i] = "thing-" + strconv.Itoa(k)
			absent[i] = "absent-" + strconv.Itoa(k)
		}
		var ix *thingIndex
		var m map[string]*Thing
		ixBytes := heapOf(func() {
			ix = newTestIndex()
			for _, ts := range things {
				ix.add(ts)
			}
		})
		mapBytes := heapOf(func() {
			m = map[string]*Thing{}
			for _, ts := range things {
				m[ts.name] = ts
			}
		})
		for _, probe := range []struct {
			name  string
			names []string
		}{{"hit", probes}, {"miss", absent}} {
			b.Run(fmt.Sprintf("things=%d/probe=%s/table=index", n, probe.name), func(b *testing.B) {
				j, found := 0, int64(0)
				for b.Loop() {
					if ts := ix.get(probe.names[j]); ts != nil {
						found += ts.lastInput
					}
					if j++; j == n {
						j = 0
					}
				}
				runtime.KeepAlive(found)
				b.ReportMetric(ixBytes/float64(n), "B/entry")
			})
			b.Run(fmt.Sprintf("things=%d/probe=%s/table=map", n, probe.name), func(b *testing.B) {
				j, found := 0, int64(0)
				for b.Loop() {
					if ts := m[probe.names[j]]; ts != nil {
						found += ts.lastInput
					}
					if j++; j == n {
						j = 0
					}
				}
				runtime.KeepAlive(found)
				b.ReportMetric(mapBytes/float64(n), "B/entry")
			})
		}
		// churn: a thing expires and comes back (remove, add), in random
		// order; the index's removal reads the things it may bring back.
		b.Run(fmt.Sprintf("things=%d/probe=churn/table=index", n), func(b *testing.B) {
			perm, j := rand.Perm(n), 0
			for b.Loop() {
				ts := things[perm[j]]
				ix.remove(ts)
				ix.add(ts)
				if j++; j == n {
					j = 0
				}
			}
		})
		b.Run(fmt.Sprintf("things=%d/probe=churn/table=map", n), func(b *testing.B) {
			perm, j := rand.Perm(n), 0
			for b.Loop() {
				ts := things[perm[j]]
				delete(m, ts.name)
				m[ts.name] = ts
				if j++; j == n {
					j = 0
				}
			}
		})
		runtime.KeepAlive(things)
	}
}

// heapOf returns the heap bytes that build leaves allocated.
func heapOf(build func()) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return float64(after.HeapAlloc) - float64(before.HeapAlloc)
}

// candidate, the lookup of a prefetch, finds without reading any thing a
// thing in its home group; one that went past it, or whose tag an earlier
// slot also has, it may miss (a prefetch is only a hint), but it never
// returns a thing of another tag. (Reading the next group too, for the
// things that went past, measured no faster in random-order runs.)
func TestThingIndexCandidate(t *testing.T) {
	ix, chain := chainIndex(t) // in groups 5, 6 and 7
	// first reports whether ts's tag comes first in the probe from group 5
	// (no earlier slot has it): then candidate must return ts itself.
	first := func(ts *Thing) bool {
		tag := tagOf(ix.hash(ts.name))
		for gi := 5; gi <= 7; gi++ {
			for s := range groupSlots {
				x := ix.groups[gi].ts[s]
				if x == ts {
					return true
				}
				if x != nil && tagOf(ix.hash(x.name)) == tag {
					return false
				}
			}
		}
		return false
	}
	found, want := map[int]int{}, map[int]int{} // by group
	for _, ts := range chain {
		h := ix.hash(ts.name)
		got := ix.candidate(h)
		g := groupOf(ix, ts)
		if g == 5 && first(ts) {
			want[g]++
		}
		if got == nil {
			assert.NotEqual(t, 5, g, "%q: a thing of the home group is found", ts.name)
			continue
		}
		assert.Equal(t, tagOf(h), tagOf(ix.hash(got.name)), "%q: a candidate has its tag", ts.name)
		if got == ts {
			found[g]++
		}
	}
	assert.Equal(t, want, found, "every thing of the home group whose tag comes first")
	assert.GreaterOrEqual(t, want[5], 5, "the test has things in their home group")
	for i := 0; ; i++ {
		if name := "absent" + strconv.Itoa(i); home(ix.hash(name), len(ix.groups)) < 4 {
			assert.Nil(t, ix.candidate(ix.hash(name)), "%q: its home group is empty", name)
			break
		}
	}
}

// groupOf returns the group of ix that holds ts.
func groupOf(ix *thingIndex, ts *Thing) int {
	for gi := range ix.groups {
		for _, x := range &ix.groups[gi].ts {
			if x == ts {
				return gi
			}
		}
	}
	return -1
}
