package main

// Scenario tests: each directory under testdata/scenarios is a small profile,
// a JSON Lines input and the violation events DESIGN.md §3 says it produces,
// worked out by hand (each directory's README.md says how). Every scenario
// runs twice, through the Go API directly and through `ruledetect replay`,
// and both must print exactly the expected events, byte-identically to each
// other.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/detecttest"
	"github.com/ruledetect/ruledetect/internal/feed"
	"github.com/ruledetect/ruledetect/internal/replay"
)

const scenarioDir = "testdata/scenarios"

// scenario is one directory of testdata/scenarios.
type scenario struct {
	name     string
	dir      string
	profiles []string // profile*.json
	dims     []string // dimension-*.json
	metrics  []string // custom-metric-*.json
	input    string
	args     []string // extra CLI flags, from the args file
	expected []string // lines of expected.jsonl
}

func loadScenarios(t *testing.T) []scenario {
	t.Helper()
	entries, err := os.ReadDir(scenarioDir)
	require.NoError(t, err)
	var out []scenario
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		dir := filepath.Join(scenarioDir, ent.Name())
		s := scenario{name: ent.Name(), dir: dir, input: filepath.Join(dir, "input.jsonl")}
		glob := func(pattern string) []string {
			m, err := filepath.Glob(filepath.Join(dir, pattern))
			require.NoError(t, err)
			slices.Sort(m)
			return m
		}
		s.profiles = glob("profile*.json")
		s.dims = glob("dimension-*.json")
		s.metrics = glob("custom-metric-*.json")
		require.NotEmpty(t, s.profiles, "%s: no profile.json", dir)
		if b, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					s.args = append(s.args, l)
				}
			}
		} else {
			require.ErrorIs(t, err, os.ErrNotExist)
		}
		exp, err := os.ReadFile(filepath.Join(dir, "expected.jsonl"))
		require.NoError(t, err)
		s.expected = nonEmptyLines(string(exp))
		_, err = os.Stat(filepath.Join(dir, "README.md"))
		require.NoError(t, err, "%s: every scenario says what it tests in README.md", dir)
		out = append(out, s)
	}
	require.NotEmpty(t, out)
	return out
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// flags are the replay flags a scenario's args file may use.
type scenarioFlags struct {
	until      time.Time
	cumulative bool
	skipBad    bool
}

func parseScenarioFlags(t *testing.T, args []string) scenarioFlags {
	t.Helper()
	var f scenarioFlags
	for i := 0; i < len(args); i++ {
		a, val, hasVal := strings.Cut(args[i], "=")
		switch a {
		case "--until", "-until":
			if !hasVal {
				i++
				require.Less(t, i, len(args), "--until needs a value")
				val = args[i]
			}
			u, err := time.Parse(time.RFC3339, val)
			require.NoError(t, err)
			f.until = u
		case "--cumulative-network-stats", "-cumulative-network-stats":
			f.cumulative = true
		case "--skip-bad", "-skip-bad":
			f.skipBad = true
		default:
			t.Fatalf("scenario args: unknown flag %q", args[i])
		}
	}
	return f
}

// runScenarioAPI replays s through the Go API (set up with the detecttest
// kit), as the CLI would, and returns
// the output lines and the number of records skipped as bad.
func runScenarioAPI(t *testing.T, s scenario) (lines []string, skipped int) {
	ctx := context.Background()
	t.Helper()
	f := parseScenarioFlags(t, s.args)
	// The engine and its setup come from the detecttest kit.
	opts := []detecttest.Option{detecttest.WithEngineOptions(ruledetect.WithCumulativeNetworkStats(f.cumulative))}
	for _, path := range s.dims {
		opts = append(opts, detecttest.WithDimension(string(readFile(t, path))))
	}
	for _, path := range s.metrics {
		opts = append(opts, detecttest.WithCustomMetric(string(readFile(t, path))))
	}
	for _, path := range s.profiles {
		opts = append(opts, detecttest.WithProfile(string(readFile(t, path))))
	}
	e := detecttest.New(t, "", opts...).Engine

	in, err := os.Open(s.input)
	require.NoError(t, err)
	defer in.Close()
	r := replay.NewReader(in)
	var last time.Time
	for rec, err := range r.All() {
		require.NoError(t, err, "%s line %d", s.input, r.Line())
		if _, err := feed.Apply(ctx, e, rec); err != nil {
			require.True(t, f.skipBad, "%s line %d: %v", s.input, r.Line(), err)
			skipped++
			continue
		}
		if rec.Time.After(last) {
			last = rec.Time
		}
	}
	end := f.until
	if end.IsZero() {
		// The end of the period that holds the last record: the next
		// multiple of 300 s strictly after it.
		p := int64(300 * time.Second)
		end = time.Unix(0, (last.UnixNano()/p+1)*p).UTC()
	}
	e.Advance(ctx, end)

	in2 := ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(time.Unix(0, 0).UTC()),
		EndTime:   behavior.At(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)),
	}
	var evs []ruledetect.ViolationEvent
	for ev, err := range e.ViolationEvents(ctx, in2) {
		require.NoError(t, err)
		evs = append(evs, ev)
	}
	slices.SortStableFunc(evs, func(a, b ruledetect.ViolationEvent) int {
		return cmp.Or(
			a.ViolationEventTime.Compare(b.ViolationEventTime.Time),
			cmp.Compare(a.ThingName, b.ThingName),
			cmp.Compare(a.SecurityProfileName, b.SecurityProfileName),
			cmp.Compare(a.Behavior.Name, b.Behavior.Name),
		)
	})
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		lines = append(lines, string(b))
	}
	return lines, skipped
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// cliArgs returns the replay command line for s.
func cliArgs(s scenario) []string {
	args := []string{"replay"}
	for _, p := range s.profiles {
		args = append(args, "--profile", p)
	}
	for _, d := range s.dims {
		args = append(args, "--dimension", d)
	}
	for _, m := range s.metrics {
		args = append(args, "--custom-metric", m)
	}
	args = append(args, s.args...)
	return append(args, s.input)
}

