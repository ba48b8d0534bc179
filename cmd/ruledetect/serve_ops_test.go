package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/server"
	"github.com/ruledetect/ruledetect/server/broker"
)

// TestServeOpsFlags: the alert and retention flags, their environment
// variables and their usage errors.
func TestServeOpsFlags(t *testing.T) {
	cfg, code, ok := parseServe([]string{"--access-key", "A:s", "--alert-attempts", "4"},
		env(map[string]string{"RULEDETECT_ALERT_WEBHOOK": "https://hooks.example/detect", "RULEDETECT_METRIC_RETENTION": "2h",
			"RULEDETECT_ALERT_ATTEMPTS": "9"}), io.Discard, io.Discard)
	require.True(t, ok, code)
	assert.Equal(t, opsConfig{metricRetention: 2 * time.Hour, alertWebhook: "https://hooks.example/detect", alertAttempts: 4}, cfg.ops)

	cfg, _, ok = parseServe([]string{"--access-key", "A:s"}, env(nil), io.Discard, io.Discard)
	require.True(t, ok)
	assert.Equal(t, opsConfig{metricRetention: 24 * time.Hour, alertAttempts: defaultAlertAttempts}, cfg.ops, "the defaults")

	pw := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pw, []byte("dev-1:pw\n"), 0o600))
	cfg, _, ok = parseServe([]string{"--access-key", "A:s", "--mqtt-listen", ":0", "--mqtt-passwords", pw, "--alert-topic", "alerts/detect"}, env(nil), io.Discard, io.Discard)
	require.True(t, ok)
	assert.Equal(t, "alerts/detect", cfg.ops.alertTopic)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--alert-topic", "alerts"}, "--alert-topic needs --mqtt-listen"},
		{[]string{"--mqtt-listen", ":0", "--mqtt-passwords", pw, "--alert-topic", "alerts/#"}, "without wildcards"},
		{[]string{"--mqtt-listen", ":0", "--mqtt-passwords", pw, "--alert-topic", "$aws/x"}, "start with '$'"},
		{[]string{"--alert-webhook", "hooks.example/detect"}, "want an http:// or https:// URL"},
		{[]string{"--alert-webhook", "ftp://hooks.example/"}, "want an http:// or https:// URL"},
		{[]string{"--metric-retention", "-1h"}, "want 0 (off) or more"},
		{[]string{"--alert-attempts", "0"}, "want 1 or more"},
	} {
		var stderr bytes.Buffer
		_, code, ok := parseServe(append([]string{"--access-key", "A:s"}, tc.args...), env(nil), io.Discard, &stderr)
		assert.False(t, ok, tc.want)
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr.String(), tc.want)
	}
}

