package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/server/broker"
)

// A device talking to the embedded broker gives the violation events that
// `ruledetect replay` gives on the equivalent JSON Lines: connects (and a
// refused one), messages (their size and source address), a denied
// publish, a report and a disconnect, each stamped with the broker's clock
// at receipt and written down as a replay record with that time.
func TestBrokerEventsEqualReplay(t *testing.T) {
	const profileJSON = `{"securityProfileName":"device","behaviors":[
	  {"name":"chatty","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"less-than","value":{"count":3},"durationSeconds":300}},
	  {"name":"denied","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"less-than","value":{"count":1},"durationSeconds":300}},
	  {"name":"big","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than","value":{"count":200}}},
	  {"name":"ports","metric":"aws:listening-tcp-ports","criteria":{"comparisonOperator":"in-port-set","value":{"ports":[443]}}},
	  {"name":"retries","metric":"aws:num-connection-attempts","criteria":{"comparisonOperator":"less-than","value":{"count":2},"durationSeconds":300}}]}`
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := ruledetect.New()
	require.NoError(t, err)
	sp, err := behavior.ParseSecurityProfile([]byte(profileJSON))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, *sp)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "device", e.Arn("all/things")))

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(d time.Duration) { mu.Lock(); now = t0.Add(d); mu.Unlock() }
	b, err := broker.New(broker.Config{Engine: e, Listen: "127.0.0.1:0", Passwords: map[string]string{"dev-1": "pw"}, Now: clock})
	require.NoError(t, err)
	go b.Serve(ctx)
	defer b.Close()
	settled := func(what string, cond func(broker.Stats) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond(b.Stats()) {
			require.True(t, time.Now().Before(deadline), "timed out waiting for %s: %+v", what, b.Stats())
			time.Sleep(2 * time.Millisecond)
		}
	}
	dial := func(pw string) (paho.Client, error) {
		o := paho.NewClientOptions().AddBroker("tcp://" + b.Addr()).SetClientID("dev-1").SetUsername("dev-1").SetPassword(pw).
			SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).SetProtocolVersion(4)
		c := paho.NewClient(o)
		tok := c.Connect()
		require.True(t, tok.WaitTimeout(10*time.Second))
		return c, tok.Error()
	}
	publish := func(c paho.Client, topic, payload string) {
		tok := c.Publish(topic, 1, false, payload)
		require.True(t, tok.WaitTimeout(10*time.Second))
	}

	var records []string
	rec := func(d time.Duration, fields string) {
		records = append(records, fmt.Sprintf(`{"time":"%s","thingName":"dev-1",%s}`, t0.Add(d).Format(time.RFC3339Nano), fields))
	}
	set(10 * time.Second)
	c, err := dial("pw")
	require.NoError(t, err)
	settled("the connect", func(s broker.Stats) bool { return s.Inputs.Connects == 1 })
	rec(10*time.Second, `"type":"connect","sourceIp":"127.0.0.1"`)
	for i, size := range []int{100, 150, 250, 120} { // the third is too big; four is too many
		d := time.Duration(20+i) * time.Second
		set(d)
		publish(c, "things/dev-1/telemetry", strings.Repeat("x", size))
		settled("a message", func(s broker.Stats) bool { return s.Inputs.MessagesSent == uint64(i+1) })
		rec(d, fmt.Sprintf(`"type":"message-sent","topic":"things/dev-1/telemetry","bytes":%d,"sourceIp":"127.0.0.1"`, size))
	}
	report := `{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":22},{"port":443}]}}}`
	set(40 * time.Second)
	publish(c, "$aws/things/dev-1/defender/metrics/json", report)
	settled("the report", func(s broker.Stats) bool { return s.Inputs.Reports == 1 })
	rec(40*time.Second, fmt.Sprintf(`"type":"message-sent","topic":"$aws/things/dev-1/defender/metrics/json","bytes":%d,"sourceIp":"127.0.0.1"`, len(report)))
	rec(40*time.Second, `"report":`+report)
	// Another thing's topic: denied, and the broker ends the connection.
	set(50 * time.Second)
	publish(c, "things/dev-2/reboot", "x")
	settled("the denial and the disconnect", func(s broker.Stats) bool {
		return s.Inputs.AuthorizationFailures == 1 && s.Inputs.Disconnects == 1
	})
	c.Disconnect(0)
	rec(50*time.Second, `"type":"authorization-failure","topic":"things/dev-2/reboot"`)
	rec(50*time.Second, `"type":"disconnect"`)
	set(60 * time.Second)
	_, err = dial("wrong")
	require.Error(t, err)
	settled("the refused connect", func(s broker.Stats) bool { return s.Inputs.FailedConnects == 1 })
	rec(60*time.Second, `"type":"connect","sourceIp":"127.0.0.1","success":false`)

	end := t0.Add(10 * time.Minute)
	e.Advance(ctx, end)
	var got []string
	for ev, err := range e.ViolationEvents(ctx, ruledetect.ListViolationEventsInput{StartTime: behavior.At(t0), EndTime: behavior.At(end)}) {
		require.NoError(t, err)
		j, err := json.Marshal(ev)
		require.NoError(t, err)
		got = append(got, string(j))
	}

	profile := filepath.Join(t.TempDir(), "device.json")
	require.NoError(t, os.WriteFile(profile, []byte(profileJSON), 0o644))
	code, stdout, stderr := runCLI(strings.Join(records, "\n")+"\n", "replay", "--profile", profile, "--until", end.Format(time.RFC3339), "-")
	require.Equal(t, 0, code, stderr)
	want := strings.Split(strings.TrimSpace(stdout), "\n")
	slices.Sort(got)
	slices.Sort(want)
	require.Len(t, want, 9, "in-alarm and alarm-cleared of chatty, denied, retries and big; ports in alarm")
	require.Equal(t, want, got)
}
