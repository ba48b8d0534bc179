package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
)

// Engine benchmarks (issue #3, #4). Every one of them builds its engine and
// its inputs before the timer starts; the timed loop runs the public ingest
// API exactly as an embedding service would call it.
//
//	cd bench && go test -run '^$' -bench 'Cloud|Report(JSON|CBOR)|DemoFleet|Memory' -benchmem -count=5 | tee engine.txt
//	go run golang.org/x/perf/cmd/benchstat@latest engine.txt

func ptr[T any](v T) *T { return &v }

// benchStart is the first evaluation period of every engine benchmark,
// aligned to 300 s.
var benchStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newEngine returns an engine with the profile attached to all things.
func newEngine(tb testing.TB, dims []ruledetect.CreateDimensionInput, customs []ruledetect.CreateCustomMetricInput, profile *ruledetect.CreateSecurityProfileInput) *ruledetect.Engine {
	tb.Helper()
	ctx := context.Background()
	e, err := ruledetect.New()
	if err != nil {
		tb.Fatal(err)
	}
	for _, d := range dims {
		if _, err := e.CreateDimension(ctx, d); err != nil {
			tb.Fatal(err)
		}
	}
	for _, c := range customs {
		if _, err := e.CreateCustomMetric(ctx, c); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := e.CreateSecurityProfile(ctx, *profile); err != nil {
		tb.Fatal(err)
	}
	if err := e.AttachSecurityProfile(ctx, profile.SecurityProfileName, e.Arn("all/things")); err != nil {
		tb.Fatal(err)
	}
	return e
}

func countBehavior(name, metric string, count int64, dim, op string) behavior.Behavior {
	b := behavior.Behavior{Name: name, Metric: metric, Criteria: &behavior.BehaviorCriteria{
		ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: ptr(count)}, DurationSeconds: ptr(int64(300)),
	}}
	if dim != "" {
		b.MetricDimension = &behavior.MetricDimension{DimensionName: dim, Operator: ptr(op)}
	}
	return b
}

// cloudDims and cloudProfile are the cloud-side profile of
// BenchmarkCloudMessage: five windowed counters, each scoped by a
// TOPIC_FILTER dimension with IN or NOT_IN.
func cloudDims() []ruledetect.CreateDimensionInput {
	return []ruledetect.CreateDimensionInput{
		{Name: "Telemetry", Type: "TOPIC_FILTER", StringValues: []string{"dt/${iot:ClientId}/telemetry", "dt/+/status"}},
		{Name: "Commands", Type: "TOPIC_FILTER", StringValues: []string{"cmd/${iot:ClientId}/#", "$aws/things/+/shadow/#"}},
	}
}

func cloudProfile() *ruledetect.CreateSecurityProfileInput {
	return &ruledetect.CreateSecurityProfileInput{SecurityProfileName: "cloud", Behaviors: []behavior.Behavior{
		countBehavior("TelemetrySent", "aws:num-messages-sent", 1000, "Telemetry", "IN"),
		countBehavior("OtherSent", "aws:num-messages-sent", 10, "Telemetry", "NOT_IN"),
		countBehavior("TelemetryBytes", "aws:message-byte-size", 1<<30, "Telemetry", "IN"),
		countBehavior("CommandsReceived", "aws:num-messages-received", 1000, "Commands", "IN"),
		countBehavior("AuthFailures", "aws:num-authorization-failures", 100, "Commands", "NOT_IN"),
	}}
}

// thingNames returns n distinct thing names.
func thingNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "thing-" + strconv.Itoa(i)
	}
	return names
}

// cloudMessages are the messages BenchmarkCloudMessage cycles through: per
// thing, its telemetry topic (passes Telemetry IN: counted by TelemetrySent
// and TelemetryBytes), and every fourth message a command it receives.
type cloudMessage struct {
	topic string
	dir   ruledetect.Direction
	bytes int64
}

// of returns m as the message thing sent or received at t.
func (m *cloudMessage) of(thing string, t time.Time) ruledetect.Message {
	return ruledetect.Message{Thing: thing, Time: t, Direction: m.dir, Topic: m.topic, Bytes: m.bytes}
}

func cloudMessagesFor(names []string) []cloudMessage {
	ms := make([]cloudMessage, len(names))
	for i, n := range names {
		switch i % 4 {
		case 3:
			ms[i] = cloudMessage{"cmd/" + n + "/reboot", ruledetect.Received, 64}
		case 2:
			ms[i] = cloudMessage{"dt/" + n + "/status", ruledetect.Sent, 100}
		default:
			ms[i] = cloudMessage{"dt/" + n + "/telemetry", ruledetect.Sent, 200 + int64(i%1000)}
		}
	}
	return ms
}

