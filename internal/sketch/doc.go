// Package sketch computes the nearest-rank percentiles of statistical
// thresholds (the smallest value v with at least q of the fleet's
// datapoints ≤ v) over fleets of any size.
//
// Sketch is a relative-value-error log-linear histogram in the
// DDSketch/HdrHistogram lineage, built for the eleven statistics of a
// Device Defender statistical threshold (p0, p0.01, p0.1, p1, p10, p50, p90,
// p99, p99.9, p99.99, p100):
//
//   - A value's bucket is read from its float64 bits (exponent and the top
//     6 mantissa bits), so insertion takes no logarithm. A bucket spans
//     [L, L·(65+j)/(64+j)) for its 6-bit mantissa prefix j, and a quantile
//     that falls in a bucket is answered with the bucket's harmonic midpoint,
//     so its relative error is at most 1/129 ≈ 0.78 % (< 1 %) for every value
//     of magnitude at least 2^-1022 (the normal float64 range; the 2^-1022
//     subnormal range is bucketed linearly and its error is absolute, at most
//     2^-1029).
//   - Negative values have their own bucket store and zero its own counter.
//   - The tailSize (129) smallest and largest values are kept exactly, so p0
//     and p100 are always exact and p0.01 and p99.99 are exact up to
//     1.28×10^6 values (rank ⌈q·n⌉ lies within 129 of either end).
//   - Merging adds counters and merges the exact tails: it is lossless and the
//     result is the same as if every value had been added to one sketch.
//
// Population gives exact percentiles (values kept and selected) up to a
// configurable size and switches to a Sketch above it.
//
// Sliding windows should be built as merges of per-period sketches: a merge
// keeps every guarantee. Sketch.Subtract exists for callers who keep a
// running total, but it can shrink the exact tails (see its documentation).
//
// Neither type is safe for concurrent use; queries reorder internal state.
package sketch