func runScenarioCLI(t *testing.T, s scenario) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(cliArgs(s), nil, &stdout, &stderr)
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr.String())
	var lines []string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, sc.Err())
	return lines
}

// assertEvents compares output lines with the expected ones as JSON values.
func assertEvents(t *testing.T, expected, got []string) {
	t.Helper()
	decode := func(what string, lines []string) []any {
		out := make([]any, len(lines))
		for i, l := range lines {
			require.NoError(t, json.Unmarshal([]byte(l), &out[i]), "%s line %d: %s", what, i+1, l)
		}
		return out
	}
	want, have := decode("expected", expected), decode("output", got)
	for i := range max(len(want), len(have)) {
		switch {
		case i >= len(want):
			t.Errorf("unexpected event %d: %s", i+1, got[i])
		case i >= len(have):
			t.Errorf("missing event %d: %s", i+1, expected[i])
		default:
			assert.Equal(t, want[i], have[i], "event %d\nwant %s\ngot  %s", i+1, expected[i], got[i])
		}
	}
}

func TestScenarios(t *testing.T) {
	for _, s := range loadScenarios(t) {
		t.Run(s.name, func(t *testing.T) {
			var api, cli []string
			apiOK := t.Run("api", func(t *testing.T) {
				api, _ = runScenarioAPI(t, s)
				assertEvents(t, s.expected, api)
			})
			cliOK := t.Run("cli", func(t *testing.T) {
				cli = runScenarioCLI(t, s)
				assertEvents(t, s.expected, cli)
			})
			if apiOK && cliOK {
				assert.Equal(t, api, cli, "the Go API and `ruledetect replay` print the same bytes")
			}
		})
	}
}

// TestScenarioLateInput covers the other half of late-input: the late record
// is counted with --skip-bad and stops the replay with exit status 2, naming
// its line, without it.
func TestScenarioLateInput(t *testing.T) {
	ctx := context.Background()
	var s scenario
	for _, sc := range loadScenarios(t) {
		if sc.name == "late-input" {
			s = sc
		}
	}
	require.Equal(t, "late-input", s.name)
	require.Equal(t, []string{"--skip-bad"}, s.args)

	t.Run("api", func(t *testing.T) {
		_, skipped := runScenarioAPI(t, s)
		assert.Equal(t, 1, skipped)

		e, err := ruledetect.New()
		require.NoError(t, err)
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		require.NoError(t, e.IngestMessage(ctx, ruledetect.Message{Thing: "cam-1", Time: t0.Add(700 * time.Second), Direction: ruledetect.Sent, Topic: "dt/a"}))
		err = e.IngestMessage(ctx, ruledetect.Message{Thing: "cam-1", Time: t0.Add(500 * time.Second), Direction: ruledetect.Sent, Topic: "dt/a"})
		require.ErrorIs(t, err, ruledetect.ErrLateInput)
		assert.Equal(t, uint64(1), e.Stats().Late)
		// At the boundary of the closed period the input is not late.
		require.NoError(t, e.IngestMessage(ctx, ruledetect.Message{Thing: "cam-1", Time: t0.Add(600 * time.Second), Direction: ruledetect.Sent, Topic: "dt/a"}))
	})
	t.Run("cli-skip-bad", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(cliArgs(s), nil, &stdout, &stderr)
		assert.Equal(t, 0, code, stderr.String())
		assert.Regexp(t, `\b1 late\b`, stderr.String(), "the summary counts the late record")
	})
	t.Run("cli-no-skip", func(t *testing.T) {
		s := s
		s.args = nil
		var stdout, stderr bytes.Buffer
		code := run(cliArgs(s), nil, &stdout, &stderr)
		assert.Equal(t, 2, code, "stderr: %s", stderr.String())
		assert.Regexp(t, `input\.jsonl:5\b|line 5\b`, stderr.String(), "the error names the record's line")
	})
}
