package dimension

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseOperator(t *testing.T) {
	tests := []struct {
		in   string
		want Operator
		ok   bool
	}{
		{"", In, true},
		{"IN", In, true},
		{"NOT_IN", NotIn, true},
		{"in", In, false},
		{"not_in", In, false},
		{"NOTIN", In, false},
		{" IN", In, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			op, err := ParseOperator(tc.in)
			if !tc.ok {
				require.ErrorIs(t, err, ErrInvalidOperator)
				assert.Contains(t, err.Error(), "\""+tc.in+"\"")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, op)
			if tc.in != "" {
				assert.Equal(t, tc.in, op.String(), "String round-trips")
			}
		})
	}
	assert.Equal(t, "Operator(7)", Operator(7).String())
}

func TestPasses(t *testing.T) {
	m, err := Compile([]string{"device/${iot:ClientId}/auth", "cmd/+"})
	require.NoError(t, err)
	tests := []struct {
		topic, clientID string
		match           bool
	}{
		{"device/dev1/auth", "dev1", true},
		{"device/dev1/auth", "dev2", false},
		{"cmd/x", "dev1", true},
		{"other", "dev1", false},
		{"cmd/+", "dev1", false}, // not a valid topic name: matches nothing
	}
	for _, tc := range tests {
		t.Run(tc.topic+"|"+tc.clientID, func(t *testing.T) {
			assert.Equal(t, tc.match, m.Match(tc.topic, tc.clientID))
			assert.Equal(t, tc.match, m.Passes(In, tc.topic, tc.clientID))
			assert.Equal(t, !tc.match, m.Passes(NotIn, tc.topic, tc.clientID))
			assert.False(t, m.Passes(Operator(9), tc.topic, tc.clientID), "an unknown operator passes nothing")
		})
	}
}

func TestOperatorAdmits(t *testing.T) {
	for _, tt := range []struct {
		op          Operator
		match, want bool
	}{
		{In, true, true}, {In, false, false},
		{NotIn, true, false}, {NotIn, false, true},
		{Operator(7), true, false}, {Operator(7), false, false},
	} {
		assert.Equal(t, tt.want, tt.op.Admits(tt.match), "%v admits match=%v", tt.op, tt.match)
	}
}
