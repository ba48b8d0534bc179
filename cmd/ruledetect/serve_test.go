package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ruledetect/ruledetect/server"
	"github.com/ruledetect/ruledetect/server/broker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestServeFlags: flags, their environment variables (the command line
// wins), the access-key file, and the usage errors.
func TestServeFlags(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(keyFile, []byte("# operators\nAKIDFILE:filesecret\n\nAKIDTWO:two:with:colons\n"), 0o600))
	badFile := filepath.Join(t.TempDir(), "bad")
	require.NoError(t, os.WriteFile(badFile, []byte("AKIDONLY\n"), 0o600))

	cfg, code, ok := parseServe([]string{"--access-key", "AKIDCLI:clisecret", "--region", "eu-west-1"},
		env(map[string]string{"RULEDETECT_REGION": "us-west-2", "RULEDETECT_LISTEN": "127.0.0.1:9999",
			"RULEDETECT_ACCESS_KEY": "AKIDENV1:s1, AKIDENV2:s2", "RULEDETECT_ACCESS_KEY_FILE": keyFile,
			"RULEDETECT_LOG_LEVEL": "debug"}), io.Discard, io.Discard)
	require.True(t, ok, code)
	assert.Equal(t, "eu-west-1", cfg.region, "the command line wins")
	assert.Equal(t, "127.0.0.1:9999", cfg.listen)
	assert.Equal(t, accessKeys{"AKIDCLI": "clisecret"}.String()+"", "AKIDCLI")
	assert.Equal(t, "clisecret", cfg.keys["AKIDCLI"])
	assert.Equal(t, "filesecret", cfg.keys["AKIDFILE"])
	assert.Equal(t, "two:with:colons", cfg.keys["AKIDTWO"])
	assert.NotContains(t, cfg.keys, "AKIDENV1", "--access-key on the command line replaces RULEDETECT_ACCESS_KEY")
	assert.Equal(t, "debug", strings.ToLower(cfg.logLevel.String()))

	cfg, _, ok = parseServe(nil, env(map[string]string{"RULEDETECT_ACCESS_KEY": "AKIDENV1:s1, AKIDENV2:s2"}), io.Discard, io.Discard)
	require.True(t, ok)
	assert.Equal(t, accessKeys{"AKIDENV1": "s1", "AKIDENV2": "s2"}, cfg.keys)
	assert.Equal(t, server.DefaultAddr, cfg.listen)

	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "no access key"},
		{[]string{"--access-key", "nocolon"}, nil, "want ID:SECRET"},
		{[]string{"--access-key", "A:s", "--tls-cert", "c.pem"}, nil, "--tls-cert and --tls-key go together"},
		{[]string{"--access-key", "A:s", "extra"}, nil, `unexpected argument "extra"`},
		{[]string{"--access-key-file", badFile}, nil, "bad:1: want ID:SECRET"},
		{[]string{"--access-key", "A:s"}, map[string]string{"RULEDETECT_LOG_LEVEL": "loud"}, "RULEDETECT_LOG_LEVEL"},
		{[]string{"--access-key", "A:s", "--access-key", "A:t"}, nil, "given twice"},
	} {
		var stderr bytes.Buffer
		_, code, ok := parseServe(tc.args, env(tc.env), io.Discard, &stderr)
		assert.False(t, ok, tc.want)
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr.String(), tc.want)
	}
}

