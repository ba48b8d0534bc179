package bench

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/internal/prefetch"
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

// BenchmarkRandomAccessInGroups is the floor of a run of random-order
// messages (Engine.IngestThingMessages): per op, two random lines of 256 MB
// in turn, the second's address read from the first (a handle, then the
// state it points to), fetched ahead by the schedule a run uses
// (eval.ApplyAhead), with no work besides. The difference between a run's
// ns per message and this is the messages' own work; between this and
// two RandomAccess, what overlapping the fetches saves on the machine.
func BenchmarkRandomAccessInGroups(b *testing.B) {
	const n = 1 << 25 // 32 Mi uint64: 256 MB
	next := make([]uint64, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range next {
		next[i] = uint64(r.IntN(n))
	}
	firsts := make([]uint64, 1<<20) // the ops' first lines, in arrival order
	for i := range firsts {
		firsts[i] = uint64(r.IntN(n))
	}
	at := func(i uint64) unsafe.Pointer { return unsafe.Pointer(&next[i]) }
	var sum uint64
	b.ResetTimer()
	for done := 0; done < b.N; done += len(firsts) {
		ops := firsts[:min(len(firsts), b.N-done)]
		eval.ApplyAhead(true, len(ops),
			func(j int) { prefetch.Line(at(ops[j])) },
			func(j int) { prefetch.Line(at(next[ops[j]])) },
			func(i int) error {
				sum += next[next[ops[i]]]
				return nil
			})
	}
	if sum == 1 {
		b.Log(sum) // keeps the loads
	}
}
