package ruledetect

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/violation"
)

// sinkEngine is lifecycleEngine's profile (auth: failures < 2 per 300 s) on
// an engine with the given options, attached to all things.
func sinkEngine(t *testing.T, opts ...Option) *Engine {
	t.Helper()
	ctx := context.Background()
	e, err := New(opts...)
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{authBehavior("auth", 2), msgBehavior("msgs", 100)}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	return e
}

func flushed(t *testing.T, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, e.Flush(ctx))
}

// activeSet lists the engine's active violations as "thing/behavior@start".
func activeSet(t *testing.T, e *Engine) []string {
	ctx := context.Background()
	t.Helper()
	var got []string
	for v, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{}) {
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("%s/%s@%d", v.ThingName, v.Behavior.Name, v.ViolationStartTime.Unix()))
	}
	return got
}

// An alert sink that calls back into the engine used to deadlock it: the
// sink ran under the engine lock. Now it runs on the delivery goroutine,
// and may quarantine the device, detach the profile, advance, ingest and
// snapshot.
func TestAlertSinkCallingBackIntoEngineDoesNotDeadlock(t *testing.T) {
	ctx := context.Background()
	var e *Engine
	var calls []string
	sink := violation.AlertFunc(func(ctx context.Context, ev violation.Alert) error {
		if ev.ViolationEventType != violation.InAlarm {
			calls = append(calls, string(ev.ViolationEventType))
			return nil
		}
		calls = append(calls, "in-alarm "+ev.ThingName)
		require.NoError(t, e.SetThingGroups(ctx, ev.ThingName, []string{"quarantine"}))
		require.NoError(t, e.IngestMessage(ctx, Message{Thing: "other", Time: lifeT0.Add(301 * time.Second), Direction: Sent, Topic: "t", Bytes: 1}))
		e.Advance(ctx, lifeT0.Add(302*time.Second))
		var buf nopWriter
		require.NoError(t, e.WriteSnapshot(ctx, &buf))
		require.NoError(t, e.DetachSecurityProfile(ctx, "p", e.Arn("all/things")))
		return nil
	})
	e = sinkEngine(t, WithAlertSink(sink))
	failures(t, e, "a", lifeT0, 3)

	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Advance(ctx, lifeT0.Add(300*time.Second))
		flushed(t, e)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the engine deadlocked on a sink that calls back into it")
	}
	// The detach invalidated the alarm; its event reached the sink too.
	assert.Equal(t, []string{"in-alarm a", "alarm-invalidated"}, calls)
	assert.Empty(t, activeSet(t, e))
}

type nopWriter struct{ n int }

func (w *nopWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// A slow sink used to stall every other caller for as long as it took. Now
// a sink that does not return at all holds up no ingest of another thing
// (the queue is far from its bound).
func TestSlowAlertSinkDoesNotStallUnrelatedIngest(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	e := sinkEngine(t, WithAlertSink(violation.AlertFunc(func(context.Context, violation.Alert) error {
		entered <- struct{}{}
		<-release
		return nil
	})))
	failures(t, e, "a", lifeT0, 3)
	e.Advance(ctx, lifeT0.Add(300*time.Second)) // raises a's alarm: the sink blocks
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the sink was never called")
	}
	ingested := make(chan error, 1)
	go func() {
		ingested <- e.IngestMessage(ctx, Message{Thing: "b", Time: lifeT0.Add(310 * time.Second), Direction: Sent, Topic: "t", Bytes: 1})
	}()
	select {
	case err := <-ingested:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("an unrelated ingest waited for a blocked sink")
	}
	assert.Equal(t, 1, e.Stats().Delivery.Depth, "the alert is still being delivered")
	close(release)
	flushed(t, e)
	assert.Equal(t, uint64(1), e.Stats().Delivery.Delivered)
}

// An alert sink that panicked during a period close used to leave the close
// half done: it was re-run and things already judged got a second
// datapoint. Now a panic (or an error) is the sink's own: retried, counted,
// and the engine's state equals that of an engine without a sink.
func TestPanickingAlertSinkDuringPeriodCloseLeavesStateIntact(t *testing.T) {
	ctx := context.Background()
	feed := func(e *Engine) {
		for th := range 50 {
			n := 1
			if th == 7 {
				n = 3 // only thing 7 violates auth (< 2)
			}
			failures(t, e, fmt.Sprintf("t%02d", th), lifeT0, n)
		}
		for p := 1; p <= 4; p++ {
			e.Advance(ctx, lifeT0.Add(time.Duration(p)*300*time.Second))
		}
	}
	panicking := sinkEngine(t,
		WithDeliveryPolicy(DeliveryPolicy{Queue: 10, Wait: time.Second, Attempts: 2}),
		WithAlertSink(violation.AlertFunc(func(context.Context, violation.Alert) error { panic("sink bug") })))
	reference := sinkEngine(t)
	feed(panicking)
	feed(reference)
	flushed(t, panicking)

	assert.Equal(t, activeSet(t, reference), activeSet(t, panicking))
	assert.Len(t, activeSet(t, panicking), 0, "t07 went into alarm at 300 s and cleared at 600 s")
	assert.Equal(t, reference.Stats().Datapoints, panicking.Stats().Datapoints, "no datapoint judged twice")
	d := panicking.Stats().Delivery
	assert.Equal(t, uint64(2), d.Failed, "in-alarm and alarm-cleared, each given up")
	assert.Equal(t, uint64(2), d.Retried)
	require.Error(t, d.LastError)
	assert.Contains(t, d.LastError.Error(), "sink bug")
}

