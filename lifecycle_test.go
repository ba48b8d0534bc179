package ruledetect

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

var lifeT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// lifecycleEngine has profile p (behaviors auth: failures < 2, and msgs:
// messages < 100) attached to all things, and thing a in alarm on auth from
// the datapoint at t0+300s. The watermark is then t0+300s.
func lifecycleEngine(t *testing.T) *Engine {
	t.Helper()
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{authBehavior("auth", 2), msgBehavior("msgs", 100)}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	failures(t, e, "a", lifeT0, 3)
	e.Advance(ctx, lifeT0.Add(300*time.Second))
	require.Equal(t, []string{"in-alarm"}, eventTypes(t, e, "a"))
	return e
}

func msgBehavior(name string, count int64) behavior.Behavior {
	return behavior.Behavior{Name: name, Metric: "aws:num-messages-sent", Criteria: &behavior.BehaviorCriteria{
		ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: ptr(count)}, DurationSeconds: ptr(int64(300)),
	}}
}

func failures(t *testing.T, e *Engine, thing string, at time.Time, n int) {
	ctx := context.Background()
	t.Helper()
	for i := range n {
		require.NoError(t, e.IngestAuthorizationFailure(ctx, AuthorizationFailure{Thing: thing, Time: at.Add(time.Duration(i) * time.Second), Topic: "cmd/x"}))
	}
}

// eventTypes lists thing's events' types and, for invalidations, checks
// they carry no value.
func eventTypes(t *testing.T, e *Engine, thing string) []string {
	ctx := context.Background()
	t.Helper()
	var types []string
	in := ListViolationEventsInput{StartTime: behavior.At(lifeT0), EndTime: behavior.At(lifeT0.Add(30 * 24 * time.Hour))}
	in.ThingName = thing
	for ev, err := range e.ViolationEvents(ctx, in) {
		require.NoError(t, err)
		if ev.ViolationEventType == "alarm-invalidated" {
			assert.Nil(t, ev.MetricValue)
		}
		types = append(types, string(ev.ViolationEventType))
	}
	return types
}

// Profile updates keep the alarm state of unchanged behaviors and invalidate
// that of changed or removed ones (DESIGN rule 7); detaches, deletes and
// group changes invalidate the alarms of the things no longer covered.
func TestAlarmStateAcrossControlPlaneChanges(t *testing.T) {
	ctx := context.Background()
	at := lifeT0.Add(300 * time.Second) // the watermark when the change is made
	tests := []struct {
		name   string
		change func(t *testing.T, e *Engine)
		want   []string
		active bool
	}{
		{"another behavior changes: the alarm stays", func(t *testing.T, e *Engine) {
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{authBehavior("auth", 2), msgBehavior("msgs", 50)}})
			require.NoError(t, err)
		}, []string{"in-alarm"}, true},
		{"only suppressAlerts changes: the alarm stays", func(t *testing.T, e *Engine) {
			b := authBehavior("auth", 2)
			b.SuppressAlerts = ptr(true)
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{b, msgBehavior("msgs", 100)}})
			require.NoError(t, err)
		}, []string{"in-alarm"}, true},
		{"its criteria change", func(t *testing.T, e *Engine) {
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{authBehavior("auth", 5), msgBehavior("msgs", 100)}})
			require.NoError(t, err)
		}, []string{"in-alarm", "alarm-invalidated"}, false},
		{"it is removed", func(t *testing.T, e *Engine) {
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{msgBehavior("msgs", 100)}})
			require.NoError(t, err)
		}, []string{"in-alarm", "alarm-invalidated"}, false},
		{"a rejected update changes nothing", func(t *testing.T, e *Engine) {
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", ExpectedVersion: ptr(int64(7)), Behaviors: []behavior.Behavior{msgBehavior("msgs", 100)}})
			require.ErrorIs(t, err, ErrVersionConflict)
		}, []string{"in-alarm"}, true},
		{"the profile is deleted", func(t *testing.T, e *Engine) {
			require.NoError(t, e.DeleteSecurityProfile(ctx, "p", nil))
		}, []string{"in-alarm", "alarm-invalidated"}, false},
		{"the profile is detached", func(t *testing.T, e *Engine) {
			require.NoError(t, e.DetachSecurityProfile(ctx, "p", e.Arn("all/things")))
		}, []string{"in-alarm", "alarm-invalidated"}, false},
		{"detached from all things but still attached to the thing's group", func(t *testing.T, e *Engine) {
			require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("thinggroup/cams")))
			require.NoError(t, e.SetThingGroups(ctx, "a", []string{"cams"}))
			require.NoError(t, e.DetachSecurityProfile(ctx, "p", e.Arn("all/things")))
		}, []string{"in-alarm"}, true},
		{"the thing leaves the group that covered it", func(t *testing.T, e *Engine) {
			require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("thinggroup/cams")))
			require.NoError(t, e.SetThingGroups(ctx, "a", []string{"cams"}))
			require.NoError(t, e.DetachSecurityProfile(ctx, "p", e.Arn("all/things")))
			require.NoError(t, e.SetThingGroups(ctx, "a", nil))
		}, []string{"in-alarm", "alarm-invalidated"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := lifecycleEngine(t)
			tt.change(t, e)
			assert.Equal(t, tt.want, eventTypes(t, e, "a"))
			_, active := e.log.Active(violationKey{Thing: "a", Profile: "p", Behavior: "auth"})
			assert.Equal(t, tt.active, active)
			if !tt.active {
				for ev, err := range e.ViolationEvents(ctx, ListViolationEventsInput{StartTime: behavior.At(at), EndTime: behavior.At(at)}) {
					require.NoError(t, err)
					assert.Equal(t, at, ev.ViolationEventTime.Time.UTC(), "invalidated at the watermark")
				}
			}
		})
	}
}