// TestServeAdvancesClock: serve runs the server and a ticker that advances
// the engine to the wall clock, and returns 0 when its context ends.
func TestServeAdvancesClock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	got := make(chan *server.Server, 1)
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, serveConfig{listen: "127.0.0.1:0", region: "us-east-1", account: "123456789012",
			keys: accessKeys{"A": "s"}}, func(s *server.Server, _ *broker.Broker) { got <- s }, &logs)
	}()
	var srv *server.Server
	select {
	case srv = <-got:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := srv.Engine().ClosedBoundary(); ok {
			break
		}
		require.True(t, time.Now().Before(deadline), "the engine's clock never advanced")
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get("http://" + srv.Addr().String() + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	assert.Contains(t, logs.String(), `"msg":"listening"`)
	assert.Contains(t, logs.String(), `"msg":"stopped"`)
}

// TestServeSIGTERM builds the command, starts `ruledetect serve`, and stops
// it with SIGTERM: a graceful shutdown, exit status 0.
func TestServeSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "ruledetect")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "RULEDETECT_ACCESS_KEY=AKIDSIG:secret")
	stderr, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(stderr)
	var addr string
	for addr == "" && lines.Scan() {
		var rec map[string]any
		if json.Unmarshal(lines.Bytes(), &rec) == nil && rec["msg"] == "listening" {
			addr = rec["addr"].(string)
		}
	}
	require.NotEmpty(t, addr, "no listening record")
	resp, err := http.Get("http://" + addr + "/livez")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	require.NoError(t, cmd.Wait(), rest.String())
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
	assert.Contains(t, rest.String(), `"msg":"stopped"`)
}

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeWithMQTTBroker: with --mqtt-listen, serve also runs the broker
// devices connect to, feeding the same engine: a device's report is
// answered on …/accepted and its messages reach the engine, stamped at
// receipt; a wrong password is a failed connection attempt.
func TestServeWithMQTTBroker(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	type running struct {
		srv *server.Server
		mq  *broker.Broker
	}
	got := make(chan running, 1)
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, serveConfig{listen: "127.0.0.1:0", region: "us-east-1", account: "123456789012",
			keys: accessKeys{"A": "s"}, mqttListen: "127.0.0.1:0", mqttPasswords: accessKeys{"dev-1": "pw-1"},
			lateness: 5 * time.Second},
			func(s *server.Server, b *broker.Broker) { got <- running{s, b} }, &logs)
	}()
	var r running
	select {
	case r = <-got:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	require.NotNil(t, r.mq)

	dial := func(id, pw string) (paho.Client, error) {
		o := paho.NewClientOptions().AddBroker("tcp://" + r.mq.Addr()).SetClientID(id).SetUsername(id).SetPassword(pw).
			SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).SetProtocolVersion(4)
		c := paho.NewClient(o)
		tok := c.Connect()
		if !tok.WaitTimeout(10 * time.Second) {
			return nil, context.DeadlineExceeded
		}
		return c, tok.Error()
	}
	_, err := dial("dev-1", "wrong")
	require.Error(t, err)
	c, err := dial("dev-1", "pw-1")
	require.NoError(t, err)
	defer c.Disconnect(0)
	replies := make(chan string, 1)
	sub := c.Subscribe("$aws/things/dev-1/defender/metrics/json/accepted", 1, func(_ paho.Client, m paho.Message) { replies <- string(m.Payload()) })
	require.True(t, sub.WaitTimeout(10*time.Second))
	require.NoError(t, sub.Error())
	pub := c.Publish("$aws/things/dev-1/defender/metrics/json", 1, false,
		`{"header":{"report_id":7,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":443}]}}}`)
	require.True(t, pub.WaitTimeout(10*time.Second))
	require.NoError(t, pub.Error())
	select {
	case reply := <-replies:
		assert.Contains(t, reply, `"thingName":"dev-1"`)
		assert.Contains(t, reply, `"reportId":7`)
	case <-time.After(10 * time.Second):
		t.Fatal("no accepted reply")
	}
	s := r.mq.Stats()
	assert.Equal(t, uint64(1), s.Inputs.Connects)
	assert.Equal(t, uint64(1), s.Inputs.FailedConnects)
	assert.Equal(t, uint64(1), s.Inputs.Reports)
	assert.Zero(t, r.srv.Engine().Stats().Late, "inputs stamped at receipt are never late within the allowed lateness")
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
