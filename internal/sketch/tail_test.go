package sketch

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// topOf is the oracle: the largest min(tailSize, n) values, ascending.
func topOf(v []float64) []float64 {
	s := sortedCopy(v)
	return s[max(0, len(s)-tailSize):]
}

func tailOf(v []float64) *tail {
	var t tail
	for i, x := range v {
		t.add(x, uint64(i))
	}
	return &t
}

func sortedValues(t *tail) []float64 {
	v := slices.Clone(t.values())
	slices.Sort(v)
	return v
}

func TestTailKeepsLargest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, tailSize - 1, tailSize, tailSize + 1, 5_000} {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(r.IntN(300)) // many ties
		}
		tl := tailOf(v)
		require.Equal(t, topOf(v), sortedValues(tl), "n=%d", n)
		require.True(t, tl.whole(uint64(n)))
		if n > 0 {
			assert.Equal(t, topOf(v)[len(topOf(v))-1], tl.kth(1))
		}
	}
}

func TestTailMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sizes := range [][2]int{{0, 5}, {5, 0}, {3, 4}, {100, 100}, {1_000, 10}, {10, 1_000}, {2_000, 2_000}} {
		a, b := make([]float64, sizes[0]), make([]float64, sizes[1])
		for i := range a {
			a[i] = r.NormFloat64()
		}
		for i := range b {
			b[i] = r.NormFloat64()
		}
		ta, tb := tailOf(a), tailOf(b)
		ta.merge(tb, uint64(len(a)), uint64(len(b)))
		require.Equal(t, topOf(append(slices.Clone(a), b...)), sortedValues(ta), "sizes %v", sizes)
	}
}

func TestTailWithoutAndPartialMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	a, b, c := make([]float64, 3_000), make([]float64, 3_000), make([]float64, 500)
	for _, v := range [][]float64{a, b, c} {
		for i := range v {
			v[i] = r.NormFloat64()
		}
	}
	ab := tailOf(append(slices.Clone(a), b...))
	rest, ok := ab.without(tailOf(b), 6_000, 3_000)
	require.True(t, ok)
	// What remains is a top of a: the largest rest.n values of a.
	got := sortedValues(&rest)
	want := sortedCopy(a)
	require.Equal(t, want[len(want)-len(got):], got)
	assert.Less(t, rest.n, tailSize, "b's kept values cannot all be attributed")

	// A partial tail merged with a whole one still holds a top of the union.
	rest.merge(tailOf(c), 3_000, 500)
	got = sortedValues(&rest)
	union := sortedCopy(append(slices.Clone(a), c...))
	require.Equal(t, union[len(union)-len(got):], got)

	// Removing values that were never added fails and changes nothing.
	before := sortedValues(ab)
	_, ok = ab.without(tailOf([]float64{99}), 6_000, 1)
	require.False(t, ok)
	require.Equal(t, before, sortedValues(ab))
}
