package bench

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCloudMessageThroughput is BenchmarkCloudMessage from every
// GOMAXPROCS goroutine at once (b.RunParallel), in random arrival order:
// the goroutines take turns claiming runs of 256 messages from one
// shuffled order of the fleet, so that at any time they ingest messages of
// distinct things. ns/op is wall time per message, so the ratio of -cpu=1
// to -cpu=2 is how ingest scales with cores:
//
//	go test -run '^$' -bench CloudMessageThroughput -cpu 1,2 -count 10 ./bench
func BenchmarkCloudMessageThroughput(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		for _, by := range []string{"name", "handle"} {
			b.Run("things="+strconv.Itoa(n)+"/by="+by, func(b *testing.B) {
				benchCloudThroughput(b, n, by == "handle")
			})
		}
	}
}

func benchCloudThroughput(b *testing.B, n int, byHandle bool) {
	ctx := context.Background()
	t0 := benchStart.Add(time.Second)
	e, names, msgs, handles := knownCloudFleet(b, n, t0)
	order := shuffled(n)
	runtime.GC()
	const run = 256
	const span = 298 * int64(time.Second)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var j, end int64
		for pb.Next() {
			if j == end {
				j = next.Add(run) - run
				end = j + run
			}
			i := order[j%int64(n)]
			m := &msgs[i]
			msg := m.of(names[i], t0.Add(time.Duration(j*1000%span)))
			var err error
			if byHandle {
				err = handles[i].IngestMessage(ctx, msg)
			} else {
				err = e.IngestMessage(ctx, msg)
			}
			if err != nil {
				b.Error(err)
				return
			}
			j++
		}
	})
}

// shuffled returns a random permutation of 0..n-1, the same in every run.
func shuffled(n int) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32(i)
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}
