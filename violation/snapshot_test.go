package violation

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapshotFixture has open and closed violations, verification states, a
// suppressed one, events out of time order, odd floats and a pruned prefix.
func snapshotFixture(t testing.TB) *Log {
	l := NewLog(LogOptions{Retention: 1000 * 60 * 1e9})
	for i := range 600 {
		k := Key{fmt.Sprint("thing-", i%40), fmt.Sprint("p", i%3), fmt.Sprint("b", i%2)}
		b := staticBehavior(k.Behavior)
		if i%2 == 1 {
			b = statisticalBehavior(k.Behavior)
		}
		switch i % 4 {
		case 0, 1:
			l.Raise(k, b, at((i*37)%500), count(int64(i)), i%7 == 0)
		case 2:
			l.Violate(k, at(i), behavior.MetricValue{Numbers: []float64{math.NaN(), math.Inf(-1), math.Copysign(0, -1), 1.5}})
		case 3:
			if i%8 == 3 {
				l.Clear(k, at(i), behavior.MetricValue{Ports: []int64{}})
			} else {
				l.Invalidate(k, at(i))
			}
		}
	}
	l.Prune(at(1010))
	for i, id := range l.ActiveKeys(nil) {
		if i%3 == 0 {
			a, _ := l.Active(id)
			require.NoError(t, l.PutVerificationState(a.ViolationID, FalsePositive, ptr(fmt.Sprint("note ", i))))
		}
	}
	return l
}

// state is everything observable about a log, for comparison.
func state(t testing.TB, l *Log) (ListActiveViolationsOutput, []Event, uint64) {
	a, err := l.ListActiveViolations(ListActiveViolationsInput{})
	require.NoError(t, err)
	var evs []Event
	for e, err := range l.Events(everything()) {
		require.NoError(t, err)
		evs = append(evs, e)
	}
	return a, evs, l.seq
}

func TestSnapshotRoundTrip(t *testing.T) {
	l := snapshotFixture(t)
	data, err := l.MarshalBinary()
	require.NoError(t, err)

	r := NewLog(LogOptions{})
	r.Raise(Key{"replaced", "p", "b"}, staticBehavior("b"), t0, count(1), false)
	require.NoError(t, r.UnmarshalBinary(data))

	wa, we, ws := state(t, l)
	ga, ge, gs := state(t, r)
	assert.Equal(t, ws, gs)
	// NaN != NaN, so compare the JSON-free encodings instead of the values.
	assert.Equal(t, mustSnapshot(t, l), mustSnapshot(t, r))
	assert.Equal(t, len(wa.ActiveViolations), len(ga.ActiveViolations))
	assert.Equal(t, len(we), len(ge))
	assert.Greater(t, len(we), 40)
	for i := range we {
		assert.Equal(t, we[i].ViolationID, ge[i].ViolationID)
		assert.Equal(t, we[i].ViolationEventTime, ge[i].ViolationEventTime)
		assert.Equal(t, we[i].Behavior, ge[i].Behavior)
	}

	// The restored log goes on where the old one stopped: same IDs, fresh
	// sequence numbers, verification states still applicable.
	var k Key
	for _, c := range r.ActiveKeys(nil) {
		if a, _ := r.Active(c); !a.Suppressed {
			k = c
			break
		}
	}
	ev, ok := r.Clear(k, at(2000), count(0))
	require.True(t, ok)
	ev2, _ := l.Clear(k, at(2000), count(0))
	assert.Equal(t, ev2, ev)
	_, ok = r.Active(Key{"replaced", "p", "b"})
	assert.False(t, ok, "the old state is gone")
}

func mustSnapshot(t testing.TB, l *Log) []byte {
	b, err := l.MarshalBinary()
	require.NoError(t, err)
	return b
}

func TestSnapshotEmpty(t *testing.T) {
	var l Log
	data, err := l.MarshalBinary()
	require.NoError(t, err)
	r := NewLog(LogOptions{})
	require.NoError(t, r.UnmarshalBinary(data))
	assert.Zero(t, r.NumEvents())
	r.Raise(Key{"t", "p", "b"}, staticBehavior("b"), t0, count(1), false)
	assert.Equal(t, 1, r.NumActive())
}

