package behavior

import (
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Patterns of the service model. The model's regular expressions are
// unanchored (Smithy patterns are searched, not matched), and AWS's own
// developer guide names 41 of its 43 example behaviors with spaces ("Max
// Message Size"). So a behavior name passes when it contains a run of
// pattern characters (checkBehaviorName), as the model says. Security
// profile, dimension and custom metric names become ARN and URL path
// segments, where a space cannot be reproduced faithfully, so those are
// checked as full matches (checkName): a deliberate, stricter choice.
const (
	namePattern        = "[a-zA-Z0-9:_-]+"
	descriptionPattern = `[\p{Graph}\x20]*`
	tagKeyPattern      = `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`
)

func isNameChar(r rune) bool {
	return r == ':' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func allRunes(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

// ValidName reports whether s is a name of the model's SecurityProfileName,
// DimensionName and MetricName form: 1..128 characters of [a-zA-Z0-9:_-],
// the pattern matched by the whole name (see namePattern).
func ValidName(s string) bool {
	return len(s) >= 1 && len(s) <= 128 && allRunes(s, isNameChar)
}

// checkName returns what is wrong with a name of the model's
// SecurityProfileName/BehaviorName/DimensionName/MetricName form, or "".
func checkName(field, s string) string {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return field + " is required"
	case n > 128:
		return fmt.Sprintf("%s length %d should be in range[1,128]", field, n)
	case !allRunes(s, isNameChar):
		return fmt.Sprintf("%s %s should match pattern %s", field, echo.Quote(s), namePattern)
	}
	return ""
}

// checkBehaviorName returns what is wrong with a BehaviorName, or "": 1..128
// characters that contain at least one pattern character (see namePattern).
func checkBehaviorName(field, s string) string {
	if msg := checkLength(field, s, 1, 128); msg != "" {
		return msg
	}
	if !strings.ContainsFunc(s, isNameChar) {
		return fmt.Sprintf("%s %s should match pattern %s", field, echo.Quote(s), namePattern)
	}
	return ""
}

// checkLength returns what is wrong with a string of length lo..hi, or "".
func checkLength(field, s string, lo, hi int) string {
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && lo > 0:
		return field + " is required"
	case n < lo || n > hi:
		return fmt.Sprintf("%s length %d should be in range[%d,%d]", field, n, lo, hi)
	}
	return ""
}

// isDescriptionChar is [\p{Graph}\x20] as Java reads it: \p{Graph} is
// ASCII-only unless a Unicode flag is set, so printable ASCII and space.
func isDescriptionChar(r rune) bool { return r >= 0x20 && r <= 0x7e }

func isTagKeyChar(r rune) bool {
	return unicode.In(r, unicode.L, unicode.Z, unicode.N) || r == '_' || r == '.' || r == ':' || r == '/' || r == '=' || r == '+' || r == '-' || r == '@'
}

// MaxThingNameBytes is the longest thing name the engine accepts, as Detect
// does in a metrics report's topic: 128 bytes.
const MaxThingNameBytes = 128

// ThingNameProblem returns why s is not a thing name the engine accepts, or
// "": a thing name is 1..128 bytes of UTF-8 without control characters (C0,
// DEL or C1). It is the one rule for thing names, wherever they come from:
// the engine's inputs, a replay file, a snapshot.
func ThingNameProblem(s string) string {
	if printableASCII(s) {
		return "" // every thing name a fleet generator or provisioning template makes
	}
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > MaxThingNameBytes:
		return "longer than 128 bytes"
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return "contains a control character"
		}
	}
	return ""
}

// printableASCII reports whether s is 1..128 printable ASCII bytes: the
// fast path of ThingNameProblem.
func printableASCII(s string) bool {
	if len(s) == 0 || len(s) > MaxThingNameBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
