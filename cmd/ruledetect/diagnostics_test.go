package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplaySkipBadLists: --skip-bad lists each skipped line with its
// number and reason, the first 100, then how many more; values dropped
// from accepted reports are listed with their line too.
func TestReplaySkipBadLists(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"time":"2026-01-01T00:00:10Z","thingName":"cam-1","report":{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":70000},{"port":443}]}}}}` + "\n")
	for i := range 120 {
		fmt.Fprintf(&b, `{"time":"2026-01-01T00:00:%02dZ","thingName":"cam-1","type":"message-sent","bytes":5}`+"\n", 11+i%40)
	}
	b.WriteString(`{"time":"2026-01-01T00:05:10Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":5}` + "\n")
	b.WriteString(`{"time":"2026-01-01T00:00:20Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":5}` + "\n")

	code, _, stderr := runCLI(b.String(), replayArgs(t, "--skip-bad")...)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	assert.Equal(t, "ruledetect replay: standard input:1: dropped value: aws:listening-tcp-ports at metrics.listening_tcp_ports.ports[0].port: port 70000 outside 1..65535", lines[0])
	for i := 1; i <= 100; i++ {
		assert.Equal(t, fmt.Sprintf(`ruledetect replay: standard input:%d: skipped: field "topic": required for type "message-sent"`, i+1), lines[i])
	}
	assert.Equal(t, []string{
		"ruledetect replay: standard input: 21 more skipped lines not listed", // 20 bad, 1 late
	}, lines[101:102])
	assert.Contains(t, lines[102], "skipped: 120 bad, 0 rejected, 1 late, 0 ahead of the clock; 1 values dropped;")

	// Without --skip-bad a dropped value is still listed: the report was
	// accepted.
	code, _, stderr = runCLI(lines1(b.String()), replayArgs(t)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "standard input:1: dropped value: aws:listening-tcp-ports")
}

func lines1(s string) string { return strings.SplitAfter(s, "\n")[0] }
