package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/server"
	"github.com/ruledetect/ruledetect/server/broker"
)

// TestServeDurableFlags: --data and its companions, from the command line
// and the environment, and their usage errors.
func TestServeDurableFlags(t *testing.T) {
	cfg, code, ok := parseServe([]string{"--access-key", "A:s", "--data", "/d", "--snapshot-every", "50"},
		env(map[string]string{"RULEDETECT_NATS": "nats://n:4222", "RULEDETECT_SNAPSHOT_INTERVAL": "10s"}), io.Discard, io.Discard)
	require.True(t, ok, code)
	assert.Equal(t, durableConfig{dir: "/d", natsURL: "nats://n:4222", snapshotEvery: 50, snapshotInterval: 10 * time.Second}, cfg.durable)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nats", "nats://n"}, "--nats needs --data DIR"},
		{[]string{"--data", "d", "--snapshot-every", "0"}, "--snapshot-every must be at least 1"},
		{[]string{"--data", "d", "--snapshot-interval", "0s"}, "--snapshot-interval must be positive"},
	} {
		var stderr bytes.Buffer
		_, code, ok := parseServe(append([]string{"--access-key", "A:s"}, tc.args...), env(nil), io.Discard, &stderr)
		assert.False(t, ok, tc.want)
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr.String(), tc.want)
	}
}

// TestServeDurableRestart: serve with --data keeps a profile created over
// the API across a graceful restart, and its snapshot is in the directory.
func TestServeDurableRestart(t *testing.T) {
	dir := t.TempDir()
	start := func() (context.CancelFunc, *server.Server, chan int) {
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan *server.Server, 1)
		done := make(chan int, 1)
		go func() {
			done <- serve(ctx, serveConfig{listen: "127.0.0.1:0", region: "us-east-1", account: "123456789012",
				keys: accessKeys{crashKey: crashSecret}, lateness: 5 * time.Second,
				durable: durableConfig{dir: dir, snapshotEvery: 1000, snapshotInterval: time.Minute}},
				func(s *server.Server, _ *broker.Broker) { got <- s }, io.Discard)
		}()
		select {
		case s := <-got:
			return cancel, s, done
		case code := <-done:
			t.Fatalf("serve exited %d", code)
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not start")
		}
		return nil, nil, nil
	}
	cancel, srv, done := start()
	resp, err := http.Get("http://" + srv.Addr().String() + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	body := crashCall(t, srv.Addr().String(), "POST", "/security-profiles/kept", "", crashProfile, 200)
	assert.Contains(t, string(body), `"securityProfileArn":"arn:aws:iot:us-east-1:123456789012:securityprofile/kept"`)
	crashCall(t, srv.Addr().String(), "POST", "/security-profiles/kept", "", `{"behaviors":[]}`, 409)
	cancel()
	require.Equal(t, 0, <-done)
	snaps, err := filepath.Glob(filepath.Join(dir, "snapshot-*.rds"))
	require.NoError(t, err)
	assert.Len(t, snaps, 1, "the graceful stop wrote a snapshot")
	_, err = os.Stat(filepath.Join(dir, "nats"))
	assert.NoError(t, err, "the embedded NATS store is in --data")

	cancel, srv, done = start()
	defer func() { cancel(); <-done }()
	body = crashCall(t, srv.Addr().String(), "GET", "/security-profiles/kept", "", "", 200)
	assert.Contains(t, string(body), `"version":1`)
}
