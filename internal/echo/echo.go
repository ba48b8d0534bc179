// Package echo renders untrusted input for error messages. An error that
// repeats what it was given must stay one readable line of bounded size
// whatever it was given: a megabyte name must not make a megabyte error, and
// a newline or a terminal escape sequence must not reach a log or a terminal
// raw. Every message of the module that echoes input goes through Quote or
// Name, so the rule has one home.
package echo

import (
	"strconv"
	"unicode/utf8"
)

// Limit is how many bytes of the input an echo keeps: the service's
// longest name (128 bytes) is echoed whole.
const Limit = 128

// Quote returns s as a double-quoted Go string literal: control characters,
// invalid UTF-8 and non-printable runes are escaped as strconv.Quote escapes
// them. At most Limit bytes of s are kept, cut at a rune boundary; a longer s
// is followed by "…(N bytes)" giving its full length.
func Quote[S ~string | ~[]byte](s S) string {
	return string(appendQuoted(nil, s, '"'))
}

// Single is Quote with single quotes around the text, the form the AWS
// service's validation messages use ("Value 'x' at 'thingName' …").
func Single[S ~string | ~[]byte](s S) string {
	return string(appendQuoted(nil, s, '\''))
}

// Name returns s unchanged when it is a plain name — 1..Limit bytes of
// printable UTF-8 (strconv.IsPrint: no control, format or invalid bytes)
// without quote characters or backslashes, as every ARN and resource name of
// the service is — and Quote(s) otherwise. Messages that
// name a resource stay as the service writes them, and anything else is
// quoted.
func Name[S ~string | ~[]byte](s S) string {
	if plain(s) {
		return string(s)
	}
	return Quote(s)
}

func plain[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 || len(s) > Limit {
		return false
	}
	for _, r := range string(s) {
		if r == utf8.RuneError || r == '"' || r == '\'' || r == '`' || r == '\\' || !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

func appendQuoted[S ~string | ~[]byte](b []byte, s S, q byte) []byte {
	n := len(s)
	cut := n
	if n > Limit {
		// Cut at a rune start, unless none is near (invalid UTF-8, which
		// is escaped byte by byte anyway).
		cut = Limit
		for i := Limit; i > Limit-utf8.UTFMax; i-- {
			if utf8.RuneStart(s[i]) {
				cut = i
				break
			}
		}
	}
	kept := string(s[:cut])
	lit := strconv.AppendQuote(b, kept)
	if q != '"' {
		// Re-quote: strconv escapes double quotes, a single-quoted echo
		// escapes single quotes instead.
		inner := lit[len(b)+1 : len(lit)-1]
		out := append(b[:len(b):len(b)], q)
		for i := 0; i < len(inner); i++ {
			switch {
			case inner[i] == '\\' && i+1 < len(inner) && inner[i+1] == '"':
				out = append(out, '"')
				i++
			case inner[i] == '\\' && i+1 < len(inner):
				out = append(out, inner[i], inner[i+1])
				i++
			case inner[i] == q:
				out = append(out, '\\', q)
			default:
				out = append(out, inner[i])
			}
		}
		lit = append(out, q)
	}
	if cut < n {
		lit = append(lit, "…("...)
		lit = strconv.AppendInt(lit, int64(n), 10)
		lit = append(lit, " bytes)"...)
	}
	return lit
}
