package report

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/x448/float16"
)

// cborSource reads items from a CBOR report (RFC 8949) in one pass. It never
// trusts a length: every read is bounds-checked against the input, containers
// are counted rather than preallocated, and skipping is depth-limited, so no
// input can make it panic, allocate in proportion to a claimed length or
// recurse without bound. A separate well-formedness pass would only double
// the work and lose the path of the error.
type cborSource struct {
	data  []byte
	pos   int
	stack []int64 // remaining items (pairs for maps) of each open container; -1 = indefinite
	// skipStack is skip's stack: remaining items (not pairs) per definite
	// container, or one of the indef* markers.
	skipStack []int64
	buf       []byte // scratch for indefinite-length text strings
}

// CBOR major types and special values.
const (
	majUint   = 0
	majNegInt = 1
	majBytes  = 2
	majText   = 3
	majArray  = 4
	majMap    = 5
	majTag    = 6
	majSimple = 7

	aiIndefinite = 31
	breakByte    = 0xff

	// tagSelfDescribed (RFC 8949 §3.4.6) only marks data as CBOR; skipped
	// wherever it appears. Every other tag is rejected.
	tagSelfDescribed = 55799

	// maxNesting is jsontext's nesting limit, which skip applies too.
	maxNesting = 10000
)

var errTruncated = errors.New("invalid CBOR: unexpected end of data")

// head is a decoded item head.
type head struct {
	major byte
	ai    byte
	val   uint64
}

func (h head) kind() kind {
	switch h.major {
	case majUint, majNegInt:
		return kindNumber
	case majText:
		return kindString
	case majArray:
		return kindArray
	case majMap:
		return kindObject
	case majSimple:
		switch h.ai {
		case 20, 21:
			return kindBool
		case 22:
			return kindNull
		case 25, 26, 27:
			return kindNumber
		}
	}
	return kindOther
}

func (s *cborSource) reset(b []byte) {
	s.data, s.pos, s.stack = b, 0, s.stack[:0]
}

// readHead reads one item head, without the self-described tag. A head
// whose value is in its first byte (additional information below 24), most
// heads of a report, is read inline: readLongHead costs a call, and the
// self-described tag, the one head it loops over, never has such a value.
func (s *cborSource) readHead() (head, error) {
	if s.pos < len(s.data) {
		if ib := s.data[s.pos]; ib&0x1f < 24 {
			s.pos++
			return head{major: ib >> 5, ai: ib & 0x1f, val: uint64(ib & 0x1f)}, nil
		}
	}
	return s.readLongHead()
}

// readLongHead is readHead's general case: a value in the bytes after the
// first, an indefinite length, a reserved or invalid head, a tag to skip.
func (s *cborSource) readLongHead() (head, error) {
	for {
		if s.pos >= len(s.data) {
			return head{}, errTruncated
		}
		ib := s.data[s.pos]
		s.pos++
		h := head{major: ib >> 5, ai: ib & 0x1f}
		switch {
		case h.ai < 24:
			h.val = uint64(h.ai)
		case h.ai <= 27:
			n := 1 << (h.ai - 24) // 1, 2, 4 or 8 bytes
			if len(s.data)-s.pos < n {
				return head{}, errTruncated
			}
			for _, c := range s.data[s.pos : s.pos+n] {
				h.val = h.val<<8 | uint64(c)
			}
			s.pos += n
		case h.ai == aiIndefinite && h.major >= majBytes && h.major <= majMap:
		case ib == breakByte:
			return head{}, errors.New("invalid CBOR: unexpected break")
		default:
			return head{}, errors.New("invalid CBOR: reserved additional information " + strconv.Itoa(int(h.ai)))
		}
		if h.major == majSimple && h.ai == 24 && h.val < 32 {
			// RFC 8949 §3.3: simple values below 32 have only the one-byte form.
			return head{}, errors.New("invalid CBOR: two-byte simple value " + strconv.FormatUint(h.val, 10))
		}
		if h.major == majTag && h.val == tagSelfDescribed {
			continue
		}
		return h, nil
	}
}

func (s *cborSource) want(major byte, name string) (head, error) {
	h, err := s.readHead()
	if err != nil {
		return h, err
	}
	if h.major != major {
		return h, &typeError{want: name, got: h.kind()}
	}
	return h, nil
}

func (s *cborSource) push(h head) error {
	if h.ai == aiIndefinite {
		s.stack = append(s.stack, -1)
		return nil
	}
	if h.val > math.MaxInt64 {
		return errTruncated
	}
	s.stack = append(s.stack, int64(h.val))
	return nil
}

func (s *cborSource) beginObject() error {
	h, err := s.want(majMap, "an object")
	if err != nil {
		return err
	}
	return s.push(h)
}

func (s *cborSource) beginArray() error {
	h, err := s.want(majArray, "an array")
	if err != nil {
		return err
	}
	return s.push(h)
}