// Suppressed violations are logged and listed, and never reach the sink.
func TestAlertSinkSkipsSuppressed(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var got []string
	e, err := New(WithAlertSink(violation.AlertFunc(func(_ context.Context, ev violation.Alert) error {
		mu.Lock()
		got = append(got, ev.Behavior.Name+" "+string(ev.ViolationEventType))
		mu.Unlock()
		return nil
	})))
	require.NoError(t, err)
	quiet := authBehavior("quiet", 2)
	quiet.SuppressAlerts = ptr(true)
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{authBehavior("auth", 2), quiet}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	failures(t, e, "a", lifeT0, 3)
	e.Advance(ctx, lifeT0.Add(600*time.Second))
	flushed(t, e)
	assert.Equal(t, []string{"auth in-alarm", "auth alarm-cleared"}, got)
	assert.Equal(t, []string{"in-alarm", "in-alarm", "alarm-cleared", "alarm-cleared"}, eventTypes(t, e, "a"))
}

func TestDatapointObserverSeesEveryJudgedDatapoint(t *testing.T) {
	ctx := context.Background()
	var got []string
	e := sinkEngine(t, WithDatapointObserver(func(d Datapoint) {
		got = append(got, fmt.Sprintf("%s %s %s %d %d %v", d.Thing, d.Profile, d.Behavior, d.Time.Sub(lifeT0)/time.Second, *d.Value.Count, d.Violating))
	}))
	failures(t, e, "a", lifeT0, 3)
	e.Advance(ctx, lifeT0.Add(600*time.Second))
	flushed(t, e)
	assert.Equal(t, []string{
		"a p auth 300 3 true", "a p msgs 300 0 false",
		"a p auth 600 0 false", "a p msgs 600 0 false",
	}, sortedWithin(got, 2))
	assert.Equal(t, uint64(4), e.Stats().Datapoints)
}

// sortedWithin sorts each run of n consecutive items: behaviors of one
// boundary are judged in coverage order, which the test does not fix.
func sortedWithin(s []string, n int) []string {
	out := append([]string(nil), s...)
	for i := 0; i+n <= len(out); i += n {
		for a := i; a < i+n; a++ {
			for b := a + 1; b < i+n; b++ {
				if out[b] < out[a] {
					out[a], out[b] = out[b], out[a]
				}
			}
		}
	}
	return out
}

// Every alert carries its profile's alert targets, so a sink can route it
// as SNS would.
func TestAlertsCarryTheirProfilesAlertTargets(t *testing.T) {
	ctx := context.Background()
	var got []violation.Alert
	e, err := New(WithAlertSink(violation.AlertFunc(func(_ context.Context, a violation.Alert) error {
		got = append(got, a)
		return nil
	})))
	require.NoError(t, err)
	sns := behavior.AlertTarget{AlertTargetArn: "arn:aws:sns:us-east-1:123456789012:alerts", RoleArn: "arn:aws:iam::123456789012:role/publish"}
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p",
		Behaviors: []behavior.Behavior{authBehavior("auth", 2)}, AlertTargets: map[string]behavior.AlertTarget{"SNS": sns}})
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "quiet",
		Behaviors: []behavior.Behavior{authBehavior("auth", 2)}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	require.NoError(t, e.AttachSecurityProfile(ctx, "quiet", e.Arn("all/things")))
	failures(t, e, "a", lifeT0, 3)
	e.Advance(ctx, lifeT0.Add(300*time.Second))
	flushed(t, e)
	require.Len(t, got, 2)
	slices.SortFunc(got, func(a, b violation.Alert) int { return strings.Compare(a.SecurityProfileName, b.SecurityProfileName) })

	assert.Equal(t, map[string]behavior.AlertTarget{"SNS": sns}, got[0].Targets)
	pub, ok, err := got[0].SNS()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, sns.AlertTargetArn, pub.TopicArn)
	assert.Equal(t, sns.RoleArn, pub.RoleArn)
	want, err := violation.SNSMessage(got[0].Event)
	require.NoError(t, err)
	assert.Equal(t, want, pub.Message)

	assert.Nil(t, got[1].Targets, "a profile without alert targets")
	_, ok, err = got[1].SNS()
	require.NoError(t, err)
	assert.False(t, ok)
}
