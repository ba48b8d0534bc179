package report

import (
	"github.com/ruledetect/ruledetect/internal/echo"

	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// jsonSource reads tokens with jsontext, the Go team's JSON v2 tokenizer: it
// validates syntax and UTF-8 and hands out raw values without allocating, and
// the walker does the rest. When encoding/json/jsontext leaves GOEXPERIMENT
// the import path is the only thing to change.
type jsonSource struct {
	d   *jsontext.Decoder
	buf []byte // unquoting scratch for strings with escapes
}

// errSyntax wraps a jsontext error so its text loses the package prefix.
type errSyntax struct{ err error }

func (e *errSyntax) Error() string {
	return "invalid JSON: " + strings.TrimPrefix(e.err.Error(), "jsontext: ")
}
func (e *errSyntax) Unwrap() error { return e.err }

// readErr turns the error behind a PeekKind of 0 into a syntax error.
func (s *jsonSource) readErr() error {
	_, err := s.d.ReadToken()
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &errSyntax{err}
}

func jsonKind(k jsontext.Kind) kind {
	switch k {
	case '{':
		return kindObject
	case '[':
		return kindArray
	case '"':
		return kindString
	case '0':
		return kindNumber
	case 't', 'f':
		return kindBool
	case 'n':
		return kindNull
	}
	return kindInvalid
}

// want checks that the next value is of kind w.
func (s *jsonSource) want(w kind, name string) error {
	k := s.d.PeekKind()
	if k == 0 {
		return s.readErr()
	}
	if got := jsonKind(k); got != w {
		if got == kindInvalid {
			return s.readErr()
		}
		return &typeError{want: name, got: got}
	}
	return nil
}

func (s *jsonSource) beginObject() error {
	if err := s.want(kindObject, "an object"); err != nil {
		return err
	}
	if _, err := s.d.ReadToken(); err != nil {
		return &errSyntax{err}
	}
	return nil
}

func (s *jsonSource) beginArray() error {
	if err := s.want(kindArray, "an array"); err != nil {
		return err
	}
	if _, err := s.d.ReadToken(); err != nil {
		return &errSyntax{err}
	}
	return nil
}

func (s *jsonSource) key() ([]byte, bool, error) {
	switch s.d.PeekKind() {
	case '}':
		if _, err := s.d.ReadToken(); err != nil {
			return nil, false, &errSyntax{err}
		}
		return nil, false, nil
	case 0:
		return nil, false, s.readErr()
	}
	v, err := s.d.ReadValue()
	if err != nil {
		return nil, false, &errSyntax{err}
	}
	b, err := s.unquote(v)
	return b, err == nil, err
}

func (s *jsonSource) more() (bool, error) {
	switch s.d.PeekKind() {
	case ']':
		if _, err := s.d.ReadToken(); err != nil {
			return false, &errSyntax{err}
		}
		return false, nil
	case 0:
		return false, s.readErr()
	}
	return true, nil
}

func (s *jsonSource) str() ([]byte, error) {
	if err := s.want(kindString, "a string"); err != nil {
		return nil, err
	}
	v, err := s.d.ReadValue()
	if err != nil {
		return nil, &errSyntax{err}
	}
	return s.unquote(v)
}

// unquote returns the contents of a validated JSON string, without copying
// when it has no escapes (the common case).
func (s *jsonSource) unquote(v []byte) ([]byte, error) {
	if len(v) >= 2 && bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], nil
	}
	b, err := jsontext.AppendUnquote(s.buf[:0], v)
	if err != nil {
		return nil, &errSyntax{err}
	}
	s.buf = b
	return b, nil
}

func (s *jsonSource) rawNumber(want string) ([]byte, error) {
	if err := s.want(kindNumber, want); err != nil {
		return nil, err
	}
	v, err := s.d.ReadValue()
	if err != nil {
		return nil, &errSyntax{err}
	}
	return v, nil
}

func (s *jsonSource) integer() (int64, error) {
	v, err := s.rawNumber("an integer")
	if err != nil {
		return 0, err
	}
	return parseJSONInt(v)
}

func (s *jsonSource) number() (float64, int, error) {
	v, err := s.rawNumber("a number")
	if err != nil {
		return 0, 0, err
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, 0, &errSyntax{err} // unreachable: jsontext validated the literal
	}
	return f, significantDigits(v), nil // ±Inf on overflow: the value rules drop it
}

func (s *jsonSource) skip() error {
	if err := s.d.SkipValue(); err != nil {
		return &errSyntax{err}
	}
	return nil
}

// errRange is returned for integers outside int64; lit is the literal as
// echoed in errors (cut, see internal/echo).
type errRange struct{ lit string }

func (e *errRange) Error() string { return "integer " + e.lit + " out of range" }

// parseJSONInt parses a validated JSON number that must have an integral
// value. Plain digit strings take the fast path; fractions and exponents are
// accepted when the value is integral, because cJSON-based agents (aws-c-iot,
// used by the v2 device SDKs) print every number through a double with %1.15g,
// so a large counter arrives as 1.23456789012346e+15.
func parseJSONInt(b []byte) (int64, error) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	if len(b)-i > 19 {
		return parseIntegralFloat(b)
	}
	var n uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return parseIntegralFloat(b)
		}
		n = n*10 + uint64(c-'0') // 19 digits cannot overflow uint64
	}
	if neg {
		if n > 1<<63 {
			return 0, &errRange{echo.Name(b)}
		}
		return -int64(n), nil //nolint:gosec // n ≤ 2^63 checked; -2^63 wraps to itself
	}
	if n > math.MaxInt64 {
		return 0, &errRange{echo.Name(b)}
	}
	return int64(n), nil
}

func parseIntegralFloat(b []byte) (int64, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, &errRange{echo.Name(b)}
	}
	return floatToInt(f)
}

// notInteger is returned for a number with a fractional part where an
// integer is required.
type notInteger struct{ f float64 }

func (e *notInteger) Error() string {
	return "want an integer, got " + strconv.FormatFloat(e.f, 'g', -1, 64)
}

// floatToInt converts an integral float in int64 range. The error formats the
// value only when it is printed, so the success path never does.
func floatToInt(f float64) (int64, error) {
	if f != math.Trunc(f) || math.IsNaN(f) {
		return 0, &notInteger{f}
	}
	if f < -(1<<63) || f >= 1<<63 {
		return 0, &errRange{strconv.FormatFloat(f, 'g', -1, 64)}
	}
	return int64(f), nil
}
