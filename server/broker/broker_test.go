package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
)

const (
	replyFilter  = "$aws/things/dev-1/defender/metrics/+/+"
	jsonTopic    = "$aws/things/dev-1/defender/metrics/json"
	cborTopic    = "$aws/things/dev-1/defender/metrics/cbor"
	ownTopic     = "things/dev-1/telemetry"
	foreignTopic = "things/dev-2/telemetry"
	foreignCmd   = "things/dev-2/cmd"
)

// report is one metrics report a session publishes and the reply it expects.
type report struct {
	topic, file string
	format      ruledetect.ReportFormat
	accepted    bool
}

var sessionReports = []report{
	{jsonTopic, "agent-report-python-long.json", ruledetect.JSON, true},
	{cborTopic, "agent-report-python-long.cbor", ruledetect.CBOR, true},
	{jsonTopic, "devguide-troubleshoot-report-custom-number-not-array.input.json", ruledetect.JSON, false},
}

// sessionReply is what the device got back for one report.
type sessionReply struct {
	topic   string
	payload []byte
}

// runSession plays one device's session against b with paho: connect,
// subscribe to its replies, three telemetry messages, a publish and a
// subscription the ACL denies, the three sessionReports, disconnect. It
// checks every reply and returns them.
func runSession(t *testing.T, b *Broker) []sessionReply {
	c, err := dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	got := make(chan paho.Message, 16)
	wait(t, c.Subscribe(replyFilter, 1, func(_ paho.Client, m paho.Message) { got <- m }))
	for range 3 {
		wait(t, c.Publish(ownTopic, 1, false, bytes.Repeat([]byte("x"), 100)))
	}
	// QoS 0: a denied QoS 1 publish closes an MQTT 3.1.1 connection, as in
	// AWS IoT. The subscription after it is processed after it, in order.
	wait(t, c.Publish(foreignTopic, 0, false, "not mine"))
	sub := c.Subscribe(foreignCmd, 1, nil)
	wait(t, sub)
	assert.Equal(t, byte(0x80), sub.(*paho.SubscribeToken).Result()[foreignCmd], "SUBACK refuses the other thing's topic")

	var replies []sessionReply
	for _, r := range sessionReports {
		wait(t, c.Publish(r.topic, 1, false, readTestdata(t, r.file)))
		select {
		case m := <-got:
			replies = append(replies, sessionReply{m.Topic(), m.Payload()})
			checkReply(t, r, m.Topic(), m.Payload())
		case <-time.After(10 * time.Second):
			t.Fatalf("no reply to %s", r.file)
		}
	}
	eventually(t, b, "3 delivered replies and 2 denials", func(s Stats) bool {
		return s.Inputs.MessagesReceived == 3 && s.Inputs.AuthorizationFailures == 2
	})
	c.Disconnect(250)
	eventually(t, b, "the disconnect", func(s Stats) bool { return s.Inputs.Disconnects == 1 })
	return replies
}

// checkReply checks a reply's topic and payload against the service's
// shapes: the same fields in the report's format.
func checkReply(t *testing.T, r report, topic string, payload []byte) {
	t.Helper()
	ms := t0.UnixMilli()
	if !r.accepted {
		assert.Equal(t, r.topic+"/rejected", topic)
		want := fmt.Sprintf(`{"thingName":"dev-1","status":"REJECTED","statusDetails":{"ErrorCode":"InvalidPayload","ErrorMessage":"Malformed metrics report"},"timestamp":%d}`, ms)
		assert.Equal(t, want, string(payload))
		return
	}
	assert.Equal(t, r.topic+"/accepted", topic)
	var got map[string]any
	if r.format == ruledetect.CBOR {
		require.NoError(t, cbor.Unmarshal(payload, &got), "a CBOR report is answered in CBOR")
		got = normalize(t, got).(map[string]any)
	} else {
		require.NoError(t, json.Unmarshal(payload, &got))
	}
	assert.Equal(t, map[string]any{"thingName": "dev-1", "reportId": float64(1700000000), "status": "ACCEPTED", "timestamp": float64(ms)}, got)
}

