package main

import (
	"encoding/json"
	"testing"
	"time"

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
	one, err := runFleet(cfg, 1)
	require.NoError(t, err)
	three, err := runFleet(cfg, 3)
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
