package violation

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ruledetect/ruledetect/internal/pagetoken"
)

// An *Error matches its kind (and what the kind wraps) and its cause with
// errors.Is, and nothing else; matching allocates nothing (a list of both
// was made on every errors.Is before).
func TestErrorMatchesKindAndCause(t *testing.T) {
	cause := pagetoken.ErrInvalidToken
	withCause := &Error{Op: "ListViolationEvents", Field: "nextToken", Kind: ErrInvalidToken, Cause: cause}
	alone := &Error{Op: "ListViolationEvents", Field: "maxResults", Kind: ErrInvalidRequest}
	noKind := &Error{Op: "X"}
	for _, c := range []struct {
		err    error
		target error
		want   bool
	}{
		{withCause, ErrInvalidToken, true},
		{withCause, cause, true},
		{withCause, ErrInvalidRequest, true}, // ErrInvalidToken wraps it
		{withCause, ErrInvalidSnapshot, false},
		{alone, ErrInvalidRequest, true},
		{alone, ErrInvalidToken, false},
		{noKind, ErrInvalidRequest, false},
	} {
		assert.Equal(t, c.want, errors.Is(c.err, c.target), "%v is %v", c.err, c.target)
	}
	var target *Error
	assert.True(t, errors.As(error(withCause), &target))
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		_ = errors.Is(withCause, ErrInvalidToken)
		_ = errors.Is(withCause, cause)
		_ = errors.Is(alone, ErrInvalidToken)
	}))
}