func TestBrokerDeviceSession(t *testing.T) {
	e := newEngine(t)
	b := startBroker(t, Config{Engine: e, Now: newFakeClock(t0).Now})
	runSession(t, b)
	assert.Equal(t, Stats{
		Inputs: Inputs{Connects: 1, Disconnects: 1, MessagesSent: 6, MessagesReceived: 3, AuthorizationFailures: 2, Reports: 2},
		// The malformed report.
		Rejected: Rejected{MalformedReport: 1},
		Denied:   Denied{Publish: 1, Subscribe: 1},
	}, b.Stats())
	got := map[string]bool{}
	for _, ev := range events(t, e, t0.Add(10*time.Minute)) {
		got[ev.Behavior.Name] = true
	}
	assert.Equal(t, map[string]bool{"sent": true, "received": true, "authfail": true, "size": true, "conns": true, "disc": true, "ports": true, "sourceip": true}, got,
		"every behavior of the profile is violated by the session")
}

// The violation events of a session through the broker are those of the
// same inputs given to an engine directly.
func TestBrokerEventsEqualDirectIngest(t *testing.T) {
	ctx := context.Background()
	viaBroker := newEngine(t)
	b := startBroker(t, Config{Engine: viaBroker, Now: newFakeClock(t0).Now})
	replies := runSession(t, b)
	require.Len(t, replies, len(sessionReports))

	direct := newEngine(t)
	dev, err := direct.Thing("dev-1")
	require.NoError(t, err)
	msg := func(d ruledetect.Direction, topic string, n int) {
		ip := netip.Addr{}
		if d == ruledetect.Sent {
			ip = netip.MustParseAddr("127.0.0.1")
		}
		require.NoError(t, dev.IngestMessage(ctx, ruledetect.Message{Time: t0, Direction: d, Topic: topic, Bytes: int64(n), SourceIP: ip}))
	}
	require.NoError(t, dev.IngestConnect(ctx, ruledetect.Connect{Time: t0, SourceIP: netip.MustParseAddr("127.0.0.1")}))
	for range 3 {
		msg(ruledetect.Sent, ownTopic, 100)
	}
	require.NoError(t, dev.IngestAuthorizationFailure(ctx, ruledetect.AuthorizationFailure{Time: t0, Topic: foreignTopic}))
	require.NoError(t, dev.IngestAuthorizationFailure(ctx, ruledetect.AuthorizationFailure{Time: t0, Topic: foreignCmd}))
	for i, r := range sessionReports {
		data := readTestdata(t, r.file)
		msg(ruledetect.Sent, r.topic, len(data))
		_, err := dev.IngestReport(ctx, t0, r.format, data)
		assert.Equal(t, r.accepted, err == nil, r.file)
		msg(ruledetect.Received, replies[i].topic, len(replies[i].payload))
	}
	require.NoError(t, dev.IngestDisconnect(ctx, ruledetect.Disconnect{Time: t0}))

	until := t0.Add(10 * time.Minute)
	want := events(t, direct, until)
	require.NotEmpty(t, want)
	assert.Equal(t, want, events(t, viaBroker, until))
}

func TestBrokerRefusesConnects(t *testing.T) {
	e := newEngine(t)
	b := startBroker(t, Config{Engine: e, Now: newFakeClock(t0).Now})
	for _, tc := range []struct {
		name, id, user, pw string
		want               FailedConnects
	}{
		{"wrong password", "dev-1", "dev-1", "nope", FailedConnects{BadCredentials: 1}},
		{"unknown thing", "dev-9", "dev-9", "pw-1", FailedConnects{BadCredentials: 2}},
		{"another thing's credentials", "dev-1", "dev-2", "pw-2", FailedConnects{BadCredentials: 2, WrongUsername: 1}},
		{"client id with a level separator", "dev-1/x", "dev-1/x", "pw-1", FailedConnects{BadCredentials: 2, WrongUsername: 1, InvalidClientID: 1}},
		{"client id with a wildcard", "dev-+", "dev-+", "pw-1", FailedConnects{BadCredentials: 2, WrongUsername: 1, InvalidClientID: 2}},
		{"client id that is no thing name", "dev\x01", "dev\x01", "pw-1", FailedConnects{BadCredentials: 2, WrongUsername: 1, InvalidClientID: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dial(t, b.Addr(), tc.id, tc.user, tc.pw)
			require.Error(t, err)
			eventually(t, b, "the refusal", func(s Stats) bool { return s.FailedConnects == tc.want })
		})
	}
	// The right credentials connect.
	_, err := dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	_, err = dial(t, b.Addr(), "dev-2", "dev-2", "pw-2")
	require.NoError(t, err)
	eventually(t, b, "two connects", func(s Stats) bool { return s.Inputs.Connects == 2 })
	assert.Zero(t, b.Stats().Inputs.Disconnects)
	// The refusals of valid client ids were failed connection attempts.
	assert.Equal(t, uint64(3), b.Stats().Inputs.FailedConnects)
}

