package replay

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// scanner walks one record line. It checks JSON syntax for everything but a
// composite value (object or array), of which it only finds the end: the
// one composite a valid record has is the report, which the report decoder
// checks in full.
type scanner struct {
	b []byte
	i int
}

// value is a scanned JSON value: its bytes and where it starts; esc says a
// string has escapes to undo.
type value struct {
	raw []byte
	at  int
	esc bool
}

// kind is the value's kind in jsontext's spelling: '"', '0' (a number),
// 't', 'f', 'n', '{' or '['.
func (v value) kind() byte { return kinds[v.raw[0]] }

// kinds maps the first byte of a value to its kind.
var kinds = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
	}
	for _, c := range "-123456789" {
		t[c] = '0'
	}
	return t
}()

func isValueStart(c byte) bool {
	switch c {
	case '{', '[', '"', 't', 'f', 'n', '-':
		return true
	}
	return c >= '0' && c <= '9'
}

func (s *scanner) peek() (byte, bool) {
	if s.i < len(s.b) {
		return s.b[s.i], true
	}
	return 0, false
}

// space skips JSON whitespace.
func (s *scanner) space() {
	if s.i < len(s.b) && s.b[s.i] > ' ' { // none, as the replay format is written
		return
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) endError() error {
	return &RecordError{Msg: "invalid JSON: unexpected end of line"}
}

// charError reports the byte at s.i as out of place.
func (s *scanner) charError(where string) error {
	c := s.b[s.i]
	what := strconv.QuoteRune(rune(c))
	if c >= 0x80 {
		what = fmt.Sprintf("byte %#x", c)
	}
	return &RecordError{Msg: fmt.Sprintf("invalid JSON at column %d: invalid character %s %s", s.i+1, what, where)}
}

// colon reads the ':' after a key and the whitespace around it.
func (s *scanner) colon() error {
	s.space()
	c, ok := s.peek()
	if !ok {
		return s.endError()
	}
	if c != ':' {
		return s.charError("after an object key; want :")
	}
	s.i++
	s.space()
	return nil
}

// value scans the next value.
func (s *scanner) value() (value, error) {
	c, ok := s.peek()
	if !ok {
		return value{}, s.endError()
	}
	at := s.i
	var err error
	esc := false
	switch {
	case c == '"':
		_, esc, err = s.str()
	case c == '{' || c == '[':
		err = s.composite()
	case c == 't':
		err = s.literal("true")
	case c == 'f':
		err = s.literal("false")
	case c == 'n':
		err = s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		err = s.number()
	default:
		return value{}, s.charError("where a value belongs")
	}
	if err != nil {
		return value{}, err
	}
	return value{raw: s.b[at:s.i], at: at, esc: esc}, nil
}

func (s *scanner) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if s.i >= len(s.b) {
			return s.endError()
		}
		if s.b[s.i] != lit[k] {
			return s.charError("in literal " + lit)
		}
		s.i++
	}
	return nil
}

// plain marks the bytes a string may hold as they are: not a quote, a
// backslash, a control character or a byte of a multi-byte UTF-8 sequence.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans a string at s.i and returns it with its quotes, and whether it
// has escapes. Escapes are checked only for their form here; unquoting
// checks the rest (\u values).
func (s *scanner) str() (raw []byte, esc bool, err error) {
	at := s.i
	s.i++
	ascii := true
	for {
		// Skip plain bytes eight at a time: names, topics and times are
		// most of a record line's strings, and have no byte to stop at.
		for s.i+8 <= len(s.b) {
			m := strStops(binary.LittleEndian.Uint64(s.b[s.i:]))
			if m != 0 {
				s.i += bits.TrailingZeros64(m) >> 3
				break
			}
			s.i += 8
		}
		if s.i >= len(s.b) {
			return nil, false, s.endError()
		}
		c := s.b[s.i]
		if plain[c] { // the last few bytes of the line
			s.i++
			continue
		}
		switch {
		case c == '"':
			s.i++
			if !ascii && !utf8.Valid(s.b[at+1:s.i-1]) {
				return nil, false, &RecordError{Msg: fmt.Sprintf("invalid JSON at column %d: invalid UTF-8 in string", at+1)}
			}
			return s.b[at:s.i], esc, nil
		case c == '\\':
			esc = true
			s.i++
			if s.i >= len(s.b) {
				return nil, false, s.endError()
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u':
			default:
				return nil, false, s.charError("in a string escape")
			}
		case c < 0x20:
			return nil, false, s.charError("in a string (control characters must be escaped)")
		default:
			ascii = false
		}
		s.i++
	}
}