// next reports whether the innermost container has another item (a pair for
// maps), consuming its end when it has not.
func (s *cborSource) next() (bool, error) {
	if len(s.stack) == 0 {
		return false, errors.New("invalid CBOR: no open container") // walker bug guard
	}
	top := &s.stack[len(s.stack)-1]
	switch {
	case *top == 0:
		s.stack = s.stack[:len(s.stack)-1]
		return false, nil
	case *top < 0:
		if s.pos >= len(s.data) {
			return false, errTruncated
		}
		if s.data[s.pos] == breakByte {
			s.pos++
			s.stack = s.stack[:len(s.stack)-1]
			return false, nil
		}
	default:
		*top--
	}
	return true, nil
}

func (s *cborSource) key() ([]byte, bool, error) {
	// The common case inline, as reports are written: a definite-length map
	// with pairs left, and a short key (see shortText).
	if n := len(s.stack) - 1; n >= 0 && s.stack[n] > 0 {
		if b, ok := s.shortText(); ok {
			s.stack[n]--
			return b, true, nil
		}
	}
	ok, err := s.next()
	if !ok || err != nil {
		return nil, false, err
	}
	b, err := s.text("a text string key")
	return b, err == nil, err
}

func (s *cborSource) more() (bool, error) { return s.next() }

func (s *cborSource) str() ([]byte, error) { return s.text("a string") }

// text reads a text string, joining the chunks of an indefinite-length one.
func (s *cborSource) text(want string) ([]byte, error) {
	if b, ok := s.shortText(); ok {
		return b, nil
	}
	h, err := s.want(majText, want)
	if err != nil {
		return nil, err
	}
	var b []byte
	if h.ai == aiIndefinite {
		b = s.buf[:0]
		for {
			if s.pos >= len(s.data) {
				return nil, errTruncated
			}
			if s.data[s.pos] == breakByte {
				s.pos++
				break
			}
			c, err := s.readHead()
			if err != nil {
				return nil, err
			}
			if c.major != majText || c.ai == aiIndefinite {
				return nil, errors.New("invalid CBOR: bad chunk in indefinite-length text string")
			}
			chunk, err := s.bytes(c.val)
			if err != nil {
				return nil, err
			}
			b = append(b, chunk...)
		}
		s.buf = b
	} else if b, err = s.bytes(h.val); err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		return nil, errors.New("invalid CBOR: text string is not valid UTF-8")
	}
	return b, nil
}

// shortText reads a text string of at most 23 bytes (its length in its
// head byte) that is all ASCII, and reports whether it did; anything else is
// left for text. Keys and most values of a report are such strings, and
// reading them here skips the general head decoder and the call to
// utf8.Valid, which for a few bytes costs more than the check itself.
func (s *cborSource) shortText() ([]byte, bool) {
	if s.pos >= len(s.data) {
		return nil, false
	}
	ib := s.data[s.pos]
	if ib>>5 != majText || ib&0x1f >= 24 {
		return nil, false
	}
	start := s.pos + 1
	end := start + int(ib&0x1f)
	if end > len(s.data) || !isASCII(s.data[start:end]) {
		return nil, false
	}
	s.pos = end
	return s.data[start:end], true
}

// isASCII reports whether b holds only bytes below 0x80 (so is valid
// UTF-8), eight at a time.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&highs != 0 {
			return false
		}
		b = b[8:]
	}
	var or byte
	for _, c := range b {
		or |= c
	}
	return or < 0x80
}

func (s *cborSource) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(s.data)-s.pos) {
		return nil, errTruncated
	}
	b := s.data[s.pos : s.pos+int(n)]
	s.pos += int(n)
	return b, nil
}

// float returns the value of a float head.
//
// A half- or single-precision value is widened through its shortest decimal
// form, not bit for bit: a C agent's float 0.1f is meant as 0.1, which is what
// the same agent prints in JSON (%g), so both formats give the same value and
// it passes the 15-digit rule. Bit for bit it would be 0.10000000149011612.
func (h head) float() float64 {
	var f32 float32
	switch h.ai {
	case 25:
		f32 = float16.Frombits(uint16(h.val)).Float32()
	case 26:
		f32 = math.Float32frombits(uint32(h.val))
	default:
		return math.Float64frombits(h.val)
	}
	f := float64(f32)
	if f == math.Trunc(f) || math.IsNaN(f) || math.IsInf(f, 0) {
		return f // integral or special: exact as it is
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'g', -1, 32)
	if g, err := strconv.ParseFloat(string(b), 64); err == nil {
		return g
	}
	return f // unreachable: AppendFloat output always parses
}

