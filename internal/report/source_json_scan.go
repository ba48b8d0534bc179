package report

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// jsonScanner is the JSON source of DecodeJSON's fast path: it reads the
// report's bytes in place, with no tokenizer state machine, no copy of the
// input and no error values to build.
//
// It accepts a strict subset of what jsontext accepts (RFC 8259 JSON, valid
// UTF-8) and hands the walker the same raw tokens for it. Anything else (an
// escape in a string, nesting deeper than it tracks, a syntax error, and
// every error of the walker too) makes it give up with errScanGaveUp, and
// DecodeJSON decodes the report again through jsontext, which then gives the
// error its usual text and path or accepts what this scanner did not try to.
// So the fast path changes the speed, never the outcome; a fuzz target checks
// that (FuzzDecodeJSONScannerAgrees).
type jsonScanner struct {
	b []byte
	i int
	// after is true once a value has ended: the next member or element of
	// the enclosing object or array must be preceded by a comma.
	after bool
}

// errScanGaveUp is the scanner's only error: the fast path stops and the
// report is decoded by the jsontext path instead.
var errScanGaveUp = errors.New("report: fast JSON scan gave up")

// maxScanDepth is how deep skip follows nesting (a bit per level); deeper
// ignored values go to the jsontext path, which has the 10000-level limit.
const maxScanDepth = 64

// plain marks the bytes a string holds as they are, without a further look:
// printable ASCII except '"' and '\\'. Control characters are invalid in a
// JSON string; bytes ≥ 0x80 are UTF-8 and validated separately.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// ws skips whitespace and returns the next byte, 0 at the end of the input
// (0 starts no token, so every caller gives up on it). Reports are usually
// written without whitespace, so the first byte is checked inline.
func (s *jsonScanner) ws() byte {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return s.b[s.i]
	}
	return s.skipWS()
}

func (s *jsonScanner) skipWS() byte {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case ' ', '\n', '\r', '\t':
			s.i++
		default:
			return c
		}
	}
	return 0
}

func (s *jsonScanner) beginObject() error {
	if s.ws() != '{' {
		return errScanGaveUp
	}
	s.i++
	s.after = false
	return nil
}

func (s *jsonScanner) beginArray() error {
	if s.ws() != '[' {
		return errScanGaveUp
	}
	s.i++
	s.after = false
	return nil
}

// next consumes the comma before a member or element when one is due and
// returns the byte after it, or the closing byte close when the container
// ends there. It returns 0 for anything else.
func (s *jsonScanner) next(close byte) byte {
	c := s.ws()
	if c == close {
		return c
	}
	if s.after {
		if c != ',' {
			return 0
		}
		s.i++
		c = s.ws()
		if c == close { // a trailing comma
			return 0
		}
	}
	return c
}

func (s *jsonScanner) key() ([]byte, bool, error) {
	// The common case first, as reports are written: no whitespace, a comma
	// when one is due, a plain key, its colon.
	b, i := s.b, s.i
	if s.after && i < len(b) && b[i] == ',' {
		i++
	}
	if (i > s.i) == s.after && i < len(b) && b[i] == '"' {
		end := -1
		if i+9 <= len(b) {
			if n := shortLen(binary.LittleEndian.Uint64(b[i+1:])); n >= 0 {
				end = i + 1 + n
			}
		}
		if end < 0 {
			end = scanString(b, i+1)
		}
		if end >= 0 && end+1 < len(b) && b[end+1] == ':' {
			s.i = end + 2
			return b[i+1 : end], true, nil
		}
	}
	switch s.next('}') {
	case '}':
		s.i++
		s.after = true
		return nil, false, nil
	case '"':
	default:
		return nil, false, errScanGaveUp
	}
	k, ok := s.string()
	if !ok || s.ws() != ':' {
		return nil, false, errScanGaveUp
	}
	s.i++
	return k, true, nil
}

func (s *jsonScanner) more() (bool, error) {
	// The common case first: a comma and the next element, no whitespace.
	if b, i := s.b, s.i; s.after && i+1 < len(b) && b[i] == ',' && b[i+1] > ' ' && b[i+1] != ']' {
		s.i = i + 1
		return true, nil
	}
	switch s.next(']') {
	case ']':
		s.i++
		s.after = true
		return false, nil
	case 0:
		return false, errScanGaveUp
	}
	return true, nil
}

