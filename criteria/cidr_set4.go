package criteria

import (
	"encoding/binary"
	"net/netip"
)

// cidrSet4 is the IPv4 half of a CIDRSet: merged, disjoint ranges with an
// index on the address's top bits. Sets of more than linearMax prefixes
// index 16 bits (65,537 entries, 256 KiB: one or two dependent loads per
// lookup, matching.md §6); smaller sets index only the first octet (1 KiB),
// which measured faster on hits than scanning (network, mask) pairs, whose
// early exit mispredicts at a random hit position.
type cidrSet4 struct {
	first  [4]uint64 // bitmap of the first octets some prefix covers
	shift  uint8     // 16 or 24: the address's top 32-shift bits pick the bucket
	ranges []range4
	index  []uint32 // index[b]: first range ending at or after bucket b; len 2^(32-shift)+1
}

type range4 struct{ lo, hi uint32 }

// bucketScan is the longest run of ranges searched linearly in a bucket.
const bucketScan = 8

func newCIDRSet4(ps []netip.Prefix) cidrSet4 {
	var s cidrSet4
	for _, p := range ps {
		net, mask := prefix4(p)
		for o := net >> 24; o <= (net|^mask)>>24; o++ {
			s.first[o>>6] |= 1 << (o & 63)
		}
		r := range4{net, net | ^mask}
		if n := len(s.ranges); n > 0 && s.ranges[n-1].hi+1 == r.lo {
			s.ranges[n-1].hi = r.hi // adjacent: merge (never wraps, ps are sorted)
			continue
		}
		s.ranges = append(s.ranges, r)
	}
	if len(s.ranges) == 0 {
		return s
	}
	s.shift = 16
	if len(ps) <= linearMax {
		s.shift = 24
	}
	buckets := 1 << (32 - s.shift)
	s.index = make([]uint32, buckets+1)
	i := 0
	for b := range buckets {
		for i < len(s.ranges) && s.ranges[i].hi < uint32(b)<<s.shift {
			i++
		}
		s.index[b] = uint32(i)
	}
	s.index[buckets] = uint32(len(s.ranges))
	return s
}

func prefix4(p netip.Prefix) (net, mask uint32) {
	b := p.Addr().As4()
	mask = ^uint32(0) << (32 - p.Bits()) // Bits()==0: Go's shift by 32 gives 0
	return binary.BigEndian.Uint32(b[:]), mask
}

// lookup finds x in the ranges; the caller has checked the first octet.
func (s *cidrSet4) lookup(x uint32) bool {
	b := x >> s.shift
	if int(b)+1 >= len(s.index) {
		return false // unreachable: keeps the compiler's bounds check out of the way
	}
	i, j := s.index[b], s.index[b+1]
	r := s.ranges
	// The range holding x, if any, is the first ending at or after x; it is
	// at most j, which ends in a later bucket.
	if j-i > bucketScan {
		i = search4(r, i, j, x)
	} else {
		for i < j && r[i].hi < x {
			i++
		}
	}
	return int(i) < len(r) && r[i].lo <= x
}

// search4 returns the first index in [i, j) whose range ends at or after a, or j.
func search4(r []range4, i, j uint32, a uint32) uint32 {
	for i < j {
		h := (i + j) >> 1
		if r[h].hi < a {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}
