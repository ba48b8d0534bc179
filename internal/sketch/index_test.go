package sketch

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBucketBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []float64{
		math.SmallestNonzeroFloat64, 0x1p-1022, 1e-300, 1e-9, 0.5, 1, 1.015625, 1.03125 - 1e-16,
		2, 3, 1e6, 999_999, 1e300, math.MaxFloat64,
	}
	for range 10_000 {
		tests = append(tests, math.Exp(r.NormFloat64()*100))
	}
	for _, v := range tests {
		i := bucketOf(v)
		require.LessOrEqual(t, lowerBound(i), v, "v=%g", v)
		require.Less(t, v, lowerBound(i+1), "v=%g", v)
		rep := representative(i)
		if v >= 0x1p-1022 {
			assert.LessOrEqual(t, relErr(rep, v), errBound, "v=%g rep=%g", v, rep)
		} else {
			assert.LessOrEqual(t, math.Abs(rep-v), 0x1p-1029, "subnormal v=%g", v)
		}
	}
}

func TestBucketMonotone(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 10_000 {
		a, b := math.Exp(r.NormFloat64()*50), math.Exp(r.NormFloat64()*50)
		if a > b {
			a, b = b, a
		}
		require.LessOrEqual(t, bucketOf(a), bucketOf(b), "%g %g", a, b)
	}
	assert.Equal(t, maxIndex, bucketOf(math.Inf(1)))
	assert.Equal(t, maxIndex-1, bucketOf(math.MaxFloat64))
	assert.Equal(t, math.Inf(1), representative(maxIndex))
}

func TestBucketWorstCase(t *testing.T) {
	// The worst relative error is at the start of an octave (j = 0), where
	// buckets are widest relative to their values.
	l := lowerBound(bucketOf(1))
	require.Equal(t, 1.0, l)
	rep := representative(bucketOf(1))
	assert.InDelta(t, 1.0/129, relErr(rep, 1), 1e-15)
	u := lowerBound(bucketOf(1) + 1)
	assert.InDelta(t, 1.0/129, relErr(rep, u), 1e-15)
}
