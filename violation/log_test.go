package violation

import (
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogLifecycle(t *testing.T) {
	l := NewLog(LogOptions{})
	k := Key{"cam-1", "p", "auth"}
	b := staticBehavior("auth")

	raised := l.Raise(k, b, at(5), count(12), false)
	assert.Equal(t, ID("cam-1", "p", "auth", at(5)), raised.ViolationID)
	assert.Equal(t, InAlarm, raised.ViolationEventType)
	assert.Equal(t, at(5), raised.ViolationEventTime.Time)
	assert.Equal(t, count(12), *raised.MetricValue)
	assert.Equal(t, *b, raised.Behavior)
	assert.Equal(t, 1, l.NumActive())

	a, ok := l.Active(k)
	require.True(t, ok)
	assert.Equal(t, raised.ViolationID, a.ViolationID)
	assert.Equal(t, at(5), a.ViolationStartTime.Time)
	assert.Equal(t, at(5), a.LastViolationTime.Time)
	assert.Equal(t, count(12), *a.LastViolationValue)

	// The log copied the behavior: changing the caller's changes nothing.
	*b.Criteria.Value.Count = 99
	b.Name = "renamed"
	l.Violate(k, at(10), count(15))
	a, _ = l.Active(k)
	assert.Equal(t, at(5), a.ViolationStartTime.Time)
	assert.Equal(t, at(10), a.LastViolationTime.Time)
	assert.Equal(t, count(15), *a.LastViolationValue)
	assert.Equal(t, int64(10), *a.Behavior.Criteria.Value.Count)
	assert.Equal(t, "auth", a.Behavior.Name)
	// The returned value is the caller's own.
	*a.LastViolationValue.Count = 0
	a2, _ := l.Active(k)
	assert.Equal(t, count(15), *a2.LastViolationValue)

	cleared, ok := l.Clear(k, at(15), count(3))
	require.True(t, ok)
	assert.Equal(t, AlarmCleared, cleared.ViolationEventType)
	assert.Equal(t, raised.ViolationID, cleared.ViolationID)
	assert.Equal(t, count(3), *cleared.MetricValue)
	assert.Equal(t, int64(10), *cleared.Behavior.Criteria.Value.Count, "the behavior the alarm was raised with")
	assert.Zero(t, l.NumActive())
	_, ok = l.Active(k)
	assert.False(t, ok)

	// Violate, Clear and Invalidate without an alarm record nothing.
	l.Violate(k, at(20), count(1))
	_, ok = l.Clear(k, at(20), count(1))
	assert.False(t, ok)
	_, ok = l.Invalidate(k, at(20))
	assert.False(t, ok)

	again := l.Raise(k, staticBehavior("auth"), at(25), count(11), false)
	assert.NotEqual(t, raised.ViolationID, again.ViolationID)
	inv, ok := l.Invalidate(k, at(30))
	require.True(t, ok)
	assert.Equal(t, AlarmInvalidated, inv.ViolationEventType)
	assert.Nil(t, inv.MetricValue)
	assert.NotContains(t, string(mustJSON(t, inv)), "metricValue")

	evs := allEvents(t, l, everything())
	assert.Equal(t, []Event{raised, cleared, again, inv}, evs)
	assert.Equal(t, 4, l.NumEvents())
}

func TestRaiseWhileInAlarmActsAsViolate(t *testing.T) {
	l := NewLog(LogOptions{})
	k := Key{"t", "p", "b"}
	first := l.Raise(k, staticBehavior("b"), at(0), count(1), false)
	assert.Equal(t, Event{}, l.Raise(k, staticBehavior("b"), at(5), count(2), false))
	a, _ := l.Active(k)
	assert.Equal(t, first.ViolationID, a.ViolationID)
	assert.Equal(t, at(5), a.LastViolationTime.Time)
	assert.Equal(t, count(2), *a.LastViolationValue)
	assert.Equal(t, 1, l.NumEvents())
}

// Two alarms of one key starting in the same second share an ID (rule 9);
// the log treats them as one violation, verification state included.
func TestReRaiseSameSecond(t *testing.T) {
	l := NewLog(LogOptions{})
	k := Key{"t", "p", "b"}
	e1 := l.Raise(k, staticBehavior("b"), t0, count(1), false)
	l.Clear(k, t0.Add(100*time.Millisecond), count(0))
	require.NoError(t, l.PutVerificationState(e1.ViolationID, TruePositive, nil))
	e2 := l.Raise(k, staticBehavior("b"), t0.Add(200*time.Millisecond), count(1), false)
	assert.Equal(t, e1.ViolationID, e2.ViolationID)
	assert.Equal(t, TruePositive, e2.VerificationState)
}

func TestRaiseNilBehavior(t *testing.T) {
	l := NewLog(LogOptions{})
	e := l.Raise(Key{"t", "p", "b"}, nil, t0, count(1), false)
	assert.Equal(t, "b", e.Behavior.Name)
	assert.Equal(t, CriteriaType(""), CriteriaTypeOf(&e.Behavior))
}

func TestZeroLogIsUsable(t *testing.T) {
	var l Log
	assert.Zero(t, l.NumActive())
	assert.Equal(t, DefaultRetention, l.Retention())
	_, ok := l.Clear(Key{}, t0, count(1))
	assert.False(t, ok)
	l.Raise(Key{"t", "p", "b"}, staticBehavior("b"), t0, count(1), false)
	assert.Equal(t, 1, l.NumActive())
	out, err := l.ListActiveViolations(ListActiveViolationsInput{})
	require.NoError(t, err)
	assert.Len(t, out.ActiveViolations, 1)
}

// Events share the behavior copy until the behavior changes.
func TestBehaviorInterning(t *testing.T) {
	l := NewLog(LogOptions{})
	b := staticBehavior("b")
	e1 := l.Raise(Key{"t1", "p", "b"}, b, t0, count(1), false)
	e2 := l.Raise(Key{"t2", "p", "b"}, staticBehavior("b"), t0, count(1), false)
	assert.Same(t, e1.Behavior.Criteria, e2.Behavior.Criteria)
	b.Criteria.DurationSeconds = ptr[int64](600)
	e3 := l.Raise(Key{"t3", "p", "b"}, b, t0, count(1), false)
	assert.NotSame(t, e1.Behavior.Criteria, e3.Behavior.Criteria)
	assert.Equal(t, int64(300), *e1.Behavior.Criteria.DurationSeconds)
	assert.Equal(t, int64(600), *e3.Behavior.Criteria.DurationSeconds)
}

func TestSuppressedIsLoggedAndMarked(t *testing.T) {
	l := NewLog(LogOptions{})
	k := Key{"t", "p", "quiet"}
	l.Raise(k, staticBehavior("quiet"), at(0), count(1), true)
	l.Violate(k, at(5), count(2))
	l.Clear(k, at(10), count(0))
	l.Raise(k, staticBehavior("quiet"), at(15), count(1), true)
	l.Invalidate(k, at(20))
	evs := allEvents(t, l, everything())
	require.Len(t, evs, 4)
	for _, e := range evs {
		assert.True(t, e.Suppressed)
	}
}

func TestActiveKeys(t *testing.T) {
	l := NewLog(LogOptions{})
	keys := []Key{{"b", "p1", "x"}, {"a", "p2", "x"}, {"a", "p1", "y"}, {"a", "p1", "x"}}
	for _, k := range keys {
		l.Raise(k, staticBehavior(k.Behavior), t0, count(1), false)
	}
	assert.Equal(t, []Key{{"a", "p1", "x"}, {"a", "p1", "y"}, {"a", "p2", "x"}, {"b", "p1", "x"}}, l.ActiveKeys(nil))
	assert.Equal(t, []Key{{"a", "p1", "x"}, {"a", "p1", "y"}, {"b", "p1", "x"}},
		l.ActiveKeys(func(k Key) bool { return k.Profile == "p1" }))
	assert.Empty(t, l.ActiveKeys(func(Key) bool { return false }))
}

func TestPrune(t *testing.T) {
	l := NewLog(LogOptions{Retention: time.Hour})
	assert.Equal(t, time.Hour, l.Retention())
	open := Key{"open", "p", "b"}
	closed := Key{"closed", "p", "b"}
	openEv := l.Raise(open, staticBehavior("b"), at(0), count(1), false)
	closedEv := l.Raise(closed, staticBehavior("b"), at(0), count(1), false)
	l.Clear(closed, at(30), count(0))
	for i := range 1000 { // enough to span several chunks
		k := Key{"other", "p", "b"}
		l.Raise(k, staticBehavior("b"), at(1+i%50), count(1), false)
		l.Clear(k, at(1+i%50), count(0))
	}
	require.Equal(t, 2003, l.NumEvents())

	assert.Zero(t, l.Prune(at(60)), "nothing is older than an hour yet")
	// Cutoff at(1): only the two in-alarm events at at(0) go.
	assert.Equal(t, 2, l.Prune(at(61)))
	assert.Equal(t, 2001, l.NumEvents())
	a, ok := l.Active(open)
	require.True(t, ok, "an active violation outlives its in-alarm event")
	assert.Equal(t, openEv.ViolationID, a.ViolationID)
	require.NoError(t, l.PutVerificationState(openEv.ViolationID, BenignPositive, nil))
	require.NoError(t, l.PutVerificationState(closedEv.ViolationID, BenignPositive, nil), "its cleared event is still there")

	assert.Equal(t, 2001, l.Prune(at(200)))
	assert.Zero(t, l.NumEvents())
	assert.ErrorIs(t, l.PutVerificationState(closedEv.ViolationID, TruePositive, nil), ErrNotFound, "forgotten with its last event")
	require.NoError(t, l.PutVerificationState(openEv.ViolationID, TruePositive, nil))
	ev, ok := l.Clear(open, at(201), count(0))
	require.True(t, ok)
	assert.Equal(t, TruePositive, ev.VerificationState)
	assert.Equal(t, 1, l.NumEvents())
	assert.Zero(t, l.Prune(at(201)))
	assert.Equal(t, 1, l.Prune(at(262)))
	assert.ErrorIs(t, l.PutVerificationState(openEv.ViolationID, TruePositive, nil), ErrNotFound)
}

func TestPruneDefaultRetention(t *testing.T) {
	l := NewLog(LogOptions{Retention: -time.Hour})
	l.Raise(Key{"t", "p", "b"}, staticBehavior("b"), t0, count(1), false)
	assert.Zero(t, l.Prune(t0.Add(DefaultRetention)), "an event at exactly the cutoff is kept")
	assert.Equal(t, 1, l.Prune(t0.Add(DefaultRetention+time.Nanosecond)))
}

func TestViolateAllocs(t *testing.T) {
	l := NewLog(LogOptions{})
	k := Key{"t", "p", "b"}
	l.Raise(k, staticBehavior("b"), t0, behavior.MetricValue{Ports: []int64{1, 2, 3}}, false)
	v := behavior.MetricValue{Ports: []int64{4, 5}}
	n := testing.AllocsPerRun(100, func() { l.Violate(k, t0, v) })
	assert.Zero(t, n)
}