func (s *jsonScanner) str() ([]byte, error) {
	if s.ws() != '"' {
		return nil, errScanGaveUp
	}
	b, start := s.b, s.i+1
	end := -1
	if start+8 <= len(b) {
		if n := shortLen(binary.LittleEndian.Uint64(b[start:])); n >= 0 {
			end = start + n
		}
	}
	if end < 0 {
		if end = scanString(b, start); end < 0 {
			return nil, errScanGaveUp
		}
	}
	s.i = end + 1
	s.after = true
	return b[start:end], nil
}

// plainPort reads an entry of a list of listening ports in the shapes
// AWS's agents write: {"port":80,"interface":"eth0"} (the Python agent)
// and {"pt": 53} (the Embedded C SDK), with long or short keys and at most
// one space after a colon or a comma. It reads the entry only where
// walkPort would take it whole with nothing dropped: a port in 1..65535
// written as plain digits, then at most an interface that str reads.
// Anything else it leaves unread and reports false, and walkPort reads the
// entry key by key, with the same result. Key by key, through five calls
// of the source, a port took about 940 instructions; read here, about 470
// (cachegrind, a report of 256 ports).
func (s *jsonScanner) plainPort() (int64, bool) {
	b, i := s.b, oneSpace(s.b, s.i)
	// The shortest entry, {"pt":1}, is 8 bytes: one word holds the brace
	// and either spelling of the key.
	if len(b)-i < 8 {
		return 0, false
	}
	switch x := binary.LittleEndian.Uint64(b[i:]); {
	case x&0xff != '{':
		return 0, false
	case x>>8 == keyPort:
		i += 1 + 7
	case x>>8&mask5 == keyPt:
		i += 1 + 5
	default:
		return 0, false
	}
	start := oneSpace(b, i)
	port, i := plainDigits(b, start, 5)
	if i == start || b[start] == '0' || !portInRange(port) || i >= len(b) {
		return 0, false
	}
	if b[i] == ',' {
		i = oneSpace(b, i+1)
		switch {
		case len(b)-i >= 12 && binary.LittleEndian.Uint64(b[i:]) == keyInterface0 && binary.LittleEndian.Uint32(b[i+8:]) == keyInterface8:
			i += 12
		case len(b)-i >= 8 && binary.LittleEndian.Uint64(b[i:])&mask5 == keyIf:
			i += 5
		default:
			return 0, false
		}
		i = oneSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return 0, false
		}
		// The interface is read as every string value is (str), and the
		// scanner left as it was until the entry is whole.
		i0, after0 := s.i, s.after
		s.i = i
		_, err := s.str()
		i, s.i, s.after = s.i, i0, after0
		if err != nil {
			return 0, false
		}
	}
	if i >= len(b) || b[i] != '}' {
		return 0, false
	}
	s.i, s.after = i+1, true
	return port, true
}

// The keys of a port entry as little-endian words, for plainPort.
var (
	keyPort       = littleEndian(`"port":`)
	keyPt         = littleEndian(`"pt":`)
	keyInterface0 = littleEndian(`"interfa`)
	keyInterface8 = uint32(littleEndian(`ce":`))
	keyIf         = littleEndian(`"if":`)
)

// mask5 keeps the low 5 bytes of a word.
const mask5 = 1<<40 - 1

// littleEndian returns the bytes of text, at most 8, as a little-endian
// word.
func littleEndian(text string) uint64 {
	var w [8]byte
	copy(w[:], text)
	return binary.LittleEndian.Uint64(w[:])
}

// plainDigits returns the value of the decimal digits at b[i:], at most
// max of them, and the index after them: a number's common case, without
// sign, fraction or exponent.
func plainDigits(b []byte, i, max int) (n int64, end int) {
	end = i
	for end < len(b) && end-i < max && b[end]-'0' < 10 {
		n = n*10 + int64(b[end]-'0')
		end++
	}
	return n, end
}

