package testfile

import (
	"errors"
	"fmt"
)

// ErrBadFile is matched (errors.Is) by every error about a test file's
// contents.
var ErrBadFile = errors.New("bad test file")

// Error is a problem at a place in a test file.
type Error struct {
	File string
	Pos  Pos // zero when the problem has no place (an unreadable file)
	Msg  string
}

// Error is FILE:LINE:COLUMN: message, or FILE: message without a place.
func (e *Error) Error() string {
	if e.Pos.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Column, e.Msg)
}

// Is makes errors.Is(err, ErrBadFile) hold.
func (e *Error) Is(target error) bool { return target == ErrBadFile }
