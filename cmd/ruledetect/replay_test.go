package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test profile: messages of at most 100 bytes on dt/# topics (one
// datapoint per message), at most 2 messages sent per 5 minutes, and no
// listening TCP port but 443.
const (
	testDimension = `{"name":"Telemetry","type":"TOPIC_FILTER","stringValues":["dt/#"]}`
	testMetric    = `{"metricName":"battery","metricType":"number","displayName":"Battery"}`
	testProfile   = `{
  "securityProfileName": "p1",
  "behaviors": [
    {"name": "Size", "metric": "aws:message-byte-size",
     "metricDimension": {"dimensionName": "Telemetry"},
     "criteria": {"comparisonOperator": "less-than-equals", "value": {"count": 100}}},
    {"name": "Sent", "metric": "aws:num-messages-sent",
     "criteria": {"comparisonOperator": "less-than-equals", "value": {"count": 2}, "durationSeconds": 300}},
    {"name": "Ports", "metric": "aws:listening-tcp-ports",
     "criteria": {"comparisonOperator": "in-port-set", "value": {"ports": [443]}}},
    {"name": "Battery", "metric": "battery",
     "criteria": {"comparisonOperator": "greater-than", "value": {"number": 10}}}
  ]
}`
)

// replayFiles writes the test profile, dimension and custom metric and
// returns the flags that name them.
func replayFiles(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
		return p
	}
	return []string{
		"--dimension", write("dimension.json", testDimension),
		"--custom-metric", write("metric.json", testMetric),
		"--profile", write("profile.json", testProfile),
	}
}

func replayArgs(t *testing.T, extra ...string) []string {
	return append(append([]string{"replay"}, replayFiles(t)...), extra...)
}

func lines(s ...string) string { return strings.Join(s, "\n") + "\n" }

// replayEvent is what the tests check of an output line.
type replayEvent struct {
	ThingName           string   `json:"thingName"`
	SecurityProfileName string   `json:"securityProfileName"`
	ViolationEventType  string   `json:"violationEventType"`
	ViolationEventTime  *float64 `json:"violationEventTime"`
	Behavior            struct {
		Name string `json:"name"`
	} `json:"behavior"`
}

func (e replayEvent) String() string {
	return time.Unix(int64(*e.ViolationEventTime), 0).UTC().Format("15:04:05") + " " + e.ThingName + " " + e.Behavior.Name + " " + e.ViolationEventType
}

func parseEvents(t *testing.T, stdout string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if l == "" {
			continue
		}
		var ev replayEvent
		require.NoError(t, json.Unmarshal([]byte(l), &ev), l)
		require.NotNil(t, ev.ViolationEventTime, "violationEventTime is a number of Unix seconds: %s", l)
		out = append(out, ev.String())
	}
	return out
}

