package bench

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
)

// BenchmarkIngestStall measures how long a single ingest can wait behind a
// period close or a snapshot write. The fleet of BenchmarkCloudMessage
// (every thing known, one message each in the current period) is fed by
// GOMAXPROCS goroutines in random order while, in each iteration:
//
//   - during=close: the messages cross the next boundary (their times move
//     past it), so the first one to cross starts the fleet's close;
//   - during=advance: a ticker's Advance crosses the boundary instead;
//   - during=snapshot: WriteSnapshot runs to io.Discard.
//
// worst-ms is the longest single ingest call seen during the iteration
// (the maximum over iterations), close-ms or snapshot-ms how long the
// close or snapshot itself took. ns/op is per iteration.
//
//	go test -run '^$' -bench 'IngestStall/things=1000000/' -benchtime 5x ./bench
func BenchmarkIngestStall(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		for _, during := range []string{"close", "advance", "snapshot"} {
			b.Run("things="+strconv.Itoa(n)+"/during="+during, func(b *testing.B) {
				benchIngestStall(b, n, during)
			})
		}
	}
}

func benchIngestStall(b *testing.B, n int, during string) {
	period := 300 * time.Second
	t := benchStart.Add(time.Second)
	e, _, msgs, handles := knownCloudFleet(b, n, t)
	order := shuffled(n)
	// The set-up's garbage is not the loop's: without this, the collection
	// of the gigabytes the set-up allocated runs during the first
	// iteration, its workers holding the processors for tens of ms.
	runtime.GC()
	workers := runtime.GOMAXPROCS(0)
	var worst, took time.Duration
	b.ResetTimer()
	for k := 1; b.Loop(); k++ {
		base := benchStart.Add(time.Duration(k) * period) // the boundary this iteration crosses
		var stop, after atomic.Bool
		var wg sync.WaitGroup
		lat := make([]time.Duration, workers)
		for w := range workers {
			wg.Go(func() {
				for j := w; !stop.Load(); j += workers {
					i := order[j%n]
					m := &msgs[i]
					// Before the boundary, then after it: the inputs of a live
					// integration, stamped as received.
					at := base.Add(-2 * time.Second)
					if after.Load() {
						at = base.Add(time.Second)
					}
					start := time.Now()
					err := handles[i].IngestMessage(context.Background(), m.of("", at))
					if d := time.Since(start); d > lat[w] {
						lat[w] = d
					}
					if err != nil && !errors.Is(err, ruledetect.ErrLateInput) {
						b.Error(err) // late: sent before the boundary, arrived after its close
						return
					}
				}
			})
		}
		time.Sleep(20 * time.Millisecond) // the ingest is under way
		start := time.Now()
		switch during {
		case "close":
			// The workers cross the boundary themselves; wait for the close.
			after.Store(true)
			for {
				if c, ok := e.ClosedBoundary(); ok && !c.Before(base) {
					break
				}
				time.Sleep(100 * time.Microsecond)
			}
			if err := e.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
		case "advance":
			e.Advance(context.Background(), base)
			after.Store(true)
		case "snapshot":
			if err := e.WriteSnapshot(context.Background(), io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		took = max(took, time.Since(start))
		time.Sleep(20 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
		if during == "snapshot" {
			e.Advance(context.Background(), base.Add(time.Second)) // the next iteration's inputs are after this boundary
		}
		for _, l := range lat {
			worst = max(worst, l)
		}
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.ReportMetric(float64(took.Microseconds())/1000, during+"-ms")
}
