package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/internal/echo"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/internal/feed"
	"github.com/ruledetect/ruledetect/internal/replay"
	"github.com/ruledetect/ruledetect/violation"
)

func init() {
	commands["replay"] = command{summary: "replay device reports and cloud-side events through security profiles", run: runReplay}
}

const replayUsage = `usage: ruledetect replay --profile FILE... [--dimension FILE...] [--custom-metric FILE...]
                        [--thing-groups FILE] [--until TIME] [--skip-bad]
                        [--cumulative-network-stats] [--period SECONDS]
                        [--allowed-lateness DURATION] [--max-clock-jump DURATION]
                        [--report FILE.html] [--decoders N] [INPUT|-]

Replays INPUT (standard input when INPUT is - or absent), JSON Lines of
device metrics reports and cloud-side events, one record a line:

  {"time":"2026-01-01T00:05:00Z","thingName":"cam-1","report":{...}}
  {"time":1767225900,"thingName":"cam-1","reportCbor":"<base64 CBOR report>"}
  {"time":...,"thingName":"cam-1","type":"message-sent","topic":"dt/cam-1/telemetry","bytes":120}
  {"time":...,"thingName":"cam-1","type":"message-received","topic":"cmd/cam-1","bytes":64}
  {"time":...,"thingName":"cam-1","type":"authorization-failure","topic":"cmd/other"}
  {"time":...,"thingName":"cam-1","type":"connect","sourceIp":"203.0.113.9"}
  {"time":...,"thingName":"cam-1","type":"disconnect"}

through the security profiles given, and prints every violation event,
one JSON object a line in the shape of the service's ViolationEvent
(violationEventTime in Unix seconds), ordered by time, then thing,
profile and behavior. Each event is written as soon as no later input can
produce an event before it (once the evaluation period boundary after it
has closed), so a live feed (mosquitto_sub ... | ruledetect replay -)
gives events while it runs, and memory does not grow with the number of
events. A one-line summary goes to standard error.

A --profile FILE is JSON or YAML (JSON when it starts with { or [), any of:
  - a CreateSecurityProfile request, or the DescribeSecurityProfile output
    (aws iot describe-security-profile), attached to all/things;
  - a behaviors array, {"behaviors":[...]} or one behavior: a profile named
    after the file (its name without extension), attached to all/things;
  - CloudFormation: a template (every AWS::IoT::SecurityProfile in it), one
    resource, or its Properties. Each profile is attached to its TargetArns
    (the ARNs' region and account are ignored: a replay is one account), or
    to all/things when it has none; without SecurityProfileName it is named
    after its logical ID. A template's AWS::IoT::Dimension and
    AWS::IoT::CustomMetric resources are created too (named after their
    logical ID when they have no Name / MetricName). Intrinsic functions
    (Ref, !Sub, ...) are not resolved: they are errors.

Flags (each FILE flag may be repeated):
  --profile FILE         a security profile, in any form above (required)
  --dimension FILE       a CreateDimension request, created before the profiles
  --custom-metric FILE   a CreateCustomMetric request, created before the profiles
  --thing-groups FILE    thing group membership, a JSON object mapping thing
                         names to arrays of group names: {"cam-1":["cameras"]}.
                         Things listed are registered things in those groups;
                         things not listed are unregistered
  --until TIME           advance event time to TIME (RFC 3339 or Unix seconds)
                         at the end; by default to the end of the evaluation
                         period of the last record, so its window closes
  --skip-bad             skip bad records and rejected inputs instead of
                         stopping, listing each on standard error with its line
                         number and reason (the first 100, then a count)
  --cumulative-network-stats
                         network_stats in reports are cumulative counters
                         (as the embedded-C demo sends), not deltas
  --period SECONDS       evaluation period, a divisor of 300 (default 300)
  --allowed-lateness DURATION
                         let a record arrive up to DURATION (e.g. 2m) after
                         a later one and still count in its own window; the
                         same records then give the same events in any
                         order within DURATION (default 0: records in order)
  --max-clock-jump DURATION
                         reject a record more than DURATION ahead of the
                         newest time seen (a device clock gone wrong) as a
                         bad record, instead of letting it close every
                         window (default 168h; 0 for no limit)
  --report FILE.html     also write a backtest report: charts of every
                         behavior's datapoints, alarms, and a threshold sweep
  --decoders N           parse records and decode reports on N goroutines
                         (default: the number of CPUs Go uses, GOMAXPROCS);
                         records are applied in input order whatever N is,
                         so N changes the speed, never the output

Values the engine drops from an accepted report (an out-of-range port, a
custom metric value the service would not retain) are listed on standard
error as INPUT:LINE: dropped value: ..., the first 100, then a count.

Exit status: 0 when the replay ran (with or without violations), 2 for a
usage error, an unreadable or invalid FILE, or a bad record or rejected
input without --skip-bad (reported as INPUT:LINE: message; the events
written before it stay written).
`

