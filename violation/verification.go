package violation

import (
	"github.com/ruledetect/ruledetect/internal/echo"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDescriptionLen is the longest verificationStateDescription the service
// accepts, in characters.
const MaxDescriptionLen = 1000

// PutVerificationState sets the verification state of the violation id, and
// its description, on the active violation (if it is still open) and on all
// of its events, so that either listing shows the same state. A nil description removes the previous one.
// The log keeps its own copy of *description.
//
// Errors: a malformed id, a state that is not one of the model's, or a
// description longer than MaxDescriptionLen characters or holding a control
// character or invalid UTF-8 match ErrInvalidRequest; a violation the log
// does not hold (never raised, or closed with all its events pruned) matches
// ErrNotFound. A rejected call changes nothing.
func (l *Log) PutVerificationState(id string, state VerificationState, description *string) error {
	const op = "PutVerificationStateOnViolation"
	if err := checkViolationID(op, id); err != nil {
		return err
	}
	if !state.Valid() {
		return constraintError(op, "verificationState", echo.Single(string(state)),
			"satisfy enum value set: [FALSE_POSITIVE, BENIGN_POSITIVE, TRUE_POSITIVE, UNKNOWN]")
	}
	var desc *string
	if description != nil {
		if err := checkDescription(op, *description); err != nil {
			return err
		}
		d := strings.Clone(*description)
		desc = &d
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.byID[id]
	if v == nil {
		return &Error{Op: op, Field: "violationId", Kind: ErrNotFound, Message: "violation " + id + " does not exist"}
	}
	v.state, v.desc = state, desc
	return nil
}

// checkViolationID validates a ViolationId: 1..128 characters of
// [a-zA-Z0-9-].
func checkViolationID(op, id string) error {
	ok := len(id) >= 1 && len(id) <= 128
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
	}
	if !ok {
		return constraintError(op, "violationId", echo.Single(id),
			"satisfy regular expression pattern: [a-zA-Z0-9\\-]+ and have length between 1 and 128")
	}
	return nil
}

// checkDescription validates a VerificationStateDescription: at most
// MaxDescriptionLen characters matching [^\p{Cntrl}]*. We read \p{Cntrl} as
// Unicode's Cc category (C0, DEL and C1), one step stricter than Java's
// ASCII-only default, and reject invalid UTF-8, which has no characters to
// check.
func checkDescription(op, d string) error {
	if !utf8.ValidString(d) {
		return constraintError(op, "verificationStateDescription", "(invalid UTF-8)", "be valid UTF-8")
	}
	if n := utf8.RuneCountInString(d); n > MaxDescriptionLen {
		return constraintError(op, "verificationStateDescription", "of "+itoa(n)+" characters",
			"have length less than or equal to 1000")
	}
	if i := strings.IndexFunc(d, unicode.IsControl); i >= 0 {
		return constraintError(op, "verificationStateDescription", echo.Single(d),
			"satisfy regular expression pattern: [^\\p{Cntrl}]* (control character at byte "+itoa(i)+")")
	}
	return nil
}
