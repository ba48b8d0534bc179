package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/internal/feed"
	"github.com/ruledetect/ruledetect/internal/replay"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplayStreamsLive feeds `replay -` through a pipe, as
// `mosquitto_sub … | ruledetect replay -` would, and reads the first event
// while the input is still open: it is written once the engine closes the
// period boundary after it, not at the end.
func TestReplayStreamsLive(t *testing.T) {
	inR, inW, err := os.Pipe()
	require.NoError(t, err)
	defer inR.Close()
	outR, outW, err := os.Pipe()
	require.NoError(t, err)
	defer outR.Close()
	var stderr strings.Builder
	done := make(chan int, 1)
	args := replayArgs(t, "-")
	go func() {
		code := run(args, inR, outW, &stderr)
		outW.Close()
		done <- code
	}()
	defer inW.Close()

	// Size alarms at 00:00:10; the input at 00:05:30 closes the boundary
	// at 00:05:00, after which nothing can come before 00:05:00.
	_, err = io.WriteString(inW, lines(
		`{"time":"2026-01-01T00:00:10Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":500}`,
		`{"time":"2026-01-01T00:05:30Z","thingName":"cam-2","type":"message-sent","topic":"cmd/a","bytes":1}`,
	))
	require.NoError(t, err)

	first := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(outR).ReadString('\n')
		first <- l
	}()
	select {
	case l := <-first:
		assert.Equal(t, []string{"00:00:10 cam-1 Size in-alarm"}, parseEvents(t, l))
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s while the input is open")
	}
	select {
	case code := <-done:
		t.Fatalf("replay ended (code %d) before its input did", code)
	default:
	}

	// The rest comes at the end of the input.
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(outR)
		rest <- string(b)
	}()
	require.NoError(t, inW.Close())
	select {
	case code := <-done:
		require.Equal(t, 0, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("replay did not end after its input")
	}
	// cam-1 sent 1 message in the period ending 00:05:00 and cam-2 1 in
	// the one ending 00:10:00: within Sent's 2; nothing else violates.
	assert.Empty(t, parseEvents(t, <-rest))
}

// TestReplayStreamOrder checks the streamed output against the order DESIGN
// §5 gives (time, thing, profile, behavior, then evaluation order) over
// many boundaries, with events that become final at different closes:
// immediate ones, windowed ones at boundaries and invalidations.
func TestReplayStreamOrder(t *testing.T) {
	ctx := context.Background()
	var b strings.Builder
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// A thing that goes quiet in alarm: invalidated after 48 h.
	fmt.Fprintf(&b, `{"time":%q,"thingName":"quiet","type":"message-sent","topic":"dt/a","bytes":500}`+"\n", base.Format(time.RFC3339))
	for i := range 600 {
		at := base.Add(time.Duration(i) * 37 * time.Second)
		thing := fmt.Sprintf("cam-%d", (i*7)%5)
		bytes := 50
		if i%3 == 0 {
			bytes = 500
		}
		fmt.Fprintf(&b, `{"time":%q,"thingName":%q,"type":"message-sent","topic":"dt/a","bytes":%d}`+"\n", at.Format(time.RFC3339), thing, bytes)
	}
	fmt.Fprintf(&b, `{"time":%q,"thingName":"wake","type":"message-sent","topic":"dt/a","bytes":1}`+"\n", base.Add(60*time.Hour).Format(time.RFC3339))
	code, stdout, stderr := runCLI(b.String(), replayArgs(t)...)
	require.Equal(t, 0, code, stderr)

	type key struct {
		t                        float64
		thing, profile, behavior string
	}
	var prev key
	n := 0
	invalidated := false
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var ev replayEvent
		require.NoError(t, json.Unmarshal([]byte(l), &ev))
		k := key{*ev.ViolationEventTime, ev.ThingName, ev.SecurityProfileName, ev.Behavior.Name}
		if n > 0 {
			ordered := prev.t < k.t || prev.t == k.t && (prev.thing < k.thing || prev.thing == k.thing &&
				(prev.profile < k.profile || prev.profile == k.profile && prev.behavior <= k.behavior))
			require.True(t, ordered, "line %d %v after %v", n+1, k, prev)
		}
		invalidated = invalidated || ev.ViolationEventType == "alarm-invalidated"
		prev = k
		n++
	}
	assert.Greater(t, n, 400)
	assert.True(t, invalidated, "the quiet thing's alarm is invalidated")

	// The same events as the engine's whole log, sorted at the end.
	e, err := ruledetect.New(ruledetect.WithRetention(replayRetention))
	require.NoError(t, err)
	src := func(s string) []setupSource { return []setupSource{{name: "x", data: []byte(s)}} }
	require.NoError(t, setupEngine(context.Background(), e, src(testDimension), src(testMetric), src(testProfile), nil))
	r := replay.NewReader(strings.NewReader(b.String()))
	var rec replay.Record
	var last time.Time
	for r.Next(&rec) == nil {
		_, err := feed.Apply(ctx, e, &rec)
		require.NoError(t, err)
		last = rec.Time
	}
	e.Advance(ctx, closingTime(last, 300*time.Second))
	all, err := allEvents(e)
	require.NoError(t, err)
	var want strings.Builder
	for _, ev := range all {
		line, err := jsonv2.Marshal(ev)
		require.NoError(t, err)
		want.Write(line)
		want.WriteByte('\n')
	}
	assert.Equal(t, want.String(), stdout)
}

