package criteria

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// cidrSet6 is the IPv6 half of a CIDRSet: merged ranges indexed by the
// bucket bits that follow the prefix every range shares.
type cidrSet6 struct {
	prefix uint64 // the shared leading bits of every range (of the high word)
	common uint8  // how many leading bits are shared and checked (≤ 64-bits)
	drop   uint8  // 64 - index bits: shift that leaves the bucket number
	ranges []range6
	index  []uint32 // index[b]: first range ending at or after bucket b, | emptyBucket; len 2^bits+1
}

// maxIndexBits6 caps the IPv6 index at 2^20 buckets (4 MiB) for sets of a
// million ranges (32 MiB) or more. Up to there a set gets at least two
// buckets per range, so a lookup reads one index entry and then about one
// range: two dependent loads, which is what a lookup costs when the set is
// out of cache (at 2^16 buckets a million-range set searched 16 ranges in
// a bucket, four more dependent loads).
const maxIndexBits6 = 20

// emptyBucket marks an index entry whose bucket no range touches, so that
// a lookup there (most misses in a sparse set) answers from the index alone
// without loading a range. It is masked off where the entry is a bound.
const emptyBucket = 1 << 31

// u128 is an IPv6 address as two big-endian words.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) next() u128 {
	lo, carry := bits.Add64(a.lo, 1, 0)
	return u128{a.hi + carry, lo}
}

type range6 struct{ lo, hi u128 }

func newCIDRSet6(ps []netip.Prefix) cidrSet6 {
	var s cidrSet6
	for _, p := range ps {
		b := p.Addr().As16()
		lo := u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
		r := range6{lo, lastOf(lo, p.Bits())}
		if n := len(s.ranges); n > 0 && s.ranges[n-1].hi.next() == r.lo {
			s.ranges[n-1].hi = r.hi
			continue
		}
		s.ranges = append(s.ranges, r)
	}
	if len(s.ranges) == 0 {
		return s
	}
	ib := min(maxIndexBits6, bits.Len(uint(len(s.ranges)))+1)
	first, last := s.ranges[0].lo.hi, s.ranges[len(s.ranges)-1].hi.hi
	s.common = uint8(min(bits.LeadingZeros64(first^last), 64-ib))
	s.drop = uint8(64 - ib)
	s.prefix = first &^ (^uint64(0) >> s.common)
	s.index = make([]uint32, 1<<ib+1)
	i := 0
	for b := range 1 << ib {
		start := u128{s.prefix | uint64(b)<<(s.drop-s.common), 0}
		for i < len(s.ranges) && s.ranges[i].hi.less(start) {
			i++
		}
		s.index[b] = uint32(i)
		end := u128{start.hi + (1<<(s.drop-s.common) - 1), ^uint64(0)}
		if uint64(len(s.ranges)) < emptyBucket && (i == len(s.ranges) || end.less(s.ranges[i].lo)) {
			s.index[b] |= emptyBucket
		}
	}
	s.index[1<<ib] = uint32(len(s.ranges))
	return s
}

// lastOf returns the last address of the prefix lo/n.
func lastOf(lo u128, n int) u128 {
	if n <= 64 {
		return u128{lo.hi | ^uint64(0)>>n, ^uint64(0)} // n==64: a shift by 64 gives 0
	}
	return u128{lo.hi, lo.lo | ^uint64(0)>>(n-64)}
}

// lookup finds hi:lo, which lies inside the shared prefix, in the ranges.
func (s *cidrSet6) lookup(hi, lo uint64) bool {
	b := (hi << s.common) >> s.drop
	if b+1 >= uint64(len(s.index)) {
		return false // unreachable: keeps the compiler's bounds check out of the way
	}
	i, j := s.index[b], s.index[b+1]&^emptyBucket
	if i&emptyBucket != 0 {
		return false
	}
	r, a := s.ranges, u128{hi, lo}
	if j-i > bucketScan {
		i = search6(r, i, j, a)
	} else {
		for i < j && r[i].hi.less(a) {
			i++
		}
	}
	return int(i) < len(r) && !a.less(r[i].lo)
}

// search6 returns the first index in [i, j) whose range ends at or after a, or j.
func search6(r []range6, i, j uint32, a u128) uint32 {
	for i < j {
		h := (i + j) >> 1
		if r[h].hi.less(a) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}
