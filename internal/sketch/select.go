package sketch

import (
	"math/bits"
	"slices"
)

// selectKth returns the k-th smallest (0-based) of vals, reordering vals so
// that it sits at index k. Quickselect with median-of-three pivots; after
// 2·log2(n) rounds without converging (adversarial input) it sorts what is
// left, which bounds the worst case by O(n log n).
func selectKth(vals []float64, k int) float64 {
	lo, hi := 0, len(vals)-1
	budget := 2 * bits.Len(uint(len(vals)))
	for hi-lo > 16 {
		if budget == 0 {
			slices.Sort(vals[lo : hi+1])
			return vals[k]
		}
		budget--
		lt, gt := partition3(vals, lo, hi)
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return vals[k]
		}
	}
	slices.Sort(vals[lo : hi+1])
	return vals[k]
}

// partition3 partitions vals[lo..hi] around a median-of-three pivot into
// < pivot, == pivot, > pivot and returns the bounds of the middle part, so
// that runs of equal values (common: zeros) end the search at once.
func partition3(vals []float64, lo, hi int) (lt, gt int) {
	mid := lo + (hi-lo)/2
	a, b, c := vals[lo], vals[mid], vals[hi]
	pivot := max(min(a, b), min(max(a, b), c))
	lt, gt = lo, hi
	for i := lo; i <= gt; {
		switch v := vals[i]; {
		case v < pivot:
			vals[lt], vals[i] = v, vals[lt]
			lt++
			i++
		case v > pivot:
			vals[gt], vals[i] = v, vals[gt]
			gt--
		default:
			i++
		}
	}
	return lt, gt
}
