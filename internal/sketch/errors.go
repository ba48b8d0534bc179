package sketch

import (
	"errors"
	"fmt"
)

// Errors returned by this package, matchable with errors.Is.
var (
	// ErrCorrupt: an encoding is malformed, inconsistent or not canonical.
	ErrCorrupt = errors.New("sketch: corrupt encoding")
	// ErrTruncated: an encoding ends early. It matches ErrCorrupt too.
	ErrTruncated = fmt.Errorf("%w: truncated", ErrCorrupt)
	// ErrVersion: an encoding has a version this package does not read.
	ErrVersion = errors.New("sketch: unsupported encoding version")
	// ErrOverflow: a merge would make the count exceed 2^64−1.
	ErrOverflow = errors.New("sketch: count overflow")
	// ErrNotContained: Subtract was given values that were never added.
	ErrNotContained = errors.New("sketch: subtracted sketch is not contained")
)

// DecodeError says what was wrong with an encoding and where.
type DecodeError struct {
	Type   string // "Sketch" or "Population"
	Offset int    // byte offset of the faulty field
	Field  string // the field being read
	Err    error  // ErrCorrupt, ErrTruncated or ErrVersion
	Detail string
}

// Error returns "KIND: TYPE field FIELD at byte N[: detail]".
func (e *DecodeError) Error() string {
	msg := fmt.Sprintf("%v: %s field %s at byte %d", e.Err, e.Type, e.Field, e.Offset)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the kind, so errors.Is matches ErrCorrupt, ErrTruncated or
// ErrVersion.
func (e *DecodeError) Unwrap() error { return e.Err }
