package sketch

import "math"

// The bucket index of a positive value is its float64 bit pattern without the
// low mantissa bits: exponent and mantissaBits of mantissa, monotone in the
// value. Six bits give 64 buckets per power of two and a relative error of
// 1/129 (see representative), the coarsest grid that stays under 1 %.
const (
	mantissaBits = 6
	indexShift   = 52 - mantissaBits
	subBuckets   = 1 << mantissaBits
	// maxIndex is the bucket of +Inf; every finite positive value is below it.
	maxIndex = 0x7FF0000000000000 >> indexShift
)

// bucketOf returns the bucket of the magnitude a, which must be positive and
// not NaN.
func bucketOf(a float64) int { return int(math.Float64bits(a) >> indexShift) }

// lowerBound returns the smallest magnitude that falls in bucket i.
func lowerBound(i int) float64 { return math.Float64frombits(uint64(i) << indexShift) }

// representative returns the magnitude reported for a quantile in bucket i:
// the harmonic midpoint 2LU/(L+U) of the bucket [L, U), which bounds the
// relative error of any value in it by (U−L)/(U+L) = 1/(129+2j) ≤ 1/129.
// In the last finite bucket it is capped at the largest finite float64.
func representative(i int) float64 {
	l := lowerBound(i)
	if i >= maxIndex {
		return l
	}
	if i < subBuckets {
		// Subnormal: the grid is linear, so the arithmetic midpoint of the bit
		// patterns is the midpoint of the values.
		return math.Float64frombits(uint64(i)<<indexShift | 1<<(indexShift-1))
	}
	j := float64(i & (subBuckets - 1))
	return min(l*(2*(subBuckets+1+j))/(2*subBuckets+1+2*j), math.MaxFloat64)
}
