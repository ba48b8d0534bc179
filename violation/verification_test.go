package violation

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPutVerificationState(t *testing.T) {
	l := NewLog(LogOptions{})
	k := Key{"t", "p", "b"}
	raised := l.Raise(k, staticBehavior("b"), at(0), count(1), false)
	l.Clear(k, at(5), count(0))
	open := l.Raise(k, staticBehavior("b"), at(10), count(1), false)

	desc := "confirmed by ops"
	require.NoError(t, l.PutVerificationState(raised.ViolationID, TruePositive, &desc))
	desc = "changed after the call"
	evs := allEvents(t, l, everything())
	require.Len(t, evs, 3)
	for _, e := range evs[:2] {
		assert.Equal(t, TruePositive, e.VerificationState, "on every event of the violation")
		assert.Equal(t, "confirmed by ops", *e.VerificationStateDescription, "the log keeps its own copy")
	}
	assert.Empty(t, evs[2].VerificationState, "not on another violation")
	assert.Nil(t, evs[2].VerificationStateDescription)

	require.NoError(t, l.PutVerificationState(open.ViolationID, BenignPositive, nil))
	a, _ := l.Active(k)
	assert.Equal(t, BenignPositive, a.VerificationState, "on the active violation")
	assert.Contains(t, string(mustJSON(t, a)), `"verificationState":"BENIGN_POSITIVE"`)

	// A nil description removes the previous one; events listed before keep
	// what they had.
	require.NoError(t, l.PutVerificationState(raised.ViolationID, FalsePositive, nil))
	evs2 := allEvents(t, l, everything())
	assert.Nil(t, evs2[0].VerificationStateDescription)
	assert.Equal(t, "confirmed by ops", *evs[0].VerificationStateDescription)
	require.NoError(t, l.PutVerificationState(raised.ViolationID, FalsePositive, ptr("")))
	evs2 = allEvents(t, l, everything())
	assert.Equal(t, "", *evs2[0].VerificationStateDescription)
}

func TestPutVerificationStateRejects(t *testing.T) {
	l := NewLog(LogOptions{})
	id := l.Raise(Key{"t", "p", "b"}, staticBehavior("b"), at(0), count(1), false).ViolationID
	require.NoError(t, l.PutVerificationState(id, TruePositive, ptr("before")))
	tests := []struct {
		name  string
		id    string
		state VerificationState
		desc  *string
		field string
		kind  error
	}{
		{"unknown id", strings.Repeat("0", 32), FalsePositive, nil, "violationId", ErrNotFound},
		{"empty id", "", FalsePositive, nil, "violationId", ErrInvalidRequest},
		{"id with a slash", "a/b", FalsePositive, nil, "violationId", ErrInvalidRequest},
		{"id too long", strings.Repeat("a", 129), FalsePositive, nil, "violationId", ErrInvalidRequest},
		{"no state", id, "", nil, "verificationState", ErrInvalidRequest},
		{"bad state", id, "true_positive", nil, "verificationState", ErrInvalidRequest},
		{"description too long", id, FalsePositive, ptr(strings.Repeat("é", 1001)), "verificationStateDescription", ErrInvalidRequest},
		{"newline", id, FalsePositive, ptr("two\nlines"), "verificationStateDescription", ErrInvalidRequest},
		{"DEL", id, FalsePositive, ptr("x\x7f"), "verificationStateDescription", ErrInvalidRequest},
		{"C1 control", id, FalsePositive, ptr("x\u0085"), "verificationStateDescription", ErrInvalidRequest},
		{"invalid UTF-8", id, FalsePositive, ptr("x\xff"), "verificationStateDescription", ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := l.PutVerificationState(tt.id, tt.state, tt.desc)
			require.ErrorIs(t, err, tt.kind)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.field, e.Field)
			assert.NotContains(t, err.Error(), "\n", "control characters are escaped in messages")
			a, _ := l.Active(Key{"t", "p", "b"})
			assert.Equal(t, TruePositive, a.VerificationState, "a rejected call changes nothing")
			assert.Equal(t, "before", *a.VerificationStateDescription)
		})
	}
	require.NoError(t, l.PutVerificationState(id, Unknown, ptr(strings.Repeat("é", 1000))), "1000 characters, not bytes")
}

func FuzzPutVerificationState(f *testing.F) {
	l := NewLog(LogOptions{})
	id := l.Raise(Key{"t", "p", "b"}, staticBehavior("b"), at(0), count(1), false).ViolationID
	f.Add(id, "TRUE_POSITIVE", "checked", true)
	f.Add("174db59167fa474c80a652ad1583fd44", "FALSE_POSITIVE", "", false)
	f.Add(id, "UNKNOWN", "tab\there", true)
	f.Fuzz(func(t *testing.T, id, state, desc string, hasDesc bool) {
		var d *string
		if hasDesc {
			d = &desc
		}
		before, _ := l.Active(Key{"t", "p", "b"})
		err := l.PutVerificationState(id, VerificationState(state), d)
		after, _ := l.Active(Key{"t", "p", "b"})
		if err != nil {
			require.True(t, errorsIsAny(err, ErrInvalidRequest, ErrNotFound), "%v", err)
			require.Equal(t, before, after)
			return
		}
		require.Equal(t, VerificationState(state), after.VerificationState)
		require.True(t, VerificationState(state).Valid())
		if hasDesc {
			require.Equal(t, desc, *after.VerificationStateDescription)
		}
	})
}
