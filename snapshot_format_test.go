package ruledetect

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/snapshot-v2.bin from the current engine")

// TestSnapshotGolden restores a snapshot written by the engine of
// 2026-12-02 (format version 2, every section non-empty): a snapshot written
// before a change to the decoders must still restore, to the state of an
// engine that was never stopped. Regenerate the file (-update-golden) only
// when snapStream changes, never to make a decoder change pass.
func TestSnapshotGolden(t *testing.T) {
	const path = "testdata/snapshot-v2.bin"
	opts := []Option{WithInvalidationHorizon(time.Hour), WithMetricRetention(MetricRetention{Duration: 20 * time.Minute})}
	e, clock := snapEngine(t, opts...)
	steps := snapStream(6, false)
	snapApply(t, e, clock, steps[:len(steps)*2/3])
	if *updateGolden {
		var buf bytes.Buffer
		require.NoError(t, e.WriteSnapshot(context.Background(), &buf))
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, byte(snapshotVersion), data[len(snapshotMagic)], "the file is of the current format version")

	r, err := RestoreSnapshot(context.Background(), bytes.NewReader(data), append([]Option{WithClock(clock.Now)}, opts...)...)
	require.NoError(t, err)
	want, err := e.snapshot(true)
	require.NoError(t, err)
	got, err := r.snapshot(true)
	require.NoError(t, err)
	for i, s := range want {
		require.NotEmpty(t, s, "section %d of the golden state", i)
	}
	// The log's events of one period close are numbered in an order that
	// varies from run to run: the restored log is compared with the file's.
	_, logData, _, _ := goldenSections(t, data)
	assert.Equal(t, logData, got[1], "the violation log")
	want[1], got[1] = nil, nil
	assert.Equal(t, want, got, "the restored state is the state that was written")
}

// goldenSections splits a snapshot into its four sections.
func goldenSections(t testing.TB, data []byte) (ctl, log, things, metrics []byte) {
	d := wire.NewDecoder(data[len(snapshotMagic)+1:len(data)-4], 0)
	ctl, log, things, metrics = d.Section("control"), d.Section("violation log"), d.Section("things"), d.Section("metric values")
	require.NoError(t, d.Err())
	require.Zero(t, d.Left())
	return ctl, log, things, metrics
}

// Regression: the thing section's varints were read with encoding/binary,
// which accepts a number written in more bytes than it needs, so one state
// had many encodings. A count of things written in two bytes is refused.
func TestSnapshotNonMinimalVarint(t *testing.T) {
	data := snapshotOf(t, 5)
	ctl, log, things := snapSections(t, data)
	require.Less(t, things[0], byte(0x80), "the count of things takes one byte")
	_, err := restoreBytes(snapAssemble(t, ctl, log, things))
	require.NoError(t, err)
	things = append([]byte{things[0] | 0x80, 0x00}, things[1:]...)
	_, err = restoreBytes(snapAssemble(t, ctl, log, things))
	require.ErrorIs(t, err, ErrInvalidSnapshot)
	assert.Contains(t, err.Error(), "truncated or malformed number: wire: non-minimal varint at byte 0")
}
