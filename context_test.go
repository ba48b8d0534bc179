package ruledetect

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// engineState is everything a call could change, as the engine reports it.
type engineState struct {
	stats    Stats
	snapshot []byte
	events   []ViolationEvent
	active   []ActiveViolation
}

func stateOf(t *testing.T, e *Engine) engineState {
	t.Helper()
	ctx := context.Background()
	var s engineState
	s.stats = e.Stats()
	var buf bytes.Buffer
	require.NoError(t, e.WriteSnapshot(ctx, &buf))
	s.snapshot = buf.Bytes()
	for ev, err := range e.ViolationEvents(ctx, ListViolationEventsInput{StartTime: behavior.At(lifeT0.Add(-time.Hour)), EndTime: behavior.At(lifeT0.Add(time.Hour))}) {
		require.NoError(t, err)
		s.events = append(s.events, ev)
	}
	for a, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{}) {
		require.NoError(t, err)
		s.active = append(s.active, a)
	}
	return s
}

// A call whose context is already done is rejected with the context's error
// and changes nothing: not the state, the events, nor the counters of Stats.
func TestCancelledContextRejectsAndChangesNothing(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	late := lifeT0.Add(301 * time.Second)
	report := []byte(`{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":1}]}}}`)
	for _, tc := range []struct {
		name string
		call func(ctx context.Context, e *Engine) error
	}{
		{"IngestMessage", func(ctx context.Context, e *Engine) error {
			return e.IngestMessage(ctx, Message{Thing: "a", Time: late, Direction: Sent, Topic: "t", Bytes: 1})
		}},
		{"IngestMessage, an invalid one", func(ctx context.Context, e *Engine) error {
			return e.IngestMessage(ctx, Message{Thing: "", Time: late, Direction: Sent, Topic: "t", Bytes: 1})
		}},
		{"IngestAuthorizationFailure", func(ctx context.Context, e *Engine) error {
			return e.IngestAuthorizationFailure(ctx, AuthorizationFailure{Thing: "a", Time: late, Topic: "t"})
		}},
		{"IngestConnect", func(ctx context.Context, e *Engine) error {
			return e.IngestConnect(ctx, Connect{Thing: "a", Time: late})
		}},
		{"IngestDisconnect", func(ctx context.Context, e *Engine) error {
			return e.IngestDisconnect(ctx, Disconnect{Thing: "a", Time: late})
		}},
		{"IngestReport", func(ctx context.Context, e *Engine) error {
			_, err := e.IngestReport(ctx, "a", late, JSON, report)
			return err
		}},
		{"IngestReport, a malformed one", func(ctx context.Context, e *Engine) error {
			_, err := e.IngestReport(ctx, "a", late, JSON, []byte("{"))
			return err
		}},
		{"Thing.IngestMessage", func(ctx context.Context, e *Engine) error {
			h, err := e.Thing("a")
			require.NoError(t, err)
			return h.IngestMessage(ctx, Message{Time: late, Direction: Sent, Topic: "t", Bytes: 1})
		}},
		{"Thing.IngestAuthorizationFailure", func(ctx context.Context, e *Engine) error {
			h, err := e.Thing("a")
			require.NoError(t, err)
			return h.IngestAuthorizationFailure(ctx, AuthorizationFailure{Time: late, Topic: "t"})
		}},
		{"Thing.IngestConnect", func(ctx context.Context, e *Engine) error {
			h, err := e.Thing("a")
			require.NoError(t, err)
			return h.IngestConnect(ctx, Connect{Time: late})
		}},
		{"Thing.IngestDisconnect", func(ctx context.Context, e *Engine) error {
			h, err := e.Thing("a")
			require.NoError(t, err)
			return h.IngestDisconnect(ctx, Disconnect{Time: late})
		}},
		{"Thing.IngestReport", func(ctx context.Context, e *Engine) error {
			h, err := e.Thing("a")
			require.NoError(t, err)
			_, err = h.IngestReport(ctx, late, JSON, report)
			return err
		}},
		{"Advance", func(ctx context.Context, e *Engine) error {
			return e.Advance(ctx, lifeT0.Add(48*time.Hour)) // would close periods, invalidate a's alarm and prune
		}},
		{"PutVerificationStateOnViolation", func(ctx context.Context, e *Engine) error {
			var vid string
			for a, err := range e.ActiveViolations(context.Background(), ListActiveViolationsInput{}) {
				require.NoError(t, err)
				vid = a.ViolationID
			}
			return e.PutVerificationStateOnViolation(ctx, PutVerificationStateOnViolationInput{ViolationID: vid, VerificationState: "TRUE_POSITIVE"})
		}},
		{"ListActiveViolations", func(ctx context.Context, e *Engine) error {
			out, err := e.ListActiveViolations(ctx, ListActiveViolationsInput{})
			if ctx.Err() != nil {
				assert.Empty(t, out.ActiveViolations)
			}
			return err
		}},
		{"ListViolationEvents", func(ctx context.Context, e *Engine) error {
			out, err := e.ListViolationEvents(ctx, ListViolationEventsInput{StartTime: behavior.At(lifeT0), EndTime: behavior.At(late)})
			if ctx.Err() != nil {
				assert.Empty(t, out.ViolationEvents)
			}
			return err
		}},
		{"ActiveViolations", func(ctx context.Context, e *Engine) error {
			var errs []error
			for a, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{}) {
				if err != nil {
					assert.Zero(t, a)
				}
				errs = append(errs, err)
			}
			return errors.Join(errs...)
		}},
		{"ViolationEvents", func(ctx context.Context, e *Engine) error {
			var errs []error
			for ev, err := range e.ViolationEvents(ctx, ListViolationEventsInput{StartTime: behavior.At(lifeT0), EndTime: behavior.At(late)}) {
				if err != nil {
					assert.Zero(t, ev)
				}
				errs = append(errs, err)
			}
			return errors.Join(errs...)
		}},
		{"UpdateSecurityProfile", func(ctx context.Context, e *Engine) error {
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", DeleteBehaviors: true})
			return err
		}},
		{"SetThingGroups", func(ctx context.Context, e *Engine) error {
			return e.SetThingGroups(ctx, "a", []string{"g"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := lifecycleEngine(t)
			before := stateOf(t, e)
			require.NotEmpty(t, before.active)
			err := tc.call(cancelled, e)
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, before, stateOf(t, e))

			// The same call with a live context does something, so the
			// comparison above can fail.
			_ = tc.call(context.Background(), e)
			if !strings.HasPrefix(tc.name, "List") && tc.name != "ActiveViolations" && tc.name != "ViolationEvents" {
				assert.NotEqual(t, before, stateOf(t, e))
			}
		})
	}
}

