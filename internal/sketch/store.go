package sketch

// store counts values per bucket index over a contiguous range of indices
// that grows on demand. counts[k] is the count of bucket offset+k.
type store struct {
	counts []uint64
	offset int
}

// add counts one value in bucket i and reports whether it could; when it
// could not, the caller calls addSlow. The split keeps add inlinable.
func (s *store) add(i int) bool {
	k := uint(i - s.offset)
	if k < uint(len(s.counts)) {
		s.counts[k]++
		return true
	}
	return false
}

// addSlow is kept out of line so that add stays inlinable.
//
//go:noinline
func (s *store) addSlow(i int) {
	s.cover(i, i)
	s.counts[i-s.offset]++
}

// cover makes the indices lo..hi addressable, reallocating with slack on the
// side that grew so that a widening range costs amortised O(1) per bucket.
func (s *store) cover(lo, hi int) {
	if len(s.counts) == 0 {
		s.grow(lo-subBuckets/2, hi+subBuckets/2)
		return
	}
	end := s.offset + len(s.counts) - 1
	if lo >= s.offset && hi <= end {
		return
	}
	slack := max(subBuckets, len(s.counts)/4)
	newLo, newHi := s.offset, end
	if lo < newLo {
		newLo = lo - slack
	}
	if hi > newHi {
		newHi = hi + slack
	}
	s.grow(newLo, newHi)
}

// grow reallocates to cover lo..hi (clamped to valid indices) and moves the
// existing counts.
func (s *store) grow(lo, hi int) {
	lo, hi = max(lo, 0), min(hi, maxIndex)
	counts := make([]uint64, hi-lo+1)
	if len(s.counts) > 0 {
		copy(counts[s.offset-lo:], s.counts)
	}
	s.counts, s.offset = counts, lo
}

// used returns the sub-slice from the first to the last non-zero count and
// the bucket index of its first element. The growth slack at either end is
// skipped eight counts at a time: it can be a quarter of the range, and
// merge time matters.
func (s *store) used() ([]uint64, int) {
	c := s.counts
	first := 0
	for first+8 <= len(c) && c[first]|c[first+1]|c[first+2]|c[first+3]|c[first+4]|c[first+5]|c[first+6]|c[first+7] == 0 {
		first += 8
	}
	for first < len(c) && c[first] == 0 {
		first++
	}
	last := len(c)
	for last-8 >= first && c[last-1]|c[last-2]|c[last-3]|c[last-4]|c[last-5]|c[last-6]|c[last-7]|c[last-8] == 0 {
		last -= 8
	}
	for last > first && c[last-1] == 0 {
		last--
	}
	return c[first:last], s.offset + first
}

// merge adds o's counts to s. o may be s.
func (s *store) merge(o *store) {
	src, lo := o.used()
	if len(src) == 0 {
		return
	}
	s.cover(lo, lo+len(src)-1)
	addCounts(s.counts[lo-s.offset:][:len(src)], src)
}

// addCounts adds src into dst element-wise; len(dst) == len(src). Unrolled
// by four because merge time is dominated by this loop.
func addCounts(dst, src []uint64) {
	dst = dst[:len(src)]
	k := 0
	for ; k+4 <= len(src); k += 4 {
		d, s := dst[k:k+4:k+4], src[k:k+4:k+4]
		d[0] += s[0]
		d[1] += s[1]
		d[2] += s[2]
		d[3] += s[3]
	}
	for ; k < len(src); k++ {
		dst[k] += src[k]
	}
}

// contains reports whether every count of o is at most the same bucket's
// count in s.
func (s *store) contains(o *store) bool {
	src, lo := o.used()
	if len(src) == 0 {
		return true
	}
	if lo < s.offset || lo+len(src) > s.offset+len(s.counts) {
		return false
	}
	dst := s.counts[lo-s.offset:][:len(src)]
	for k, c := range src {
		if c > dst[k] {
			return false
		}
	}
	return true
}

// subtract removes o's counts from s; s must contain o.
func (s *store) subtract(o *store) {
	src, lo := o.used()
	if len(src) == 0 {
		return
	}
	dst := s.counts[lo-s.offset:][:len(src)]
	for k, c := range src {
		dst[k] -= c
	}
}

// count returns the count of bucket i.
func (s *store) count(i int) uint64 {
	if k := i - s.offset; uint(k) < uint(len(s.counts)) {
		return s.counts[k]
	}
	return 0
}

// total returns the sum of the counts and whether it overflowed.
func (s *store) total() (uint64, bool) {
	var t uint64
	for _, c := range s.counts {
		t += c
		if t < c {
			return 0, false
		}
	}
	return t, true
}

// reset zeroes the counts and keeps the allocation for reuse.
func (s *store) reset() { clear(s.counts) }

// clone returns a deep copy.
func (s *store) clone() store {
	if s.counts == nil {
		return store{}
	}
	src, lo := s.used()
	return store{counts: append([]uint64(nil), src...), offset: lo}
}
