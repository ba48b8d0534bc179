package report

import (
	"errors"
	"github.com/ruledetect/ruledetect/internal/echo"
	"strconv"
	"strings"
)

// ErrMalformed is matched (errors.Is) by every error that rejects a report.
// Its text is what the service answers a malformed report with, in
// statusDetails.ErrorMessage on the …/rejected topic.
var ErrMalformed = errors.New("Malformed metrics report") //nolint:staticcheck // AWS's exact wording, capital included

// Error rejects a report: what is wrong and where.
type Error struct {
	// Path locates the offending value in the report's own key spelling,
	// e.g. "metrics.listening_tcp_ports.ports[2].port" or "met.tp.pts[2].pt";
	// empty for the report as a whole.
	Path string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying syntax error, if any.
	Err error
}

// Error returns "Malformed metrics report: PATH: MSG".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(ErrMalformed.Error())
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is ErrMalformed.
func (e *Error) Is(target error) bool { return target == ErrMalformed }

// Unwrap returns the underlying syntax error, if any.
func (e *Error) Unwrap() error { return e.Err }

// seg is one step of the path to the value being decoded: an object key
// (idx < 0) or an array index.
type seg struct {
	key string
	idx int
}

// pathStack tracks where the walker is, so an error or a drop can name the
// place without the success path building any string. It is an array, not
// a slice: the walker goes no deeper than the report's fixed structure
// (maxDepth), and a pop is then one store, cheap enough for object.next to
// inline.
type pathStack struct {
	segs [maxDepth]seg
	n    int
}

// maxDepth bounds a report's path. The deepest is 6, an unknown key in an
// established connection: metrics.tcp_connections.established_connections.
// connections[0].KEY (TestPathDepth); an unknown key's value is skipped
// whole.
const maxDepth = 8

func (p *pathStack) pushKey(k string) { p.segs[p.n] = seg{key: k, idx: -1}; p.n++ }
func (p *pathStack) pushIdx(i int)    { p.segs[p.n] = seg{idx: i}; p.n++ }

// pushKnown pushes the known key k, which the walker has matched against its
// long and its short spelling, as the constant it equals, so the path holds
// no copy. The two spellings of every key differ in length, so the length
// says which one k is.
func (p *pathStack) pushKnown(k []byte, long, short string) {
	if len(k) == len(long) {
		p.pushKey(long)
		return
	}
	p.pushKey(short)
}
func (p *pathStack) pop() { p.n-- }

// setIdx replaces the index on top of the stack (cheaper than pop+push in loops).
func (p *pathStack) setIdx(i int) { p.segs[p.n-1].idx = i }

func (p *pathStack) String() string {
	var b []byte
	for _, s := range p.segs[:p.n] {
		if s.idx >= 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(s.idx), 10)
			b = append(b, ']')
			continue
		}
		if len(b) > 0 {
			b = append(b, '.')
		}
		// Keys are the report's own; an unknown one is quoted, escaped and cut
		// unless it is a plain name, so no report puts a newline, a terminal
		// escape or a megabyte into a path.
		b = append(b, echo.Name(s.key)...)
	}
	return string(b)
}

// typeError is what a source returns when the next value is not of the kind
// the walker asked for.
type typeError struct {
	want string
	got  kind
}

func (e *typeError) Error() string { return "want " + e.want + ", got " + e.got.String() }

// kind is a format-independent classification of the next value, for
// messages and dispatch.
type kind uint8

const (
	kindInvalid kind = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindBool
	kindNull
	kindOther // CBOR byte strings, tags, undefined, simple values
)

func (k kind) String() string {
	switch k {
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindNull:
		return "null"
	case kindOther:
		return "an unsupported CBOR item"
	}
	return "nothing"
}
