package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/fleet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoTable(t *testing.T) {
	code, stdout, stderr := runCLI("", "demo", "--things", "50", "--hours", "2")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	for _, heading := range []string{
		"FLEET", "things            50", "simulated         2h0m0s from 2026-01-01T00:00:00Z (seed 1)",
		"records ingested", "reports ingested  1200",
		"VIOLATION EVENTS", "in-alarm", "alarm-cleared", "alarm-invalidated",
		"BEHAVIOR", "IN-ALARM", "THINGS", "TOP THINGS",
		"INCIDENTS (5 of 5 detected)", "other things in alarm",
		"THROUGHPUT", "wall time", "records/s", "reports/s",
	} {
		assert.Contains(t, stdout, heading)
	}
	assert.NotContains(t, stdout, "rejected")
}

func TestDemoDetectsEveryIncident(t *testing.T) {
	for _, seed := range []string{"1", "7"} {
		t.Run("seed="+seed, func(t *testing.T) {
			code, stdout, stderr := runCLI("", "demo", "--things", "50", "--hours", "2", "--seed", seed, "--json")
			require.Equal(t, 0, code, stderr)
			var sum demoSummary
			require.NoError(t, json.Unmarshal([]byte(stdout), &sum))
			assert.Equal(t, 50, sum.Things)
			assert.Equal(t, 2.0, sum.Hours)
			assert.Zero(t, sum.Rejected, sum.FirstReject)
			assert.Equal(t, 1200, sum.Reports)
			assert.Greater(t, sum.Records, sum.Reports)
			require.Len(t, sum.Incidents, 5)
			for _, in := range sum.Incidents {
				assert.True(t, in.Detected, "%s (%s) not detected", in.Thing, in.Attack)
				require.NotNil(t, in.FirstAlarm)
				assert.False(t, in.FirstAlarm.Before(in.Start))
				assert.Subset(t, in.Behaviors, in.DetectedBehaviors)
			}
			assert.Zero(t, sum.OtherThingsInAlarm, "the profile describes every normal thing")
			assert.Len(t, sum.Behaviors, 9)
			assert.LessOrEqual(t, len(sum.TopThings), 10)
			assert.Positive(t, sum.RecordsPerSecond)
		})
	}
}

// The result does not depend on the number of ingest workers: a thing's
// records stay in order and periods close between batches.
func TestDemoWorkersAgree(t *testing.T) {
	cfg := fleet.Config{Things: 40, Duration: 90 * time.Minute, Seed: 3}
	one, err := runFleet(cfg, 1, nil)
	require.NoError(t, err)
	three, err := runFleet(cfg, 3, nil)
	require.NoError(t, err)
	for _, s := range []*demoSummary{one, three} {
		s.Workers, s.WallSeconds, s.RecordsPerSecond, s.ReportsPerSecond = 0, 0, 0, 0
	}
	assert.Equal(t, one, three)
	assert.NotEmpty(t, one.Incidents)
}

func TestDemoFlagErrors(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"--things", "0"}, "--things 0: want 1..1000000"},
		{[]string{"--hours", "0"}, "--hours 0"},
		{[]string{"--hours", "NaN"}, "--hours NaN"},
		{[]string{"--hours", "0.01"}, "--hours 0.01: want at least one minute"},
		{[]string{"--seed", "-1"}, "invalid value"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCLI("", append([]string{"demo"}, tc.args...)...)
		assert.Equal(t, 2, code, tc.args)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, tc.stderr)
	}
	code, stdout, _ := runCLI("", "demo", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "usage: ruledetect demo [--things N] [--hours H] [--seed S] [--json]")
}

