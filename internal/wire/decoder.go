package wire

import (
	"errors"
	"fmt"
)

// Decoder reads a binary format through a Reader, turning its errors
// into messages that name the field, for formats read whole (a snapshot's
// sections). The first error sticks; later reads return zero values.
type Decoder struct {
	r   Reader
	err error
	// limit is the memory the reader of the format may allocate for what
	// it decodes, and used what it has (0 limit: no budget).
	limit, used int64
}

// NewDecoder returns a decoder of b whose reader may allocate up to limit
// bytes (Spend; 0: no budget).
func NewDecoder(b []byte, limit int64) *Decoder {
	return &Decoder{r: NewReader(b), limit: limit}
}

// Err returns the first error, or nil.
func (d *Decoder) Err() error { return d.err }

// Limit returns the memory budget given to NewDecoder.
func (d *Decoder) Limit() int64 { return d.limit }

// Spend reports whether n more bytes stay within the budget, and counts
// them.
func (d *Decoder) Spend(n int64) bool {
	if d.limit == 0 {
		return true
	}
	d.used += n
	return d.used <= d.limit
}

// Fail records the error the message describes, unless one came first.
func (d *Decoder) Fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
		// An empty reader: every later read returns a zero value, and its
		// own error is not reported over this one.
		d.r = Reader{}
	}
}

// Left returns the number of bytes not yet read.
func (d *Decoder) Left() int { return d.r.Len() }

// check turns the reader's error into the decoder's, if it is the first:
// a count (of what) beyond the remaining input, or a malformed number.
func (d *Decoder) check(what string) {
	if d.r.Err() != nil && d.err == nil {
		d.readFailed(what)
	}
}

func (d *Decoder) readFailed(what string) {
	err := d.r.Err()
	if we := (*Error)(nil); errors.As(err, &we) && we.Err == ErrCount {
		d.Fail("%s count %d exceeds the remaining input", what, we.N)
		return
	}
	d.Fail("truncated or malformed number: %v", err)
}

// checkFixed turns the reader's error after a read of n bytes, with left
// bytes left before it, into the decoder's, if it is the first.
func (d *Decoder) checkFixed(n, left int) {
	if d.r.Err() != nil && d.err == nil {
		d.Fail("truncated: %d bytes wanted, %d left", n, left)
	}
}

// Uvarint reads a uvarint.
func (d *Decoder) Uvarint() uint64 {
	v := d.r.Uvarint()
	d.check("")
	return v
}

// Varint reads a varint.
func (d *Decoder) Varint() int64 {
	v := d.r.Varint()
	d.check("")
	return v
}

// Byte reads a byte.
func (d *Decoder) Byte() byte {
	left := d.Left()
	b := d.r.Byte()
	d.checkFixed(1, left)
	return b
}

// Uint64 reads 8 bytes, little-endian.
func (d *Decoder) Uint64() uint64 {
	left := d.Left()
	v := d.r.Uint64LE()
	d.checkFixed(8, left)
	return v
}

// Bytes returns the next n bytes.
func (d *Decoder) Bytes(n int) []byte {
	left := d.Left()
	b := d.r.Bytes(n)
	d.checkFixed(n, left)
	return b
}

// Count reads a length or count of items that take at least size bytes
// each, refusing one the remaining input cannot hold.
func (d *Decoder) Count(what string, size int) int {
	n := d.r.Count(size, NoLimit)
	d.check(what)
	return n
}

// Index reads an index below n.
func (d *Decoder) Index(what string, n int) int {
	v := d.Uvarint()
	if v >= uint64(n) {
		d.Fail("%s index %d out of range (%d)", what, v, n)
		return 0
	}
	return int(v)
}

// Section reads a length-prefixed section (or string).
func (d *Decoder) Section(what string) []byte {
	b := d.r.Section(NoLimit)
	d.check(what)
	return b
}

// Offset reads base plus a varint, refusing a result that overflows.
func (d *Decoder) Offset(what string, base int64) int64 {
	delta := d.Varint()
	if d.err != nil {
		return 0
	}
	v := base + delta
	if (delta > 0 && v < base) || (delta < 0 && v > base) {
		d.Fail("%s out of range", what)
		return 0
	}
	return v
}

// Time reads an event time (Unix ns) written relative to base.
func (d *Decoder) Time(what string, base int64) int64 {
	v := d.Offset(what, base)
	if v < 0 {
		d.Fail("%s before 1970", what)
		return 0
	}
	return v
}