// A second connection with a thing's client id takes the first one over:
// the engine sees the first one's disconnect before the second's connect,
// and no second disconnect when the first connection's goroutine ends.
func TestBrokerTakeover(t *testing.T) {
	e := newEngine(t)
	b := startBroker(t, Config{Engine: e, Now: newFakeClock(t0).Now})
	_, err := dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	eventually(t, b, "the first connect", func(s Stats) bool { return s.Inputs.Connects == 1 })
	second, err := dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	eventually(t, b, "the takeover", func(s Stats) bool { return s.Inputs.Connects == 2 && s.Inputs.Disconnects == 1 })
	time.Sleep(100 * time.Millisecond) // let the first connection's goroutine end
	assert.Equal(t, uint64(1), b.Stats().Inputs.Disconnects)
	second.Disconnect(250)
	eventually(t, b, "the second disconnect", func(s Stats) bool { return s.Inputs.Disconnects == 2 })
}

// A gateway publishes a report on behalf of another thing, as the service
// allows when its policy does; the report is that thing's, and the reply
// goes to that thing's reply topic.
func TestBrokerReportOnBehalf(t *testing.T) {
	acl, err := ParseACL(bytes.NewReader([]byte(defaultACL + "\ngateway-1 publish $aws/things/+/defender/metrics/+\n")))
	require.NoError(t, err)
	e := newEngine(t)
	b := startBroker(t, Config{Engine: e, ACL: acl, Now: newFakeClock(t0).Now})
	dev, err := dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	got := make(chan paho.Message, 4)
	wait(t, dev.Subscribe(replyFilter, 1, func(_ paho.Client, m paho.Message) { got <- m }))
	gw, err := dial(t, b.Addr(), "gateway-1", "gateway-1", "pw-gw")
	require.NoError(t, err)
	wait(t, gw.Publish(jsonTopic, 1, false, readTestdata(t, "agent-report-python-short.json")))
	select {
	case m := <-got:
		checkReply(t, sessionReports[0], m.Topic(), m.Payload())
	case <-time.After(10 * time.Second):
		t.Fatal("no reply on dev-1's topic")
	}
	// dev-1 may not report for the gateway.
	wait(t, dev.Publish("$aws/things/gateway-1/defender/metrics/json", 0, false, readTestdata(t, "agent-report-python-short.json")))
	eventually(t, b, "the denial", func(s Stats) bool { return s.Denied.Publish == 1 })
	assert.Equal(t, uint64(1), b.Stats().Inputs.Reports)
	evs := events(t, e, t0.Add(10*time.Minute))
	var ports []string
	for _, ev := range evs {
		if ev.Behavior.Name == "ports" {
			ports = append(ports, ev.ThingName)
		}
	}
	assert.Equal(t, []string{"dev-1"}, ports, "the gateway's report is dev-1's")
}

func TestNewValidatesConfig(t *testing.T) {
	e := newEngine(t)
	for _, cfg := range []Config{
		{},
		{Engine: e},
		{Engine: e, Passwords: map[string]string{"dev-1": ""}},
		{Engine: e, Passwords: passwords, TLSCertFile: "cert.pem"},
		{Engine: e, Passwords: passwords, TLSCertFile: "missing.pem", TLSKeyFile: "missing.key"},
	} {
		_, err := New(cfg)
		assert.ErrorIs(t, err, ErrInvalidConfig, "%+v", cfg)
	}
	_, err := New(Config{Engine: e, Passwords: passwords, Listen: "256.0.0.1:1"})
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrInvalidConfig))
}