// fileList is a flag that may be repeated; each use appends a file name.
type fileList []string

func (l *fileList) String() string { return strings.Join(*l, ",") }

func (l *fileList) Set(s string) error {
	if s == "" {
		return errors.New("empty file name")
	}
	*l = append(*l, s)
	return nil
}

// replayConfig is the parsed command line of replay.
type replayConfig struct {
	profiles, dimensions, metrics fileList
	thingGroups                   string
	until                         time.Time
	skipBad                       bool
	cumulative                    bool
	period                        time.Duration
	lateness, maxJump             time.Duration
	input                         string
	report                        string // --report FILE.html
	decoders                      int    // --decoders
}

// replayStats are the counts the summary reports.
type replayStats struct {
	records  int // records read and applied
	reports  int // of which reports
	bad      int // lines that were not valid records (skipped)
	dropped  int // values the engine dropped from accepted reports
	rejected int // inputs the engine rejected as invalid or malformed (skipped)
	late     int // inputs the engine rejected as late (skipped)
	jumps    int // inputs the engine rejected as too far ahead (skipped)
	events   map[violation.EventType]int
	elapsed  time.Duration
}

func runReplay(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx := context.Background()
	cfg, code, ok := parseReplayFlags(args, stdout, stderr)
	if !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ruledetect replay: "+format+"\n", a...)
		return 2
	}
	read := func(names []string) ([]setupSource, error) {
		out := make([]setupSource, 0, len(names))
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				return nil, err
			}
			out = append(out, setupSource{name: n, data: data})
		}
		return out, nil
	}
	dims, err := read(cfg.dimensions)
	if err != nil {
		return fail("%v", err)
	}
	metrics, err := read(cfg.metrics)
	if err != nil {
		return fail("%v", err)
	}
	profiles, err := read(cfg.profiles)
	if err != nil {
		return fail("%v", err)
	}
	var groups map[string][]string
	if cfg.thingGroups != "" {
		data, err := os.ReadFile(cfg.thingGroups)
		if err != nil {
			return fail("%v", err)
		}
		if groups, err = parseThingGroups(data); err != nil {
			return fail("%s: %v", cfg.thingGroups, err)
		}
	}
	opts := []ruledetect.Option{
		ruledetect.WithEvaluationPeriod(cfg.period),
		ruledetect.WithCumulativeNetworkStats(cfg.cumulative),
		ruledetect.WithRetention(replayRetention),
		ruledetect.WithAllowedLateness(cfg.lateness),
		ruledetect.WithMaxClockJump(cfg.maxJump),
	}
	var report *backtestReport
	if cfg.report != "" {
		report = newBacktestReport(cfg.report, "ruledetect replay "+displayName(cfg.input))
		opts = append(opts, report.option())
	}
	e, err := ruledetect.New(opts...)
	if err != nil {
		return fail("%v", err)
	}
	if err := setupEngine(context.Background(), e, dims, metrics, profiles, groups); err != nil {
		return fail("%v", err)
	}

	in, size, closeIn, err := openInput(cfg.input, stdin)
	if err != nil {
		return fail("%v", err)
	}
	defer closeIn()
	counter := &countingReader{r: in}
	var prog *progress
	if size > 0 && isTerminal(stderr) {
		prog = newProgress(stderr, counter, size, progressClock)
	}

	start := time.Now()
	st := replayStats{}
	name := displayName(cfg.input)
	skipped := notices{w: stderr, input: name, what: "skipped", plural: "skipped lines"}
	dropped := notices{w: stderr, input: name, what: "dropped value", plural: "dropped values"}
	stream := newEventStream(e, stdout, prog.clear)
	var events []ruledetect.ViolationEvent // for the report
	if report != nil {
		stream.onWrite = func(b []ruledetect.ViolationEvent) { events = append(events, b...) }
	}
	finish := func() {
		prog.clear()
		skipped.end()
		dropped.end()
	}
	var last time.Time
	// visit judges each line's outcome, in file order: a bad line or a
	// rejected input stops the replay unless --skip-bad.
	visit := func(o *feed.Outcome) error {
		if o.Record == nil {
			var re *replay.RecordError
			if !errors.As(o.Err, &re) || !cfg.skipBad {
				return o.Err
			}
			st.bad++
			prog.clear()
			skipped.add(re.Line, "%s", recordMessage(re))
			return nil
		}
		if err := o.Err; err != nil {
			if !isInputRejection(err) || !cfg.skipBad {
				return &lineError{line: o.Line, err: err}
			}
			switch {
			case errors.Is(err, ruledetect.ErrLateInput):
				st.late++
			case errors.Is(err, ruledetect.ErrClockJump):
				st.jumps++
			default:
				st.rejected++
			}
			prog.clear()
			skipped.add(o.Line, "%v", err)
			return nil
		}
		for _, d := range o.Dropped {
			prog.clear()
			dropped.add(o.Line, "%s", droppedMessage(d))
		}
		st.dropped += len(o.Dropped)
		st.records++
		if o.Record.Kind == replay.Report {
			st.reports++
		}
		if o.Record.Time.After(last) {
			last = o.Record.Time
		}
		if err := stream.drain(); err != nil {
			return &streamError{err}
		}
		prog.tick(st.records)
		return nil
	}
	if err := feed.Run(context.Background(), e, replay.NewReader(counter), cfg.decoders, visit); err != nil {
		finish()
		var re *replay.RecordError
		var le *lineError
		var se *streamError
		switch {
		case errors.As(err, &re):
			return fail("%s:%d: %s", name, re.Line, recordMessage(re))
		case errors.As(err, &le):
			return fail("%s:%d: %v", name, le.line, le.err)
		case errors.As(err, &se):
			return fail("%v", se.err)
		}
		return fail("%s: %v", name, err)
	}
	finish()

	// Advance past the end by the lateness too, so that the last windows
	// close and held datapoints are judged.
	switch {
	case !cfg.until.IsZero():
		e.Advance(ctx, cfg.until.Add(cfg.lateness))
	case !last.IsZero():
		e.Advance(ctx, closingTime(last, cfg.period).Add(cfg.lateness))
	}
	if err := stream.finish(); err != nil {
		return fail("%v", err)
	}
	if report != nil {
		sps, err := parseProfiles(profiles)
		if err == nil {
			err = report.write(e, sps, events, time.Time{}, time.Time{})
		}
		if err != nil {
			return fail("%v", err)
		}
	}
	st.events = stream.counts
	st.elapsed = time.Since(start)
	fmt.Fprintf(stderr, "ruledetect replay: %s\n", st.summary())
	return 0
}

