package wire

import (
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzUvarint checks Uvarint and Varint against encoding/binary: a Reader
// accepts exactly the encodings encoding/binary decodes and writes back
// identically, with the same value and length, and names the reason of
// every refusal.
func FuzzUvarint(f *testing.F) {
	for _, s := range [][]byte{{}, {0}, {0x7f}, {0x80, 0x01}, {0x80, 0x00}, {0x80},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, n := binary.Uvarint(data)
		r := NewReader(data)
		got := r.Uvarint()
		check(t, &r, got == want, n, n > 0 && len(binary.AppendUvarint(nil, want)) == n)

		swant, sn := binary.Varint(data)
		r = NewReader(data)
		sgot := r.Varint()
		check(t, &r, sgot == swant, sn, sn > 0 && len(binary.AppendVarint(nil, swant)) == sn)
	})
}

// check compares a read with encoding/binary's result of length n (0:
// truncated, negative: overflow) and whether that encoding is the value's
// shortest.
func check(t *testing.T, r *Reader, same bool, n int, minimal bool) {
	t.Helper()
	err := r.Err()
	var kind error
	switch {
	case n == 0:
		kind = ErrTruncated
	case n < 0:
		kind = ErrOverflow
	case !minimal:
		kind = ErrNonMinimal
	}
	if kind == nil {
		if err != nil || !same || r.Offset() != n {
			t.Fatalf("encoding/binary reads %d bytes; Reader: same value %v, offset %d, %v", n, same, r.Offset(), err)
		}
		return
	}
	if !errors.Is(err, kind) || r.Offset() != 0 || r.Len() != 0 {
		t.Fatalf("want %v at 0, got %v (offset %d, %d left)", kind, err, r.Offset(), r.Len())
	}
}

// FuzzReader reads arbitrary data as a program of reads given by ops: no
// read panics, offsets stay within the data, every count fits in what
// remained, and after the first error every read returns zero.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, []byte{0x80, 5, 0, 0, 0, 0})
	f.Add([]byte{7, 8, 1, 2, 9}, []byte("0123456789"))
	f.Fuzz(func(t *testing.T, ops, data []byte) {
		r := NewReader(data)
		for _, op := range ops {
			before, failed := r.Len(), r.Err() != nil
			var zero bool
			switch op % 10 {
			case 0:
				zero = r.Byte() == 0
			case 1:
				zero = r.Uvarint() == 0
			case 2:
				zero = r.Varint() == 0
			case 3:
				zero = r.Uint64LE() == 0
			case 4:
				zero = r.Uint64BE() == 0
			case 5:
				zero = r.Uint32BE() == 0
			case 6:
				zero = len(r.Bytes(int(op>>4))) == 0
			case 7:
				size := int(op>>4) + 1
				c := r.Count(size, NoLimit)
				zero = c == 0
				if r.Err() == nil && c*size > r.Len() {
					t.Fatalf("count %d of %d bytes with %d left", c, size, r.Len())
				}
			case 8:
				c := r.Count(1, int(op>>4))
				zero = c == 0
				if c > int(op>>4) {
					t.Fatalf("count %d above its limit %d", c, op>>4)
				}
			case 9:
				zero = len(r.Section(int(op>>4))) == 0
			}
			if failed && (!zero || r.Len() != 0) {
				t.Fatalf("op %d after an error: zero %v, %d left", op%10, zero, r.Len())
			}
			if r.Offset() < 0 || r.Offset() > len(data) || r.Len() > before {
				t.Fatalf("offset %d of %d, %d left (%d before)", r.Offset(), len(data), r.Len(), before)
			}
		}
	})
}
