package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/feed"
	"github.com/ruledetect/ruledetect/internal/fleet"
	"github.com/ruledetect/ruledetect/internal/replay"
)

// deviceProfile is the profile of the report benchmarks: eleven device-side
// behaviors, every one fed by the Python agent's report (lists, gauges,
// windowed network_stats sums and a custom number).
func deviceProfile() *ruledetect.CreateSecurityProfileInput {
	count := func(name, metric, op string, n int64, windowed bool) behavior.Behavior {
		c := &behavior.BehaviorCriteria{ComparisonOperator: op, Value: &behavior.MetricValue{Count: ptr(n)}}
		if windowed {
			c.DurationSeconds = ptr(int64(300))
		}
		return behavior.Behavior{Name: name, Metric: metric, Criteria: c}
	}
	return &ruledetect.CreateSecurityProfileInput{SecurityProfileName: "device", Behaviors: []behavior.Behavior{
		{Name: "TcpPorts", Metric: "aws:listening-tcp-ports", Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator: "in-port-set", Value: &behavior.MetricValue{Ports: []int64{22, 80, 88, 443, 8000, 8080, 8883}}}},
		{Name: "UdpPorts", Metric: "aws:listening-udp-ports", Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator: "not-in-port-set", Value: &behavior.MetricValue{Ports: []int64{23, 69, 161, 1900}}}},
		{Name: "DestinationIps", Metric: "aws:destination-ip-addresses", Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator: "in-cidr-set", Value: &behavior.MetricValue{CIDRs: []string{"10.0.0.0/8", "11.11.0.0/16", "2001:db8::/32"}}}},
		count("NumTcpPorts", "aws:num-listening-tcp-ports", "less-than", 20, false),
		count("NumUdpPorts", "aws:num-listening-udp-ports", "less-than-equals", 10, false),
		count("Established", "aws:num-established-tcp-connections", "less-than", 50, false),
		count("BytesIn", "aws:all-bytes-in", "less-than", 1<<30, true),
		count("BytesOut", "aws:all-bytes-out", "less-than", 1<<30, true),
		count("PacketsIn", "aws:all-packets-in", "less-than", 1<<24, true),
		count("PacketsOut", "aws:all-packets-out", "less-than", 1<<24, true),
		{Name: "Cpu", Metric: "cpu_usage", Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator: "less-than", Value: &behavior.MetricValue{Number: ptr(90.0)}}},
	}}
}

func cpuMetric() []ruledetect.CreateCustomMetricInput {
	return []ruledetect.CreateCustomMetricInput{{MetricName: "cpu_usage", MetricType: "number"}}
}

