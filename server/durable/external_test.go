package durable

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
)

// startNATSServer runs Debian's nats-server with JetStream on a loopback
// port and returns its URL. It skips without the binary, except under
// CI=true (where .ci/run installs it).
func startNATSServer(t *testing.T) string {
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("nats-server is not installed (.ci/run installs Debian's nats-server)")
		}
		t.Skip("nats-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-js", "-sd", filepath.Join(t.TempDir(), "js"))
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "nats-server did not listen")
		time.Sleep(50 * time.Millisecond)
	}
	return "nats://" + addr
}

// TestExternalNATS: with NATSURL the log lives in an external NATS server
// (Debian's nats-server); a restart from the snapshots in Dir and the
// stream in that server recovers the uninterrupted run's state.
func TestExternalNATS(t *testing.T) {
	url := startNATSServer(t)
	steps := sequence(30)
	want := reference(t, steps)
	dir := t.TempDir()
	openExt := func() *Log {
		l, err := Open(context.Background(), Config{Dir: dir, NATSURL: url, SnapshotEvery: 9, Options: []ruledetect.Option{retention}})
		require.NoError(t, err)
		srv, err := server.New(server.Config{Engine: l.Engine(), Credentials: map[string]string{"A": "s"}, Commit: l.Commit})
		require.NoError(t, err)
		require.NoError(t, l.Recover(context.Background(), srv.Apply))
		return l
	}
	l := openExt()
	run(t, l, steps[:20])
	l.abandon()
	_, err := os.Stat(filepath.Join(dir, "nats"))
	assert.True(t, os.IsNotExist(err), "no embedded store with an external server")
	l = openExt()
	run(t, l, steps[20:])
	require.NoError(t, l.Close(context.Background()))
	l = openExt()
	defer l.Close(context.Background())
	assert.Equal(t, events(t, want), events(t, l.Engine()))
	assert.Equal(t, metricValues(t, want), metricValues(t, l.Engine()))
}
