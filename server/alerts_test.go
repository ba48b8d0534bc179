package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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
	"github.com/ruledetect/ruledetect/violation"
)

// alertProfile alarms on every message over 100 bytes and routes its
// alerts to an SNS topic.
const alertProfile = `{"securityProfileName":"sizes","behaviors":[
 {"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than-equals","value":{"count":100}}}],
 "alertTargets":{"SNS":{"alertTargetArn":"arn:aws:sns:us-east-1:123456789012:alerts","roleArn":"arn:aws:iam::123456789012:role/sns"}}}`

const alertTopicArn = "arn:aws:sns:us-east-1:123456789012:alerts"

// alertEngine returns an engine with alertProfile on every thing, alerts
// going to sink with quick retries.
func alertEngine(t *testing.T, sink violation.AlertSink, attempts int) *ruledetect.Engine {
	t.Helper()
	eng, err := ruledetect.New(ruledetect.WithAlertSink(sink),
		ruledetect.WithDeliveryPolicy(ruledetect.DeliveryPolicy{Queue: 100, Wait: time.Second, Attempts: attempts, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}))
	require.NoError(t, err)
	p, err := behavior.ParseSecurityProfile([]byte(alertProfile))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = eng.CreateSecurityProfile(ctx, *p)
	require.NoError(t, err)
	require.NoError(t, eng.AttachSecurityProfile(ctx, "sizes", eng.Arn("all/things")))
	return eng
}

// violate makes thing send one message of 500 bytes at at, closes the
// period and waits for the alert's delivery.
func violate(t *testing.T, eng *ruledetect.Engine, thing string, at time.Time) {
	ctx := context.Background()
	t.Helper()
	require.NoError(t, eng.IngestMessage(ctx, ruledetect.Message{Thing: thing, Time: at, Direction: ruledetect.Sent, Topic: "t", Bytes: 500}))
	eng.Advance(ctx, at.Add(10*time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, eng.Flush(ctx))
}

// webhookRequest is what the test webhook received.
type webhookRequest struct {
	body                 []byte
	dedupe, topic, ctype string
}

// flakyWebhook answers 503 to its first failures requests, then 200, and
// records every request.
type flakyWebhook struct {
	mu       sync.Mutex
	failures int
	got      []webhookRequest
}

func (h *flakyWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, webhookRequest{body: body, dedupe: r.Header.Get(server.DedupeKeyHeader),
		topic: r.Header.Get(server.TopicArnHeader), ctype: r.Header.Get("Content-Type")})
	if len(h.got) <= h.failures {
		http.Error(w, "try later", http.StatusServiceUnavailable)
	}
}

func (h *flakyWebhook) requests() []webhookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]webhookRequest(nil), h.got...)
}

func TestWebhookRetriesUntilAcceptedWithStableDedupeKey(t *testing.T) {
	hook := &flakyWebhook{failures: 2}
	ts := httptest.NewServer(hook)
	defer ts.Close()
	eng := alertEngine(t, server.NewAlerts(&server.WebhookSink{URL: ts.URL}), 5)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	violate(t, eng, "dev-1", at)

	got := hook.requests()
	require.Len(t, got, 3, "two 503s, then accepted once")
	for _, r := range got[1:] {
		assert.Equal(t, got[0], r, "every attempt sends the same alert")
	}
	var msg map[string]any
	require.NoError(t, json.Unmarshal(got[0].body, &msg))
	assert.Equal(t, "in-alarm", msg["violationEventType"])
	assert.Equal(t, "dev-1", msg["thingName"])
	assert.EqualValues(t, at.UnixMilli(), msg["violationEventTime"])
	id := msg["violationId"].(string)
	assert.Equal(t, id+":in-alarm:"+"1772366400000", got[0].dedupe)
	assert.Equal(t, alertTopicArn, got[0].topic)
	assert.Equal(t, "application/json", got[0].ctype)
	s := eng.Stats().Delivery
	assert.Equal(t, uint64(2), s.Retried)
	assert.Zero(t, s.Failed)
}