// A denied subscription to a wildcard filter is counted as denied, but the
// engine takes topic names only in authorization failures: it refuses the
// input, and the refusal is counted too.
func TestBrokerDeniedWildcardSubscription(t *testing.T) {
	b := startBroker(t, Config{Engine: newEngine(t), Now: newFakeClock(t0).Now})
	c, err := dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	sub := c.Subscribe("things/dev-2/#", 1, nil)
	wait(t, sub)
	assert.Equal(t, byte(0x80), sub.(*paho.SubscribeToken).Result()["things/dev-2/#"])
	eventually(t, b, "the denial", func(s Stats) bool { return s.Denied.Subscribe == 1 })
	s := b.Stats()
	assert.Zero(t, s.Inputs.AuthorizationFailures)
	assert.Equal(t, uint64(1), s.Rejected.Invalid)
}

// The broker sends a will without asking the ACL, so a will on a topic the
// thing may not publish to is refused at connect, as a denied publish.
func TestBrokerRefusesForeignWill(t *testing.T) {
	b := startBroker(t, Config{Engine: newEngine(t), Now: newFakeClock(t0).Now})
	o := paho.NewClientOptions().AddBroker("tcp://"+b.Addr()).SetClientID("dev-1").SetUsername("dev-1").SetPassword("pw-1").
		SetAutoReconnect(false).SetProtocolVersion(4).SetWill(foreignTopic, "gone", 1, false)
	c := paho.NewClient(o)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.Error(t, tok.Error())
	eventually(t, b, "the refusal", func(s Stats) bool { return s.FailedConnects.WillDenied == 1 })
	s := b.Stats()
	assert.Equal(t, Denied{Publish: 1}, s.Denied)
	assert.Equal(t, Inputs{AuthorizationFailures: 1, FailedConnects: 1}, s.Inputs)

	// A will on its own topic is fine.
	o.SetWill(ownTopic, "gone", 1, false)
	c = paho.NewClient(o)
	wait(t, c.Connect())
	c.Disconnect(250)
}

// A publish larger than AWS IoT's 128 KB request limit closes the
// connection; it is no message.
func TestBrokerRefusesOversizedPublish(t *testing.T) {
	b := startBroker(t, Config{Engine: newEngine(t), Now: newFakeClock(t0).Now})
	c, err := dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	c.Publish(ownTopic, 0, false, make([]byte, DefaultMaxPacketSize))
	eventually(t, b, "the disconnect", func(s Stats) bool { return s.Inputs.Disconnects == 1 })
	assert.Zero(t, b.Stats().Inputs.MessagesSent)

	c, err = dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	wait(t, c.Publish(ownTopic, 1, false, make([]byte, DefaultMaxPacketSize-len(ownTopic)-16)))
	eventually(t, b, "the message", func(s Stats) bool { return s.Inputs.MessagesSent == 1 })
}

// Broker.Publish (for alerts) reaches subscribers the ACL lets receive it,
// and each delivery is a Received message.
func TestBrokerPublish(t *testing.T) {
	b := startBroker(t, Config{Engine: newEngine(t), Now: newFakeClock(t0).Now})
	c, err := dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	got := make(chan paho.Message, 1)
	wait(t, c.Subscribe("things/dev-1/alerts", 1, func(_ paho.Client, m paho.Message) { got <- m }))
	require.NoError(t, b.Publish("things/dev-1/alerts", []byte(`{"violationEventType":"in-alarm"}`)))
	select {
	case m := <-got:
		assert.Equal(t, `{"violationEventType":"in-alarm"}`, string(m.Payload()))
	case <-time.After(10 * time.Second):
		t.Fatal("no alert delivered")
	}
	eventually(t, b, "the delivery", func(s Stats) bool { return s.Inputs.MessagesReceived == 1 })
	assert.Zero(t, b.Stats().Inputs.MessagesSent, "the broker's own publish is no device's message")
	assert.Error(t, b.Publish("things/+/alerts", nil), "a wildcard is no topic")
}

// Close ends Serve, more than once and from another goroutine; a second
// Serve is an error.
func TestBrokerCloseEndsServe(t *testing.T) {
	b, err := New(Config{Engine: newEngine(t), Passwords: passwords, Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- b.Serve(context.Background()) }()
	_, err = dial(t, b.Addr(), "dev-1", "dev-1", "pw-1")
	require.NoError(t, err)
	require.NoError(t, b.Close())
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	assert.NoError(t, b.Close())
	assert.Equal(t, uint64(1), b.Stats().Inputs.Disconnects, "Close disconnects every client, and the engine sees it")
	assert.Error(t, b.Serve(context.Background()))
}
