package criteria

import (
	"errors"
	"strconv"
)

// ErrInvalidValue is matched (errors.Is) by every error Compile returns.
var ErrInvalidValue = errors.New("invalid criteria value")

// ErrInvalidOperator is matched, besides ErrInvalidValue, by a Compile error
// about the operator itself.
var ErrInvalidOperator = errors.New("invalid comparison operator")

// Error is the error Compile returns: what is wrong and where, as a path
// below the behavior's criteria ("value.ports[3]: 70000 is outside 0..65535").
// It matches ErrInvalidValue, and whatever Err matches (ErrInvalidCIDR for a
// bad CIDR element, ErrInvalidOperator for a bad operator).
type Error struct {
	Field string // "value.ports", "value", "comparisonOperator"
	Index int    // element index in a list field, or -1
	Msg   string // what is wrong, without the field
	Err   error  // the cause, or nil
}

// Error returns "FIELD[INDEX]: MSG".
func (e *Error) Error() string {
	s := e.Field
	if e.Index >= 0 {
		s += "[" + strconv.Itoa(e.Index) + "]"
	}
	return s + ": " + e.Msg
}

// Is reports whether target is ErrInvalidValue.
func (e *Error) Is(target error) bool { return target == ErrInvalidValue }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func fieldError(field, msg string) *Error {
	return &Error{Field: field, Index: -1, Msg: msg}
}

func elemError(field string, i int, msg string) *Error {
	return &Error{Field: field, Index: i, Msg: msg}
}