func TestReplayFlagErrors(t *testing.T) {
	files := replayFiles(t)
	profile := files[len(files)-1]
	dir := t.TempDir()
	badProfile := filepath.Join(dir, "bad-profile.json")
	require.NoError(t, os.WriteFile(badProfile, []byte(`{"securityProfileName": "p", "behaviors": [}`), 0o644))
	badDim := filepath.Join(dir, "bad-dimension.json")
	require.NoError(t, os.WriteFile(badDim, []byte(`{"name":"D","type":"TOPIC_FILTER","stringValues":["a"],"bogus":1}`), 0o644))
	invalidProfile := filepath.Join(dir, "invalid-profile.json")
	require.NoError(t, os.WriteFile(invalidProfile, []byte(`{"securityProfileName":"p","behaviors":[{"name":"b","metric":"aws:listening-tcp-ports","criteria":{"comparisonOperator":"in-port-set","value":{"ports":[70000]}}}]}`), 0o644))

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no profile", []string{}, "at least one --profile is required"},
		{"unknown flag", []string{"--profile", profile, "--bogus"}, "flag provided but not defined: -bogus"},
		{"empty profile name", []string{"--profile", ""}, "empty file name"},
		{"two inputs", []string{"--profile", profile, "a", "b"}, "at most one INPUT"},
		{"period not dividing 300", []string{"--profile", profile, "--period", "7"}, "--period 7"},
		{"period zero", []string{"--profile", profile, "--period", "0"}, "--period 0"},
		{"bad until", []string{"--profile", profile, "--until", "tomorrow"}, `--until: "tomorrow" is neither RFC 3339 nor Unix seconds`},
		{"until past the engine's range", []string{"--profile", profile, "--until", "2300-01-01T00:00:00Z"}, "after 2262-04-11T23:47:16Z"},
		{"missing profile file", []string{"--profile", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"malformed profile", []string{"--profile", badProfile}, "bad-profile.json"},
		{"invalid profile", []string{"--profile", invalidProfile}, "invalid-profile.json: CreateSecurityProfile: Behavior b is malformed"},
		{"unknown member in dimension", []string{"--dimension", badDim, "--profile", profile}, "bad-dimension.json"},
		{"profile needs its dimension", []string{"--profile", profile}, "profile.json"},
		{"missing input", []string{"--dimension", files[1], "--custom-metric", files[3], "--profile", profile, filepath.Join(dir, "nope.jsonl")}, "nope.jsonl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI("", append([]string{"replay"}, tc.args...)...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.stderr)
		})
	}

	code, stdout, _ := runCLI("", "replay", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "usage: ruledetect replay --profile FILE...")
}

func TestReplayBadRecords(t *testing.T) {
	input := lines(
		`{"time":"2026-01-01T00:00:10Z","thingName":"cam-1","type":"message-sent","topic":"dt/cam-1","bytes":500}`,
		``,
		`{"time":"2026-01-01T00:00:20Z","thingName":"cam-1","type":"message-sent","bytes":5}`,
		`{"time":"2026-01-01T00:00:30Z","thingName":"cam-1","report":{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":7}}}`,
		`{"time":"2026-01-01T00:00:40Z","thingName":"cam-1","type":"message-sent","topic":"dt/cam-1","bytes":50}`,
	)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
		events int
	}{
		{"stops at the first bad record", nil, 2, []string{"ruledetect replay: standard input:3: ", `field "topic"`}, 0},
		{"skip-bad counts and goes on", []string{"--skip-bad"}, 0, []string{"2 records (0 reports)", "skipped: 1 bad, 1 rejected, 0 late"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(input, replayArgs(t, tc.args...)...)
			assert.Equal(t, tc.code, code, stderr)
			for _, s := range tc.stderr {
				assert.Contains(t, stderr, s)
			}
			if tc.code != 0 {
				assert.Empty(t, stdout)
				return
			}
			// Size alarms at 00:00:10 and clears at 00:00:40.
			assert.Equal(t, []string{"00:00:10 cam-1 Size in-alarm", "00:00:40 cam-1 Size alarm-cleared"}, parseEvents(t, stdout))
		})
	}

	// An engine rejection (a malformed report) names its line too.
	code, _, stderr := runCLI(input, replayArgs(t, "--skip-bad=false", "-")...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "standard input:3:")

	noBad := strings.Replace(input, `"bytes":5}`, `"topic":"dt/x","bytes":5}`, 1)
	code, _, stderr = runCLI(noBad, replayArgs(t)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "standard input:4: IngestReport: Malformed metrics report")

	// A time past the engine's nanosecond range is rejected, not wrapped.
	far := lines(`{"time":"2500-01-01T00:01:00Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":500}`)
	code, _, stderr = runCLI(far, replayArgs(t)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "standard input:1: IngestMessage: time 2500-01-01T00:01:00Z is outside 1970-01-01T00:00:00Z..2262-04-11T23:47:16Z")

	// A named INPUT file is named in the message.
	path := filepath.Join(t.TempDir(), "in.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(input), 0o644))
	code, _, stderr = runCLI("", replayArgs(t, path)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, path+":3: ")
}