// TestDemoEmitReplays: the records demo --emit writes, replayed with the
// profile and custom metrics written beside them, give the demo's
// violation events.
func TestDemoEmitReplays(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "fleet.jsonl")
	code, stdout, stderr := runCLI("", "demo", "--things", "60", "--hours", "3", "--seed", "7", "--json", "--emit", file)
	require.Equal(t, 0, code, stderr)
	var sum demoSummary
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum))
	require.Positive(t, sum.Events.InAlarm)

	// The command it prints is the replay to run.
	_, cmdLine, ok := strings.Cut(stderr, "replay them with\n  ruledetect ")
	require.True(t, ok, stderr)
	args := strings.Fields(cmdLine)
	require.Equal(t, "replay", args[0])
	require.Equal(t, file, args[len(args)-1])

	code, out, rstderr := runCLI("", args...)
	require.Equal(t, 0, code, rstderr)
	byType := map[string]int{}
	byBehavior := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var ev replayEvent
		require.NoError(t, json.Unmarshal([]byte(l), &ev))
		byType[ev.ViolationEventType]++
		if ev.ViolationEventType == "in-alarm" {
			byBehavior[ev.Behavior.Name]++
		}
	}
	assert.Equal(t, map[string]int{"in-alarm": sum.Events.InAlarm, "alarm-cleared": sum.Events.AlarmCleared, "alarm-invalidated": sum.Events.AlarmInvalidated},
		map[string]int{"in-alarm": byType["in-alarm"], "alarm-cleared": byType["alarm-cleared"], "alarm-invalidated": byType["alarm-invalidated"]})
	for _, b := range sum.Behaviors {
		assert.Equal(t, b.InAlarm, byBehavior[b.Behavior], b.Behavior)
	}
	assert.Contains(t, rstderr, fmt.Sprintf("%d records (%d reports)", sum.Records, sum.Reports))

	code, _, stderr = runCLI("", "demo", "--things", "5", "--hours", "1", "--emit", filepath.Join(dir, "no", "such", "dir", "f.jsonl"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "ruledetect demo: --emit: ")
}

// TestDemoShowsProfileAndProgress: the table lists the profile's behaviors
// compactly, and a terminal gets a progress line, cleared at the end.
func TestDemoShowsProfileAndProgress(t *testing.T) {
	defer func(f func(io.Writer) bool, c func() time.Time) { isTerminal, progressClock = f, c }(isTerminal, progressClock)
	var now time.Time
	progressClock = func() time.Time { now = now.Add(time.Second); return now }
	isTerminal = func(io.Writer) bool { return true }

	code, stdout, stderr := runCLI("", "demo", "--things", "20", "--hours", "1")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "PROFILE demo-fleet\n  ListeningTcpPorts: aws:listening-tcp-ports in-port-set [22 80 443 554 1883 8080 8883]\n")
	assert.Contains(t, stdout, "  MessagesSent: aws:num-messages-sent less-than-equals 20 over 300s (alarm after 2, clear after 2)\n")
	assert.Contains(t, stderr, "\rdemo: ")
	assert.Contains(t, stderr, "100.0%")
	assert.True(t, strings.HasSuffix(stderr, "\r\033[K"), "the progress line is cleared: %q", stderr)

	isTerminal = func(io.Writer) bool { return false }
	_, _, stderr = runCLI("", "demo", "--things", "20", "--hours", "1")
	assert.Empty(t, stderr)
}

func TestBehaviorLine(t *testing.T) {
	sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p","behaviors":[
	 {"name":"a","metric":"aws:message-byte-size","metricDimension":{"dimensionName":"T","operator":"NOT_IN"},
	  "criteria":{"comparisonOperator":"less-than","value":{"count":5}}},
	 {"name":"b","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"less-than-equals","statisticalThreshold":{"statistic":"p90"},"durationSeconds":300}},
	 {"name":"c","metric":"aws:num-messages-sent","criteria":{"mlDetectionConfig":{"confidenceLevel":"HIGH"}},"suppressAlerts":true},
	 {"name":"d","metric":"m","criteria":{"comparisonOperator":"in-set","value":{"strings":["x y","z"]}}},
	 {"name":"e","metric":"m","criteria":{"comparisonOperator":"in-set","value":{"numbers":[1.5,2]}}},
	 {"name":"f","metric":"m"}]}`))
	require.NoError(t, err)
	assert.Equal(t, demoProfile{Name: "p", Behaviors: []string{
		"a: aws:message-byte-size [NOT_IN T] less-than 5",
		"b: aws:num-authorization-failures less-than-equals fleet p90 over 300s",
		"c: aws:num-messages-sent ML HIGH [alerts suppressed]",
		`d: m in-set ["x y" "z"]`,
		"e: m in-set [1.5 2]",
		"f: m",
	}}, newDemoProfile(sp))
}
