package dimension

import (
	"errors"
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"strings"
	"unicode/utf8"
)

// ClientIDVariable is the only substitution variable a TOPIC_FILTER value may
// contain. [Matcher.Match] replaces it with the client id of the device that
// published or received the message.
const ClientIDVariable = "${iot:ClientId}"

// MaxFilterLen is the longest filter, in characters (Unicode code points),
// that [ValidateFilter] accepts: the service model's limit on a
// DimensionStringValue, whose lengths count characters (Smithy's length
// trait), not bytes. A valid filter is thus at most 4·MaxFilterLen bytes.
const MaxFilterLen = 256

// ErrInvalidFilter is the error every [FilterError] matches with [errors.Is].
var ErrInvalidFilter = errors.New("dimension: invalid topic filter")

// FilterError describes why a topic filter is invalid.
type FilterError struct {
	Filter string // the filter as given
	Offset int    // byte offset of the offending character in Filter
	Reason string // what is wrong, e.g. "'#' must be the last level"
}

// Error names the filter (shortened when it is long), the offset and the reason.
func (e *FilterError) Error() string {
	return fmt.Sprintf("dimension: invalid topic filter %s at offset %d: %s", echo.Quote(e.Filter), e.Offset, e.Reason)
}

// Is reports whether target is [ErrInvalidFilter], so that errors.Is works on
// a *FilterError however deeply it is wrapped.
func (e *FilterError) Is(target error) bool { return target == ErrInvalidFilter }

// ValidateFilter reports whether filter is a valid TOPIC_FILTER dimension
// value. It returns nil or a *[FilterError] naming the first offending byte.
// A valid filter:
//
//   - is 1 to [MaxFilterLen] characters of well-formed UTF-8 without U+0000
//     (MQTT-1.5.4-1, MQTT-4.7.3-1, MQTT-4.7.3-2);
//   - uses '+' only as a whole level and '#' only as the whole last level
//     (MQTT-4.7.1-2, MQTT-4.7.1-3);
//   - contains "${" only as the start of [ClientIDVariable], anywhere in a level.
//
// Filters starting with "$share/" have no special meaning here: a dimension is
// not a subscription, so such a filter is an ordinary literal filter.
func ValidateFilter(filter string) error {
	bad := func(off int, reason string) error {
		return &FilterError{Filter: filter, Offset: off, Reason: reason}
	}
	if len(filter) == 0 {
		return bad(0, "empty filter")
	}
	levelStart, chars := 0, 0
	for i := 0; i < len(filter); i++ {
		if chars++; chars > MaxFilterLen {
			return bad(i, fmt.Sprintf("longer than %d characters", MaxFilterLen))
		}
		switch c := filter[i]; c {
		case 0:
			return bad(i, "contains U+0000")
		case '/':
			levelStart = i + 1
		case '+':
			if i != levelStart || (i+1 < len(filter) && filter[i+1] != '/') {
				return bad(i, "'+' must occupy an entire level")
			}
		case '#':
			if i != levelStart {
				return bad(i, "'#' must occupy an entire level")
			}
			if i != len(filter)-1 {
				return bad(i, "'#' must be the last level")
			}
		case '$':
			// The variable's other bytes are plain ASCII, so the loop can go
			// on through them, counting them as characters.
			if strings.HasPrefix(filter[i+1:], "{") && !strings.HasPrefix(filter[i:], ClientIDVariable) {
				return bad(i, "unsupported substitution variable (only "+ClientIDVariable+" is allowed)")
			}
		default:
			if c >= utf8.RuneSelf {
				r, size := utf8.DecodeRuneInString(filter[i:])
				if r == utf8.RuneError && size == 1 {
					return bad(i, "invalid UTF-8")
				}
				i += size - 1
			}
		}
	}
	return nil
}