// The iterators check the context before each page: cancelling it while
// walking ends the walk with the context's error after the page in hand.
func TestIteratorsStopAtContextBetweenPages(t *testing.T) {
	e := lifecycleEngine(t)
	failures(t, e, "b", lifeT0.Add(300*time.Second), 3)
	failures(t, e, "c", lifeT0.Add(300*time.Second), 3)
	require.NoError(t, e.Advance(context.Background(), lifeT0.Add(600*time.Second)))

	t.Run("ActiveViolations", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var got []string
		var errs []error
		for a, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{MaxResults: 1}) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			got = append(got, a.ThingName)
			cancel()
		}
		assert.Len(t, got, 1)
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], context.Canceled)
	})
	t.Run("ViolationEvents", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		in := ListViolationEventsInput{StartTime: behavior.At(lifeT0), EndTime: behavior.At(lifeT0.Add(time.Hour)), MaxResults: 2}
		var got, errs int
		for _, err := range e.ViolationEvents(ctx, in) {
			if err != nil {
				assert.ErrorIs(t, err, context.Canceled)
				errs++
				continue
			}
			got++
			if got == 2 {
				cancel()
			}
		}
		assert.Equal(t, 2, got)
		assert.Equal(t, 1, errs)
	})
}

// blockedObserver is an engine whose datapoint observer blocks until
// release is called, with a delivery queue of one item and a wait of an
// hour: only a context can end a call's wait for room.
func blockedObserver(t *testing.T) (e *Engine, release func()) {
	t.Helper()
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	e, err := New(WithDatapointObserver(func(Datapoint) { <-gate }),
		WithDeliveryPolicy(DeliveryPolicy{Queue: 1, Wait: time.Hour, Attempts: 1}))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{authBehavior("auth", 2)}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	return e, release
}

// A call that finds the delivery queue over its bound waits for the sinks,
// but no longer than its context: the call returns (its input applied) and
// the spill is counted.
func TestDeliveryWaitEndsAtContext(t *testing.T) {
	e, release := blockedObserver(t)
	bg := context.Background()
	for _, thing := range []string{"a", "b", "c"} {
		require.NoError(t, e.IngestAuthorizationFailure(bg, AuthorizationFailure{Thing: thing, Time: lifeT0, Topic: "t"}))
	}
	bounded := func(name string, call func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
		defer cancel()
		spilled := e.Stats().Delivery.Spilled
		start := time.Now()
		require.NoError(t, call(ctx), name)
		assert.Less(t, time.Since(start), 30*time.Second, name)
		assert.Equal(t, spilled+1, e.Stats().Delivery.Spilled, name)
	}
	// The close produces three datapoints for a queue of one.
	bounded("Advance", func(ctx context.Context) error { return e.Advance(ctx, lifeT0.Add(300*time.Second)) })
	inputs := e.Stats().Inputs
	bounded("IngestMessage", func(ctx context.Context) error {
		return e.IngestMessage(ctx, Message{Thing: "a", Time: lifeT0.Add(301 * time.Second), Direction: Sent, Topic: "t", Bytes: 1})
	})
	assert.Equal(t, inputs+1, e.Stats().Inputs, "the input was applied")
	bounded("IngestReport", func(ctx context.Context) error {
		_, err := e.IngestReport(ctx, "a", lifeT0.Add(302*time.Second), JSON, []byte(`{"header":{"report_id":1,"version":"1.0"},"metrics":{}}`))
		return err
	})
	bounded("a control-plane change", func(ctx context.Context) error { return e.SetThingGroups(ctx, "a", []string{"g"}) })

	release()
	flushed(t, e)
	assert.Equal(t, uint64(3), e.Stats().Delivery.Delivered)
}
