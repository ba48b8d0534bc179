package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every scenario directory has a test.yaml saying what its README.md
// says; `ruledetect test` runs them all and they pass.
func TestTestCommandScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenarioDir, "*", "test.yaml"))
	require.NoError(t, err)
	dirs, err := filepath.Glob(filepath.Join(scenarioDir, "*", "profile.json"))
	require.NoError(t, err)
	require.Len(t, files, len(dirs), "every scenario has a test.yaml")
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"test"}, files...), nil, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	assert.Contains(t, stdout.String(), "0 failed, 0 bad")
	assert.NotContains(t, stdout.String(), "FAIL")
}

// A broken expectation fails with exit status 1 and a diff naming the
// behavior, the thing, the times and the datapoints that decided them.
func TestTestCommandBrokenExpectation(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"test", "testdata/testfiles/broken.yaml"}, nil, &stdout, &stderr)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	out := stdout.String()
	assert.Contains(t, out, "--- FAIL: testdata/testfiles/broken.yaml:6:5 alarm expected one window early\n")
	assert.Contains(t, out, "violation events differ (-want +got):")
	assert.Contains(t, out, "-")
	assert.Regexp(t, `(?m)^\s+- .*2026-01-01T00:20:00Z in-alarm cam-1 msg-rate/messages-sent \{"count":3\}`, out, "the expected event, with its behavior and thing")
	assert.Regexp(t, `(?m)^\s+\+ .*2026-01-01T00:25:00Z in-alarm cam-1 msg-rate/messages-sent \{"count":3\}`, out, "the event raised instead")
	assert.Contains(t, out, "datapoints of thing cam-1, behavior msg-rate/messages-sent (aws:num-messages-sent) from 2025-12-31T23:30:00Z to 2026-01-01T00:30:00Z:\n")
	// The datapoints from 00:05 to 00:30, marking those at the events' times.
	for _, l := range []string{
		`    2026-01-01T00:05:00Z  {"count":3}  violating`,
		`    2026-01-01T00:10:00Z  {"count":1}  compliant`,
		`    2026-01-01T00:15:00Z  {"count":3}  violating`,
		`  > 2026-01-01T00:20:00Z  {"count":3}  violating`,
		`  > 2026-01-01T00:25:00Z  {"count":3}  violating`,
		`    2026-01-01T00:30:00Z  {"count":0}  compliant`,
	} {
		assert.Contains(t, out, "    "+l+"\n")
	}
	assert.Contains(t, out, "0 passed, 1 failed, 0 bad")
}

// A bad test file stops with exit status 2 and names the line and column.
func TestTestCommandBadFile(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"test", "testdata/testfiles/bad-file.yaml"}, nil, &stdout, &stderr)
	require.Equal(t, 2, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	assert.Equal(t, "ruledetect test: testdata/testfiles/bad-file.yaml:7:51: expected event: unknown key \"behaviour\"\n", stderr.String())

	stderr.Reset()
	require.Equal(t, 2, run([]string{"test", "testdata/testfiles/bad-profile.yaml"}, nil, &stdout, &stderr))
	assert.Equal(t, "ruledetect test: testdata/testfiles/bad-profile.yaml:3:5: profile: CreateSecurityProfile: Behavior cpu is malformed. durationSeconds 60 should be one of 300, 600, 900, 1800, 3600 (resource cams)\n", stderr.String())

	stderr.Reset()
	assert.Equal(t, 2, run([]string{"test"}, nil, &stdout, &stderr), "no file is a usage error")
	assert.Equal(t, 2, run([]string{"test", "testdata/testfiles/missing.yaml"}, nil, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "missing.yaml")
}

// Inline documents, thing groups and targets, another period and start,
// report and connect series, and active violations after the end.
// Profiles in the other forms replay reads (CloudFormation, a behaviors
// request) too.
func TestTestCommandFeatures(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"test", "testdata/testfiles/features.yaml", "testdata/testfiles/profile-forms.yaml"}, nil, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	assert.Contains(t, stdout.String(), "2 passed, 0 failed, 0 bad")
}
