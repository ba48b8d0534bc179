package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/feed"
	"github.com/ruledetect/ruledetect/internal/fleet"
	"github.com/ruledetect/ruledetect/internal/replay"
)

// Replay at parse speed (issue 11): one generated fleet file, like the
// issue's (5,200 things, a report every 5 minutes each and their cloud-side
// events; here the first 2 hours, ≈ 95 MB; with -short 300 things for an
// hour), read from memory by
//
//   - impl=fastjson: valyala/fastjson parsing every line, report included,
//     into its DOM on one goroutine: the floor of what parsing the file costs;
//   - impl=parser: replay.Parser alone on the same lines, every record
//     checked, the report only delimited; impl=parser+decode: what a
//     replay's decoding goroutines do, ParseDeferred and the report decoded
//     (Engine.PrepareReport), on one goroutine;
//   - impl=reader: replay.Reader alone, every record read and checked, the
//     report only delimited;
//   - impl=replay/procs=N: the whole replay at GOMAXPROCS N, as
//     `ruledetect replay` does it: records parsed and reports decoded on N
//     goroutines (feed.Run), applied in file order to a fresh engine with
//     the fleet's profile, events taken from the engine as periods close,
//     and the engine advanced past the end.
//
// RULEDETECT_REPLAY_FLEET=FILE replays FILE instead (`ruledetect demo
// --things 5200 --hours 20 --emit FILE` writes the issue's 5.0M-record,
// 1.14 GB fleet), so that the command and these lines measure one file.
//
// One op is one pass over the file; records/s is the figure to compare.
// cpu-ns/record is the CPU time (user and system, all threads) per record,
// which other processes on a loaded machine do not inflate as they do the
// wall time: on a quiet machine records/s at N procs approaches
// N × 10⁹ / cpu-ns/record.
//
//	cd bench/peers && go test -run '^$' -bench ReplayFleet -benchtime 3x -count=5 | tee replay.txt
func BenchmarkReplayFleet(b *testing.B) {
	nl := []byte{'\n'} // the lines are split as for fastjson, the newline cut
	data, records := replayFleetFile(b)
	b.Run("impl=fastjson", func(b *testing.B) {
		defer reportCPU(b, records)()
		var p fastjson.Parser
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			n := 0
			for line := range bytes.Lines(data) {
				line = bytes.TrimSuffix(line, nl)
				v, err := p.ParseBytes(line)
				if err != nil {
					b.Fatal(err)
				}
				if v.GetStringBytes("thingName") == nil {
					b.Fatal("no thingName")
				}
				n++
			}
			if n != records {
				b.Fatalf("%d records, want %d", n, records)
			}
		}
		reportRecords(b, records)
	})
	// The record parser and the worker's whole job (parse, and decode the
	// report), on one goroutine, the lines split as for fastjson.
	for _, decode := range []bool{false, true} {
		name := "impl=parser"
		if decode {
			name = "impl=parser+decode"
		}
		b.Run(name, func(b *testing.B) {
			e := replayFleetEngine(b)
			defer reportCPU(b, records)()
			var p replay.Parser
			var rec replay.Record
			var prep ruledetect.PreparedReport
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				for line := range bytes.Lines(data) {
					line = bytes.TrimSuffix(line, nl)
					var err error
					if decode {
						_, err = p.ParseDeferred(line, &rec) // as a replay's workers do
					} else {
						err = p.Parse(line, &rec)
					}
					if err != nil {
						b.Fatal(err)
					}
					if decode && rec.Kind == replay.Report {
						if err := e.PrepareReport(&prep, rec.ThingName, rec.Time, ruledetect.JSON, rec.Report); err != nil {
							b.Fatal(err)
						}
					}
					n++
				}
				if n != records {
					b.Fatalf("%d records, want %d", n, records)
				}
			}
			reportRecords(b, records)
		})
	}
	b.Run("impl=reader", func(b *testing.B) {
		defer reportCPU(b, records)()
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var rec replay.Record
		r := replay.NewReader(nil)
		for b.Loop() {
			r.Reset(bytes.NewReader(data))
			n := 0
			for {
				err := r.Next(&rec)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != records {
				b.Fatalf("%d records, want %d", n, records)
			}
		}
		reportRecords(b, records)
	})
	for _, procs := range []int{1, 2} {
		b.Run("impl=replay/procs="+string(rune('0'+procs)), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			defer reportCPU(b, records)()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				e := replayFleetEngine(b)
				b.StartTimer()
				if n := replayAll(b, e, data, procs); n != records {
					b.Fatalf("%d records applied, want %d", n, records)
				}
			}
			reportRecords(b, records)
		})
	}
}

