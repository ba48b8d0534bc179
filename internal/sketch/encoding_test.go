package sketch

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncodingRoundTrip(t *testing.T) {
	tests := map[string]*Sketch{
		"empty":     New(),
		"one":       sketchOf([]float64{42}),
		"zeros":     sketchOf([]float64{0, 0, 0}),
		"mixed":     sketchOf([]float64{-1e9, -3, 0, 0, 1e-300, 7, math.Inf(1), math.Inf(-1)}),
		"uniform":   sketchOf(values(dists[0], 100_000, 1)),
		"lognormal": sketchOf(values(dists[1], 100_000, 1)),
		"pareto":    sketchOf(values(dists[2], 100_000, 1)),
	}
	partial := sketchOf(values(dists[1], 10_000, 1))
	require.NoError(t, partial.Subtract(sketchOf(values(dists[1], 10_000, 1)[:5_000])))
	tests["partial tails"] = partial

	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := s.MarshalBinary()
			require.NoError(t, err)
			var d Sketch
			require.NoError(t, d.UnmarshalBinary(b))
			assert.Equal(t, s.Count(), d.Count())
			want, got := s.Quantiles(nil, statQ), d.Quantiles(nil, statQ)
			for k := range want {
				if math.IsNaN(want[k]) {
					assert.True(t, math.IsNaN(got[k]))
				} else {
					assert.Equal(t, want[k], got[k], statNames[k])
				}
			}
			again, err := d.AppendBinary([]byte("prefix"))
			require.NoError(t, err)
			assert.Equal(t, b, again[len("prefix"):], "re-encoding is identical")
			// The decoded sketch keeps working.
			d.Add(1)
			assert.Equal(t, s.Count()+1, d.Count())
		})
	}
}

func TestEncodedSize(t *testing.T) {
	s := sketchOf(values(dists[1], size(t), 1))
	b, _ := s.MarshalBinary()
	t.Logf("lognormal n=%d: %d bytes", s.Count(), len(b))
	assert.LessOrEqual(t, len(b), 5000)
}

func TestUnmarshalRejects(t *testing.T) {
	good, _ := sketchOf([]float64{-2, 0, 1, 1, 3}).MarshalBinary()
	// good is: version, n, zero, pos (len, lo, count, deltas...), neg, tails.
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"version", mutate(func(b []byte) []byte { b[0] = 2; return b }), ErrVersion},
		{"count mismatch", mutate(func(b []byte) []byte { b[1]++; return b }), ErrCorrupt},
		{"trailing byte", append(append([]byte(nil), good...), 0), ErrCorrupt},
		{"non-minimal varint", []byte{1, 0x80, 0x00, 0, 0, 0, 0, 0}, ErrCorrupt},
		{"varint overflow", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, ErrCorrupt},
		{"huge bucket count", append([]byte{1, 1, 0}, uv(1<<40)...), ErrTruncated},
		{"index beyond +Inf", append(append([]byte{1, 1, 0, 1}, uv(maxIndex+1)...), 1, 0, 0, 0), ErrCorrupt},
		{"untrimmed buckets", append(append([]byte{1, 1, 0, 2}, uv(100)...), 1, 1, 0, 0, 0), ErrCorrupt},
		{"negative count", append(append([]byte{1, 1, 0, 2}, uv(100)...), 1, 3, 0, 0, 0), ErrCorrupt},
		{"tail too long", append(append([]byte{1, 1, 0, 1}, uv(100)...), 1, 0, tailSize+1), ErrCorrupt},
		{"tail longer than count", append(append(append([]byte{1, 1, 0, 1}, uv(100)...), 1, 0, 2), make([]byte, 9)...), ErrCorrupt},
		{"tail value not in buckets", tailed(t, 1, 2), ErrCorrupt},
		{"NaN in tail", tailed(t, 1, math.NaN()), ErrCorrupt},
		{"−0 in tail", zeroTail(math.Copysign(0, -1)), ErrCorrupt},
		{"tails disagree", disagree(t), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sketchOf([]float64{7, 8})
			before, _ := s.MarshalBinary()
			err := s.UnmarshalBinary(tt.data)
			require.ErrorIs(t, err, tt.want)
			var de *DecodeError
			require.True(t, errors.As(err, &de))
			assert.NotEmpty(t, de.Field)
			assert.Contains(t, err.Error(), "byte")
			after, _ := s.MarshalBinary()
			assert.Equal(t, before, after, "a rejected decode changes nothing")
		})
	}
}

// tailed encodes a one-value sketch of value in its bucket but with tail
// value tv in both tails.
func tailed(t *testing.T, value, tv float64) []byte {
	b := []byte{1, 1, 0, 1}
	b = binary.AppendUvarint(b, uint64(bucketOf(value)))
	b = append(b, 1, 0)
	for range 2 {
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, orderedKey(tv))
	}
	return b
}

func zeroTail(tv float64) []byte {
	b := []byte{1, 1, 1, 0, 0}
	for range 2 {
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, orderedKey(tv))
	}
	return b
}

// disagree encodes two values in one bucket with different values in the
// two (complete) tails.
func disagree(t *testing.T) []byte {
	b := []byte{1, 2, 0, 1}
	b = binary.AppendUvarint(b, uint64(bucketOf(1)))
	b = append(b, 2, 0)
	for _, v := range [][2]float64{{1, 1.001}, {1, 1.002}} {
		b = append(b, 2)
		b = binary.LittleEndian.AppendUint64(b, orderedKey(v[0]))
		d := orderedKey(v[1]) - orderedKey(v[0])
		tz := uint64(0)
		for d&1 == 0 {
			d >>= 1
			tz++
		}
		b = binary.AppendUvarint(b, tz)
		b = binary.AppendUvarint(b, d)
	}
	return b
}

func TestUnmarshalEveryPrefixFails(t *testing.T) {
	b, _ := sketchOf(values(dists[1], 2_000, 1)).MarshalBinary()
	for k := range len(b) {
		var s Sketch
		require.Error(t, s.UnmarshalBinary(b[:k]), "prefix %d", k)
	}
}

func TestUnmarshalFlippedBytesNeverPanic(t *testing.T) {
	b, _ := sketchOf(values(dists[2], 1_000, 1)).MarshalBinary()
	for k := range b {
		for _, x := range []byte{1, 0x80, 0xff} {
			c := append([]byte(nil), b...)
			c[k] ^= x
			var s Sketch
			if s.UnmarshalBinary(c) == nil {
				again, _ := s.MarshalBinary()
				require.Equal(t, c, again, "accepted input re-encodes identically")
				s.Quantiles(nil, statQ)
			}
		}
	}
}
