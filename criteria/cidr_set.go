package criteria

import (
	"cmp"
	"net/netip"
	"slices"
)

// CIDRSet is an immutable set of IPv4 and IPv6 prefixes answering "does any
// prefix cover this address?" in a few nanoseconds without allocating.
//
// The prefixes are reduced to sorted, disjoint, merged address ranges,
// indexed by the address's top bits so that a lookup is one or two
// dependent loads: IPv4 by the top 16 bits (256 KiB) when there are more
// than 16 prefixes, else by the first octet (1 KiB), behind a first-octet
// bitmap; IPv6 by up to 20 bits following the prefix that all ranges share,
// and an address outside that shared prefix misses at once (matching.md §4, §6).
//
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are looked up as IPv4, and a
// prefix inside ::ffff:0:0/96 of length ≥ 96 is stored as the IPv4 prefix it
// maps, so that an address matches the same whichever way it is written.
// Consequently an IPv6 prefix such as ::/0 does not
// cover IPv4 or IPv4-mapped addresses. Zones are ignored. The zero CIDRSet
// is empty and ready to use.
type CIDRSet struct {
	v4  cidrSet4
	v6  cidrSet6
	len int
}

// NewCIDRSet returns the set of addresses covered by prefixes. Host bits
// are masked off; invalid (zero) prefixes are ignored.
func NewCIDRSet(prefixes []netip.Prefix) *CIDRSet {
	var p4, p6 []netip.Prefix
	for _, p := range prefixes {
		if !p.IsValid() {
			continue
		}
		p = p.Masked()
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		if p.Addr().Is4() {
			p4 = append(p4, p)
		} else {
			p6 = append(p6, netip.PrefixFrom(p.Addr().WithZone(""), p.Bits()))
		}
	}
	p4, p6 = outermost(p4), outermost(p6)
	s := &CIDRSet{len: len(p4) + len(p6)}
	s.v4 = newCIDRSet4(p4)
	s.v6 = newCIDRSet6(p6)
	return s
}

// outermost sorts ps and drops every prefix covered by another (duplicates
// included), leaving disjoint prefixes in address order.
func outermost(ps []netip.Prefix) []netip.Prefix {
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Bits(), b.Bits())
	})
	// Prefixes nest or are disjoint, so only the last kept one can cover
	// the next: any earlier one would have covered the last kept one too.
	kept := ps[:0]
	for _, p := range ps {
		if n := len(kept); n > 0 && kept[n-1].Contains(p.Addr()) {
			continue
		}
		kept = append(kept, p)
	}
	return kept
}

// Contains reports whether any prefix of s covers a. A nil s is empty, and
// an invalid (zero) Addr is in no set.
//
// The cheap rejections (first octet, shared IPv6 prefix) are done here
// rather than in the per-family lookups: a miss then costs no second call,
// which is most of what a miss costs.
func (s *CIDRSet) Contains(a netip.Addr) bool {
	if s == nil || !a.IsValid() {
		return false
	}
	hi, lo := addrWords(&a)
	if hi == 0 && lo>>32 == 0xffff { // IPv4, native or mapped
		x := uint32(lo)
		if o := x >> 24; s.v4.first[o>>6]&(1<<(o&63)) == 0 {
			return false
		}
		return s.v4.lookup(x)
	}
	v6 := &s.v6
	// common==0 shifts by 64, which Go defines as 0: no shared prefix to miss.
	if v6.index == nil || (hi^v6.prefix)>>(64-v6.common) != 0 {
		return false
	}
	return v6.lookup(hi, lo)
}

// Len returns the number of prefixes that define s: duplicates and prefixes
// covered by another are not counted ({10.0.0.0/8, 10.1.0.0/16} has length 1).
func (s *CIDRSet) Len() int {
	if s == nil {
		return 0
	}
	return s.len
}
