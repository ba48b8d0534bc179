package main

import (
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ruledetect/ruledetect/internal/echo"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/feed"
	"github.com/ruledetect/ruledetect/internal/fleet"
	"github.com/ruledetect/ruledetect/internal/replay"
	"github.com/ruledetect/ruledetect/violation"
)

func init() {
	commands["demo"] = command{summary: "replay a generated fleet with injected compromises and report what was caught", run: runDemo}
}

// Defaults of demo: about 2.4 million records, a few seconds on two cores.
const (
	demoThings = 2000
	demoHours  = 24
	demoSeed   = 1
)

const demoUsage = `usage: ruledetect demo [--things N] [--hours H] [--seed S] [--json] [--emit FILE]
                       [--report FILE.html]

Generates a synthetic fleet of cameras and sensors (internal/fleet) with a
few compromised devices, replays its device metrics reports (JSON, as the
AWS agents send them) and cloud-side events through the fleet's security
profile "demo-fleet", and prints a summary: the profile's behaviors,
records ingested, violation events by type and by behavior, the things
most in alarm, whether each injected incident was detected, and
throughput. Needs no input. On a terminal, a progress line on standard
error shows how much of the simulated span is done.

Flags:
  --things N   number of things (default 2000)
  --hours H    simulated span in hours (default 24)
  --seed S     seed of every random choice (default 1)
  --json       print the summary as JSON
  --emit FILE  also write the generated records to FILE as replay JSON
               Lines, and beside it FILE's name without extension plus
               .profile.json and .custom-metric-NAME.json, the profile and
               custom metrics to replay it with; the replay command is
               printed on standard error. Replaying them gives the demo's
               violation events.
  --report FILE.html
               also write a backtest report of the run: charts of every
               behavior's datapoints, alarms, and a threshold sweep

Exit status: 0 when the demo ran, 2 for a usage error or a failure.
`

// demoSummary is what demo prints, as a table or (with --json) as JSON.
type demoSummary struct {
	Things      int         `json:"things"`
	Start       time.Time   `json:"start"`
	Hours       float64     `json:"hours"`
	Seed        uint64      `json:"seed"`
	Profile     demoProfile `json:"profile"`
	Records     int         `json:"records"`
	Reports     int         `json:"reports"`
	Rejected    int         `json:"rejected"`
	FirstReject string      `json:"firstRejection,omitzero"`
	Events      struct {
		InAlarm          int `json:"inAlarm"`
		AlarmCleared     int `json:"alarmCleared"`
		AlarmInvalidated int `json:"alarmInvalidated"`
	} `json:"violationEvents"`
	Behaviors []demoBehavior `json:"behaviors"`
	TopThings []demoThing    `json:"topThings"`
	Incidents []demoIncident `json:"incidents"`
	// OtherThingsInAlarm counts things that raised an alarm but were not
	// compromised: false positives of the profile.
	OtherThingsInAlarm int     `json:"otherThingsInAlarm"`
	Workers            int     `json:"workers"`
	WallSeconds        float64 `json:"wallSeconds"`
	RecordsPerSecond   float64 `json:"recordsPerSecond"`
	ReportsPerSecond   float64 `json:"reportsPerSecond"`
}

type demoBehavior struct {
	Behavior string `json:"behavior"`
	InAlarm  int    `json:"inAlarm"`
	Things   int    `json:"things"`
}

type demoThing struct {
	Thing     string   `json:"thing"`
	InAlarm   int      `json:"inAlarm"`
	Behaviors []string `json:"behaviors"`
}

type demoIncident struct {
	Thing             string     `json:"thing"`
	Attack            string     `json:"attack"`
	Start             time.Time  `json:"start"`
	Behaviors         []string   `json:"behaviors"`
	Detected          bool       `json:"detected"`
	DetectedBehaviors []string   `json:"detectedBehaviors"`
	FirstAlarm        *time.Time `json:"firstAlarm,omitzero"`
	DelaySeconds      *float64   `json:"delaySeconds,omitzero"`
}

