package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecoderNamesTheField(t *testing.T) {
	d := NewDecoder([]byte{0x05, 'a', 'b'}, 0)
	assert.Equal(t, "", string(d.Section("thing name")))
	require.ErrorContains(t, d.Err(), "thing name count 5 exceeds the remaining input")
	// The first error sticks; later reads return zero values.
	assert.Zero(t, d.Uvarint())
	assert.Zero(t, d.Left())
	d.Fail("later")
	assert.NotContains(t, d.Err().Error(), "later")

	d = NewDecoder([]byte{0x80, 0x00}, 0)
	assert.Zero(t, d.Uvarint())
	require.ErrorContains(t, d.Err(), "non-minimal")

	d = NewDecoder([]byte{0x03}, 0)
	assert.Zero(t, d.Index("kind", 3))
	require.ErrorContains(t, d.Err(), "kind index 3 out of range (3)")
}

func TestDecoderBudget(t *testing.T) {
	d := NewDecoder(nil, 100)
	assert.True(t, d.Spend(60))
	assert.True(t, d.Spend(40))
	assert.False(t, d.Spend(1), "over the limit")
	assert.Equal(t, int64(100), d.Limit())
	assert.True(t, NewDecoder(nil, 0).Spend(1<<40), "no budget")
}

func TestDecoderOffsetAndTime(t *testing.T) {
	d := NewDecoder([]byte{0x01, 0x01, 0x02}, 0) // varints 1 (-1), 1 (-1), 2 (1)
	assert.Equal(t, int64(99), d.Offset("head", 100))
	assert.Equal(t, int64(-1), d.Offset("head", 0))
	assert.Equal(t, int64(0), d.Time("time", -5))
	require.ErrorContains(t, d.Err(), "time before 1970")
}

// FuzzDecoder runs a program of reads (the first byte of each step picks
// one) over arbitrary data: nothing panics, the first error sticks, and
// after it every read returns a zero value.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []byte{0x01, 0x02, 'x', 0x80, 0x01, 0xff})
	f.Add([]byte{7, 7, 7}, []byte{0x7f})
	f.Fuzz(func(t *testing.T, ops, data []byte) {
		d := NewDecoder(data, int64(len(data)))
		failed := false
		for _, op := range ops {
			var zero bool
			switch op % 10 {
			case 0:
				zero = d.Uvarint() == 0
			case 1:
				zero = d.Varint() == 0
			case 2:
				zero = d.Byte() == 0
			case 3:
				zero = d.Uint64() == 0
			case 4:
				zero = len(d.Bytes(int(op%5))) == 0
			case 5:
				zero = d.Count("n", 1+int(op%4)) == 0
			case 6:
				zero = d.Index("i", int(op%7)) == 0
			case 7:
				zero = len(d.Section("s")) == 0
			case 8:
				zero = d.Offset("o", int64(op)) == 0
			case 9:
				zero = d.Time("t", int64(op)) == 0
			}
			if failed && !zero {
				t.Fatalf("a read after the error %v returned a value", d.Err())
			}
			if d.Left() < 0 || d.Left() > len(data) {
				t.Fatalf("%d bytes left of %d", d.Left(), len(data))
			}
			failed = d.Err() != nil
		}
	})
}
