package durable

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
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
	url, _ := startNATSServerStoppable(t)
	return url
}

// startNATSServerStoppable is startNATSServer with a function that stops
// the server.
func startNATSServerStoppable(t *testing.T) (string, func()) {
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
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); cmd.Wait() }) }
	t.Cleanup(stop)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "nats-server did not listen")
		time.Sleep(50 * time.Millisecond)
	}
	return "nats://" + addr, stop
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

// TestLogFailsWhenNATSGoesAway: an append the server never acknowledges
// fails the Log: the call gets ErrUnavailable, Failed is closed, Ready is
// false, and every later call is refused without reaching the Engine.
func TestLogFailsWhenNATSGoesAway(t *testing.T) {
	ctx := context.Background()
	url, stop := startNATSServerStoppable(t)
	l, err := Open(context.Background(), Config{Dir: t.TempDir(), NATSURL: url, AppendTimeout: 2 * time.Second})
	require.NoError(t, err)
	defer l.Close(context.Background())
	srv, err := server.New(server.Config{Engine: l.Engine(), Credentials: map[string]string{"A": "s"}, Commit: l.Commit})
	require.NoError(t, err)
	require.NoError(t, l.Recover(context.Background(), srv.Apply))
	msg := ruledetect.Message{Thing: "a", Time: t0, Direction: ruledetect.Sent, Topic: "t", Bytes: 1}
	require.NoError(t, l.IngestMessage(ctx, msg))
	stop()
	err = l.IngestMessage(ctx, msg)
	assert.ErrorIs(t, err, server.ErrUnavailable)
	assert.ErrorIs(t, err, ErrLog)
	select {
	case <-l.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("the log did not fail")
	}
	assert.False(t, l.Ready())
	assert.ErrorIs(t, l.Err(), ErrLog)
	_, err = l.Commit(context.Background(), server.Call{Operation: "CreateDimension", PathValues: map[string]string{"name": "d"},
		Body: []byte(`{"type":"TOPIC_FILTER","stringValues":["a/#"]}`)})
	assert.ErrorIs(t, err, server.ErrUnavailable)
	_, err = l.Engine().DescribeDimension(context.Background(), "d")
	assert.ErrorIs(t, err, ruledetect.ErrResourceNotFound, "a refused call changed nothing")
	assert.Equal(t, uint64(1), l.Stats().Appended)
}
