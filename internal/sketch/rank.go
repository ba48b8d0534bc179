package sketch

import "math"

// rank returns the 1-based nearest rank of quantile q among n > 0 values: the
// smallest r with r ≥ q·n, at least 1 and at most n. q must be in [0, 1].
//
// q·n is computed in floating point, where 0.7·10 is 7.000000000000001; the
// product is lowered by 2^-50 of itself (more than its rounding error, less
// than the 10^-4 granularity of the statistics for n up to 10^11) so that a
// decimal q that makes q·n an integer gets that integer as its rank.
func rank(q float64, n uint64) uint64 {
	x := q * float64(n)
	r := math.Ceil(x - x*0x1p-50)
	if r < 1 {
		return 1
	}
	if r >= float64(n) {
		return n
	}
	return uint64(r)
}

// validQuantile reports whether q is a fraction in [0, 1].
func validQuantile(q float64) bool { return q >= 0 && q <= 1 }