// BenchmarkCloudMessage is one cloud-side message (Engine.IngestMessage)
// against the 5-behavior dimensioned profile with 10^6 known things. The
// timed loop cycles through the things with timestamps that stay inside one
// evaluation period, so no window closes in it: this is the per-event cost,
// window closes are measured by BenchmarkClosePeriod. things=10000 is the
// same with a fleet whose state fits in the caches: the difference is what
// the 10^6-thing lookup costs in memory latency. by=handle ingests through
// a ruledetect.Thing handle per thing, as a broker integration does (one per
// connection), which skips the name lookup.
//
// The things are visited in the order they were created, which is also
// the order of their state in memory: the hardware prefetcher hides most
// of the memory latency a real fleet's random arrival pays.
// BenchmarkCloudMessageShuffled is the same in random order.
func BenchmarkCloudMessage(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		for _, by := range []string{"name", "handle"} {
			b.Run("things="+strconv.Itoa(n)+"/by="+by, func(b *testing.B) {
				benchCloudMessage(b, n, by == "handle", false)
			})
		}
	}
}

// BenchmarkCloudMessageShuffled is BenchmarkCloudMessage with the things
// visited in one random order, as a fleet's messages arrive: every
// message's state is a random probe into memory far larger than the
// caches (at 10^6 things). The messages themselves (names, topics, the
// handles) are laid out in arrival order, as a broker's buffers hold them:
// only the engine's state is visited at random.
//
// by=name-batch and by=handle-batch apply the same messages in runs of
// cloudBatch (Engine.IngestMessages, Engine.IngestThingMessages), which
// fetch the memory of the messages ahead while applying one: ns/op is
// still per message.
func BenchmarkCloudMessageShuffled(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		for _, by := range []string{"name", "handle", "name-batch", "handle-batch"} {
			b.Run("things="+strconv.Itoa(n)+"/by="+by, func(b *testing.B) {
				switch by {
				case "name-batch", "handle-batch":
					benchCloudMessageBatch(b, n, by == "handle-batch")
				default:
					benchCloudMessage(b, n, by == "handle", true)
				}
			})
		}
	}
}

// cloudBatch is the run of messages of one call in the batch benchmarks:
// what a broker reads from its connections, or a consumer from its queue,
// at a time.
const cloudBatch = 64