func runDemo(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo")
	things := fs.Int("things", demoThings, "number of things")
	hours := fs.Float64("hours", demoHours, "simulated span in hours")
	seed := fs.Uint64("seed", demoSeed, "random seed")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	reportPath := fs.String("report", "", "write a backtest report to `FILE.html`")
	emit := fs.String("emit", "", "write the records to `FILE`")
	if code, ok := parseFlags(fs, args, demoUsage, stdout, stderr); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		return usageError(stderr, "demo", format, a...)
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument %s", echo.Quote(fs.Arg(0)))
	case *things < 1 || *things > fleet.MaxThings:
		return usageErr("--things %d: want 1..%d", *things, fleet.MaxThings)
	case !(*hours*60 >= 1) || *hours > 24*366:
		return usageErr("--hours %g: want at least one minute and at most a year", *hours)
	}
	minutes := math.Floor(*hours * 60)
	cfg := fleet.Config{
		Things:   *things,
		Duration: time.Duration(minutes) * time.Minute,
		Seed:     *seed,
	}
	if *emit != "" {
		if err := emitFleet(cfg, *emit, stderr); err != nil {
			fmt.Fprintf(stderr, "ruledetect demo: --emit: %v\n", err)
			return 2
		}
	}
	var prog *progress
	var done float64
	if isTerminal(stderr) {
		prog = newProgressLine(stderr, "demo", func() float64 { return done }, 1, progressClock)
	}
	var report *backtestReport
	if *reportPath != "" {
		report = newBacktestReport(*reportPath, fmt.Sprintf("ruledetect demo: %d things, %g hours, seed %d", cfg.Things, cfg.Duration.Hours(), cfg.Seed))
	}
	sum, err := runFleet(cfg, runtime.GOMAXPROCS(0), func(fraction float64, records int) {
		done = fraction
		prog.tick(records)
	}, report)
	prog.clear()
	if err != nil {
		fmt.Fprintf(stderr, "ruledetect demo: %v\n", err)
		return 2
	}
	if *asJSON {
		b, err := json.Marshal(sum, jsontext.WithIndent("  "))
		if err != nil {
			fmt.Fprintf(stderr, "ruledetect demo: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	sum.writeTable(stdout)
	return 0
}

// demoRecord is a fleet record copied out of the generator; its report is
// arena[off:off+n] of its shard.
type demoRecord struct {
	time   time.Time
	thing  string
	topic  string
	bytes  int64
	src    netip.Addr
	kind   replay.Kind
	off, n int
}

// shard is the records of some things in one evaluation period, in order.
type shard struct {
	recs  []demoRecord
	arena []byte
}

// periodBatch is one evaluation period's records, sharded by thing.
type periodBatch struct {
	period int64 // index of the evaluation period (time / P)
	shards []shard
}

// workerResult is what a worker did with one shard.
type workerResult struct {
	records, reports, rejected int
	firstErr                   error
}

// runFleet replays the fleet of cfg through its profile with the given
// number of ingest workers and summarizes the result.
//
// The generator runs in its own goroutine and cuts the record stream into
// evaluation periods, sharding each period's records by thing. All shards of
// a period are ingested concurrently (a thing's records stay in order in its
// shard, and the engine accepts any order of inputs within the open
// period); the next period starts only when every worker is done with this
// one, after an Advance to its start closes the period just ingested.
//
// onBatch, if not nil, is called after each evaluation period with the
// fraction of the simulated span done and the records generated so far.
// With a report, it also records the run and writes the report.
func runFleet(cfg fleet.Config, workers int, onBatch func(fraction float64, records int), report ...*backtestReport) (*demoSummary, error) {
	workers = max(workers, 1)
	f := fleet.New(cfg)
	cfg = f.Config()
	const period = 300 * time.Second
	opts := []ruledetect.Option{ruledetect.WithRetention(replayRetention), ruledetect.WithEvaluationPeriod(period)}
	for _, r := range report {
		if r != nil {
			opts = append(opts, r.option())
		}
	}
	e, err := ruledetect.New(opts...)
	if err != nil {
		return nil, err
	}
	var metrics []setupSource
	for i, m := range fleet.CustomMetrics() {
		metrics = append(metrics, setupSource{name: fmt.Sprintf("fleet custom metric %d", i), data: m})
	}
	profileJSON := fleet.Profile()
	ctx := context.Background()
	if err := setupEngine(ctx, e, nil, metrics, []setupSource{{name: "fleet profile", data: profileJSON}}, nil); err != nil {
		return nil, err
	}

	start := time.Now()
	batches := make(chan *periodBatch, 2)
	free := make(chan *periodBatch, 3)
	for range 3 {
		free <- &periodBatch{shards: make([]shard, workers)}
	}
	stop := make(chan struct{})
	var last time.Time
	go func() {
		defer close(batches)
		seed := maphash.MakeSeed()
		shardOf := map[string]int{}
		p := int64(period)
		b := <-free
		b.period = -1
		for rec := range f.Records() {
			k := rec.Time.UnixNano() / p
			if k != b.period {
				if b.period >= 0 {
					select {
					case batches <- b:
					case <-stop:
						return
					}
					select {
					case b = <-free:
					case <-stop:
						return
					}
				}
				b.period = k
				for i := range b.shards {
					b.shards[i].recs = b.shards[i].recs[:0]
					b.shards[i].arena = b.shards[i].arena[:0]
				}
			}
			j, ok := shardOf[rec.ThingName]
			if !ok {
				j = int(maphash.String(seed, rec.ThingName) % uint64(workers))
				shardOf[rec.ThingName] = j
			}
			s := &b.shards[j]
			s.recs = append(s.recs, demoRecord{
				time: rec.Time, thing: rec.ThingName, topic: rec.Topic, bytes: rec.Bytes,
				src: rec.SourceIP, kind: rec.Kind, off: len(s.arena), n: len(rec.Report),
			})
			s.arena = append(s.arena, rec.Report...)
			last = rec.Time
		}
		if b.period >= 0 {
			select {
			case batches <- b:
			case <-stop:
			}
		}
	}()
	defer close(stop)

	work := make([]chan *shard, workers)
	results := make([]workerResult, workers)
	var wg sync.WaitGroup
	for w := range workers {
		work[w] = make(chan *shard)
		go func() {
			var rec replay.Record
			for s := range work[w] {
				ingestShard(e, s, &rec, &results[w])
				wg.Done()
			}
		}()
	}
	defer func() {
		for _, c := range work {
			close(c)
		}
	}()
	generated := 0
	for b := range batches {
		// Close the previous period (and any idle ones) before its inputs.
		e.Advance(ctx, time.Unix(0, b.period*int64(period)))
		wg.Add(workers)
		for w := range workers {
			work[w] <- &b.shards[w]
			generated += len(b.shards[w].recs)
		}
		wg.Wait()
		end := time.Unix(0, (b.period+1)*int64(period))
		free <- b
		if onBatch != nil {
			onBatch(min(1, float64(end.Sub(cfg.Start))/float64(cfg.Duration)), generated)
		}
	}
	if !last.IsZero() { // written before batches was closed
		e.Advance(ctx, closingTime(last, period))
	}
	wall := time.Since(start)

	sp, err := behavior.ParseSecurityProfile(profileJSON)
	if err != nil {
		return nil, err
	}
	events, err := allEvents(e)
	if err != nil {
		return nil, err
	}
	for _, r := range report {
		if r != nil {
			if err := r.write(e, []*behavior.SecurityProfile{sp}, events, cfg.Start, cfg.Start.Add(cfg.Duration)); err != nil {
				return nil, err
			}
		}
	}
	sum := summarize(cfg, sp, events, f.Compromised())
	for _, r := range results {
		sum.Records += r.records
		sum.Reports += r.reports
		sum.Rejected += r.rejected
		if r.firstErr != nil && sum.FirstReject == "" {
			sum.FirstReject = r.firstErr.Error()
		}
	}
	sum.Workers = workers
	sum.WallSeconds = wall.Seconds()
	sum.RecordsPerSecond = rate(sum.Records, wall)
	sum.ReportsPerSecond = rate(sum.Reports, wall)
	return sum, nil
}

// ingestShard applies a shard's records in order.
func ingestShard(e *ruledetect.Engine, s *shard, rec *replay.Record, res *workerResult) {
	ctx := context.Background()
	for i := range s.recs {
		r := &s.recs[i]
		*rec = replay.Record{
			Time: r.time, ThingName: r.thing, Kind: r.kind, Topic: r.topic, Bytes: r.bytes, SourceIP: r.src,
		}
		if r.kind == replay.Report {
			rec.Report, rec.ReportFormat = s.arena[r.off:r.off+r.n], replay.JSON
		}
		if _, err := feed.Apply(ctx, e, rec); err != nil {
			res.rejected++
			if res.firstErr == nil {
				res.firstErr = err
			}
			continue
		}
		res.records++
		if r.kind == replay.Report {
			res.reports++
		}
	}
}

// summarize tallies the violation events of a fleet run.
func summarize(cfg fleet.Config, sp *behavior.SecurityProfile, events []ruledetect.ViolationEvent, incidents []fleet.Incident) *demoSummary {
	sum := &demoSummary{
		Things: cfg.Things, Start: cfg.Start, Hours: cfg.Duration.Hours(), Seed: cfg.Seed, Profile: newDemoProfile(sp),
		Behaviors: []demoBehavior{}, TopThings: []demoThing{}, Incidents: []demoIncident{},
	}
	type thingTally struct {
		inAlarm   int
		behaviors []string
	}
	byBehavior := map[string]map[string]int{} // behavior → thing → in-alarm count
	byThing := map[string]*thingTally{}
	for _, ev := range events {
		switch ev.ViolationEventType {
		case violation.InAlarm:
			sum.Events.InAlarm++
		case violation.AlarmCleared:
			sum.Events.AlarmCleared++
		case violation.AlarmInvalidated:
			sum.Events.AlarmInvalidated++
		}
		if ev.ViolationEventType != violation.InAlarm {
			continue
		}
		name := ev.Behavior.Name
		if byBehavior[name] == nil {
			byBehavior[name] = map[string]int{}
		}
		byBehavior[name][ev.ThingName]++
		t := byThing[ev.ThingName]
		if t == nil {
			t = &thingTally{}
			byThing[ev.ThingName] = t
		}
		t.inAlarm++
		if !slices.Contains(t.behaviors, name) {
			t.behaviors = append(t.behaviors, name)
		}
	}
	names := make([]string, 0, len(sp.Behaviors))
	for _, b := range sp.Behaviors {
		names = append(names, b.Name)
	}
	for name := range byBehavior {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, name := range names {
		db := demoBehavior{Behavior: name, Things: len(byBehavior[name])}
		for _, n := range byBehavior[name] {
			db.InAlarm += n
		}
		sum.Behaviors = append(sum.Behaviors, db)
	}
	for name, t := range byThing {
		sum.TopThings = append(sum.TopThings, demoThing{Thing: name, InAlarm: t.inAlarm, Behaviors: t.behaviors})
	}
	slices.SortFunc(sum.TopThings, func(a, b demoThing) int {
		return cmp.Or(cmp.Compare(b.InAlarm, a.InAlarm), cmp.Compare(a.Thing, b.Thing))
	})
	sum.TopThings = sum.TopThings[:min(len(sum.TopThings), 10)]

	compromised := map[string]bool{}
	for _, in := range incidents {
		compromised[in.Thing] = true
		di := demoIncident{
			Thing: in.Thing, Attack: in.Attack.String(), Start: in.Start,
			Behaviors: in.Behaviors, DetectedBehaviors: []string{},
		}
		for _, ev := range events {
			if ev.ViolationEventType != violation.InAlarm || ev.ThingName != in.Thing ||
				ev.ViolationEventTime.Before(in.Start) || !slices.Contains(in.Behaviors, ev.Behavior.Name) {
				continue
			}
			di.Detected = true
			if !slices.Contains(di.DetectedBehaviors, ev.Behavior.Name) {
				di.DetectedBehaviors = append(di.DetectedBehaviors, ev.Behavior.Name)
			}
			if di.FirstAlarm == nil {
				t := ev.ViolationEventTime.Time.UTC()
				di.FirstAlarm = &t
				d := t.Sub(in.Start).Seconds()
				di.DelaySeconds = &d
			}
		}
		sum.Incidents = append(sum.Incidents, di)
	}
	for name := range byThing {
		if !compromised[name] {
			sum.OtherThingsInAlarm++
		}
	}
	return sum
}

// writeTable prints the summary for people.
func (s *demoSummary) writeTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	span := time.Duration(s.Hours * float64(time.Hour))
	fmt.Fprintf(tw, "FLEET\n")
	fmt.Fprintf(tw, "  things\t%d\n", s.Things)
	fmt.Fprintf(tw, "  simulated\t%s from %s (seed %d)\n", span, s.Start.Format(time.RFC3339), s.Seed)
	fmt.Fprintf(tw, "  records ingested\t%d\n", s.Records)
	fmt.Fprintf(tw, "  reports ingested\t%d\n", s.Reports)
	if s.Rejected > 0 {
		fmt.Fprintf(tw, "  rejected\t%d (first: %s)\n", s.Rejected, s.FirstReject)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nPROFILE %s\n", s.Profile.Name)
	for _, b := range s.Profile.Behaviors {
		fmt.Fprintf(w, "  %s\n", b)
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nVIOLATION EVENTS\n")
	fmt.Fprintf(tw, "  in-alarm\t%d\n", s.Events.InAlarm)
	fmt.Fprintf(tw, "  alarm-cleared\t%d\n", s.Events.AlarmCleared)
	fmt.Fprintf(tw, "  alarm-invalidated\t%d\n", s.Events.AlarmInvalidated)
	fmt.Fprintf(tw, "\nBEHAVIOR\tIN-ALARM\tTHINGS\n")
	for _, b := range s.Behaviors {
		fmt.Fprintf(tw, "  %s\t%d\t%d\n", b.Behavior, b.InAlarm, b.Things)
	}
	fmt.Fprintf(tw, "\nTOP THINGS\tIN-ALARM\tBEHAVIORS\n")
	if len(s.TopThings) == 0 {
		fmt.Fprintf(tw, "  (none)\t\t\n")
	}
	for _, t := range s.TopThings {
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", t.Thing, t.InAlarm, strings.Join(t.Behaviors, ", "))
	}
	tw.Flush()

	detected := 0
	for _, in := range s.Incidents {
		if in.Detected {
			detected++
		}
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nINCIDENTS (%d of %d detected)\tATTACK\tSTART\tEXPECTED\tDETECTED\tFIRST ALARM\n", detected, len(s.Incidents))
	if len(s.Incidents) == 0 {
		fmt.Fprintf(tw, "  (none: runs shorter than an hour have no incidents)\t\t\t\t\t\n")
	}
	for _, in := range s.Incidents {
		verdict, first := "no", "-"
		if in.Detected {
			verdict = "yes: " + strings.Join(in.DetectedBehaviors, ", ")
			first = fmt.Sprintf("%s (+%s)", in.FirstAlarm.Format(time.TimeOnly), in.FirstAlarm.Sub(in.Start))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", in.Thing, in.Attack, in.Start.Format(time.TimeOnly),
			strings.Join(in.Behaviors, ", "), verdict, first)
	}
	fmt.Fprintf(tw, "  other things in alarm\t%d\t\t\t\t\n", s.OtherThingsInAlarm)
	tw.Flush()

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nTHROUGHPUT\n")
	fmt.Fprintf(tw, "  wall time\t%.2f s (%d ingest workers)\n", s.WallSeconds, s.Workers)
	fmt.Fprintf(tw, "  records/s\t%.0f\n", s.RecordsPerSecond)
	fmt.Fprintf(tw, "  reports/s\t%.0f\n", s.ReportsPerSecond)
	tw.Flush()
}
