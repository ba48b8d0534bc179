package dimension

import (
	"errors"
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"strings"
	"unicode/utf8"
)

// MaxTopicLen is the longest topic name, in bytes, that MQTT allows
// (MQTT-4.7.3-3).
const MaxTopicLen = 65535

// ErrInvalidTopic is the error every [TopicError] matches with [errors.Is].
var ErrInvalidTopic = errors.New("dimension: invalid topic name")

// TopicError describes why a topic name is invalid.
type TopicError struct {
	Topic  string // the topic as given
	Offset int    // byte offset of the offending character in Topic
	Reason string // what is wrong, e.g. "contains wildcard '+'"
}

// Error names the topic (shortened when it is long), the offset and the reason.
func (e *TopicError) Error() string {
	return fmt.Sprintf("dimension: invalid topic name %s at offset %d: %s", echo.Quote(e.Topic), e.Offset, e.Reason)
}

// Is reports whether target is [ErrInvalidTopic].
func (e *TopicError) Is(target error) bool { return target == ErrInvalidTopic }

// ValidateTopic reports whether topic is a valid MQTT topic name, the kind a
// PUBLISH carries: 1 to [MaxTopicLen] bytes of well-formed UTF-8 with no
// U+0000 and no wildcard characters '+' or '#' (MQTT-4.7.3-1..3, MQTT-3.3.2-2).
// It returns nil or a *[TopicError]. [Matcher.Match] returns false for every
// topic that ValidateTopic rejects.
func ValidateTopic(topic string) error {
	if validTopic(topic) {
		return nil // the common case, without building the error closure's inputs
	}
	bad := func(off int, reason string) error {
		return &TopicError{Topic: topic, Offset: off, Reason: reason}
	}
	switch {
	case len(topic) == 0:
		return bad(0, "empty topic")
	case len(topic) > MaxTopicLen:
		return bad(MaxTopicLen, fmt.Sprintf("longer than %d bytes", MaxTopicLen))
	}
	if i := strings.IndexAny(topic, "\x00+#"); i >= 0 {
		if j := firstInvalidUTF8(topic[:i]); j >= 0 {
			return bad(j, "invalid UTF-8")
		}
		if topic[i] == 0 {
			return bad(i, "contains U+0000")
		}
		return bad(i, fmt.Sprintf("contains wildcard '%c'", topic[i]))
	}
	if j := firstInvalidUTF8(topic); j >= 0 {
		return bad(j, "invalid UTF-8")
	}
	return nil
}

// firstInvalidUTF8 returns the offset of the first byte of s that does not
// start a well-formed UTF-8 sequence, or -1.
func firstInvalidUTF8(s string) int {
	if utf8.ValidString(s) {
		return -1
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1 // unreachable: ValidString said otherwise
}

// validTopic is ValidateTopic without the error: the check Match runs, once,
// on a topic it is about to report as matching. ASCII is tested 8 bytes at a
// time in a register, the tail as the topic's last 8 bytes; the first word
// with a non-ASCII byte hands the rest to utf8.ValidString.
func validTopic(t string) bool {
	if len(t) == 0 || len(t) > MaxTopicLen {
		return false
	}
	i := 0
	for ; i+8 <= len(t); i += 8 {
		w := load64(t[i:])
		if w&highs != 0 {
			break
		}
		if !cleanWord(w) {
			return false
		}
	}
	if i+8 > len(t) && i < len(t) && len(t) >= 8 {
		// Every whole word passed: the tail is the last word's end, tested
		// as a word (its first bytes again, which passed) rather than byte
		// by byte, unless it holds a non-ASCII byte.
		if w := load64(t[len(t)-8:]); w&highs == 0 {
			return cleanWord(w)
		}
	}
	for ; i < len(t); i++ {
		switch c := t[i]; {
		case c == 0 || c == '+' || c == '#':
			return false
		case c >= utf8.RuneSelf:
			rest := t[i:]
			return utf8.ValidString(rest) && strings.IndexByte(rest, '+') < 0 && strings.IndexByte(rest, '#') < 0 && strings.IndexByte(rest, 0) < 0
		}
	}
	return true
}

// cleanWord reports whether no byte of w, a word of ASCII bytes (none
// with its high bit set, where each test is exact), is NUL, '+' or '#'.
func cleanWord(w uint64) bool {
	const pluses, hashes = 0x2b2b2b2b2b2b2b2b, 0x2323232323232323 // "++++++++", "########"
	return (hasZero(w) | hasZero(w^pluses) | hasZero(w^hashes)) == 0
}

// hasZero is non-zero iff a byte of x is zero, for x without high bits set.
func hasZero(x uint64) uint64 { return (x - ones) &^ x & highs }