func TestSnapshotRejects(t *testing.T) {
	l := NewLog(LogOptions{})
	l.Raise(Key{"t", "p", "b"}, staticBehavior("b"), t0, count(1), false)
	good := mustSnapshot(t, l)
	body := string(good[len(snapshotMagic):])
	id := ID("t", "p", "b", t0)
	withBody := func(s string) []byte { return append([]byte(snapshotMagic), s...) }
	rep := func(old, new string) []byte {
		require.Contains(t, body, old)
		return withBody(replaceOnce(body, old, new))
	}
	tests := map[string][]byte{
		"empty":               nil,
		"no magic":            []byte(body),
		"other version":       append([]byte(snapshotMagic[:len(snapshotMagic)-1]+"\x02"), body...),
		"truncated":           good[:len(good)-3],
		"trailing data":       append(bytes.Clone(good), "{}"...),
		"not JSON":            withBody("\x00\x01"),
		"unknown field":       rep(`"seq":`, `"extra":1,"seq":`),
		"dangling violation":  rep(`"v":0`, `"v":5`),
		"negative behavior":   rep(`"b":0`, `"b":-1`),
		"seq beyond counter":  rep(`"seq":1,`, `"seq":0,`),
		"bad id":              rep(id, "not/an/id"),
		"bad state":           rep(`"behavior":"b"`, `"behavior":"b","state":"MAYBE"`),
		"control in desc":     rep(`"behavior":"b"`, `"behavior":"b","desc":"a\nb"`),
		"bad event type":      rep(`"in-alarm"`, `"in_alarm"`),
		"in-alarm no value":   rep(`,"value":{"count":1}}]}`, `}]}`),
		"bad nanoseconds":     rep(`"t":[1767225600,0]`, `"t":[1767225600,1000000000]`),
		"orphan violation":    rep(`"violations":[`, `"violations":[{"id":"abc","thing":"x","profile":"p","behavior":"b"},`),
		"two alarms":          rep(`"active":[`, `"active":[{"v":0,"b":0,"seq":1,"start":[0,0],"last":[0,0],"value":{}},`),
		"wrong type for seq":  rep(`"seq":1,`, `"seq":"1",`),
		"duplicate violation": rep(`"violations":[`, `"violations":[{"id":"`+id+`","thing":"x","profile":"p","behavior":"b"},`),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			r := snapshotFixture(t)
			before := mustSnapshot(t, r)
			err := r.UnmarshalBinary(data)
			require.ErrorIs(t, err, ErrInvalidSnapshot)
			assert.Equal(t, before, mustSnapshot(t, r), "a rejected restore changes nothing")
		})
	}
}

func replaceOnce(s, old, new string) string {
	i := bytes.Index([]byte(s), []byte(old))
	return s[:i] + new + s[i+len(old):]
}

func TestSnapshotUnencodableBehavior(t *testing.T) {
	l := NewLog(LogOptions{})
	b := staticBehavior("b")
	b.Criteria.Value = &behavior.MetricValue{Number: ptr(math.NaN())}
	l.Raise(Key{"t", "p", "b"}, b, t0, count(1), false)
	_, err := l.MarshalBinary()
	assert.Error(t, err)
}

func FuzzLogRestore(f *testing.F) {
	small := NewLog(LogOptions{})
	k := Key{"cam-1", "Testprofile", "Authorization"}
	small.Raise(k, staticBehavior("Authorization"), t0, count(12), false)
	small.Violate(k, at(5), behavior.MetricValue{Numbers: []float64{1, math.NaN()}})
	small.Raise(Key{"cam-2", "Testprofile", "Bytes"}, statisticalBehavior("Bytes"), at(1), behavior.MetricValue{CIDRs: []string{"10.0.0.0/8"}}, true)
	small.Invalidate(Key{"cam-2", "Testprofile", "Bytes"}, at(2))
	f.Add(mustSnapshot(f, small))
	f.Add(mustSnapshot(f, NewLog(LogOptions{})))
	f.Add([]byte(snapshotMagic + `{"seq":1,"behaviors":[{"name":"b"}],"violations":[{"id":"a","thing":"t","profile":"p","behavior":"b"}],"active":[{"v":0,"b":0,"seq":1,"start":[0,0],"last":[0,0],"value":{}}],"events":[]}`))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := NewLog(LogOptions{})
		if err := l.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, ErrInvalidSnapshot)
			require.Zero(t, l.NumEvents()+l.NumActive())
			return
		}
		// Whatever was accepted is a working log that snapshots to an
		// equivalent state.
		for _, k := range l.ActiveKeys(nil) {
			l.Violate(k, at(1), count(1))
		}
		_, _, _ = state(t, l)
		again, err := l.MarshalBinary()
		if err != nil {
			return // a behavior with a number JSON cannot carry
		}
		r := NewLog(LogOptions{})
		require.NoError(t, r.UnmarshalBinary(again))
		require.Equal(t, l.NumEvents(), r.NumEvents())
		require.Equal(t, l.NumActive(), r.NumActive())
		for _, k := range r.ActiveKeys(nil) {
			_, ok := r.Invalidate(k, at(3))
			require.True(t, ok)
		}
		require.Zero(t, r.NumActive())
		r.Prune(at(1 << 30))
	})
}