// lineError is an input the engine rejected, at a line, that stops the
// replay.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }

// streamError is a failure to write the events.
type streamError struct{ err error }

func (e *streamError) Error() string { return e.err.Error() }

// droppedMessage says which value of a report the engine dropped and why.
func droppedMessage(d ruledetect.DroppedValue) string {
	what := d.Path
	if d.Metric != "" {
		what = d.Metric + " at " + d.Path
	}
	return what + ": " + d.Reason
}

// parseReplayFlags parses replay's command line. When ok is false the
// command is over with exit code code (0 for -h).
func parseReplayFlags(args []string, stdout, stderr io.Writer) (cfg replayConfig, code int, ok bool) {
	fs := newFlagSet("replay")
	fs.Var(&cfg.profiles, "profile", "a CreateSecurityProfile request `FILE`")
	fs.Var(&cfg.dimensions, "dimension", "a CreateDimension request `FILE`")
	fs.Var(&cfg.metrics, "custom-metric", "a CreateCustomMetric request `FILE`")
	fs.StringVar(&cfg.thingGroups, "thing-groups", "", "thing group membership `FILE`")
	until := fs.String("until", "", "advance to `TIME` at the end")
	fs.BoolVar(&cfg.skipBad, "skip-bad", false, "skip bad records and rejected inputs")
	fs.BoolVar(&cfg.cumulative, "cumulative-network-stats", false, "network_stats are cumulative counters")
	period := fs.Int("period", 300, "evaluation period in `SECONDS`")
	fs.StringVar(&cfg.report, "report", "", "write a backtest report to `FILE.html`")
	fs.DurationVar(&cfg.lateness, "allowed-lateness", 0, "allowed lateness `DURATION`")
	fs.DurationVar(&cfg.maxJump, "max-clock-jump", ruledetect.DefaultMaxClockJump, "largest jump ahead `DURATION`")
	fs.IntVar(&cfg.decoders, "decoders", runtime.GOMAXPROCS(0), "decode on `N` goroutines")
	if code, ok := parseFlags(fs, args, replayUsage, stdout, stderr); !ok {
		return cfg, code, false
	}
	usageErr := func(format string, a ...any) (replayConfig, int, bool) {
		return cfg, usageError(stderr, "replay", format, a...), false
	}
	if fs.NArg() > 1 {
		return usageErr("at most one INPUT, got %d", fs.NArg())
	}
	cfg.input = fs.Arg(0)
	if len(cfg.profiles) == 0 {
		return usageErr("at least one --profile is required")
	}
	if *period <= 0 || 300%*period != 0 {
		return usageErr("--period %d: want a number of seconds dividing 300", *period)
	}
	cfg.period = time.Duration(*period) * time.Second
	if cfg.lateness < 0 || cfg.lateness >= 48*time.Hour {
		return usageErr("--allowed-lateness %v: want 0 up to, not including, the 48h invalidation horizon", cfg.lateness)
	}
	if cfg.decoders < 1 {
		return usageErr("--decoders %d: want at least 1", cfg.decoders)
	}
	if cfg.maxJump < 0 {
		return usageErr("--max-clock-jump %v: must not be negative", cfg.maxJump)
	}
	if *until != "" {
		t, err := parseTime(*until)
		if err != nil {
			return usageErr("--until: %v", err)
		}
		if t.After(maxEngineTime) {
			return usageErr("--until %s: after %s, the last instant the engine can represent", *until, maxEngineTime.Format(time.RFC3339))
		}
		cfg.until = t
	}
	return cfg, 0, true
}

