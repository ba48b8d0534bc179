package wire

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rep returns n copies of b.
func rep(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// requireFailed checks that r failed with kind at offset off, and stays so.
func requireFailed(t *testing.T, r *Reader, kind error, off int) {
	t.Helper()
	require.ErrorIs(t, r.Err(), kind)
	var we *Error
	require.True(t, errors.As(r.Err(), &we))
	assert.Equal(t, off, we.Offset, "offset of the error")
	assert.Equal(t, off, r.Offset(), "the reader stops at the failed field")
	assert.Zero(t, r.Len(), "nothing is left after an error")
}

func TestUvarint(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want uint64
		err  error // nil: reads want, all of in
	}{
		{"zero", []byte{0}, 0, nil},
		{"one byte max", []byte{0x7f}, 127, nil},
		{"two bytes min", []byte{0x80, 0x01}, 128, nil},
		{"two bytes max", []byte{0xff, 0x7f}, 1<<14 - 1, nil},
		{"max uint64", cat(rep(0xff, 9), []byte{0x01}), math.MaxUint64, nil},
		{"empty", nil, 0, ErrTruncated},
		{"continuation at the end", []byte{0x80}, 0, ErrTruncated},
		{"continuations to the end", rep(0xff, 9), 0, ErrTruncated},
		{"overlong zero", []byte{0x80, 0x00}, 0, ErrNonMinimal},
		{"overlong 1", []byte{0x81, 0x80, 0x00}, 0, ErrNonMinimal},
		{"overlong 127", []byte{0xff, 0x00}, 0, ErrNonMinimal},
		{"overlong ten bytes", cat(rep(0x80, 9), []byte{0x00}), 0, ErrNonMinimal},
		{"overlong max int64", cat(rep(0xff, 9), []byte{0x00}), 0, ErrNonMinimal},
		{"overflow in the tenth byte", cat(rep(0xff, 9), []byte{0x02}), 0, ErrOverflow},
		{"overflow: eleven bytes", cat(rep(0x80, 10), []byte{0x01}), 0, ErrOverflow},
		{"overflow before the end", cat(rep(0xff, 10), []byte{0x00}), 0, ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.in)
			got := r.Uvarint()
			assert.Equal(t, tt.want, got)
			if tt.err == nil {
				require.NoError(t, r.Err())
				assert.Equal(t, len(tt.in), r.Offset())
				assert.Equal(t, tt.in, binary.AppendUvarint(nil, got), "the one encoding of the value")
				return
			}
			requireFailed(t, &r, tt.err, 0)
		})
	}
}

func TestVarint(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want int64
		err  error
	}{
		{"zero", []byte{0}, 0, nil},
		{"minus one", []byte{1}, -1, nil},
		{"one", []byte{2}, 1, nil},
		{"-64", []byte{0x7f}, -64, nil},
		{"64", []byte{0x80, 0x01}, 64, nil},
		{"max int64", cat(rep(0xfe, 1), rep(0xff, 8), []byte{0x01}), math.MaxInt64, nil},
		{"min int64", cat(rep(0xff, 9), []byte{0x01}), math.MinInt64, nil},
		{"overlong minus one", []byte{0x81, 0x00}, 0, ErrNonMinimal},
		{"overflow", cat(rep(0xff, 9), []byte{0x03}), 0, ErrOverflow},
		{"truncated", []byte{0x81}, 0, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.in)
			got := r.Varint()
			assert.Equal(t, tt.want, got)
			if tt.err == nil {
				require.NoError(t, r.Err())
				assert.Equal(t, tt.in, binary.AppendVarint(nil, got))
				return
			}
			requireFailed(t, &r, tt.err, 0)
		})
	}
}

func TestFixedWidth(t *testing.T) {
	in := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}
	tests := []struct {
		name string
		read func(r *Reader) uint64
		want uint64
		size int
	}{
		{"Byte", func(r *Reader) uint64 { return uint64(r.Byte()) }, 1, 1},
		{"Uint32BE", func(r *Reader) uint64 { return uint64(r.Uint32BE()) }, 0x01020304, 4},
		{"Uint64BE", func(r *Reader) uint64 { return r.Uint64BE() }, 0x0102030405060708, 8},
		{"Uint64LE", func(r *Reader) uint64 { return r.Uint64LE() }, 0x0807060504030201, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(in)
			assert.Equal(t, tt.want, tt.read(&r))
			require.NoError(t, r.Err())
			assert.Equal(t, tt.size, r.Offset())
			assert.Equal(t, len(in)-tt.size, r.Len())

			// One byte short, after a byte already read: the error is at 1.
			r = NewReader(in[:tt.size])
			r.Byte()
			assert.Zero(t, tt.read(&r))
			requireFailed(t, &r, ErrTruncated, 1)
		})
	}
}

func TestBytes(t *testing.T) {
	in := []byte("abcdef")
	r := NewReader(in)
	assert.Equal(t, []byte{}, r.Bytes(0))
	b := r.Bytes(2)
	assert.Equal(t, []byte("ab"), b)
	assert.Equal(t, 2, cap(b), "capacity cut: appending cannot overwrite the input")
	_ = append(b, 'X')
	assert.Equal(t, []byte("abcdef"), in)
	assert.Equal(t, []byte("cdef"), r.Bytes(4), "exactly what is left")
	require.NoError(t, r.Err())

	for _, n := range []int{7, -1, math.MaxInt} {
		r := NewReader(in)
		r.Byte()
		assert.Nil(t, r.Bytes(n), "n=%d", n)
		requireFailed(t, &r, ErrTruncated, 1)
	}
}

