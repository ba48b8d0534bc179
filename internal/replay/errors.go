package replay

import (
	"errors"
	"strconv"

	"github.com/ruledetect/ruledetect/internal/echo"
)

// ErrBadRecord is matched (with [errors.Is]) by every [*RecordError].
var ErrBadRecord = errors.New("bad replay record")

// RecordError describes a line that is not a valid record. The Reader stays
// usable after it: the next call to Next reads the following line, so a caller
// may count bad records and go on.
type RecordError struct {
	Line  int    // 1-based line number; 0 for a record that was not read from a line
	Field string // the key at fault, or "" when the line as a whole is (not JSON, too long)
	Msg   string // what is wrong
}

// Error returns "replay: line N: field "F": MSG".
func (e *RecordError) Error() string {
	b := make([]byte, 0, 32+len(e.Field)+len(e.Msg))
	b = append(b, "replay: "...)
	if e.Line > 0 {
		b = append(b, "line "...)
		b = strconv.AppendInt(b, int64(e.Line), 10)
		b = append(b, ": "...)
	}
	if e.Field != "" {
		b = append(b, "field "...)
		b = append(b, echo.Quote(e.Field)...)
		b = append(b, ": "...)
	}
	b = append(b, e.Msg...)
	return string(b)
}

// Is reports whether target is ErrBadRecord.
func (e *RecordError) Is(target error) bool { return target == ErrBadRecord }
