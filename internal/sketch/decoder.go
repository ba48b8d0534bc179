package sketch

import (
	"encoding/binary"
	"fmt"
)

// decoder reads the fields of an encoding and reports where it failed.
type decoder struct {
	typ string
	buf []byte
	off int
}

func (d *decoder) left() int { return len(d.buf) - d.off }

func (d *decoder) fail(field string, err error, format string, args ...any) error {
	return d.failAt(d.off, field, err, format, args...)
}

func (d *decoder) failAt(off int, field string, err error, format string, args ...any) error {
	return &DecodeError{Type: d.typ, Offset: off, Field: field, Err: err, Detail: fmt.Sprintf(format, args...)}
}

func (d *decoder) byte(field string) (byte, error) {
	if d.left() < 1 {
		return 0, d.fail(field, ErrTruncated, "")
	}
	d.off++
	return d.buf[d.off-1], nil
}

func (d *decoder) uint64(field string) (uint64, error) {
	if d.left() < 8 {
		return 0, d.fail(field, ErrTruncated, "")
	}
	d.off += 8
	return binary.LittleEndian.Uint64(d.buf[d.off-8:]), nil
}

// uvarint reads a minimal-length unsigned varint.
func (d *decoder) uvarint(field string) (uint64, error) {
	v, k := binary.Uvarint(d.buf[d.off:])
	switch {
	case k == 0:
		return 0, d.fail(field, ErrTruncated, "")
	case k < 0:
		return 0, d.fail(field, ErrCorrupt, "varint overflows 64 bits")
	case k != uvarintLen(v):
		return 0, d.fail(field, ErrCorrupt, "non-minimal varint")
	}
	d.off += k
	return v, nil
}

// varint reads a minimal-length zig-zag signed varint.
func (d *decoder) varint(field string) (int64, error) {
	u, err := d.uvarint(field)
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x, err
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
