package peers

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"

	"github.com/gaissmai/bart"
	"github.com/stretchr/testify/require"
	"github.com/yl2chen/cidranger"
	"go4.org/netipx"
	"tailscale.com/net/art"

	"github.com/ruledetect/ruledetect/criteria"
)

// The CIDR prefix sets of matching.md §4.2. IPv4: 0.1% /8–/15, 10% /16–/23,
// 55% /24, 35% /25–/32, none touching 10.0.0.0/8, where the misses are.
// IPv6: inside 2000::/3, 20% /32–/47, 50% /48, 20% /56–/64, 10% /128; the
// misses are in fd00::/8.

func genPrefixes4(r *rand.Rand, n int) []netip.Prefix {
	ps := make([]netip.Prefix, n)
	for i := range ps {
		var bits int
		switch x := r.IntN(1000); {
		case x < 1:
			bits = 8 + r.IntN(8)
		case x < 101:
			bits = 16 + r.IntN(8)
		case x < 651:
			bits = 24
		default:
			bits = 25 + r.IntN(8)
		}
		var a [4]byte
		for {
			a = [4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}
			if a[0] != 10 {
				break
			}
		}
		ps[i] = netip.PrefixFrom(netip.AddrFrom4(a), bits).Masked()
	}
	return ps
}

func genPrefixes6(r *rand.Rand, n int) []netip.Prefix {
	ps := make([]netip.Prefix, n)
	for i := range ps {
		var bits int
		switch x := r.IntN(10); {
		case x < 2:
			bits = 32 + r.IntN(16)
		case x < 7:
			bits = 48
		case x < 9:
			bits = 56 + r.IntN(9)
		default:
			bits = 128
		}
		var a [16]byte
		for j := range a {
			a[j] = byte(r.Uint32())
		}
		a[0] = 0x20 | a[0]&0x1f // 2000::/3
		ps[i] = netip.PrefixFrom(netip.AddrFrom16(a), bits).Masked()
	}
	return ps
}