// TestServeAlertsAndMetrics runs serve with a webhook, an alert topic and
// the broker: a device's oversized message alarms; the alert reaches the
// webhook and a subscriber of the topic, its values are retained, and
// /metrics counts it all.
func TestServeAlertsAndMetrics(t *testing.T) {
	var mu sync.Mutex
	var posts []*http.Request
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts, bodies = append(posts, r), append(bodies, string(b))
		mu.Unlock()
	}))
	defer hook.Close()

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
			keys: accessKeys{"A": "s"}, mqttListen: "127.0.0.1:0", mqttPasswords: accessKeys{"dev-1": "pw-1", "monitor": "pw-m"},
			lateness: 5 * time.Second,
			ops:      opsConfig{metricRetention: time.Hour, alertWebhook: hook.URL, alertTopic: "things/monitor/alerts", alertAttempts: 3}},
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
	eng := r.srv.Engine()
	p, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"sizes","behaviors":[
		{"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than-equals","value":{"count":100}}}]}`))
	require.NoError(t, err)
	_, err = eng.CreateSecurityProfile(ctx, *p)
	require.NoError(t, err)
	require.NoError(t, eng.AttachSecurityProfile(ctx, "sizes", eng.Arn("all/things")))

	dial := func(id, pw string) paho.Client {
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + r.mq.Addr()).SetClientID(id).SetUsername(id).SetPassword(pw).
			SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).SetProtocolVersion(4))
		tok := c.Connect()
		require.True(t, tok.WaitTimeout(10*time.Second))
		require.NoError(t, tok.Error())
		t.Cleanup(func() { c.Disconnect(0) })
		return c
	}
	monitor := dial("monitor", "pw-m")
	alerts := make(chan []byte, 10)
	tok := monitor.Subscribe("things/monitor/alerts", 1, func(_ paho.Client, m paho.Message) { alerts <- m.Payload() })
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	dev := dial("dev-1", "pw-1")
	tok = dev.Publish("things/dev-1/data", 1, false, strings.Repeat("x", 500))
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())

	var alert []byte
	select {
	case alert = <-alerts:
	case <-time.After(10 * time.Second):
		t.Fatal("no alert on the alert topic")
	}
	var msg map[string]any
	require.NoError(t, json.Unmarshal(alert, &msg))
	assert.Equal(t, "dev-1", msg["thingName"])
	assert.Equal(t, "in-alarm", msg["violationEventType"])
	require.NoError(t, eng.Flush(ctx))
	mu.Lock()
	require.Len(t, posts, 1)
	assert.JSONEq(t, string(alert), bodies[0])
	assert.True(t, strings.HasPrefix(posts[0].Header.Get(server.DedupeKeyHeader), msg["violationId"].(string)+":in-alarm:"))
	mu.Unlock()

	vals, err := eng.ListMetricValues(ctx, ruledetect.ListMetricValuesInput{ThingName: "dev-1", MetricName: "aws:message-byte-size",
		StartTime: behavior.At(time.Now().Add(-time.Hour)), EndTime: behavior.At(time.Now().Add(time.Hour))})
	require.NoError(t, err, "--metric-retention keeps values")
	require.Len(t, vals.MetricDatumList, 1)

	resp, err := http.Get("http://" + r.srv.Addr().String() + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	text := string(body)
	for _, want := range []string{
		`ruledetect_violation_events_total{type="in-alarm"} 1`,
		`ruledetect_alert_deliveries_total 1`,
		`ruledetect_mqtt_inputs_total{kind="connect"} 2`,
		`ruledetect_mqtt_inputs_total{kind="message_sent"} 1`,
		`ruledetect_alert_queue_depth 0`,
		`ruledetect_period_close_seconds_count`,
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "dev-1")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeLogsGivenUpAlerts: an alert a webhook refuses on every attempt
// is counted and logged as given up.
func TestServeLogsGivenUpAlerts(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer hook.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	got := make(chan *server.Server, 1)
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, serveConfig{listen: "127.0.0.1:0", region: "us-east-1", account: "123456789012",
			keys: accessKeys{"A": "s"}, lateness: 5 * time.Second, ops: opsConfig{alertWebhook: hook.URL, alertAttempts: 1}},
			func(s *server.Server, _ *broker.Broker) { got <- s }, &logs)
	}()
	var srv *server.Server
	select {
	case srv = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	eng := srv.Engine()
	p, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"sizes","behaviors":[
		{"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than-equals","value":{"count":100}}}]}`))
	require.NoError(t, err)
	_, err = eng.CreateSecurityProfile(ctx, *p)
	require.NoError(t, err)
	require.NoError(t, eng.AttachSecurityProfile(ctx, "sizes", eng.Arn("all/things")))
	require.NoError(t, eng.IngestMessage(ctx, ruledetect.Message{Thing: "dev-1", Time: time.Now(), Direction: ruledetect.Sent, Topic: "t", Bytes: 500}))
	// The input is applied once the ticker passes it by the allowed lateness.
	deadline := time.Now().Add(15 * time.Second)
	for eng.Stats().Delivery.Failed < 1 {
		require.True(t, time.Now().Before(deadline), "no alert given up: %+v", eng.Stats())
		time.Sleep(20 * time.Millisecond)
	}
	for !strings.Contains(logs.String(), "alerts given up after the last attempt") {
		require.True(t, time.Now().Before(deadline), "not logged: %s", logs.String())
		time.Sleep(20 * time.Millisecond)
	}
	assert.Contains(t, logs.String(), "502 Bad Gateway")
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
