package sketch

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreAddGrowsBothWays(t *testing.T) {
	var s store
	want := map[int]uint64{}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		i := 60_000 + r.IntN(4_000) - 2_000
		if r.IntN(100) == 0 {
			i = r.IntN(maxIndex + 1) // far jumps, both ends included
		}
		if !s.add(i) {
			s.addSlow(i)
		}
		want[i]++
	}
	var total uint64
	for i, c := range want {
		require.Equal(t, c, s.count(i), "bucket %d", i)
		total += c
	}
	got, ok := s.total()
	require.True(t, ok)
	assert.Equal(t, total, got)
	assert.Equal(t, uint64(0), s.count(-1))
	assert.Equal(t, uint64(0), s.count(maxIndex+1))
}

func TestStoreMergeContainsSubtract(t *testing.T) {
	build := func(idx ...int) *store {
		var s store
		for _, i := range idx {
			if !s.add(i) {
				s.addSlow(i)
			}
		}
		return &s
	}
	a := build(100, 100, 101, 500)
	b := build(50, 101, 900)
	require.False(t, a.contains(b))
	a.merge(b)
	assert.Equal(t, []uint64{2, 2, 1, 1, 1}, []uint64{a.count(100), a.count(101), a.count(50), a.count(500), a.count(900)})
	require.True(t, a.contains(b))
	a.subtract(b)
	assert.Equal(t, []uint64{2, 1, 0, 1, 0}, []uint64{a.count(100), a.count(101), a.count(50), a.count(500), a.count(900)})
	require.True(t, a.contains(&store{}))

	a.merge(a) // self-merge doubles
	assert.Equal(t, uint64(4), a.count(100))

	used, lo := a.used()
	assert.Equal(t, 100, lo)
	assert.Len(t, used, 401)
	c := a.clone()
	a.reset()
	assert.Equal(t, uint64(4), c.count(100), "a clone is independent")
	assert.Equal(t, uint64(0), a.count(100))
}
