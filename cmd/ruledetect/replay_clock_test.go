package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// One record ten years ahead used to move the clock there: replay
// --skip-bad then dropped every later record of every other thing as late,
// exited 0 and said only "10 late". Now it is a bad record with its line,
// and the other things' events are those of a replay without it.
func TestReplayRecordTenYearsAheadIsABadRecord(t *testing.T) {
	records := []string{
		`{"time":"2026-01-01T00:01:00Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1000}`,
		`{"time":"2036-01-01T00:01:00Z","thingName":"cam-2","type":"message-sent","topic":"dt/a","bytes":1000}`,
		`{"time":"2026-01-01T00:02:00Z","thingName":"cam-3","type":"message-sent","topic":"dt/a","bytes":1000}`,
		`{"time":"2026-01-01T00:03:00Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1}`,
	}
	code, stdout, stderr := runCLI(lines(records...), replayArgs(t)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "standard input:2: IngestMessage: input at 2036-01-01T00:01:00Z is more than 168h0m0s ahead of the watermark")

	code, stdout, stderr = runCLI(lines(records...), replayArgs(t, "--skip-bad")...)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "standard input:2: skipped:")
	assert.Contains(t, stderr, "skipped: 0 bad, 0 rejected, 0 late, 1 ahead of the clock;")
	_, without, _ := runCLI(lines(records[0], records[2], records[3]), replayArgs(t)...)
	assert.Equal(t, parseEvents(t, without), parseEvents(t, stdout))
	assert.Equal(t, []string{"00:01:00 cam-1 Size in-alarm", "00:02:00 cam-3 Size in-alarm", "00:03:00 cam-1 Size alarm-cleared"}, parseEvents(t, stdout))

	// With no limit, the jump is taken: every later record is late.
	code, _, stderr = runCLI(lines(records...), replayArgs(t, "--skip-bad", "--max-clock-jump", "0")...)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "2 late, 0 ahead of the clock")
}

// With --allowed-lateness, records out of order within it are not late and
// give the events of the same records in order.
func TestReplayAllowedLateness(t *testing.T) {
	inOrder := lines(
		`{"time":"2026-01-01T00:04:00Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1}`,
		`{"time":"2026-01-01T00:04:30Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1000}`,
		`{"time":"2026-01-01T00:05:10Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1}`,
		`{"time":"2026-01-01T00:05:20Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1}`,
	)
	shuffled := lines(
		`{"time":"2026-01-01T00:04:00Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1}`,
		`{"time":"2026-01-01T00:05:10Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1}`,
		`{"time":"2026-01-01T00:05:20Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1}`,
		`{"time":"2026-01-01T00:04:30Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":1000}`,
	)
	code, _, stderr := runCLI(shuffled, replayArgs(t)...)
	assert.Equal(t, 2, code, "without lateness the 00:04:30 record is late")
	assert.Contains(t, stderr, "standard input:4:")

	_, want, _ := runCLI(inOrder, replayArgs(t, "--allowed-lateness", "1m")...)
	code, got, stderr := runCLI(shuffled, replayArgs(t, "--allowed-lateness", "1m")...)
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, parseEvents(t, want), parseEvents(t, got))
	assert.Equal(t, []string{"00:04:30 cam-1 Size in-alarm", "00:05:10 cam-1 Size alarm-cleared"}, parseEvents(t, got),
		"the 1000-byte message judged in time order, before the later small ones")

	code, _, stderr = runCLI(inOrder, replayArgs(t, "--allowed-lateness", "48h")...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--allowed-lateness")
}