// strStops marks with its high bit the first byte of w that is not plain
// (see plain): a quote, a backslash, a control character or a byte of
// 0x80 or more. Like bytesEqual, only the lowest mark is exact.
func strStops(w uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	below := (w - lo*0x20) &^ w & hi // a byte below 0x20 (or after one)
	return bytesEqual(w, '"') | bytesEqual(w, '\\') | below | w&hi
}

// number scans a number with JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := func() error {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		if n == 0 {
			if s.i >= len(s.b) {
				return s.endError()
			}
			return s.charError("in a number; want a digit")
		}
		return nil
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if err := digits(); err != nil {
		return err
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if err := digits(); err != nil {
			return err
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if err := digits(); err != nil {
			return err
		}
	}
	return nil
}

// composite finds the end of the object or array at s.i: the bracket that
// closes it, outside strings. It does not check what is inside (see
// scanner).
func (s *scanner) composite() error {
	end, ok := compositeEnd(s.b, s.i)
	if !ok {
		return &RecordError{Msg: fmt.Sprintf("invalid JSON at column %d: %s not closed before the end of the line", s.i+1, strconv.QuoteRune(rune(s.b[s.i])))}
	}
	s.i = end
	return nil
}

// lastMemberObject takes the object value at s.i to be the last member of
// the record, without finding its end, if the line could end that way: the
// value starts with '{' and the line ends with two closing braces,
// whitespace around them. The value is then everything up to the first of
// the two (see Parser.ParseDeferred), unchecked, and s.i is past it.
func (s *scanner) lastMemberObject() (value, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return value{}, false
	}
	j := len(s.b) - 1
	for j > s.i && isSpace(s.b[j]) {
		j--
	}
	if j <= s.i || s.b[j] != '}' {
		return value{}, false
	}
	j--
	for j > s.i && isSpace(s.b[j]) {
		j--
	}
	if j <= s.i || s.b[j] != '}' {
		return value{}, false
	}
	v := value{raw: s.b[s.i : j+1], at: s.i}
	s.i = j + 1
	return v, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// compositeEnd returns the index just past the bracket closing the object or
// array that starts at b[i], counting that kind of bracket outside strings
// (a string ends at the first quote not escaped by a backslash). In valid
// JSON the other kind balances within, so it needs no counting; in invalid
// JSON the span found is invalid too, and the report decoder rejects it.
// ok is false when the brackets do not close within b.
//
// It reads eight bytes at a time, looking for the few bytes it stops at
// with word arithmetic: the report is most of a record line's bytes, and
// this is all the Reader does with it.
func compositeEnd(b []byte, i int) (end int, ok bool) {
	if i >= len(b) {
		return 0, false
	}
	open := b[i]
	closing := byte('}')
	if open == '[' {
		closing = ']'
	}
	depth := 0
	inString := false
	for i < len(b) {
		// Find the next byte that matters: outside a string a quote or a
		// bracket of this kind, inside one a quote or a backslash.
		if i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			var m uint64
			if inString {
				m = bytesEqual(w, '"') | bytesEqual(w, '\\')
			} else {
				m = bytesEqual(w, '"') | bytesEqual(w, open) | bytesEqual(w, closing)
			}
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := b[i]
		switch {
		case inString:
			if c == '\\' {
				i++ // the escaped byte
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == open:
			depth++
		case c == closing:
			if depth--; depth == 0 {
				return i + 1, true
			}
		}
		i++
	}
	return 0, false
}

// bytesEqual marks with its high bit the first byte of w equal to c (the
// lowest marked byte is exact; bytes after it may be marked falsely, which
// compositeEnd never looks at: it moves to the first mark and reads again).
func bytesEqual(w uint64, c byte) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	x := w ^ (lo * uint64(c))
	return (x - lo) &^ x & hi
}
