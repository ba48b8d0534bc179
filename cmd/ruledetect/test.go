package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/detecttest"
	"github.com/ruledetect/ruledetect/internal/replay"
	"github.com/ruledetect/ruledetect/internal/testfile"
)

func init() {
	commands["test"] = command{summary: "run test files of security profiles: inputs and the violations they must raise", run: runTest}
}

const testUsage = `usage: ruledetect test [--report FILE.html] FILE...

Runs the test files given: YAML (or JSON) documents naming the security
profiles (files or inline), dimensions, custom metrics and thing groups,
and test cases whose inputs (a JSON Lines file as replay reads, and input
series in promtool's notation) must produce the expected violation events
and active violations:

  profiles: [profile.json]
  tests:
    - name: three in a row alarm
      input_series:
        "cam-1 message-sent dt/cam-1/t": "3 1 3 3 3 0 4 1 2"
      expected_events:
        - {time: 25m, type: in-alarm, thing: cam-1, behavior: messages-sent, value: {count: 3}}
      expected_active:
        - at: 30m
          violations: [{thing: cam-1, behavior: messages-sent, since: 25m}]

A series key is THING KIND [ARGS] with KIND message-sent TOPIC [BYTES],
message-received TOPIC [BYTES], authorization-failure TOPIC, connect
[SOURCE_IP], disconnect, or report CUSTOM_METRIC; its values are one per
evaluation period from start (default 2026-01-01T00:00:00Z): counts of
events, or the custom metric's number. "0+10x3" is 0 10 20 30, "_" a
period without input, "1x2" is 1 1 1. Times are RFC 3339, Unix seconds,
or a duration after start ("25m"). Each case runs on a new engine, with
every profile attached to all/things (or the file's targets), and ends at
its until time or at the end of the period of its last input.

For each failing case it prints the difference (-want +got) and the
datapoints that decided the events in question.

Flags:
  --report FILE.html   also write a backtest report of every case's run

Exit status: 0 when every case passed, 1 when one failed, 2 for a usage
error or a bad test file (named as FILE:LINE:COLUMN).
`

// testOutcome is how a test case ended.
type testOutcome int

const (
	testPassed testOutcome = iota
	testFailed
	testBad
)

