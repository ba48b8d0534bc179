package violation

import (
	"errors"
	"fmt"
	"strconv"
)

// The kinds of error this package returns. Every error wraps exactly one of
// them (ErrInvalidToken also matches ErrInvalidRequest), so callers branch with
// errors.Is; the root package maps them onto its own service-level kinds. A
// call that returns an error has changed nothing.
var (
	// ErrInvalidRequest: an input breaks a constraint of the service model
	// (a missing required member, a value out of range, a bad enum value).
	ErrInvalidRequest = errors.New("invalid request")
	// ErrInvalidToken: a nextToken is garbage, was tampered with, or belongs
	// to another listing or other filters. It wraps ErrInvalidRequest, which
	// is what the service answers for a bad token.
	ErrInvalidToken = fmt.Errorf("%w: invalid nextToken", ErrInvalidRequest)
	// ErrNotFound: PutVerificationState names a violation the log does not
	// hold (never raised, or closed and all its events expired).
	ErrNotFound = errors.New("violation not found")
	// ErrInvalidSnapshot: Log.UnmarshalBinary or Streak.UnmarshalBinary got
	// data that is not a snapshot this version wrote, or one that is
	// inconsistent.
	ErrInvalidSnapshot = errors.New("invalid snapshot")
)

// Error is a rejected call: the operation, the model member at fault (empty
// when the whole request is at fault), a message in the service's words, the
// kind (one of the Err values above) and, when there is one, the underlying
// error.
type Error struct {
	Op      string // e.g. "ListViolationEvents"
	Field   string // e.g. "maxResults"
	Message string
	Kind    error
	Cause   error
}

// Error returns "violation: Op: Message".
func (e *Error) Error() string {
	return "violation: " + e.Op + ": " + e.Message
}

// Is reports whether target is the error's kind (or what the kind wraps),
// so that errors.Is matches ErrInvalidToken, say; the cause is matched
// through Unwrap (pagetoken.ErrInvalidToken). Neither allocates, where a
// list of both ([]error) was made on every errors.Is.
func (e *Error) Is(target error) bool { return e.Kind != nil && errors.Is(e.Kind, target) }

// Unwrap returns the cause, nil when there is none.
func (e *Error) Unwrap() error { return e.Cause }

// constraintError reports a member that fails a model constraint, in the
// words the service's request validation uses.
func constraintError(op, field, value, constraint string) *Error {
	return &Error{
		Op:      op,
		Field:   field,
		Message: fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", value, field, constraint),
		Kind:    ErrInvalidRequest,
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