// parseTime reads an RFC 3339 time or Unix seconds (possibly fractional).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 253402300799 {
		return time.Time{}, fmt.Errorf("%s is neither RFC 3339 nor Unix seconds from 1970 to 9999", echo.Quote(s))
	}
	sec := int64(f)
	ns := int64((f - float64(sec)) * 1e9)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		sec, ns = i, 0 // exact for integers
	}
	return time.Unix(sec, ns).UTC(), nil
}

// openInput opens the replay input and returns its size when it is a
// regular file (0 otherwise), for the progress line.
func openInput(name string, stdin io.Reader) (io.Reader, int64, func(), error) {
	if name == "" || name == "-" {
		if stdin == nil {
			stdin = strings.NewReader("")
		}
		var size int64
		if f, ok := stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				size = fi.Size()
			}
		}
		return stdin, size, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return f, size, func() { f.Close() }, nil
}

// recordMessage is a RecordError's message without its "replay: line N: "
// prefix, which the caller writes as INPUT:LINE.
func recordMessage(re *replay.RecordError) string {
	if re.Field != "" {
		return "field " + echo.Quote(re.Field) + ": " + re.Msg
	}
	return re.Msg
}

func (st *replayStats) summary() string {
	return fmt.Sprintf("%d records (%d reports); events: %d in-alarm, %d alarm-cleared, %d alarm-invalidated; skipped: %d bad, %d rejected, %d late, %d ahead of the clock; %d values dropped; %.3fs, %.0f records/s",
		st.records, st.reports,
		st.events[violation.InAlarm], st.events[violation.AlarmCleared], st.events[violation.AlarmInvalidated],
		st.bad, st.rejected, st.late, st.jumps, st.dropped,
		st.elapsed.Seconds(), rate(st.records, st.elapsed))
}
