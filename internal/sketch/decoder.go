package sketch

import (
	"errors"
	"fmt"

	"github.com/ruledetect/ruledetect/internal/wire"
)

// decoder reads the fields of an encoding through a wire.Reader and says
// which field failed, and where.
type decoder struct {
	typ string
	r   wire.Reader
}

func newDecoder(typ string, data []byte) *decoder {
	return &decoder{typ: typ, r: wire.NewReader(data)}
}

// off returns the number of bytes read.
func (d *decoder) off() int { return d.r.Offset() }

// left returns the number of bytes not yet read.
func (d *decoder) left() int { return d.r.Len() }

func (d *decoder) fail(field string, err error, format string, args ...any) error {
	return d.failAt(d.off(), field, err, format, args...)
}

func (d *decoder) failAt(off int, field string, err error, format string, args ...any) error {
	return &DecodeError{Type: d.typ, Offset: off, Field: field, Err: err, Detail: fmt.Sprintf(format, args...)}
}

// check returns the reader's error as a *DecodeError of field, whose
// items, for a count, are nouns.
func (d *decoder) check(field, nouns string) error {
	if d.r.Err() == nil {
		return nil
	}
	return d.checkFailed(field, nouns)
}

func (d *decoder) checkFailed(field, nouns string) error {
	var we *wire.Error
	errors.As(d.r.Err(), &we)
	switch we.Err {
	case wire.ErrTruncated:
		return d.failAt(we.Offset, field, ErrTruncated, "")
	case wire.ErrCount:
		return d.failAt(we.Offset, field, ErrTruncated, "%d %s", we.N, nouns)
	case wire.ErrLimit:
		return d.failAt(we.Offset, field, ErrCorrupt, "%d %s, at most %d", we.N, nouns, we.Max)
	}
	return d.failAt(we.Offset, field, ErrCorrupt, "%v", we.Err) // a malformed varint
}

func (d *decoder) byte(field string) (byte, error) {
	v := d.r.Byte()
	return v, d.check(field, "")
}

// uint64 reads 8 bytes, little-endian.
func (d *decoder) uint64(field string) (uint64, error) {
	v := d.r.Uint64LE()
	return v, d.check(field, "")
}

// uvarint reads a minimal-length unsigned varint.
func (d *decoder) uvarint(field string) (uint64, error) {
	v := d.r.Uvarint()
	return v, d.check(field, "")
}

// varint reads a minimal-length zig-zag signed varint.
func (d *decoder) varint(field string) (int64, error) {
	v := d.r.Varint()
	return v, d.check(field, "")
}

// count reads a count of at most max nouns, each taking at least size bytes
// of what remains.
func (d *decoder) count(field, nouns string, size, max int) (int, error) {
	v := d.r.Count(size, max)
	return v, d.check(field, nouns)
}