func TestReplayLateInput(t *testing.T) {
	input := lines(
		`{"time":"2026-01-01T00:10:00Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1}`,
		`{"time":"2026-01-01T00:04:59Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1000}`,
		// The period of 00:10:00 is open: its datapoint is at 00:15:00.
		`{"time":"2026-01-01T00:10:30Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1000}`,
		// 00:05:00 is in the period that closed at 00:10:00.
		`{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1000}`,
	)
	code, stdout, stderr := runCLI(input, replayArgs(t)...)
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "standard input:2: IngestMessage: input at 2026-01-01T00:04:59Z is older than the newest closed evaluation period")

	code, stdout, stderr = runCLI(input, replayArgs(t, "--skip-bad")...)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "2 records (0 reports)")
	assert.Contains(t, stderr, "skipped: 0 bad, 0 rejected, 2 late")
	assert.Equal(t, []string{"00:10:30 cam-1 Size in-alarm"}, parseEvents(t, stdout))
}

func TestReplayOrder(t *testing.T) {
	// Records in arrival order; the output is by time, then thing, profile
	// and behavior, then evaluation order.
	input := lines(
		`{"time":"2026-01-01T00:01:00Z","thingName":"zeta","type":"message-sent","topic":"dt/z","bytes":500}`,
		`{"time":"2026-01-01T00:01:00Z","thingName":"alpha","type":"message-sent","topic":"dt/a","bytes":500}`,
		`{"time":"2026-01-01T00:01:00Z","thingName":"alpha","type":"message-sent","topic":"dt/a","bytes":50}`,
		`{"time":"2026-01-01T00:01:00Z","thingName":"alpha","type":"message-sent","topic":"dt/a","bytes":500}`,
		`{"time":1767225660,"thingName":"mid","report":{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":22}]}},"custom_metrics":{"battery":[{"number":5}]}}}`,
		`{"time":"2026-01-01T00:00:30Z","thingName":"zeta","type":"message-sent","topic":"cmd/z","bytes":5}`,
	)
	code, stdout, stderr := runCLI(input, replayArgs(t)...)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, []string{
		"00:01:00 alpha Size in-alarm",
		"00:01:00 alpha Size alarm-cleared",
		"00:01:00 alpha Size in-alarm",
		"00:01:00 mid Battery in-alarm",
		"00:01:00 mid Ports in-alarm",
		"00:01:00 zeta Size in-alarm",
		"00:05:00 alpha Sent in-alarm",
	}, parseEvents(t, stdout))
	assert.Contains(t, stderr, "ruledetect replay: 6 records (1 reports); events: 6 in-alarm, 1 alarm-cleared, 0 alarm-invalidated; skipped: 0 bad, 0 rejected, 0 late, 0 ahead of the clock;")
	assert.Contains(t, stderr, "records/s\n")

	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(stdout, "\n", 2)[0]), &ev))
	assert.Equal(t, 1767225660.0, ev["violationEventTime"])
	assert.Equal(t, "p1", ev["securityProfileName"])
	assert.Len(t, ev["violationId"], 32)
	assert.Equal(t, map[string]any{"count": 500.0}, ev["metricValue"])
}

func TestReplayUntil(t *testing.T) {
	input := lines(
		`{"time":"2026-01-01T00:01:00Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":500}`,
		`{"time":"2026-01-01T00:02:00Z","thingName":"cam-1","type":"message-sent","topic":"cmd/a","bytes":1}`,
		`{"time":"2026-01-01T00:03:00Z","thingName":"cam-1","type":"message-sent","topic":"cmd/a","bytes":1}`,
	)
	tests := []struct {
		name   string
		until  []string
		events []string
	}{
		// By default the last record's period closes: Sent alarms at 00:05.
		{"default", nil, []string{"00:01:00 cam-1 Size in-alarm", "00:05:00 cam-1 Sent in-alarm"}},
		// Until before the period end: nothing closes.
		{"rfc3339 before the period end", []string{"--until", "2026-01-01T00:04:00Z"}, []string{"00:01:00 cam-1 Size in-alarm"}},
		// Sent clears on the zero datapoint at 00:10; two days without input
		// (from 00:03 on January 1 to 00:03 on January 3) invalidate Size.
		{"unix seconds past the invalidation horizon", []string{"--until", "1767399000"}, []string{
			"00:01:00 cam-1 Size in-alarm", "00:05:00 cam-1 Sent in-alarm", "00:10:00 cam-1 Sent alarm-cleared",
			"00:03:00 cam-1 Size alarm-invalidated",
		}},
		{"unix seconds just before the horizon", []string{"--until", "1767398579"}, []string{
			"00:01:00 cam-1 Size in-alarm", "00:05:00 cam-1 Sent in-alarm", "00:10:00 cam-1 Sent alarm-cleared",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(input, replayArgs(t, tc.until...)...)
			require.Equal(t, 0, code, stderr)
			assert.Equal(t, tc.events, parseEvents(t, stdout))
		})
	}
}

