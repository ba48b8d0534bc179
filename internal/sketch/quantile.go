package sketch

import "math"

// Quantile returns the nearest-rank q-quantile: the smallest recorded value v
// with at least q·n values ≤ v (rank ⌈q·n⌉, at least 1), so q = 0 gives the
// minimum and q = 1 the maximum. Ranks within the exact tails are answered
// exactly, others within a relative error of 1/129. It returns NaN when the
// sketch is empty or q is not in [0, 1].
func (s *Sketch) Quantile(q float64) float64 {
	var c cursor
	return s.quantile(q, &c)
}

// Quantiles appends to dst the quantile of each of qs, in order, and returns
// the extended slice. The buckets are walked once when qs is ascending (as
// the statistics are); it does not allocate when dst has room.
func (s *Sketch) Quantiles(dst []float64, qs []float64) []float64 {
	var c cursor
	for _, q := range qs {
		dst = append(dst, s.quantile(q, &c))
	}
	return dst
}

func (s *Sketch) quantile(q float64, c *cursor) float64 {
	if s.n == 0 || !validQuantile(q) {
		return math.NaN()
	}
	r := rank(q, s.n)
	if r <= uint64(s.lo.n) {
		return -s.lo.kth(int(r))
	}
	if top := s.n - r + 1; top <= uint64(s.hi.n) {
		return s.hi.kth(int(top))
	}
	return s.clampEstimate(c.seek(s, r))
}

// cursor walks the buckets in ascending value order (negative buckets from
// the largest magnitude down, then zero, then positive buckets up) keeping
// the count of values before the current bucket, so that ascending ranks are
// found in one pass.
type cursor struct {
	part  int    // 0 negative, 1 zero, 2 positive
	k     int    // position in the part's counts (from the end for negative)
	below uint64 // values ranked before the current bucket
}

// seek moves to the bucket holding rank r (1 ≤ r ≤ n) and returns its
// representative value.
func (c *cursor) seek(s *Sketch, r uint64) float64 {
	if r <= c.below {
		*c = cursor{}
	}
	if c.part == 0 {
		counts := s.neg.counts
		c.k = skipChunksDown(counts, c.k, &c.below, r)
		for ; c.k < len(counts); c.k++ {
			i := len(counts) - 1 - c.k
			if c.below+counts[i] >= r {
				return -representative(s.neg.offset + i)
			}
			c.below += counts[i]
		}
		c.part, c.k = 1, 0
	}
	if c.part == 1 {
		if c.below+s.zero >= r {
			return 0
		}
		c.below += s.zero
		c.part = 2
	}
	counts := s.pos.counts
	c.k = skipChunks(counts, c.k, &c.below, r)
	for ; c.k < len(counts); c.k++ {
		if c.below+counts[c.k] >= r {
			return representative(s.pos.offset + c.k)
		}
		c.below += counts[c.k]
	}
	// Unreachable while the counts sum to n; a safe answer otherwise.
	return math.NaN()
}

// skipChunks advances k over whole chunks of 8 counts that end before rank r,
// adding them to *below. Summing a chunk as a tree breaks the add-to-add
// dependency of a one-by-one walk, which is what bounds the query time.
func skipChunks(counts []uint64, k int, below *uint64, r uint64) int {
	b := *below
	for ; k+8 <= len(counts); k += 8 {
		c := counts[k : k+8 : k+8]
		sum := (c[0] + c[1]) + (c[2] + c[3]) + ((c[4] + c[5]) + (c[6] + c[7]))
		if b+sum >= r {
			break
		}
		b += sum
	}
	*below = b
	return k
}

// skipChunksDown is skipChunks for the negative buckets, walked from the end
// of counts (the largest magnitudes) down; k counts positions from the end.
func skipChunksDown(counts []uint64, k int, below *uint64, r uint64) int {
	b := *below
	for ; k+8 <= len(counts); k += 8 {
		e := len(counts) - k
		c := counts[e-8 : e : e]
		sum := (c[0] + c[1]) + (c[2] + c[3]) + ((c[4] + c[5]) + (c[6] + c[7]))
		if b+sum >= r {
			break
		}
		b += sum
	}
	*below = b
	return k
}