func readReport(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "internal", "report", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// agentReport returns the Python agent's long-key report (its own test
// fixtures, 3 connections, 4 TCP and 3 UDP ports, cpu_usage) in format f,
// byte for byte. With clean, its one out-of-range local_port (88888) is
// replaced by 8888; the decoder accepts 88888 (local_port feeds no metric),
// so both give the same datapoints and the benchmark uses the raw bytes.
func agentReport(tb testing.TB, f ruledetect.ReportFormat, clean bool) []byte {
	tb.Helper()
	if f == ruledetect.JSON {
		in := readReport(tb, "agent-report-python-long.json")
		if clean {
			in = replaceOnce(tb, in, []byte(`"local_port":88888`), []byte(`"local_port":8888`))
		}
		return in
	}
	in := readReport(tb, "agent-report-python-long.cbor")
	if clean {
		// 88888 is the CBOR uint32 1a 00 01 5b 38; 8888 is the uint16 19 22 b8.
		// Maps and arrays count items, not bytes, so the shorter item fits.
		in = replaceOnce(tb, in, []byte{0x1a, 0x00, 0x01, 0x5b, 0x38}, []byte{0x19, 0x22, 0xb8})
	}
	return in
}

func replaceOnce(tb testing.TB, in, old, new []byte) []byte {
	tb.Helper()
	if n := bytes.Count(in, old); n != 1 {
		tb.Fatalf("%q occurs %d times", old, n)
	}
	return bytes.Replace(in, old, new, 1)
}

// BenchmarkReportJSON and BenchmarkReportCBOR decode and evaluate one agent
// report (Engine.IngestReport) against the 11-behavior device profile, for
// 10^4 things cycled with timestamps inside one evaluation period (no window
// closes in the timed loop).
func BenchmarkReportJSON(b *testing.B) { benchReport(b, ruledetect.JSON) }
func BenchmarkReportCBOR(b *testing.B) { benchReport(b, ruledetect.CBOR) }

func benchReport(b *testing.B, f ruledetect.ReportFormat) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		clean bool
	}{{"report=python-long", false}} {
		b.Run(c.name, func(b *testing.B) {
			const n = 10_000
			in := agentReport(b, f, c.clean)
			e := newEngine(b, nil, cpuMetric(), deviceProfile())
			names := thingNames(n)
			t0 := benchStart.Add(time.Second)
			for _, name := range names {
				res, err := e.IngestReport(ctx, name, t0, f, in)
				if err != nil {
					b.Fatal(err)
				}
				if c.clean && len(res.Dropped) != 0 {
					b.Fatalf("dropped %+v", res.Dropped)
				}
			}
			const span = 298 * int64(time.Second)
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			i, step := 0, int64(0)
			for b.Loop() {
				if _, err := e.IngestReport(ctx, names[i], t0.Add(time.Duration(step)), f, in); err != nil {
					b.Fatal(err)
				}
				if i++; i == n {
					i = 0
				}
				if step += 1000; step >= span {
					step = 0
				}
			}
			if st := e.Stats(); st.Datapoints == 0 {
				b.Fatal("no datapoints")
			}
		})
	}
}

// fleetRecord is a pre-generated fleet record; Report points into a shared
// arena.
type fleetRecord struct {
	rec    replay.Record
	period int64
}

// fleetRun is the first hours of the default demo fleet, split by
// evaluation period and, inside a period, into fleetBatches batches of
// things, each batch in time order.
type fleetRun struct {
	periods [][][]fleetRecord // [period][batch]
	span    time.Duration     // the run's length, a multiple of 300 s
	reports int               // report records
	records int
}

// fleetBatches is the number of batches a period's records are split into:
// every record of a thing is in the same batch, the things of a batch are
// consecutive in the order of their first record in the period, and each
// batch is in time order. The goroutines that ingest a period take its
// batches one at a time off a shared counter, so they reach the period's
// barrier together: a batch (about 20 things, some 40 µs of reports) is
// the most one goroutine waits for another there. On one core the batches
// are the period in time order, as before.
//
// Why not a fixed share of the things per goroutine: the shares' work
// differs, and the barrier makes every period last as long as the largest
// share. With FNV-1a modulo 2 (whose low bit is the parity of the name's
// bytes) the two shares differed by 2.5% in reports and their goroutines'
// CPU time per period by 7.5 to 9% (a goroutine also closes each engine
// shard it is first to reach after a boundary), which alone caps 2 cores
// at about 1.85 times 1.
const fleetBatches = 256

func loadFleet(tb testing.TB, hours int, reportsOnly bool) *fleetRun {
	tb.Helper()
	f := fleet.New(fleet.Config{})
	cfg := f.Config()
	span := time.Duration(hours) * time.Hour
	end := cfg.Start.Add(span)
	flat := make([][]fleetRecord, span/(300*time.Second)) // [period], in time order
	var arena []byte
	run := &fleetRun{span: span}
	for r := range f.Records() {
		if !r.Time.Before(end) {
			break
		}
		if reportsOnly && r.Kind != replay.Report {
			continue
		}
		rec := *r
		if r.Kind == replay.Report {
			if len(arena)+len(r.Report) > cap(arena) {
				arena = make([]byte, 0, 1<<20)
			}
			off := len(arena)
			arena = append(arena, r.Report...)
			rec.Report = arena[off:len(arena):len(arena)]
			run.reports++
		} else {
			rec.Report = nil
		}
		run.records++
		p := int(r.Time.Sub(cfg.Start) / (300 * time.Second))
		flat[p] = append(flat[p], fleetRecord{rec: rec, period: int64(p)})
	}
	for _, recs := range flat {
		run.periods = append(run.periods, batches(recs))
	}
	return run
}

