package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
	"github.com/ruledetect/ruledetect/server/broker"
)

// scrape GETs /metrics and parses the text format.
func scrape(t *testing.T, url string) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	require.NoError(t, err)
	return fams, string(body)
}

// value is the value of the series name{labels} ("k=v" pairs), failing
// the test when there is none.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	require.True(t, ok, "no metric %s", name)
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func TestMetricsAfterActivity(t *testing.T) {
	hook := &flakyWebhook{failures: 1}
	wh := httptest.NewServer(hook)
	defer wh.Close()
	alerts := server.NewAlerts(&server.WebhookSink{URL: wh.URL})
	eng := alertEngine(t, alerts, 3)

	b, err := broker.New(broker.Config{Engine: eng, Listen: "127.0.0.1:0", Passwords: map[string]string{"dev-1": "pw"}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	srv, err := server.New(server.Config{
		Engine: eng, Credentials: map[string]string{accessKey: secretKey},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Alerts: alerts, BrokerStats: b.Stats,
		Status: func() server.Status { return server.Status{SnapshotAge: 42 * time.Second, LogLag: 7} },
	})
	require.NoError(t, err)
	api := httptest.NewServer(srv.Handler())
	defer api.Close()

	// Nothing happened yet: every series exists, at zero.
	fams, _ := scrape(t, api.URL)
	assert.Zero(t, value(t, fams, "ruledetect_engine_inputs_total"))
	assert.Zero(t, value(t, fams, "ruledetect_mqtt_inputs_total", "kind=connect"))
	assert.Zero(t, value(t, fams, "ruledetect_violation_events_total", "type=in-alarm"))

	// A refused connect and an accepted one, through the real broker.
	for _, pw := range []string{"wrong", "pw"} {
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.Addr()).SetClientID("dev-1").
			SetUsername("dev-1").SetPassword(pw).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).SetProtocolVersion(4))
		tok := c.Connect()
		require.True(t, tok.WaitTimeout(10*time.Second))
		if pw == "pw" {
			require.NoError(t, tok.Error())
			defer c.Disconnect(0)
		} else {
			require.Error(t, tok.Error())
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for s := b.Stats(); s.Inputs.Connects < 1 || s.FailedConnects.BadCredentials < 1; s = b.Stats() {
		require.True(t, time.Now().Before(deadline), "broker stats %+v", s)
		time.Sleep(5 * time.Millisecond)
	}

	// A violation whose alert the webhook takes at the second attempt, an
	// invalid input and a late one.
	now := time.Now().UTC().Truncate(time.Second)
	require.NoError(t, eng.IngestMessage(ctx, ruledetect.Message{Thing: "dev-1", Time: now, Direction: ruledetect.Sent, Topic: "t", Bytes: 500}))
	srv.Advance(ctx, now.Add(10*time.Minute))
	srv.Advance(ctx, now.Add(11*time.Minute))
	require.NoError(t, eng.Flush(context.Background()))
	err = eng.IngestMessage(ctx, ruledetect.Message{Thing: "", Time: now, Direction: ruledetect.Sent, Topic: "t", Bytes: 1})
	require.True(t, errors.Is(err, ruledetect.ErrInvalidRequest), "%v", err)
	err = eng.IngestMessage(ctx, ruledetect.Message{Thing: "dev-1", Time: now, Direction: ruledetect.Sent, Topic: "t", Bytes: 1})
	require.True(t, errors.Is(err, ruledetect.ErrLateInput), "%v", err)

	fams, body := scrape(t, api.URL)
	st := eng.Stats()
	assert.Equal(t, float64(st.Inputs), value(t, fams, "ruledetect_engine_inputs_total"))
	assert.GreaterOrEqual(t, st.Inputs, uint64(3), "a failed connect, a connect and a message")
	assert.Equal(t, 1.0, value(t, fams, "ruledetect_engine_late_inputs_total"))
	assert.Equal(t, 1.0, value(t, fams, "ruledetect_engine_rejected_inputs_total"))
	assert.Zero(t, value(t, fams, "ruledetect_engine_clock_jumps_total"))
	assert.Equal(t, 1.0, value(t, fams, "ruledetect_violation_events_total", "type=in-alarm"))
	assert.Zero(t, value(t, fams, "ruledetect_violation_events_total", "type=alarm-cleared"))
	assert.Equal(t, 1.0, value(t, fams, "ruledetect_alert_deliveries_total"))
	assert.Equal(t, 1.0, value(t, fams, "ruledetect_alert_retries_total"))
	assert.Zero(t, value(t, fams, "ruledetect_alert_failures_total"))
	assert.Zero(t, value(t, fams, "ruledetect_alert_queue_depth"))
	assert.Equal(t, 2.0, value(t, fams, "ruledetect_period_close_seconds"), "two Advance calls observed")
	assert.Equal(t, 42.0, value(t, fams, "ruledetect_snapshot_age_seconds"))
	assert.Equal(t, 7.0, value(t, fams, "ruledetect_log_lag_entries"))
	assert.Equal(t, 1.0, value(t, fams, "ruledetect_mqtt_inputs_total", "kind=connect"))
	assert.Equal(t, 1.0, value(t, fams, "ruledetect_mqtt_failed_connects_total", "reason=bad_credentials"))
	assert.Zero(t, value(t, fams, "ruledetect_mqtt_failed_connects_total", "reason=wrong_username"))
	assert.Zero(t, value(t, fams, "ruledetect_mqtt_denied_total", "action=publish"))
	assert.Equal(t, 1.0, value(t, fams, "ruledetect_engine_things"))
	assert.Contains(t, fams, "go_goroutines", "the Go runtime's metrics are exported too")
	assert.NotContains(t, body, "dev-1", "no thing name in any label")

	// /metrics needs no signature, as /livez does.
	resp, err := http.Get(api.URL + "/livez")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