func TestWebhookGivenUpAfterLastAttemptIsCountedAndNextDelivered(t *testing.T) {
	hook := &flakyWebhook{failures: 3}
	ts := httptest.NewServer(hook)
	defer ts.Close()
	alerts := server.NewAlerts(&server.WebhookSink{URL: ts.URL})
	eng := alertEngine(t, alerts, 3)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	violate(t, eng, "dev-1", at)
	violate(t, eng, "dev-2", at.Add(10*time.Minute))

	got := hook.requests()
	require.Len(t, got, 4, "three failed attempts of the first alert, one of the second")
	assert.Contains(t, string(got[3].body), `"thingName":"dev-2"`)
	s := eng.Stats().Delivery
	assert.Equal(t, uint64(1), s.Failed)
	require.Error(t, s.LastError)
	assert.Contains(t, s.LastError.Error(), "503")
	assert.Equal(t, uint64(2), alerts.CountsByType()[violation.InAlarm], "counted once each, not per attempt")
}

func TestWebhookNetworkErrorIsAnError(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there any more
	sink := &server.WebhookSink{URL: url, Client: &http.Client{Timeout: 2 * time.Second}}
	err := sink.Alert(context.Background(), violation.Alert{Event: violation.Event{ViolationID: "v1", ThingName: "t", ViolationEventType: violation.InAlarm}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "v1:in-alarm:")
}

// TestMQTTAlertReachesSubscriberOnceWhileWebhookRetries: an alert is
// published on the broker's topic to a real subscriber; when the webhook
// beside it fails once, the retry goes to the webhook only.
func TestMQTTAlertReachesSubscriberOnceWhileWebhookRetries(t *testing.T) {
	hook := &flakyWebhook{failures: 1}
	ts := httptest.NewServer(hook)
	defer ts.Close()

	// The broker needs the engine, and the engine its sink: the MQTT sink
	// is bound to the broker once both exist.
	mqttSink := &server.MQTTSink{Topic: "alerts/detect"}
	eng := alertEngine(t, server.NewAlerts(mqttSink, &server.WebhookSink{URL: ts.URL}), 5)
	acl, err := broker.ParseACL(strings.NewReader("monitor subscribe alerts/#\n"))
	require.NoError(t, err)
	b, err := broker.New(broker.Config{Engine: eng, Listen: "127.0.0.1:0", Passwords: map[string]string{"monitor": "pw"}, ACL: acl})
	require.NoError(t, err)
	mqttSink.Broker = b
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("broker did not stop")
		}
	}()

	o := paho.NewClientOptions().AddBroker("tcp://" + b.Addr()).SetClientID("monitor").SetUsername("monitor").SetPassword("pw").
		SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).SetProtocolVersion(4)
	c := paho.NewClient(o)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	defer c.Disconnect(0)
	msgs := make(chan []byte, 10)
	tok = c.Subscribe("alerts/detect", 1, func(_ paho.Client, m paho.Message) { msgs <- m.Payload() })
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())

	at := time.Now().UTC().Truncate(time.Second)
	violate(t, eng, "dev-1", at)
	var payload []byte
	select {
	case payload = <-msgs:
	case <-time.After(10 * time.Second):
		t.Fatal("no alert on alerts/detect")
	}
	var msg map[string]any
	require.NoError(t, json.Unmarshal(payload, &msg))
	assert.Equal(t, "dev-1", msg["thingName"])
	assert.Equal(t, "in-alarm", msg["violationEventType"])
	got := hook.requests()
	require.Len(t, got, 2, "the webhook failed once and was retried")
	assert.JSONEq(t, string(payload), string(got[1].body), "the topic and the webhook get the same message")
	select {
	case again := <-msgs:
		t.Fatalf("the subscriber got the alert twice: %s", again)
	case <-time.After(300 * time.Millisecond):
	}
}