// oneSpace returns i, or i+1 when b holds a space at i.
func oneSpace(b []byte, i int) int {
	if i < len(b) && b[i] == ' ' {
		return i + 1
	}
	return i
}

// string reads the string starting at the quote at s.i and returns its
// contents. It gives up (ok=false) on an escape, which jsontext unquotes,
// and on invalid UTF-8 or a control character, which jsontext rejects.
func (s *jsonScanner) string() (v []byte, ok bool) {
	start := s.i + 1
	end := scanString(s.b, start)
	if end < 0 {
		return nil, false
	}
	s.i = end + 1
	return s.b[start:end], true
}

// shortLen returns the length of the string whose contents start with the
// eight bytes x (little-endian) when its closing quote is among them and no
// byte before the quote needs a look; -1 otherwise. It is scanString's
// common case, small enough to be inlined into key and str: most keys and
// values of a report are that short, and then cost no call (and none of the
// register spills around one).
func shortLen(x uint64) int {
	if q := quotes(x); q != 0 && special(x)&(q^(q-1)) == 0 {
		return bits.TrailingZeros64(q) >> 3
	}
	return -1
}

// scanString returns the index of the quote that ends the string whose
// contents start at b[start], or -1 where the fast path gives up. It runs
// for every key and string of a report, eight bytes at a time.
//
// The quote's position is computed from the quote mask alone, and the check
// that no byte before it needs a look (see special) is a branch the CPU
// predicts: the next token's position does not wait for the check.
func scanString(b []byte, start int) int {
	i := start
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bad := quotes(x), special(x)
		if q != 0 {
			if bad&(q^(q-1)) != 0 { // a byte before the quote needs a look
				return scanUTF8String(b, start, i)
			}
			return i + bits.TrailingZeros64(q)/8
		}
		if bad != 0 {
			return scanUTF8String(b, start, i)
		}
		i += 8
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	if i < len(b) && b[i] == '"' {
		return i
	}
	return scanUTF8String(b, start, i)
}

// scanUTF8String is scanString from b[i] on, byte by byte, where the
// contents start at b[start]: it finds the end across bytes ≥ 0x80, then
// validates the contents as UTF-8. It gives up on an escape or a control
// character.
//
//go:noinline
func scanUTF8String(b []byte, start, i int) int {
	for i < len(b) && (plain[b[i]] || b[i] >= 0x80) {
		i++
	}
	if i >= len(b) || b[i] != '"' || !utf8.Valid(b[start:i]) {
		return -1
	}
	return i
}

// quotes returns a mask with the high bit set in the bytes of the eight
// in x (little-endian) that are '"'; bits above the lowest may be wrong (a
// borrow carries), so only the lowest is used.
func quotes(x uint64) uint64 { return hasZero(x ^ (ones * '"')) }

// special returns a mask, exact in its lowest bit like quotes, of the bytes
// a string cannot hold as they are: '\\', control characters and bytes
// ≥ 0x80 (which may still be valid UTF-8, checked byte by byte).
func special(x uint64) uint64 {
	return (hasZero(x^(ones*'\\')) | (x - ones*0x20) | x) & highs
}

const ones, highs = 0x0101010101010101, 0x8080808080808080

// hasZero marks the zero bytes of v (the lowest one exactly).
func hasZero(v uint64) uint64 { return (v - ones) & ^v & highs }

// number reads a number literal: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?,
// returning it, its integer value when it is a plain integer of at most 18
// digits (simple), which cannot overflow.
func (s *jsonScanner) literal() (lit []byte, n int64, simple bool, ok bool) {
	b, start := s.b, s.i
	i := start
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	digits := i
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			n = n*10 + int64(b[i]-'0') // wraps past 18 digits; simple is false then
			i++
		}
	default:
		return nil, 0, false, false
	}
	simple = i-digits <= 18
	if i < len(b) && b[i] == '.' {
		simple = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, 0, false, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		simple = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, 0, false, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if neg {
		n = -n
	}
	s.i = i
	return b[start:i], n, simple, true
}