// randomIn returns a random address of p.
func randomIn(r *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		keep := min(max(p.Bits()-8*i, 0), 8) // leading bits of byte i fixed by p
		mask := byte(0xff) >> keep
		b[i] = b[i]&^mask | byte(r.Uint32())&mask
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// probePools returns 256 addresses inside the set and 256 outside it.
func probePools(r *rand.Rand, ps []netip.Prefix, v6 bool) (hit, miss []netip.Addr) {
	missNet := netip.MustParsePrefix("10.0.0.0/8")
	if v6 {
		missNet = netip.MustParsePrefix("fd00::/8")
	}
	for range 256 {
		hit = append(hit, randomIn(r, ps[r.IntN(len(ps))]))
		miss = append(miss, randomIn(r, missNet))
	}
	return hit, miss
}

// cidrImpl is one implementation under test, built from the prefixes.
type cidrImpl struct {
	name  string
	build func(ps []netip.Prefix) func(netip.Addr) bool
}

var cidrImpls = []cidrImpl{
	{"ruledetect", func(ps []netip.Prefix) func(netip.Addr) bool {
		return criteria.NewCIDRSet(ps).Contains
	}},
	{"bart", func(ps []netip.Prefix) func(netip.Addr) bool {
		t := new(bart.Fast[struct{}])
		for _, p := range ps {
			t.Insert(p, struct{}{})
		}
		return t.Contains
	}},
	{"bart-lite", func(ps []netip.Prefix) func(netip.Addr) bool {
		// bart's payload-free table, its choice for plain ACL membership.
		t := new(bart.Lite)
		for _, p := range ps {
			t.Insert(p)
		}
		return t.Contains
	}},
	{"art", func(ps []netip.Prefix) func(netip.Addr) bool {
		// tailscale's ART (Allotment Routing Table), the design bart
		// compresses; it has no membership call, so Get's ok is the answer.
		t := new(art.Table[struct{}])
		for _, p := range ps {
			t.Insert(p, struct{}{})
		}
		return func(a netip.Addr) bool {
			_, ok := t.Get(a)
			return ok
		}
	}},
	{"cidranger", func(ps []netip.Prefix) func(netip.Addr) bool {
		t := cidranger.NewPCTrieRanger()
		for _, p := range ps {
			if err := t.Insert(cidranger.NewBasicRangerEntry(*netipx.PrefixIPNet(p))); err != nil {
				panic(err)
			}
		}
		return func(a netip.Addr) bool {
			ok, _ := t.Contains(net.IP(a.AsSlice()))
			return ok
		}
	}},
	{"netipx", func(ps []netip.Prefix) func(netip.Addr) bool {
		var sb netipx.IPSetBuilder
		for _, p := range ps {
			sb.AddPrefix(p)
		}
		s, err := sb.IPSet()
		if err != nil {
			panic(err)
		}
		return s.Contains
	}},
}

func linearContains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func TestCIDRImplsAgree(t *testing.T) {
	for _, fam := range []string{"v4", "v6"} {
		for _, n := range []int{1, 10, 1000, 20000} {
			r := rand.New(rand.NewPCG(uint64(n), 42))
			ps := genPrefixes4(r, n)
			if fam == "v6" {
				ps = genPrefixes6(r, n)
			}
			hit, miss := probePools(r, ps, fam == "v6")
			probes := append(append([]netip.Addr{}, hit...), miss...)
			for range 512 {
				near := ps[r.IntN(len(ps))] // an address near a prefix, inside or not
				probes = append(probes, randomIn(r, netip.PrefixFrom(near.Addr(), r.IntN(near.Bits()+1)).Masked()))
			}
			for _, impl := range cidrImpls {
				contains := impl.build(ps)
				for _, a := range probes {
					require.Equal(t, linearContains(ps, a), contains(a), "%s n=%d impl=%s addr=%s", fam, n, impl.name, a)
				}
			}
		}
	}
}

func BenchmarkCIDR(b *testing.B) {
	for _, fam := range []string{"v4", "v6"} {
		for _, n := range []int{10, 1000, 100000} {
			r := rand.New(rand.NewPCG(uint64(n), 7))
			ps := genPrefixes4(r, n)
			if fam == "v6" {
				ps = genPrefixes6(r, n)
			}
			hit, miss := probePools(r, ps, fam == "v6")
			for _, cs := range []struct {
				name   string
				probes []netip.Addr
			}{{"hit", hit}, {"miss", miss}} {
				for _, impl := range cidrImpls {
					name := fmt.Sprintf("fam=%s/n=%d/case=%s/impl=%s", fam, n, cs.name, impl.name)
					b.Run(name, func(b *testing.B) { benchCIDR(b, impl, ps, cs.probes) })
				}
			}
		}
	}
}

// benchCIDR measures the impl's lookup through one function value, the
// same call overhead for every implementation. cidranger's net.IP probes
// are converted outside the timed loop, so only its lookup is measured.
func benchCIDR(b *testing.B, impl cidrImpl, ps []netip.Prefix, probes []netip.Addr) {
	if impl.name == "cidranger" {
		benchCIDRanger(b, ps, probes)
		return
	}
	contains := impl.build(ps)
	b.ReportAllocs()
	b.ResetTimer()
	found := 0
	for i := 0; b.Loop(); i++ {
		if contains(probes[i&255]) {
			found++
		}
	}
	cidrSink = found
}

func benchCIDRanger(b *testing.B, ps []netip.Prefix, probes []netip.Addr) {
	t := cidranger.NewPCTrieRanger()
	for _, p := range ps {
		if err := t.Insert(cidranger.NewBasicRangerEntry(*netipx.PrefixIPNet(p))); err != nil {
			b.Fatal(err)
		}
	}
	ips := make([]net.IP, len(probes))
	for i, a := range probes {
		ips[i] = net.IP(a.AsSlice())
	}
	b.ReportAllocs()
	b.ResetTimer()
	found := 0
	for i := 0; b.Loop(); i++ {
		if ok, _ := t.Contains(ips[i&255]); ok {
			found++
		}
	}
	cidrSink = found
}

var cidrSink int
