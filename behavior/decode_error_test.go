package behavior

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A decoding error matches ErrMalformed and its own kind with errors.Is,
// and no other kind; matching allocates nothing (a list of both was made
// on every errors.Is before).
func TestDecodeErrorMatchesMalformedAndItsKind(t *testing.T) {
	_, err := ParseSecurityProfile([]byte(`{"securityProfileName":"p","bogus":1}`))
	require.Error(t, err)
	var de *DecodeError
	require.True(t, errors.As(err, &de))
	require.Equal(t, ErrUnknownField, de.Kind)
	for _, c := range []struct {
		target error
		want   bool
	}{
		{ErrMalformed, true},
		{ErrUnknownField, true},
		{ErrMalformedJSON, false},
		{ErrWrongType, false},
		{ErrUnrecognized, false},
	} {
		assert.Equal(t, c.want, errors.Is(err, c.target), "%v is %v", err, c.target)
	}
	noKind := &DecodeError{Msg: "x"}
	assert.True(t, errors.Is(noKind, ErrMalformed))
	assert.False(t, errors.Is(noKind, ErrWrongType))
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		_ = errors.Is(err, ErrMalformed)
		_ = errors.Is(err, ErrUnknownField)
		_ = errors.Is(err, ErrWrongType)
	}))
}