// BenchmarkReplayPeakMemory replays inputs of 10^5 and 10^6 violation
// events (every record alternates a thing's Size alarm) and reports the
// peak live heap and the process's peak RSS: with streaming output both
// stay flat as the number of events grows.
func BenchmarkReplayPeakMemory(b *testing.B) {
	dir := b.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		require.NoError(b, os.WriteFile(p, []byte(data), 0o644))
		return p
	}
	args := []string{"replay", "--dimension", write("d.json", testDimension), "--custom-metric", write("m.json", testMetric),
		"--profile", write("p.json", testProfile), "-"}
	for _, events := range []int{100_000, 1_000_000} {
		b.Run("events="+strconv.Itoa(events), func(b *testing.B) {
			var peak atomic.Uint64
			for b.Loop() {
				runtime.GC()
				in, w := io.Pipe()
				go func() {
					bw := bufio.NewWriter(w)
					t0 := int64(1767225600)
					for i := range events {
						size := "500"
						if i%2 == 1 {
							size = "50"
						}
						// 100 things, a record every 10 ms of event time.
						fmt.Fprintf(bw, `{"time":%d.%02d,"thingName":"cam-%d","type":"message-sent","topic":"dt/a","bytes":%s}`+"\n",
							t0+int64(i/100), i%100, (i/2)%100, size)
					}
					bw.Flush()
					w.Close()
				}()
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() { defer wg.Done(); sampleHeap(stop, &peak) }()
				var out countWriter
				var stderr strings.Builder
				code := run(args, in, &out, &stderr)
				close(stop)
				wg.Wait()
				if code != 0 {
					b.Fatal(stderr.String())
				}
				if out.lines < events {
					b.Fatalf("%d events, want at least %d: %s", out.lines, events, stderr.String())
				}
			}
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
			if rss, ok := peakRSS(); ok {
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
			}
		})
	}
}

// sampleHeap records the largest live heap seen until stop is closed.
func sampleHeap(stop <-chan struct{}, peak *atomic.Uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		metrics.Read(s)
		if v := s[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// peakRSS is the process's peak resident set (VmHWM, Linux only).
func peakRSS() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// countWriter counts the lines written to it.
type countWriter struct{ lines int }

func (w *countWriter) Write(p []byte) (int, error) {
	w.lines += strings.Count(string(p), "\n")
	return len(p), nil
}