func benchCloudMessageBatch(b *testing.B, n int, byHandle bool) {
	ctx := context.Background()
	t0 := benchStart.Add(time.Second)
	e, names, msgs, handles := knownCloudFleet(b, n, t0)
	names, msgs, handles = inArrivalOrder(shuffled(n), names, msgs, handles)
	var (
		batch  [cloudBatch]ruledetect.Message
		things [cloudBatch]ruledetect.ThingMessage
	)
	runtime.GC()
	const span = 298 * int64(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	j, step := 0, int64(0)
	for done := 0; done < b.N; {
		k := min(cloudBatch, b.N-done, n-j)
		for x := range k {
			m := &msgs[j+x]
			msg := m.of(names[j+x], t0.Add(time.Duration(step)))
			if byHandle {
				things[x] = ruledetect.ThingMessage{Thing: handles[j+x], Message: msg}
			} else {
				batch[x] = msg
			}
			if step += 1000; step >= span {
				step = 0
			}
		}
		var err error
		if byHandle {
			_, err = e.IngestThingMessages(ctx, things[:k])
		} else {
			_, err = e.IngestMessages(ctx, batch[:k])
		}
		if err != nil {
			b.Fatal(err)
		}
		done += k
		if j += k; j == n {
			j = 0
		}
	}
}

func benchCloudMessage(b *testing.B, n int, byHandle, shuffle bool) {
	ctx := context.Background()
	t0 := benchStart.Add(time.Second)
	e, names, msgs, handles := knownCloudFleet(b, n, t0)
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	if shuffle {
		names, msgs, handles = inArrivalOrder(shuffled(n), names, msgs, handles)
	}
	runtime.GC() // the set-up's garbage is not the loop's
	// Timestamps walk through [start+1s, start+299s) in 1 µs steps.
	const span = 298 * int64(time.Second)
	b.ReportAllocs()
	j, step := 0, int64(0)
	for b.Loop() {
		i := order[j]
		m := &msgs[i]
		msg := m.of(names[i], t0.Add(time.Duration(step)))
		var err error
		if byHandle {
			err = handles[i].IngestMessage(ctx, msg)
		} else {
			err = e.IngestMessage(ctx, msg)
		}
		if err != nil {
			b.Fatal(err)
		}
		if j++; j == n {
			j = 0
		}
		if step += 1000; step >= span {
			step = 0
		}
	}
}

// knownCloudFleet returns the fleet of BenchmarkCloudMessage: an engine
// under the cloud profile, n things, their messages, and a handle on each
// thing, which has ingested one message at t (every thing known).
func knownCloudFleet(b *testing.B, n int, t time.Time) (*ruledetect.Engine, []string, []cloudMessage, []*ruledetect.Thing) {
	b.Helper()
	e := newEngine(b, cloudDims(), nil, cloudProfile())
	names := thingNames(n)
	msgs := cloudMessagesFor(names)
	handles := make([]*ruledetect.Thing, n)
	for i, name := range names {
		h, err := e.Thing(name)
		if err != nil {
			b.Fatal(err)
		}
		handles[i] = h
		m := msgs[i]
		if err := h.IngestMessage(context.Background(), m.of("", t)); err != nil {
			b.Fatal(err)
		}
	}
	return e, names, msgs, handles
}

// inArrivalOrder returns the inputs of things visited in order, laid out
// as they would arrive: one after the other in memory, names and topics
// included (each copied into one buffer in that order).
func inArrivalOrder(order []int32, names []string, msgs []cloudMessage, handles []*ruledetect.Thing) ([]string, []cloudMessage, []*ruledetect.Thing) {
	var buf []byte
	for _, i := range order {
		buf = append(buf, names[i]...)
		buf = append(buf, msgs[i].topic...)
	}
	text := string(buf)
	n2, m2, h2 := make([]string, len(order)), make([]cloudMessage, len(order)), make([]*ruledetect.Thing, len(order))
	off := 0
	for j, i := range order {
		n2[j] = text[off : off+len(names[i])]
		off += len(names[i])
		m2[j] = msgs[i]
		m2[j].topic = text[off : off+len(msgs[i].topic)]
		off += len(msgs[i].topic)
		h2[j] = handles[i]
	}
	return n2, m2, h2
}

// BenchmarkClosePeriod is the amortized cost of one evaluation period close
// per (thing): the engine of BenchmarkCloudMessage with 10^5 things, each
// with one message per period, advanced one period per iteration. ns/op is
// per period; ns/thing is reported.
func BenchmarkClosePeriod(b *testing.B) {
	ctx := context.Background()
	const n = 100_000
	e := newEngine(b, cloudDims(), nil, cloudProfile())
	names := thingNames(n)
	msgs := cloudMessagesFor(names)
	t := benchStart.Add(time.Second)
	feed := func() {
		for i, name := range names {
			m := msgs[i]
			if err := e.IngestMessage(ctx, m.of(name, t)); err != nil {
				b.Fatal(err)
			}
		}
	}
	feed()
	b.ReportAllocs()
	for b.Loop() {
		t = t.Add(300 * time.Second)
		e.Advance(ctx, t)
		b.StopTimer()
		feed()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/thing")
}

// BenchmarkMemory builds 10^5 things under the 5-behavior cloud profile and
// reports the heap the engine holds per (thing, behavior), from
// runtime.MemStats after a GC. Thing names are allocated before the first
// measurement, so they are not counted (an embedding service has them
// anyway); the engine's own copy of the name's header is.
func BenchmarkMemory(b *testing.B) {
	ctx := context.Background()
	const n = 100_000
	const behaviors = 5
	names := thingNames(n)
	msgs := cloudMessagesFor(names)
	t := benchStart.Add(time.Second)
	var per float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e := newEngine(b, cloudDims(), nil, cloudProfile())
		for i, name := range names {
			m := msgs[i]
			if err := e.IngestMessage(ctx, m.of(name, t)); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per = float64(after.HeapAlloc-before.HeapAlloc) / (n * behaviors)
		runtime.KeepAlive(e)
	}
	b.ReportMetric(per, "B/thing-behavior")
}

// TestMemoryPerThingBehavior logs the same figure as BenchmarkMemory.
func TestMemoryPerThingBehavior(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 10^5 things")
	}
	r := testing.Benchmark(BenchmarkMemory)
	t.Logf("%.1f B/thing-behavior", r.Extra["B/thing-behavior"])
}

// mustJSON unmarshals JSON test input.
func mustJSON(tb testing.TB, data []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatal(fmt.Errorf("%s: %w", data[:min(len(data), 40)], err))
	}
}