func (s *cborSource) integer() (int64, error) {
	h, err := s.readHead()
	if err != nil {
		return 0, err
	}
	switch h.kind() {
	case kindNumber:
		switch h.major {
		case majUint:
			if h.val > math.MaxInt64 {
				return 0, &errRange{strconv.FormatUint(h.val, 10)}
			}
			return int64(h.val), nil
		case majNegInt:
			if h.val > math.MaxInt64 {
				return 0, &errRange{"-1-" + strconv.FormatUint(h.val, 10)}
			}
			return -1 - int64(h.val), nil
		}
		return floatToInt(h.float())
	}
	return 0, &typeError{want: "an integer", got: h.kind()}
}

func (s *cborSource) number() (float64, int, error) {
	h, err := s.readHead()
	if err != nil {
		return 0, 0, err
	}
	switch {
	case h.major == majUint:
		return float64(h.val), uintDigits(h.val), nil
	case h.major == majNegInt:
		// The text is −(val+1); 2^64 has as many digits as 2^64−1.
		if h.val == math.MaxUint64 {
			return -1 - float64(h.val), uintDigits(h.val), nil
		}
		return -1 - float64(h.val), uintDigits(h.val + 1), nil
	case h.kind() == kindNumber:
		f := h.float()
		return f, floatDigits(f), nil
	}
	return 0, 0, &typeError{want: "a number", got: h.kind()}
}

// Markers on skipStack for indefinite-length containers. An indefinite map
// may only end where a key is due, so its marker says which item is next.
const (
	indefArray    = -1
	indefMapKey   = -2 // next item is a key, or the break
	indefMapValue = -3 // next item is the value of the key just read
)

// skip consumes the next item. It loops over an explicit stack instead of
// recursing, so nesting costs no goroutine stack, and it allows the nesting
// jsontext allows (maxNesting, counted from the top of the report), so a
// report converted between the formats is accepted or refused alike.
func (s *cborSource) skip() error {
	base := len(s.skipStack)
	defer func() { s.skipStack = s.skipStack[:base] }()
	for {
		if err := s.skipHead(); err != nil {
			return err
		}
		if len(s.stack)+len(s.skipStack)-base > maxNesting {
			return errors.New("invalid CBOR: nested too deeply")
		}
		// Close every container the item completed.
		for {
			if len(s.skipStack) == base {
				return nil
			}
			top := &s.skipStack[len(s.skipStack)-1]
			if *top > 0 {
				*top--
				break
			}
			if *top == 0 {
				s.skipStack = s.skipStack[:len(s.skipStack)-1]
				continue
			}
			// Indefinite: a break closes it, anything else is its next item.
			if s.pos >= len(s.data) {
				return errTruncated
			}
			if s.data[s.pos] != breakByte {
				// A map's items alternate key, value: note which comes next.
				switch *top {
				case indefMapKey:
					*top = indefMapValue
				case indefMapValue:
					*top = indefMapKey
				}
				break
			}
			if *top == indefMapValue {
				return errors.New("invalid CBOR: map key without a value")
			}
			s.pos++
			s.skipStack = s.skipStack[:len(s.skipStack)-1]
		}
	}
}

// skipHead consumes one item head with whatever follows it that is not an
// item of its own: string contents, or the head of a tagged item. A
// container's items are counted onto skipStack for skip to consume.
func (s *cborSource) skipHead() error {
	for {
		h, err := s.readHead()
		if err != nil {
			return err
		}
		switch h.major {
		case majBytes, majText:
			if h.ai == aiIndefinite {
				return s.skipChunks(h.major)
			}
			b, err := s.bytes(h.val)
			if err == nil && h.major == majText && !utf8.Valid(b) {
				err = errors.New("invalid CBOR: text string is not valid UTF-8")
			}
			return err
		case majArray, majMap:
			n := int64(indefArray)
			if h.major == majMap {
				n = indefMapKey
			}
			if h.ai != aiIndefinite {
				// Every item takes a byte at least: a larger count is truncated.
				if h.val > uint64(len(s.data)) {
					return errTruncated
				}
				n = int64(h.val) //nolint:gosec // bounded by len(s.data)
				if h.major == majMap {
					n *= 2
				}
			}
			s.skipStack = append(s.skipStack, n)
			return nil
		case majTag:
			continue // the tagged item follows
		}
		return nil // integers and simple values: the head was all there was
	}
}

// skipChunks consumes the chunks of an indefinite-length string of type major.
func (s *cborSource) skipChunks(major byte) error {
	for {
		if s.pos >= len(s.data) {
			return errTruncated
		}
		if s.data[s.pos] == breakByte {
			s.pos++
			return nil
		}
		c, err := s.readHead()
		if err != nil {
			return err
		}
		if c.major != major || c.ai == aiIndefinite {
			return errors.New("invalid CBOR: bad chunk in indefinite-length string")
		}
		b, err := s.bytes(c.val)
		if err != nil {
			return err
		}
		if major == majText && !utf8.Valid(b) {
			return errors.New("invalid CBOR: text string is not valid UTF-8")
		}
	}
}

// atEnd reports whether the whole input has been read.
func (s *cborSource) atEnd() bool { return s.pos == len(s.data) }