// batches splits the records of one period (in time order) into
// fleetBatches batches, as fleetBatches says.
func batches(recs []fleetRecord) [][]fleetRecord {
	rank := map[string]int{} // thing -> order of its first record
	for i := range recs {
		if _, ok := rank[recs[i].rec.ThingName]; !ok {
			rank[recs[i].rec.ThingName] = len(rank)
		}
	}
	out := make([][]fleetRecord, fleetBatches)
	for _, r := range recs {
		i := rank[r.rec.ThingName] * fleetBatches / len(rank)
		out[i] = append(out[i], r)
	}
	return out
}

// ingestRecord applies one fleet record, shifted by off.
func ingestRecord(e *ruledetect.Engine, r *replay.Record, off time.Duration) error {
	ctx := context.Background()
	shifted := *r
	shifted.Time = r.Time.Add(off)
	_, err := feed.Apply(ctx, e, &shifted)
	return err
}

func fleetEngine(tb testing.TB) *ruledetect.Engine {
	tb.Helper()
	var customs []ruledetect.CreateCustomMetricInput
	for _, c := range fleet.CustomMetrics() {
		var in ruledetect.CreateCustomMetricInput
		mustJSON(tb, c, &in)
		customs = append(customs, in)
	}
	var p ruledetect.CreateSecurityProfileInput
	mustJSON(tb, fleet.Profile(), &p)
	return newEngine(tb, nil, customs, &p)
}

// BenchmarkDemoFleet ingests the default demo fleet (5,000 things, the
// embedded 9-behavior profile; the first 2 hours of its day, pre-generated)
// on GOMAXPROCS goroutines: each takes batches of things (all the records
// of a thing in one batch, in time order) off a shared counter, and they
// meet at a barrier at every evaluation-period boundary so no input is late.
// One engine runs through the whole benchmark; each round replays the 2
// hours shifted 2 hours later, so the engine is in steady state (every
// thing known, windows closing every 5 minutes of event time).
//
// input=reports ingests only the report records (1 per thing per 5
// minutes); input=all the whole stream (reports, messages, connects, …).
// reports/s counts reports, records/s every record. cpu-ns/report is the
// process's CPU time (user and system, all threads: decoding, applying,
// the period closes) per report, which other processes on a loaded machine
// inflate less than the wall time: on a quiet machine reports/s at N cores
// approaches N × 10⁹ / cpu-ns/report.
func BenchmarkDemoFleet(b *testing.B) {
	for _, in := range []string{"reports", "all"} {
		b.Run("input="+in, func(b *testing.B) {
			workers := runtime.GOMAXPROCS(0)
			run := loadFleet(b, 2, in == "reports")
			e := fleetEngine(b)
			round := func(r int) {
				off := time.Duration(r) * run.span
				for _, period := range run.periods {
					var next atomic.Int64
					var wg sync.WaitGroup
					for range workers {
						wg.Go(func() {
							for i := next.Add(1) - 1; i < int64(len(period)); i = next.Add(1) - 1 {
								recs := period[i]
								for j := range recs {
									if err := ingestRecord(e, &recs[j].rec, off); err != nil {
										b.Error(err)
										return
									}
								}
							}
						})
					}
					wg.Wait()
				}
			}
			round(0) // every thing known
			b.ReportAllocs()
			r := 1
			cpu := cpuTime()
			for b.Loop() {
				round(r)
				r++
			}
			cpu = cpuTime() - cpu
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(run.reports*b.N)/sec, "reports/s")
			b.ReportMetric(float64(run.records*b.N)/sec, "records/s")
			b.ReportMetric(float64(cpu)/float64(run.reports*b.N), "cpu-ns/report")
		})
	}
}
