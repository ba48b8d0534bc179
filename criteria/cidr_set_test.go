package criteria

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func prefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

func addrs(ss ...string) []netip.Addr {
	as := make([]netip.Addr, len(ss))
	for i, s := range ss {
		as[i] = netip.MustParseAddr(s)
	}
	return as
}

// many returns n disjoint /24s in 100.64.0.0/10 plus extra, to exercise the
// indexed representation.
func many(n int, extra ...string) []netip.Prefix {
	ps := prefixes(extra...)
	for i := range n {
		ps = append(ps, netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64 + byte(i>>8), byte(i), 0}), 24))
	}
	return ps
}

func TestCIDRSet(t *testing.T) {
	tests := []struct {
		name string
		ps   []netip.Prefix
		in   []netip.Addr
		out  []netip.Addr
		len  int
	}{
		{"empty", nil, nil, addrs("0.0.0.0", "::", "10.0.0.1"), 0},
		{"devguide deny-list", prefixes("12.8.0.0/16", "15.102.16.0/24"),
			addrs("12.8.0.0", "12.8.255.255", "15.102.16.9", "::ffff:12.8.1.1"),
			addrs("12.9.0.0", "12.7.255.255", "15.102.17.0", "15.102.15.255"), 2},
		{"host prefixes", prefixes("203.0.113.9/32", "2001:db8::1/128"),
			addrs("203.0.113.9", "2001:db8::1", "::ffff:203.0.113.9"),
			addrs("203.0.113.8", "203.0.113.10", "2001:db8::", "2001:db8::2"), 2},
		{"v4 /0", prefixes("0.0.0.0/0"), addrs("0.0.0.0", "255.255.255.255", "::ffff:1.2.3.4"), addrs("::", "2001:db8::1"), 1},
		{"v6 /0 leaves IPv4 out", prefixes("::/0"), addrs("::", "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1.2.3.4"), addrs("1.2.3.4", "::ffff:1.2.3.4"), 1},
		{"mapped set prefix is IPv4", prefixes("::ffff:10.0.0.0/104"), addrs("10.1.2.3", "::ffff:10.1.2.3"), addrs("11.0.0.0", "::a01:203"), 1},
		{"short mapped prefix stays IPv6", prefixes("::ffff:0:0/95"), addrs("::fffe:1:2"), addrs("1.2.3.4", "::ffff:1.2.3.4"), 1},
		{"host bits masked", []netip.Prefix{netip.PrefixFrom(netip.MustParseAddr("192.168.100.14"), 24)},
			addrs("192.168.100.0", "192.168.100.255"), addrs("192.168.101.0", "192.168.99.255"), 1},
		{"nested and duplicate", prefixes("10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/8", "10.1.2.3/32"),
			addrs("10.0.0.0", "10.255.255.255", "10.1.2.3"), addrs("11.0.0.0", "9.255.255.255"), 1},
		{"adjacent merged", prefixes("10.0.0.0/9", "10.128.0.0/9", "2001:db8::/33", "2001:db8:8000::/33"),
			addrs("10.127.255.255", "10.128.0.0", "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff", "2001:db8:8000::"),
			addrs("11.0.0.0", "2001:db9::", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"), 4},
		{"v4 and v6 mixed", prefixes("192.0.2.0/24", "2001:db8::/32"),
			addrs("192.0.2.1", "2001:db8:1::1"), addrs("2001:db9::", "192.0.3.1", "::c000:201"), 2},
		{"top and bottom of the space", prefixes("255.255.255.255/32", "0.0.0.0/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "::/128"),
			addrs("255.255.255.255", "0.0.0.0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::"),
			addrs("255.255.255.254", "0.0.0.1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "::1"), 4},
		{"zones ignored", prefixes("fe80::/10"), []netip.Addr{netip.MustParseAddr("fe80::1%eth0")}, addrs("fec0::1"), 1},
		{"invalid addr and prefix", []netip.Prefix{{}, netip.MustParsePrefix("10.0.0.0/8")}, nil, []netip.Addr{{}}, 1},
		{"indexed v4", many(300, "0.0.0.0/32", "255.255.255.0/24", "8.0.0.0/7"),
			addrs("100.64.0.1", "100.65.43.255", "0.0.0.0", "255.255.255.255", "9.255.255.255", "::ffff:100.64.7.7"),
			addrs("100.65.44.0", "100.63.255.255", "0.0.0.1", "255.255.254.255", "10.0.0.0", "7.255.255.255"), 303},
		{"indexed v4, /0", many(100, "0.0.0.0/0"), addrs("1.2.3.4", "100.64.0.1"), addrs("::"), 1},
		{"indexed v4, all adjacent", many(1024), addrs("100.64.0.0", "100.67.255.255"), addrs("100.68.0.0", "100.63.255.255"), 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewCIDRSet(tt.ps)
			for _, a := range tt.in {
				assert.True(t, s.Contains(a), "%s", a)
			}
			for _, a := range tt.out {
				assert.False(t, s.Contains(a), "%s", a)
			}
			assert.Equal(t, tt.len, s.Len())
		})
	}
	var nilSet *CIDRSet
	assert.False(t, nilSet.Contains(netip.MustParseAddr("1.2.3.4")))
	assert.Zero(t, nilSet.Len())
	var zero CIDRSet
	assert.False(t, zero.Contains(netip.MustParseAddr("1.2.3.4")))
	assert.False(t, zero.Contains(netip.MustParseAddr("::1")))
}

func TestNewCIDRSetKeepsInput(t *testing.T) {
	ps := prefixes("10.1.0.0/16", "10.0.0.0/8")
	NewCIDRSet(ps)
	assert.Equal(t, prefixes("10.1.0.0/16", "10.0.0.0/8"), ps, "the caller's slice is not reordered")
}

func TestAddrWords(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "1.2.3.4", "255.255.255.255", "::", "::1", "::ffff:1.2.3.4",
		"2001:db8::1", "fe80::1%eth0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::8000"} {
		a := netip.MustParseAddr(s)
		b := a.As16()
		var hi, lo uint64
		for i := range 8 {
			hi, lo = hi<<8|uint64(b[i]), lo<<8|uint64(b[8+i])
		}
		gh, gl := addrWords(&a)
		assert.Equal(t, hi, gh, s)
		assert.Equal(t, lo, gl, s)
	}
}

// refContains is the reference: a linear scan with netip's own Contains,
// after the normalisation DESIGN rule 2 prescribes.
func refContains(ps []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range ps {
		if !p.IsValid() {
			continue
		}
		p = p.Masked()
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// randomPrefixes draws n prefixes around a few base addresses, so that sets
// nest, overlap, touch and straddle bucket boundaries; v6 picks the family.
func randomPrefixes(r *rand.Rand, n int, v6 bool) []netip.Prefix {
	bases := make([]netip.Addr, 1+r.IntN(4))
	for i := range bases {
		bases[i] = randomAddr(r, v6)
	}
	spread := 8 << r.IntN(3) // how many low bits vary: 8 packs many ranges into one bucket
	ps := make([]netip.Prefix, n)
	for i := range ps {
		a := bases[r.IntN(len(bases))]
		bits := a.BitLen()
		// Flip a few low bits of the base, then take a prefix length biased
		// to the long end, where the interesting boundaries are.
		b := a.AsSlice()
		flips := r.IntN(4)
		if r.IntN(2) == 0 {
			flips = 2 * spread // scatter: many disjoint ranges in one bucket
		}
		for range flips {
			k := bits - 1 - r.IntN(min(bits, spread))
			b[k/8] ^= 0x80 >> (k % 8)
		}
		a, _ = netip.AddrFromSlice(b)
		ps[i] = netip.PrefixFrom(a, bits-r.IntN(min(bits, 1+r.IntN(spread+8))))
		if r.IntN(50) == 0 {
			ps[i] = netip.PrefixFrom(a, r.IntN(bits+1))
		}
		if !v6 && r.IntN(10) == 0 { // the same IPv4 prefix written mapped
			ps[i] = netip.PrefixFrom(netip.AddrFrom16(a.As16()), ps[i].Bits()+96)
		}
	}
	return ps
}

func randomAddr(r *rand.Rand, v6 bool) netip.Addr {
	if !v6 {
		return netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
	}
	var b [16]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return netip.AddrFrom16(b)
}

// probeNear returns an address at or next to an edge of p, or a random one.
func probeNear(r *rand.Rand, ps []netip.Prefix, v6 bool) netip.Addr {
	if r.IntN(8) == 0 {
		return randomAddr(r, v6 || r.IntN(10) == 0)
	}
	p := ps[r.IntN(len(ps))].Masked()
	a := p.Addr()
	if r.IntN(2) == 0 { // the last address of p
		b := a.AsSlice()
		for k := p.Bits(); k < a.BitLen(); k++ {
			b[k/8] |= 0x80 >> (k % 8)
		}
		a, _ = netip.AddrFromSlice(b)
	}
	switch r.IntN(4) {
	case 0:
		a = a.Next()
	case 1:
		a = a.Prev()
	}
	if a.Is4() && r.IntN(4) == 0 {
		a = netip.AddrFrom16(a.As16())
	}
	return a
}

// TestCIDRSetDifferential compares with the linear scan on 10^5 probes of
// random sets of 1..2000 prefixes per family (sizes log-uniform, so both
// representations and all bucket shapes are hit).
func TestCIDRSetDifferential(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		r := rand.New(rand.NewPCG(9, map[bool]uint64{false: 4, true: 6}[v6]))
		for range 100 {
			n := int(1 + r.ExpFloat64()*200)
			n = min(n, 2000)
			ps := randomPrefixes(r, n, v6)
			if r.IntN(5) == 0 {
				ps = append(ps, randomPrefixes(r, 1+r.IntN(20), !v6)...)
			}
			s := NewCIDRSet(ps)
			for range 1000 {
				a := probeNear(r, ps, v6)
				require.Equal(t, refContains(ps, a), s.Contains(a), "%s in %d prefixes %v", a, len(ps), ps)
			}
		}
	}
}