func TestReplayPeriod(t *testing.T) {
	input := lines(
		`{"time":"2026-01-01T00:00:10Z","thingName":"cam-1","type":"message-sent","topic":"cmd/a","bytes":1}`,
		`{"time":"2026-01-01T00:00:20Z","thingName":"cam-1","type":"message-sent","topic":"cmd/a","bytes":1}`,
		`{"time":"2026-01-01T00:00:30Z","thingName":"cam-1","type":"message-sent","topic":"cmd/a","bytes":1}`,
	)
	code, stdout, stderr := runCLI(input, replayArgs(t, "--period", "60")...)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, []string{"00:01:00 cam-1 Sent in-alarm"}, parseEvents(t, stdout))
}

func TestReplayProgress(t *testing.T) {
	var b strings.Builder
	for i := range 2000 {
		b.WriteString(`{"time":` + time.Unix(1767225600+int64(i), 0).Format("\"2006-01-02T15:04:05Z\"") + `,"thingName":"cam-1","type":"message-sent","topic":"cmd/a","bytes":1}` + "\n")
	}
	path := filepath.Join(t.TempDir(), "in.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))

	defer func(f func(io.Writer) bool, c func() time.Time) { isTerminal, progressClock = f, c }(isTerminal, progressClock)
	// A clock that moves a second at every look, so every check draws.
	var now time.Time
	progressClock = func() time.Time { now = now.Add(time.Second); return now }

	tests := []struct {
		name     string
		terminal bool
		stdin    bool
		progress bool
	}{
		{"not a terminal", false, false, false},
		{"terminal and a file", true, false, true},
		{"terminal and a pipe", true, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isTerminal = func(io.Writer) bool { return tc.terminal }
			args := replayArgs(t, path)
			stdin := ""
			if tc.stdin {
				args, stdin = replayArgs(t), b.String()
			}
			code, _, stderr := runCLI(stdin, args...)
			require.Equal(t, 0, code, stderr)
			if !tc.progress {
				assert.NotContains(t, stderr, "\r")
				assert.True(t, strings.HasPrefix(stderr, "ruledetect replay: 2000 records"), stderr)
				return
			}
			assert.Contains(t, stderr, "\rreplay: ")
			assert.Contains(t, stderr, "%  ")
			assert.Contains(t, stderr, "\r\033[Kruledetect replay: 2000 records", "the progress line is cleared before the summary")
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-01-01T00:05:00Z", time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC), true},
		{"2026-01-01T01:05:00+01:00", time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC), true},
		{"1767225900", time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC), true},
		{"1767225900.5", time.Date(2026, 1, 1, 0, 5, 0, 500_000_000, time.UTC), true},
		{"-1", time.Time{}, false},
		{"soon", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := parseTime(tc.in)
		if !tc.ok {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.True(t, tc.want.Equal(got), "%s: got %v", tc.in, got)
	}
}

func TestClosingTime(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, base.Add(5*time.Minute), closingTime(base, 5*time.Minute), "a record at a boundary is in the period after it")
	assert.Equal(t, base.Add(5*time.Minute), closingTime(base.Add(299*time.Second), 5*time.Minute))
	assert.Equal(t, base.Add(time.Minute), closingTime(base.Add(time.Second), time.Minute))
}
