package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/internal/replay"
)

// replayRun is everything a replay shows: exit status, events, and standard
// error without the summary's timing.
type replayRun struct {
	code           int
	stdout, stderr string
}

var summaryTiming = regexp.MustCompile(`; [0-9.]+s, [0-9]+ records/s`)

func runReplayWith(t *testing.T, stdin string, args []string, decoders int) replayRun {
	t.Helper()
	full := append([]string{"replay", "--decoders", fmt.Sprint(decoders)}, args[1:]...)
	var stdout, stderr bytes.Buffer
	code := run(full, strings.NewReader(stdin), &stdout, &stderr)
	return replayRun{code, stdout.String(), summaryTiming.ReplaceAllString(stderr.String(), "")}
}

// assertSameForAnyDecoders replays args with one decoder (everything on one
// goroutine, record after record) and with several, and requires the same
// bytes from each.
func assertSameForAnyDecoders(t *testing.T, stdin string, args []string) replayRun {
	t.Helper()
	want := runReplayWith(t, stdin, args, 1)
	for _, n := range []int{2, 3, 8} {
		got := runReplayWith(t, stdin, args, n)
		assert.Equal(t, want.code, got.code, "exit status with %d decoders", n)
		assert.Equal(t, want.stdout, got.stdout, "events with %d decoders", n)
		assert.Equal(t, want.stderr, got.stderr, "standard error with %d decoders", n)
	}
	return want
}

// TestReplayDecodersScenarios: every scenario prints the same with any
// number of decoders.
func TestReplayDecodersScenarios(t *testing.T) {
	for _, s := range loadScenarios(t) {
		t.Run(s.name, func(t *testing.T) {
			r := assertSameForAnyDecoders(t, "", cliArgs(s))
			require.Equal(t, 0, r.code, r.stderr)
		})
	}
}

// emitDemoFleet writes a demo fleet as replay input and returns the replay
// command line demo prints for it, and the input's lines.
func emitDemoFleet(t *testing.T, things, hours int) (args []string, lines []string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "fleet.jsonl")
	code, _, stderr := runCLI("", "demo", "--things", fmt.Sprint(things), "--hours", fmt.Sprint(hours), "--seed", "7", "--emit", file)
	require.Equal(t, 0, code, stderr)
	_, cmdLine, ok := strings.Cut(stderr, "replay them with\n  ruledetect ")
	require.True(t, ok, stderr)
	args = strings.Fields(cmdLine)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	return args, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestReplayDecodersFleet: a generated fleet, from a file and from standard
// input, prints the same with any number of decoders, spread over many
// batches.
func TestReplayDecodersFleet(t *testing.T) {
	args, lines := emitDemoFleet(t, 60, 3)
	require.Greater(t, len(lines), 4000, "several batches")
	r := assertSameForAnyDecoders(t, "", args)
	require.Equal(t, 0, r.code, r.stderr)
	require.NotEmpty(t, r.stdout)

	stdinArgs := append(append([]string{}, args[:len(args)-1]...), "-")
	r2 := assertSameForAnyDecoders(t, strings.Join(lines, "\n")+"\n", stdinArgs)
	assert.Equal(t, r.stdout, r2.stdout)
}

// TestReplayDecodersBadRecords: bad lines and rejected records in the middle
// of a fleet are reported at the same lines, counted the same, and stop the
// replay at the same point (with the events before it written), with any
// number of decoders.
func TestReplayDecodersBadRecords(t *testing.T) {
	args, lines := emitDemoFleet(t, 30, 2)
	require.Greater(t, len(lines), 2000)
	thing := func(i int) string {
		var rec replay.Record
		require.NoError(t, replay.NewReader(strings.NewReader(lines[i])).Next(&rec))
		return rec.ThingName
	}
	bad := map[int]string{
		100:  `not json`,
		700:  `{"time":1767225900,"thingName":"` + thing(700) + `","report":{"header":}}`, // malformed report: the engine rejects it
		1300: `{"time":"2026-01-01T00:00:00Z","thingName":"x","type":"disconnect","extra":1}`,
		1301: `{"time":"1970-01-01T00:00:00Z","thingName":"x","type":"disconnect"}`, // late
		1900: `{"time":1,"thingName":"x","report":{"a":1}` + strings.Repeat(" ", replay.MaxLineBytes) + `}`,
		// A report followed by members: the decoding goroutines take a report
		// up to the record's closing brace on trust, and these must still be
		// the bad records they are, not malformed reports.
		400: `{"time":1767225900,"thingName":"x","report":{"hed":{"rid":1,"v":"1.0"},"met":{}},"bogus":{}}`,
		500: `{"report":{"hed":{"rid":1,"v":"1.0"},"met":{}},"time":1767225900}}`,
	}
	var in []string
	for i, l := range lines {
		if b, ok := bad[i]; ok {
			in = append(in, b)
		}
		in = append(in, l)
		if i == 1000 {
			in = append(in, "", "   ") // blank lines count in line numbers
		}
	}
	file := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(in, "\n")+"\n"), 0o644))
	args[len(args)-1] = file

	skip := append([]string{args[0], "--skip-bad"}, args[1:]...)
	r := assertSameForAnyDecoders(t, "", skip)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "bad.jsonl:101: skipped: invalid JSON at column 2: invalid character 'o' in literal null")
	assert.Contains(t, r.stderr, "bad.jsonl:704: skipped: IngestReport: ")
	assert.Contains(t, r.stderr, `bad.jsonl:402: skipped: field "bogus": unknown key`)
	assert.Contains(t, r.stderr, `bad.jsonl:503: skipped: invalid JSON at column 66: invalid character '}' after the record object`)
	assert.Regexp(t, `skipped: 5 bad, 1 rejected, 1 late`, r.stderr)

	stop := assertSameForAnyDecoders(t, "", args)
	assert.Equal(t, 2, stop.code)
	assert.Contains(t, stop.stderr, "bad.jsonl:101: invalid JSON at column 2")

	// Stopping later in the input: the events before it are written.
	at := len(lines) * 2 / 3
	in = append(append(append([]string{}, lines[:at]...), `{"time":1767225900,"thingName":"x","report":{"header":}}`), lines[at:]...)
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(in, "\n")+"\n"), 0o644))
	all := runReplayWith(t, "", append([]string{args[0], "--skip-bad"}, args[1:]...), 1)
	stop = assertSameForAnyDecoders(t, "", args)
	assert.Equal(t, 2, stop.code)
	assert.Contains(t, stop.stderr, fmt.Sprintf("bad.jsonl:%d: IngestReport: Malformed metrics report", at+1))
	assert.NotEmpty(t, stop.stdout, "events before the bad line are written")
	assert.True(t, strings.HasPrefix(all.stdout, stop.stdout), "the events written are those of the full replay up to the stop")
	assert.Less(t, len(stop.stdout), len(all.stdout))
}