func runTest(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("test")
	reportPath := fs.String("report", "", "write a backtest report to `FILE.html`")
	if code, ok := parseFlags(fs, args, testUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(stderr, "test", "no test file given")
	}
	var rec *testRecorder
	if *reportPath != "" {
		rec = newTestRecorder(*reportPath)
	}
	counts := map[testOutcome]int{}
	for _, path := range fs.Args() {
		f, err := testfile.Load(path)
		if err != nil {
			fmt.Fprintf(stderr, "ruledetect test: %v\n", err)
			counts[testBad]++
			continue
		}
		for _, c := range f.Tests {
			out, msg := runTestCase(f, &c, rec)
			counts[out]++
			where := fmt.Sprintf("%s:%d:%d", f.Path, c.Pos.Line, c.Pos.Column)
			switch out {
			case testPassed:
				fmt.Fprintf(stdout, "ok   %s %s\n", where, c.Name)
			case testFailed:
				fmt.Fprintf(stdout, "--- FAIL: %s %s\n%s", where, c.Name, indent(msg))
			case testBad:
				fmt.Fprintf(stderr, "ruledetect test: %s\n", msg)
			}
		}
	}
	if rec != nil {
		if err := rec.write(); err != nil {
			fmt.Fprintf(stderr, "ruledetect test: %v\n", err)
			return 2
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d bad\n", counts[testPassed], counts[testFailed], counts[testBad])
	switch {
	case counts[testBad] > 0:
		return 2
	case counts[testFailed] > 0:
		return 1
	}
	return 0
}

// indent prefixes every line of s with four spaces.
func indent(s string) string {
	lines := strings.SplitAfter(strings.TrimRight(s, "\n"), "\n")
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("    ")
		b.WriteString(strings.TrimRight(l, "\n"))
		b.WriteByte('\n')
	}
	return b.String()
}

// runTestCase runs one case on a new engine. For testFailed msg is the
// difference, for testBad the problem with the file.
func runTestCase(f *testfile.File, c *testfile.Case, rec *testRecorder) (testOutcome, string) {
	bad := func(pos testfile.Pos, format string, a ...any) (testOutcome, string) {
		return testBad, (&testfile.Error{File: f.Path, Pos: pos, Msg: fmt.Sprintf(format, a...)}).Error()
	}
	opts := []detecttest.Option{
		detecttest.WithPeriod(f.Period),
		detecttest.WithEngineOptions(ruledetect.WithCumulativeNetworkStats(f.Cumulative)),
		detecttest.WithTargets(f.Targets...),
	}
	// pos is where each document detecttest.Build creates comes from, by
	// kind and in creation order, so that its error names the place.
	pos := map[string][]testfile.Pos{}
	add := func(what string, p testfile.Pos, o detecttest.Option) {
		pos[what] = append(pos[what], p)
		opts = append(opts, o)
	}
	for _, d := range f.Dimensions {
		add("dimension", d.Pos, detecttest.WithDimension(string(d.JSON)))
	}
	for _, d := range f.CustomMetrics {
		add("custom metric", d.Pos, detecttest.WithCustomMetric(string(d.JSON)))
	}
	var profiles []*behavior.SecurityProfile
	for _, d := range f.Profiles {
		// Any form replay --profile reads; a CloudFormation template's
		// dimensions and custom metrics come with it.
		ps, err := loadProfileSetup(setupSource{name: cmpOr(d.Path, f.Path), data: d.JSON})
		if err != nil {
			return bad(d.Pos, "profile: %v", err)
		}
		for _, v := range ps.dims {
			b, err := json.Marshal(v)
			if err != nil {
				return bad(d.Pos, "profile: %v", err)
			}
			add("dimension", d.Pos, detecttest.WithDimension(string(b)))
		}
		for _, v := range ps.metrics {
			b, err := json.Marshal(v)
			if err != nil {
				return bad(d.Pos, "profile: %v", err)
			}
			add("custom metric", d.Pos, detecttest.WithCustomMetric(string(b)))
		}
		for _, spec := range ps.profiles {
			b, err := json.Marshal(spec.profile)
			if err != nil {
				return bad(d.Pos, "profile: %v", err)
			}
			add("profile", d.Pos, detecttest.WithProfile(string(b)))
			profiles = append(profiles, spec.profile)
		}
	}
	for _, g := range f.ThingGroups {
		opts = append(opts, detecttest.WithThingGroups(g.Thing, g.Groups...))
	}
	if rec != nil {
		opts = append(opts, rec.options(f, c)...)
	}
	sim, err := detecttest.Build("", opts...)
	if err != nil {
		var be *detecttest.BuildError
		if errors.As(err, &be) && be.Index >= 1 && be.Index <= len(pos[be.What]) {
			return bad(pos[be.What][be.Index-1], "%s: %v", be.What, be.Err)
		}
		return bad(testfile.Pos{}, "%v", err)
	}

	var records, series []detecttest.Input
	if c.Input != "" {
		if records, err = readTestInput(c.Input, c.SkipBad); err != nil {
			return bad(c.InputPos, "%v", err)
		}
	}
	for _, s := range c.Series {
		ins, _, err := detecttest.SeriesInputs(s.Key, s.Notation, f.Start, f.Period)
		if err != nil {
			return bad(s.Pos, "%v", err)
		}
		series = append(series, ins...)
	}
	inputs := mergeInputs(records, series)

	checks := slices.Clone(c.Active)
	slices.SortStableFunc(checks, func(a, b testfile.ActiveAt) int { return a.At.Compare(b.At) })
	var diffs []string
	check := func(a testfile.ActiveAt) {
		sim.AdvanceToTime(a.At)
		if d := sim.DiffActive(a.Violations...); d != "" {
			diffs = append(diffs, d)
		}
	}
	var last time.Time
	for i := range inputs {
		in := &inputs[i]
		for len(checks) > 0 && checks[0].At.Before(in.Time) {
			check(checks[0])
			checks = checks[1:]
		}
		if err := detecttest.Ingest(sim.Engine, in); err != nil {
			if !c.SkipBad {
				return bad(c.Pos, "input of %s at %s: %v", in.Thing, in.Time.Format(time.RFC3339Nano), err)
			}
			continue
		}
		if in.Time.After(last) {
			last = in.Time
		}
	}
	end := c.Until
	if end.IsZero() && !last.IsZero() {
		end = closingTime(last, f.Period)
	}
	for len(checks) > 0 && !checks[0].At.After(end) {
		check(checks[0])
		checks = checks[1:]
	}
	if !end.IsZero() {
		sim.AdvanceToTime(end)
	}
	for _, a := range checks { // after the end: the engine advances there
		check(a)
	}
	want := make([]detecttest.Event, len(c.Events))
	for i, e := range c.Events {
		want[i] = e.Event
	}
	if d := sim.DiffEvents(want...); d != "" {
		diffs = append([]string{d}, diffs...)
	}
	if rec != nil {
		rec.caseDone(c, sim, profiles)
	}
	if len(diffs) > 0 {
		return testFailed, strings.Join(diffs, "")
	}
	return testPassed, ""
}

// readTestInput reads a JSON Lines input as replay does. Bad records are
// errors naming their line, or skipped with skipBad.
func readTestInput(path string, skipBad bool) ([]detecttest.Input, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r := replay.NewReader(fh)
	var out []detecttest.Input
	for rec, err := range r.All() {
		if err != nil {
			var re *replay.RecordError
			if errors.As(err, &re) && skipBad {
				continue
			}
			if re != nil {
				return nil, fmt.Errorf("%s:%d: %s", path, re.Line, recordMessage(re))
			}
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		in := recordInput(rec)
		in.Report = slices.Clone(in.Report) // the reader reuses its buffer
		out = append(out, in)
	}
	return out, nil
}

// mergeInputs merges the series' inputs into the records' in time order,
// keeping the records' own order (a late record stays late).
func mergeInputs(records, series []detecttest.Input) []detecttest.Input {
	detecttest.SortInputs(series)
	out := make([]detecttest.Input, 0, len(records)+len(series))
	for _, r := range records {
		for len(series) > 0 && series[0].Time.Before(r.Time) {
			out = append(out, series[0])
			series = series[1:]
		}
		out = append(out, r)
	}
	return append(out, series...)
}
