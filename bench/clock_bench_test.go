package bench

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
)

// Time-model benchmarks (issue #9): what one input dated far in the future
// costs, and what crossing a long quiet gap costs, in a fleet whose every
// thing is in alarm.
//
//	cd bench && go test -run '^$' -bench 'FarFuture|LongGap' -benchmem -count=5

// alarmedFleet returns an engine with n things, each in alarm on
// OtherSent (more than 10 messages off the telemetry topics), and the
// watermark just past the boundary that raised them.
func alarmedFleet(b *testing.B, n int) (*ruledetect.Engine, time.Time) {
	ctx := context.Background()
	e := newEngine(b, cloudDims(), nil, cloudProfile())
	names := thingNames(n)
	for i, name := range names {
		at := benchStart.Add(time.Duration(i%290) * time.Second)
		for range 11 {
			if err := e.IngestMessage(ctx, ruledetect.Message{Thing: name, Time: at, Direction: ruledetect.Sent, Topic: "other/" + name, Bytes: 1}); err != nil {
				b.Fatal(err)
			}
		}
	}
	now := benchStart.Add(301 * time.Second)
	e.Advance(ctx, now)
	return e, now
}

// BenchmarkFarFutureInput is one message dated 2200 into a fleet in alarm:
// rejected by the clock-jump limit, it must cost what any rejected input
// costs, whatever the fleet's size (before: 3.4 s at 2·10^4 things, with
// every alarm invalidated and the log pruned).
func BenchmarkFarFutureInput(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{20_000, 1_000_000} {
		b.Run(fmt.Sprintf("things=%d", n), func(b *testing.B) {
			e, _ := alarmedFleet(b, n)
			future := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
			m := ruledetect.Message{Thing: "thing-7", Time: future, Direction: ruledetect.Sent, Topic: "dt/thing-7/telemetry", Bytes: 1}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := e.IngestMessage(ctx, m); !errors.Is(err, ruledetect.ErrClockJump) {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLongGapAdvance is one Advance across a quiet gap of 30 days
// (8,640 boundaries) in a fleet in alarm: every alarm is invalidated at its
// thing's horizon and the fleet expires. It costs time in proportion to
// the things, not to things × boundaries. ns/thing is the figure to read.
func BenchmarkLongGapAdvance(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{20_000, 200_000} {
		b.Run(fmt.Sprintf("things=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				e, now := alarmedFleet(b, n)
				b.StartTimer()
				start := time.Now()
				e.Advance(ctx, now.Add(30*24*time.Hour))
				total += time.Since(start)
				b.StopTimer()
				if s := e.Stats(); s.Things != 0 {
					b.Fatalf("%d things left after the gap", s.Things)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N)/float64(n), "ns/thing")
		})
	}
}