// Verification state set on a violation shows on its active violation and
// on every one of its events, and the listing filters on it.
func TestVerificationState(t *testing.T) {
	ctx := context.Background()
	e := lifecycleEngine(t)
	a, ok := e.log.Active(violationKey{Thing: "a", Profile: "p", Behavior: "auth"})
	require.True(t, ok)
	desc := "known test rig"
	require.NoError(t, e.PutVerificationStateOnViolation(ctx, PutVerificationStateOnViolationInput{ViolationID: a.ViolationID, VerificationState: "BENIGN_POSITIVE", VerificationStateDescription: &desc}))
	err := e.PutVerificationStateOnViolation(ctx, PutVerificationStateOnViolationInput{ViolationID: "0123456789abcdef0123456789abcdef", VerificationState: "BENIGN_POSITIVE"})
	require.ErrorIs(t, err, ErrResourceNotFound)
	err = e.PutVerificationStateOnViolation(ctx, PutVerificationStateOnViolationInput{ViolationID: a.ViolationID, VerificationState: "MAYBE"})
	require.ErrorIs(t, err, ErrInvalidRequest)

	in := ListActiveViolationsInput{}
	in.VerificationState = "BENIGN_POSITIVE"
	out, err := e.ListActiveViolations(ctx, in)
	require.NoError(t, err)
	require.Len(t, out.ActiveViolations, 1)
	assert.Equal(t, desc, *out.ActiveViolations[0].VerificationStateDescription)
	in.VerificationState = "TRUE_POSITIVE"
	out, err = e.ListActiveViolations(ctx, in)
	require.NoError(t, err)
	assert.Empty(t, out.ActiveViolations)

	_, err = e.ListActiveViolations(ctx, ListActiveViolationsInput{MaxResults: 251})
	require.ErrorIs(t, err, ErrInvalidRequest)
	_, err = e.ListViolationEvents(ctx, ListViolationEventsInput{})
	require.ErrorIs(t, err, ErrInvalidRequest, "startTime and endTime are required")
}

// Times the engine cannot hold in Unix nanoseconds are refused, not wrapped.
func TestTimeRange(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	for _, at := range []time.Time{time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC), time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)} {
		err := e.IngestMessage(ctx, Message{Thing: "a", Time: at, Direction: Sent, Topic: "t", Bytes: 1})
		require.ErrorIs(t, err, ErrInvalidRequest, at)
	}
	e.Advance(ctx, time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)) // clamps, must not wrap to 1915
	err = e.IngestMessage(ctx, Message{Thing: "a", Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Direction: Sent, Topic: "t", Bytes: 1})
	require.ErrorIs(t, err, ErrLateInput)
}

// Events past the retention are dropped as event time moves on with the
// inputs, without any Advance call.
func TestRetentionWithoutAdvance(t *testing.T) {
	ctx := context.Background()
	e, err := New(WithRetention(24 * time.Hour))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{authBehavior("auth", 2)}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	failures(t, e, "a", lifeT0, 3)
	require.NoError(t, e.IngestMessage(ctx, Message{Thing: "a", Time: lifeT0.Add(10 * time.Minute), Direction: Sent, Topic: "t", Bytes: 1}))
	assert.Equal(t, []string{"in-alarm", "alarm-cleared"}, eventTypes(t, e, "a"))
	for h := 1; h <= 26; h++ { // hourly heartbeats for a day and a bit
		require.NoError(t, e.IngestMessage(ctx, Message{Thing: "a", Time: lifeT0.Add(time.Duration(h) * time.Hour), Direction: Sent, Topic: "t", Bytes: 1}))
	}
	assert.Empty(t, eventTypes(t, e, "a"), "events older than 24 h of event time are gone")
}
