package wire

import (
	"errors"
	"fmt"
)

// The kinds of malformed input, matched with errors.Is on a Reader's error.
var (
	// ErrTruncated: the data ends inside a field.
	ErrTruncated = errors.New("truncated")
	// ErrNonMinimal: a varint is longer than its shortest encoding.
	ErrNonMinimal = errors.New("non-minimal varint")
	// ErrOverflow: a varint does not fit in 64 bits.
	ErrOverflow = errors.New("varint overflows 64 bits")
	// ErrCount: a count or length announces more than the remaining data
	// can hold.
	ErrCount = errors.New("count exceeds the remaining input")
	// ErrLimit: a count or length is above the limit its caller declared.
	ErrLimit = errors.New("count above its limit")
)

// Error says what was wrong with an encoding and where.
type Error struct {
	// Offset is where the field that failed starts, in bytes from the
	// start of the Reader's data.
	Offset int
	// Err is ErrTruncated, ErrNonMinimal, ErrOverflow, ErrCount or ErrLimit.
	Err error
	// N is the count read and Max the most it may be: the limit for
	// ErrLimit, what the remaining data holds for ErrCount. Both are zero
	// for the other kinds.
	N, Max uint64
}

// Error returns "wire: WHAT at byte N".
func (e *Error) Error() string {
	switch e.Err {
	case ErrCount:
		return fmt.Sprintf("wire: count %d exceeds the remaining input (room for %d) at byte %d", e.N, e.Max, e.Offset)
	case ErrLimit:
		return fmt.Sprintf("wire: count %d above its limit %d at byte %d", e.N, e.Max, e.Offset)
	}
	return fmt.Sprintf("wire: %v at byte %d", e.Err, e.Offset)
}

// Unwrap returns the kind, so that errors.Is matches it.
func (e *Error) Unwrap() error { return e.Err }
