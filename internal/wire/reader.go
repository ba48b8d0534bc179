package wire

import (
	"encoding/binary"
	"math"
)

// Reader reads fields from the front of a byte slice. The zero Reader reads
// an empty input. Its methods never panic on any input; on the first
// malformed field they record an *Error, return zero values, and every later
// read does the same.
type Reader struct {
	buf []byte // the input; cut at the failed field once err is set
	off int    // bytes read
	err error
}

// NewReader returns a Reader of b. The byte strings it returns alias b.
func NewReader(b []byte) Reader { return Reader{buf: b} }

// Err returns the first error, an *Error, or nil.
func (r *Reader) Err() error { return r.err }

// Offset returns the number of bytes read; after an error, where the field
// that failed starts.
func (r *Reader) Offset() int { return r.off }

// Len returns the number of bytes left to read; 0 after an error.
func (r *Reader) Len() int { return len(r.buf) - r.off }

// failAt records the first error, for the field starting at off. Cutting
// the input there makes every fast path below fail without testing err.
func (r *Reader) failAt(off int, kind error, n, max uint64) {
	if r.err == nil {
		r.err = &Error{Offset: off, Err: kind, N: n, Max: max}
		r.buf, r.off = r.buf[:off], off
	}
}

// truncated records that the field at the read position runs past the end.
func (r *Reader) truncated() { r.failAt(r.off, ErrTruncated, 0, 0) }

// Byte reads one byte. It inlines.
func (r *Reader) Byte() byte {
	if r.off < len(r.buf) {
		b := r.buf[r.off]
		r.off++
		return b
	}
	r.truncated()
	return 0
}

// Uvarint reads an unsigned varint (encoding/binary's) in its shortest
// form. Values below 128, a single byte, take a short path.
func (r *Reader) Uvarint() uint64 {
	if r.off < len(r.buf) && r.buf[r.off] < 0x80 {
		v := r.buf[r.off]
		r.off++
		return uint64(v)
	}
	return r.uvarint()
}

func (r *Reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.buf[r.off:])
	switch {
	case n == 0:
		r.truncated()
	case n < 0:
		r.failAt(r.off, ErrOverflow, 0, 0)
	case n > 1 && r.buf[r.off+n-1] == 0:
		// A zero last group adds nothing: a shorter encoding exists.
		r.failAt(r.off, ErrNonMinimal, 0, 0)
	default:
		r.off += n
		return v
	}
	return 0
}

// Varint reads a signed zig-zag varint (encoding/binary's) in its shortest
// form.
func (r *Reader) Varint() int64 {
	u := r.Uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// Uint64LE reads 8 bytes as a little-endian integer. It inlines.
func (r *Reader) Uint64LE() uint64 {
	if r.Len() >= 8 {
		v := binary.LittleEndian.Uint64(r.buf[r.off:])
		r.off += 8
		return v
	}
	r.truncated()
	return 0
}

// Uint64BE reads 8 bytes as a big-endian integer.
func (r *Reader) Uint64BE() uint64 {
	if r.Len() >= 8 {
		v := binary.BigEndian.Uint64(r.buf[r.off:])
		r.off += 8
		return v
	}
	r.truncated()
	return 0
}

// Uint32BE reads 4 bytes as a big-endian integer.
func (r *Reader) Uint32BE() uint32 {
	if r.Len() >= 4 {
		v := binary.BigEndian.Uint32(r.buf[r.off:])
		r.off += 4
		return v
	}
	r.truncated()
	return 0
}

// Bytes reads the next n bytes; a negative n fails as truncated. The result
// aliases the input, with its capacity cut to n so that appending to it
// cannot overwrite what follows. It inlines.
func (r *Reader) Bytes(n int) []byte {
	if n < 0 || n > r.Len() {
		r.truncated()
		return nil
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// Count reads a uvarint count of items that take at least size bytes each
// (size ≥ 1), and returns it if it is at most max (ErrLimit otherwise; max
// is NoLimit or not negative) and the remaining bytes can hold that many
// items (ErrCount otherwise). The limit is checked first. A decoder that
// allocates by such a count allocates in proportion to its input, whatever
// the count claims.
func (r *Reader) Count(size, max int) int {
	at := r.off
	v := r.Uvarint()
	room := uint64(r.Len() / size)
	switch {
	case r.err != nil:
	case v > uint64(max) && max != NoLimit:
		r.failAt(at, ErrLimit, v, uint64(max))
	case v > room:
		r.failAt(at, ErrCount, v, room)
	default:
		return int(v)
	}
	return 0
}

// Section reads a byte string written by AppendSection: a uvarint length, at
// most max, then that many bytes. The result aliases the input, as with
// Bytes.
func (r *Reader) Section(max int) []byte {
	n := r.Count(1, max)
	if r.err != nil {
		return nil
	}
	return r.Bytes(n)
}

// NoLimit is the max of a Count or Section whose only bound is the data
// that remains.
const NoLimit = math.MaxInt
