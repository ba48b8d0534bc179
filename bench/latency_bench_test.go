package bench

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkRandomAccess is the machine's anchor for the shuffled
// benchmarks: one dependent load from a random place in 128 MB, far larger
// than the caches (a pointer chase through one random cycle, so no load
// can start before the previous one ends). A shuffled ingest costs a few
// of these: the handle, the thing's state, its slots; the README gives
// the shuffled figures beside it, because what one costs varies by a
// factor of five between machines (about 90 ns on a quiet server, 440 ns
// on the shared 2-core VM of our runs).
func BenchmarkRandomAccess(b *testing.B) {
	const n = 1 << 25 // 32 Mi int32: 128 MB
	next := make([]int32, n)
	r := rand.New(rand.NewPCG(1, 2))
	perm := r.Perm(n)
	for i := range n - 1 {
		next[perm[i]] = int32(perm[i+1])
	}
	next[perm[n-1]] = int32(perm[0])
	j := int32(0)
	b.ResetTimer()
	for b.Loop() {
		j = next[j]
	}
	if j < 0 {
		b.Fatal("unreachable: keeps the chase")
	}
}