// BenchmarkReplayReaderThings reads fleets of 5,200 and of 100,000 things
// (more than the 65,536 names the Reader's caches held before issue 11,
// which made it 1.46× slower per record) with the Reader alone; the two
// should read at about the same records/s, and neither allocate once the
// Reader has seen every thing (a first pass, untimed).
//
//	cd bench/peers && go test -run '^$' -bench ReplayReaderThings -benchtime 3x -count=5
func BenchmarkReplayReaderThings(b *testing.B) {
	for _, cfg := range []fleet.Config{
		{Things: 5200, Duration: 100 * time.Minute},
		{Things: 100_000, Duration: 5 * time.Minute},
	} {
		b.Run("things="+strconv.Itoa(cfg.Things), func(b *testing.B) {
			if testing.Short() {
				cfg.Duration /= 5
			}
			var buf bytes.Buffer
			if err := fleet.New(cfg).WriteJSONL(&buf); err != nil {
				b.Fatal(err)
			}
			data := buf.Bytes()
			records := bytes.Count(data, []byte("\n"))
			var rec replay.Record
			r := replay.NewReader(nil)
			readAll := func() {
				r.Reset(bytes.NewReader(data))
				for {
					err := r.Next(&rec)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			readAll() // a replay reads a fleet for hours: measure the steady state
			defer reportCPU(b, records)()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				readAll()
			}
			reportRecords(b, records)
		})
	}
}

// replayAll replays data into e as the replay command does and returns the
// number of records applied.
func replayAll(b *testing.B, e *ruledetect.Engine, data []byte, workers int) int {
	n := 0
	var drained time.Time
	var last time.Time
	events := 0
	drain := func(end time.Time) {
		for _, err := range e.ViolationEvents(context.Background(), ruledetect.ListViolationEventsInput{
			StartTime: behavior.At(time.Unix(0, 0).UTC()), EndTime: behavior.At(end),
		}) {
			if err != nil {
				b.Fatal(err)
			}
			events++
		}
	}
	err := feed.Run(context.Background(), e, replay.NewReader(bytes.NewReader(data)), workers, func(o *feed.Outcome) error {
		if o.Err != nil {
			return o.Err
		}
		n++
		if o.Record.Time.After(last) {
			last = o.Record.Time
		}
		if bd, ok := e.ClosedBoundary(); ok && bd.After(drained) {
			drain(bd.Add(-time.Nanosecond))
			drained = bd
			e.DropEventsBefore(bd)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Advance(context.Background(), last.Truncate(5*time.Minute).Add(5*time.Minute)); err != nil {
		b.Fatal(err)
	}
	drain(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if events == 0 {
		b.Fatal("no violation events: the fleet's incidents should raise some")
	}
	return n
}

// reportCPU measures the process's CPU time from now until the returned
// function runs, and reports it per record. Setup outside the timed loop is
// included, so the benchmarks keep it small (an engine's profile, nothing
// per record).
func reportCPU(b *testing.B, records int) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(records)/float64(b.N), "cpu-ns/record")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRecords(b *testing.B, records int) {
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(0, "ns/op") // an op is a whole file; records/s is the figure
}

var replayFleet struct {
	once    sync.Once
	data    []byte
	records int
	err     error
}

// replayFleetFile generates the fleet once, writes it to a temporary file,
// as `ruledetect demo --emit` would, and reads it back; or reads the file
// RULEDETECT_REPLAY_FLEET names.
func replayFleetFile(b *testing.B) ([]byte, int) {
	f := &replayFleet
	f.once.Do(func() {
		if path := os.Getenv("RULEDETECT_REPLAY_FLEET"); path != "" {
			f.data, f.err = os.ReadFile(path)
			f.records = bytes.Count(f.data, []byte("\n"))
			return
		}
		cfg := fleet.Config{Things: 5200, Duration: 2 * time.Hour}
		if testing.Short() {
			cfg = fleet.Config{Things: 300, Duration: time.Hour}
		}
		dir, err := os.MkdirTemp("", "replay-fleet-")
		if err != nil {
			f.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "fleet.jsonl")
		out, err := os.Create(path)
		if err != nil {
			f.err = err
			return
		}
		err = fleet.New(cfg).WriteJSONL(out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			f.err = err
			return
		}
		f.data, f.err = os.ReadFile(path)
		f.records = bytes.Count(f.data, []byte("\n"))
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f.data, f.records
}

func replayFleetEngine(b *testing.B) *ruledetect.Engine {
	ctx := context.Background()
	e, err := ruledetect.New(ruledetect.WithRetention(time.Duration(1<<63 - 1)))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range fleet.CustomMetrics() {
		var in ruledetect.CreateCustomMetricInput
		if err := json.Unmarshal(c, &in); err != nil {
			b.Fatal(err)
		}
		if _, err := e.CreateCustomMetric(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	var p ruledetect.CreateSecurityProfileInput
	if err := json.Unmarshal(fleet.Profile(), &p); err != nil {
		b.Fatal(err)
	}
	if _, err := e.CreateSecurityProfile(ctx, p); err != nil {
		b.Fatal(err)
	}
	if err := e.AttachSecurityProfile(ctx, p.SecurityProfileName, e.Arn("all/things")); err != nil {
		b.Fatal(err)
	}
	return e
}
