package broker

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
)

// BenchmarkBrokerLoad runs simulated devices on loopback, each a paho client
// publishing 64-byte QoS 0 messages with at most `window` of them not yet
// evaluated (so the load is what broker and engine take, not an
// ever-growing queue whose wait would be all the latency measures), b.N
// messages in all, so -benchtime bounds the run (the load run is
// -benchtime=60s with RULEDETECT_BENCH_DEVICES=1000). It reports:
//
//   - msgs/s: messages evaluated per second of wall time;
//   - p50-ms and p99-ms: publish-to-evaluated latency, from just before a
//     device's Publish to the engine's judging of the message's datapoint
//     (an aws:message-byte-size behavior judged per message, seen through
//     the datapoint observer);
//   - maxrss-MB and cpu-cores: the process's peak resident set and its CPU
//     time per second of wall time (devices and broker share the process).
//
// RULEDETECT_BENCH_DEVICES is a comma-separated list of device counts
// (default "10,100").
func BenchmarkBrokerLoad(b *testing.B) {
	for _, n := range benchDeviceCounts(b) {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) { benchLoad(b, n) })
	}
}

// benchDeviceCounts reads RULEDETECT_BENCH_DEVICES (default "10,100").
func benchDeviceCounts(b *testing.B) []int {
	counts := []int{10, 100}
	if s := os.Getenv("RULEDETECT_BENCH_DEVICES"); s != "" {
		counts = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			require.NoError(b, err, "RULEDETECT_BENCH_DEVICES")
			counts = append(counts, n)
		}
	}
	return counts
}

// latencies matches each judged datapoint of a device with the time its
// message was published: one connection delivers in order, and the engine
// judges one thing's inputs in arrival order.
type latencies struct {
	devices []deviceLatency
	mu      sync.Mutex
	all     []time.Duration
	done    chan struct{}
	want    int
}

// window is how many messages a simulated device may have in flight
// (published, not yet evaluated).
const window = 8

type deviceLatency struct {
	inflight chan struct{} // a slot per message in flight
	mu       sync.Mutex
	sends    []time.Time
	next     int
}

func (l *latencies) sent(i int, at time.Time) {
	d := &l.devices[i]
	d.inflight <- struct{}{}
	d.mu.Lock()
	d.sends = append(d.sends, at)
	d.mu.Unlock()
}

func (l *latencies) observe(p ruledetect.Datapoint) {
	i, err := strconv.Atoi(strings.TrimPrefix(p.Thing, "dev-"))
	if err != nil || p.Behavior != "size" {
		return
	}
	l.receivedFrom(i)
}

// receivedFrom records that device i's oldest message in flight has been
// evaluated (or, for the anchor, delivered).
func (l *latencies) receivedFrom(i int) {
	now := time.Now()
	d := &l.devices[i]
	d.mu.Lock()
	at := d.sends[d.next]
	d.next++
	d.mu.Unlock()
	<-d.inflight
	l.mu.Lock()
	l.all = append(l.all, now.Sub(at))
	if len(l.all) == l.want {
		close(l.done)
	}
	l.mu.Unlock()
}

func benchLoad(b *testing.B, devices int) {
	per := max(b.N/devices, 1)
	lat := &latencies{devices: make([]deviceLatency, devices), done: make(chan struct{}), want: per * devices}
	for i := range lat.devices {
		lat.devices[i].inflight = make(chan struct{}, window)
	}
	e, err := ruledetect.New(ruledetect.WithDatapointObserver(lat.observe))
	require.NoError(b, err)
	p, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"bench","behaviors":[
	 {"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than-equals","value":{"count":1024}}}]}`))
	require.NoError(b, err)
	ctx := context.Background()
	_, err = e.CreateSecurityProfile(ctx, *p)
	require.NoError(b, err)
	require.NoError(b, e.AttachSecurityProfile(ctx, "bench", e.Arn("all/things")))

	pw := make(map[string]string, devices)
	for i := range devices {
		pw[fmt.Sprintf("dev-%d", i)] = "pw"
	}
	br := startBroker(b, Config{Engine: e, Passwords: pw})
	clients := make([]paho.Client, devices)
	for i := range devices {
		id := fmt.Sprintf("dev-%d", i)
		clients[i], err = dial(b, br.Addr(), id, id, "pw")
		require.NoError(b, err)
	}
	elapsed, cpu := runDevices(b, clients, per, lat)
	if rss := maxRSS(); cpu > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "maxrss-MB")
		b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cpu-cores")
	}
	if s := br.Stats(); s.Inputs.MessagesSent < uint64(lat.want) {
		b.Fatalf("broker counted %d messages sent, want %d", s.Inputs.MessagesSent, lat.want)
	}
}

// runDevices is the timed part of a load benchmark: each client publishes
// per 64-byte QoS 0 messages on its things/dev-N/telemetry topic, within
// lat's in-flight window, until lat has seen every one evaluated (or
// delivered). It reports msgs/s and the p50 and p99 latencies, and returns
// the wall time and the process's CPU time it took.
func runDevices(b *testing.B, clients []paho.Client, per int, lat *latencies) (elapsed, cpu time.Duration) {
	payload := make([]byte, 64)
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		topic := fmt.Sprintf("things/dev-%d/telemetry", i)
		wg.Go(func() {
			for range per {
				lat.sent(i, time.Now())
				c.Publish(topic, 0, false, payload).Wait()
			}
		})
	}
	wg.Wait()
	select {
	case <-lat.done:
	case <-time.After(60 * time.Second):
		b.Fatalf("only %d of %d messages evaluated", len(lat.all), lat.want)
	}
	elapsed = time.Since(start)
	b.StopTimer()
	slices.Sort(lat.all)
	q := func(p float64) float64 {
		return float64(lat.all[int(p*float64(len(lat.all)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(lat.want)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	if c := cpuTime(); c > 0 {
		cpu = c - cpu0
	}
	return elapsed, cpu
}
