package durable

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
)

// TestOpenRefusesADirectoryInUse: a second Log on a data directory that a
// Log holds is refused, naming the process that holds it; the directory is
// free again once the first is closed, or abandoned as a crash would.
func TestOpenRefusesADirectoryInUse(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no file locks: the directory is not guarded here")
	}
	dir := t.TempDir()
	cfg := func() Config {
		return Config{Dir: dir, Store: &memStore{}, Options: []ruledetect.Option{retention}}
	}
	first, err := Open(context.Background(), cfg())
	require.NoError(t, err)

	_, err = Open(context.Background(), cfg())
	require.ErrorIs(t, err, ErrDirInUse)
	require.ErrorIs(t, err, ErrLog)
	assert.ErrorContains(t, err, "process "+strconv.Itoa(os.Getpid()))
	require.NoError(t, first.Close(context.Background()))

	second, err := Open(context.Background(), cfg())
	require.NoError(t, err, "free once the first is closed")
	second.abandon()

	third, err := Open(context.Background(), cfg())
	require.NoError(t, err, "free after a crash")
	require.NoError(t, third.Close(context.Background()))
}
