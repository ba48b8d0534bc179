package broker

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
)

// t0 is the receipt time the tests' fake clock starts at.
var t0 = time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)

// fakeClock is Config.Now for tests: it stays where it was set.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// testProfile has a behavior on every input the broker produces; each is
// violated by the session the tests run.
const testProfile = `{"securityProfileName":"devices","behaviors":[
 {"name":"sent","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"less-than","value":{"count":3},"durationSeconds":300}},
 {"name":"received","metric":"aws:num-messages-received","criteria":{"comparisonOperator":"less-than","value":{"count":2},"durationSeconds":300}},
 {"name":"authfail","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"less-than","value":{"count":1},"durationSeconds":300}},
 {"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than-equals","value":{"count":500}}},
 {"name":"conns","metric":"aws:num-connection-attempts","criteria":{"comparisonOperator":"less-than","value":{"count":1},"durationSeconds":300}},
 {"name":"disc","metric":"aws:num-disconnects","criteria":{"comparisonOperator":"less-than","value":{"count":1},"durationSeconds":300}},
 {"name":"ports","metric":"aws:listening-tcp-ports","criteria":{"comparisonOperator":"in-port-set","value":{"ports":[22]}}},
 {"name":"sourceip","metric":"aws:source-ip-address","criteria":{"comparisonOperator":"in-cidr-set","value":{"cidrs":["10.0.0.0/8"]}}}
]}`

// newEngine returns an engine with testProfile attached to every thing.
func newEngine(t testing.TB, opts ...ruledetect.Option) *ruledetect.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := ruledetect.New(opts...)
	require.NoError(t, err)
	p, err := behavior.ParseSecurityProfile([]byte(testProfile))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, *p)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "devices", e.Arn("all/things")))
	return e
}

// passwords are the test fleet's credentials.
var passwords = map[string]string{"dev-1": "pw-1", "dev-2": "pw-2", "gateway-1": "pw-gw"}

// startBroker runs a broker on a free loopback port until the test ends,
// and checks that Serve returns cleanly.
func startBroker(t testing.TB, cfg Config) *Broker {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	if cfg.Passwords == nil && cfg.Authenticate == nil {
		cfg.Passwords = passwords
	}
	b, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return within 10 s of its context's end")
		}
	})
	return b
}

// dial connects a paho MQTT 3.1.1 client as id, with username user and
// password pw (MQTT 3.1.1 sends no password without a username).
func dial(t testing.TB, addr, id, user, pw string) (paho.Client, error) {
	t.Helper()
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).SetUsername(user).SetPassword(pw).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).
		SetCleanSession(true).SetOrderMatters(false).SetProtocolVersion(4) // no fallback to 3.1: one attempt per dial
	c := paho.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, context.DeadlineExceeded
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c, nil
}

// wait fails the test unless tok completes without error within 10 s.
func wait(t testing.TB, tok paho.Token) {
	t.Helper()
	require.True(t, tok.WaitTimeout(10*time.Second), "MQTT operation timed out")
	require.NoError(t, tok.Error())
}

// eventually waits up to 10 s for cond, which reads the broker's stats.
func eventually(t testing.TB, b *Broker, what string, cond func(Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(b.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stats %+v", what, b.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// events closes every window up to until and returns the engine's
// violation events, in a canonical order (thing, behavior, time, type).
func events(t testing.TB, e *ruledetect.Engine, until time.Time) []ruledetect.ViolationEvent {
	ctx := context.Background()
	t.Helper()
	e.Advance(ctx, until)
	require.NoError(t, e.Flush(context.Background()))
	var out []ruledetect.ViolationEvent
	for ev, err := range e.ViolationEvents(ctx, ruledetect.ListViolationEventsInput{StartTime: behavior.At(t0.Add(-time.Hour)), EndTime: behavior.At(until.Add(time.Hour))}) {
		require.NoError(t, err)
		out = append(out, ev)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.ThingName != b.ThingName {
			return a.ThingName < b.ThingName
		}
		if a.Behavior.Name != b.Behavior.Name {
			return a.Behavior.Name < b.Behavior.Name
		}
		if !a.ViolationEventTime.Equal(b.ViolationEventTime.Time) {
			return a.ViolationEventTime.Before(b.ViolationEventTime.Time)
		}
		return a.ViolationEventType < b.ViolationEventType
	})
	return out
}