func TestCount(t *testing.T) {
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	tests := []struct {
		name      string
		in        []byte
		size, max int
		want      int
		err       error
		n, limit  uint64 // of the error, for ErrCount and ErrLimit
	}{
		{"zero", uv(0), 1, NoLimit, 0, nil, 0, 0},
		{"fills the rest", cat(uv(3), rep(0, 3)), 1, NoLimit, 3, nil, 0, 0},
		{"items of 8 bytes", cat(uv(2), rep(0, 16)), 8, NoLimit, 2, nil, 0, 0},
		{"at its limit", cat(uv(2), rep(0, 2)), 1, 2, 2, nil, 0, 0},
		{"more than the rest holds", cat(uv(4), rep(0, 3)), 1, NoLimit, 0, ErrCount, 4, 3},
		{"items of 8 bytes, one short", cat(uv(2), rep(0, 15)), 8, NoLimit, 0, ErrCount, 2, 1},
		{"count of 2^40", cat(uv(1<<40), rep(0, 3)), 4, NoLimit, 0, ErrCount, 1 << 40, 0},
		{"max uint64", cat(uv(math.MaxUint64), rep(0, 3)), 1, NoLimit, 0, ErrCount, math.MaxUint64, 3},
		{"above its limit", cat(uv(3), rep(0, 3)), 1, 2, 0, ErrLimit, 3, 2},
		{"the limit is checked first", uv(3), 1, 2, 0, ErrLimit, 3, 2},
		{"overlong count", []byte{0x81, 0x00, 0}, 1, NoLimit, 0, ErrNonMinimal, 0, 0},
		{"truncated count", []byte{0x81}, 1, NoLimit, 0, ErrTruncated, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.in)
			assert.Equal(t, tt.want, r.Count(tt.size, tt.max))
			if tt.err == nil {
				require.NoError(t, r.Err())
				assert.Equal(t, len(uv(uint64(tt.want))), r.Offset())
				return
			}
			requireFailed(t, &r, tt.err, 0)
			var we *Error
			require.True(t, errors.As(r.Err(), &we))
			assert.Equal(t, tt.n, we.N)
			assert.Equal(t, tt.limit, we.Max)
		})
	}
}

func TestSection(t *testing.T) {
	b := AppendSection(nil, "thing")
	b = AppendSection(b, []byte{})
	b = AppendSection(b, []byte{1, 2})
	r := NewReader(b)
	assert.Equal(t, []byte("thing"), r.Section(5))
	assert.Equal(t, []byte{}, r.Section(NoLimit))
	assert.Equal(t, []byte{1, 2}, r.Section(NoLimit))
	require.NoError(t, r.Err())
	assert.Zero(t, r.Len())

	r = NewReader(AppendSection(nil, "thing"))
	assert.Nil(t, r.Section(4))
	requireFailed(t, &r, ErrLimit, 0)

	r = NewReader(AppendSection(nil, "thing")[:5])
	assert.Nil(t, r.Section(NoLimit))
	requireFailed(t, &r, ErrCount, 0)
}

// After the first error every read returns its zero value and the error
// stays the first one.
func TestErrorSticks(t *testing.T) {
	in := cat([]byte{5, 0x80, 0x00}, rep(0x7f, 20))
	r := NewReader(in)
	assert.Equal(t, uint64(5), r.Uvarint())
	assert.Zero(t, r.Uvarint())
	first := r.Err()
	requireFailed(t, &r, ErrNonMinimal, 1)
	assert.Zero(t, r.Byte())
	assert.Zero(t, r.Uvarint())
	assert.Zero(t, r.Varint())
	assert.Zero(t, r.Uint64LE())
	assert.Zero(t, r.Uint64BE())
	assert.Zero(t, r.Uint32BE())
	assert.Nil(t, r.Bytes(1))
	assert.Zero(t, r.Count(1, NoLimit))
	assert.Nil(t, r.Section(NoLimit))
	assert.Same(t, first, r.Err())
	requireFailed(t, &r, ErrNonMinimal, 1)
}

func TestZeroReader(t *testing.T) {
	var r Reader
	assert.Zero(t, r.Len())
	assert.Empty(t, r.Bytes(0))
	require.NoError(t, r.Err())
	assert.Zero(t, r.Uvarint())
	requireFailed(t, &r, ErrTruncated, 0)
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Offset: 3, Err: ErrTruncated}, "wire: truncated at byte 3"},
		{&Error{Offset: 0, Err: ErrNonMinimal}, "wire: non-minimal varint at byte 0"},
		{&Error{Offset: 9, Err: ErrOverflow}, "wire: varint overflows 64 bits at byte 9"},
		{&Error{Offset: 1, Err: ErrCount, N: 7, Max: 2}, "wire: count 7 exceeds the remaining input (room for 2) at byte 1"},
		{&Error{Offset: 1, Err: ErrLimit, N: 7, Max: 5}, "wire: count 7 above its limit 5 at byte 1"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
		assert.ErrorIs(t, tt.err, tt.err.Err)
	}
}