func (s *jsonScanner) integer() (int64, error) {
	// The common case first: up to 18 digits, no sign, no leading zero,
	// then the delimiter (so this is the whole literal).
	b, i := s.b, s.i
	n, j := plainDigits(b, i, 18)
	if j < len(b) && (b[j] == ',' || b[j] == '}' || b[j] == ']') && (j == i+1 || j > i && b[i] != '0') {
		s.i = j
		s.after = true
		return n, nil
	}
	s.ws()
	lit, n, simple, ok := s.literal()
	if !ok {
		return 0, errScanGaveUp
	}
	s.after = true
	if simple {
		return n, nil
	}
	// Fractions, exponents and long literals: the jsontext path's rules.
	v, err := parseJSONInt(lit)
	if err != nil {
		return 0, errScanGaveUp
	}
	return v, nil
}

func (s *jsonScanner) number() (float64, int, error) {
	s.ws()
	lit, _, _, ok := s.literal()
	if !ok {
		return 0, 0, errScanGaveUp
	}
	s.after = true
	if f, ok := shortDecimal(lit); ok {
		return f, significantDigits(lit), nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, 0, errScanGaveUp // unreachable: the literal is valid
	}
	return f, significantDigits(lit), nil // ±Inf on overflow, as on the jsontext path
}

// shortDecimal returns the value of a valid number literal without an
// exponent and with at most 15 digits, the usual custom metric value,
// without ParseFloat's general machinery but with its result: the digits
// make an integer below 2^53 and the fraction a power of ten up to 10^15,
// both exact in a float64, so the one division rounds exactly as ParseFloat
// does (its own exact fast path). Zero is left to ParseFloat, for "-0".
func shortDecimal(lit []byte) (float64, bool) {
	var m uint64
	digits, frac, neg, dot := 0, 0, false, false
	for _, c := range lit {
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.':
			dot = true
		case c == '-':
			neg = true
		default: // an exponent
			return 0, false
		}
	}
	if digits > 15 || m == 0 {
		return 0, false
	}
	f := float64(m) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

// pow10 are the powers of ten shortDecimal divides by, all exact.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// skip consumes one value of any kind, validating it. Containers are
// followed with one bit per level in stack (1 for an object).
func (s *jsonScanner) skip() error {
	var stack uint64
	depth := 0
	for {
		// A value starts here.
		switch s.ws() {
		case '{':
			s.i++
			if s.ws() == '}' {
				s.i++
				break
			}
			if depth == maxScanDepth || !s.member() {
				return errScanGaveUp
			}
			stack = stack<<1 | 1
			depth++
			continue
		case '[':
			s.i++
			if s.ws() == ']' {
				s.i++
				break
			}
			if depth == maxScanDepth {
				return errScanGaveUp
			}
			stack <<= 1
			depth++
			continue
		case '"':
			if _, ok := s.string(); !ok {
				return errScanGaveUp
			}
		case 't':
			if !s.word("true") {
				return errScanGaveUp
			}
		case 'f':
			if !s.word("false") {
				return errScanGaveUp
			}
		case 'n':
			if !s.word("null") {
				return errScanGaveUp
			}
		default:
			if _, _, _, ok := s.literal(); !ok {
				return errScanGaveUp
			}
		}
		// A value ended: close containers until one has another value.
		for {
			if depth == 0 {
				s.after = true
				return nil
			}
			c := s.ws()
			if c == ',' {
				s.i++
				if stack&1 == 1 && !s.member() {
					return errScanGaveUp
				}
				break
			}
			if (stack&1 == 1 && c != '}') || (stack&1 == 0 && c != ']') {
				return errScanGaveUp
			}
			s.i++
			stack >>= 1
			depth--
		}
	}
}

// member reads a member name and its colon, for skip.
func (s *jsonScanner) member() bool {
	if s.ws() != '"' {
		return false
	}
	if _, ok := s.string(); !ok || s.ws() != ':' {
		return false
	}
	s.i++
	return true
}

// word consumes the literal w (true, false, null).
func (s *jsonScanner) word(w string) bool {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

// end reports whether only whitespace is left after the report.
func (s *jsonScanner) end() bool { return s.ws() == 0 && s.i == len(s.b) }
