package peers

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go4.org/netipx"
)

// Cache-cold CIDR membership: a table the size of a full routing table and
// 65,536 random probes, so that consecutive lookups share no cache lines and
// each one pays for the memory its structure touches. BenchmarkCIDR, by
// contrast, cycles over 256 probes and measures the structures warm.
//
// Hits are random addresses inside random prefixes of the table (as in
// BenchmarkCIDR). Misses are uniformly random addresses of the family's
// space (IPv4: all of it; IPv6: 2000::/3, where the table is) that no prefix
// covers, so a miss walks as deep as the table's structure makes it, rather
// than stopping in one hot empty branch as BenchmarkCIDR's 10.0.0.0/8 misses do.

const (
	coldProbes = 1 << 16 // per case; a power of two so the loop masks
	coldN4     = 1_000_000
	coldN6     = 1_000_000
)

// coldFamily is one family's table and probe pools, built once per process.
type coldFamily struct {
	ps        []netip.Prefix
	hit, miss []netip.Addr
}

var coldFamilies = map[string]func() *coldFamily{
	"v4": sync.OnceValue(func() *coldFamily { return newColdFamily(false, coldN4) }),
	"v6": sync.OnceValue(func() *coldFamily { return newColdFamily(true, coldN6) }),
}

func newColdFamily(v6 bool, n int) *coldFamily {
	r := rand.New(rand.NewPCG(uint64(n), 0xc01d))
	f := &coldFamily{}
	if v6 {
		f.ps = genPrefixes6(r, n)
	} else {
		f.ps = genPrefixes4(r, n)
	}
	var sb netipx.IPSetBuilder
	for _, p := range f.ps {
		sb.AddPrefix(p)
	}
	set, err := sb.IPSet()
	if err != nil {
		panic(err)
	}
	space := netip.MustParsePrefix("0.0.0.0/0")
	if v6 {
		space = netip.MustParsePrefix("2000::/3")
	}
	for len(f.hit) < coldProbes {
		f.hit = append(f.hit, randomIn(r, f.ps[r.IntN(len(f.ps))]))
	}
	for len(f.miss) < coldProbes {
		if a := randomIn(r, space); !set.Contains(a) {
			f.miss = append(f.miss, a)
		}
	}
	return f
}

// coldTable is one implementation built over one family's table, with the
// heap it took to build (live bytes after a GC, before minus after).
type coldTable struct {
	contains func(netip.Addr) bool
	bytes    float64
}

var (
	coldTablesMu sync.Mutex
	coldTables   = map[string]*coldTable{}
)

// coldTableFor builds each (family, implementation) once per process: the
// 1,000,000-prefix builds take seconds, and -count repeats every sub-benchmark.
func coldTableFor(fam string, impl cidrImpl) *coldTable {
	coldTablesMu.Lock()
	defer coldTablesMu.Unlock()
	key := fam + "/" + impl.name
	if t, ok := coldTables[key]; ok {
		return t
	}
	f := coldFamilies[fam]()
	before := liveHeap()
	contains := impl.build(f.ps)
	t := &coldTable{contains: contains, bytes: float64(liveHeap() - before)}
	runtime.KeepAlive(contains)
	coldTables[key] = t
	return t
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// coldImpls are the implementations of BenchmarkCIDR measured cold. Two
// are left out (both are measured warm in BenchmarkCIDR): tailscale's ART,
// whose stride tables are 512 fixed entries each and at this size take
// several GB; and cidranger, whose 1,000,000-prefix trie is about 500 MB of
// pointers per family: it allocates on every lookup, so its cold figure
// (5–40 µs in a trial run) is mostly the collector scanning that trie, and
// every other benchmark in the process pays for the scan too.
func coldImpls() []cidrImpl {
	var out []cidrImpl
	for _, impl := range cidrImpls {
		if impl.name != "art" && impl.name != "cidranger" {
			out = append(out, impl)
		}
	}
	return out
}

// BenchmarkCIDRCold is one membership lookup in a 1,000,000-prefix table,
// probes cycling over 65,536 random addresses; B/table is the table's heap.
//
//	cd bench/peers && go test -run '^$' -bench CIDRCold -benchmem -count=5 | tee cidrcold.txt
func BenchmarkCIDRCold(b *testing.B) {
	for _, fam := range []string{"v4", "v6"} {
		for _, cs := range []string{"hit", "miss"} {
			for _, impl := range coldImpls() {
				name := fmt.Sprintf("fam=%s/n=%d/case=%s/impl=%s", fam, map[string]int{"v4": coldN4, "v6": coldN6}[fam], cs, impl.name)
				b.Run(name, func(b *testing.B) {
					f := coldFamilies[fam]()
					probes := f.hit
					if cs == "miss" {
						probes = f.miss
					}
					t := coldTableFor(fam, impl)
					want := cs == "hit"
					b.ReportAllocs()
					b.ResetTimer()
					wrong := 0
					for i := 0; b.Loop(); i++ {
						if t.contains(probes[i&(coldProbes-1)]) != want {
							wrong++
						}
					}
					if wrong != 0 {
						b.Fatalf("%d wrong answers", wrong)
					}
					b.ReportMetric(t.bytes, "B/table")
				})
			}
		}
	}
}

// TestCIDRColdProbes checks the cold benchmark's inputs: the pools have
// the stated answers (by the reference scan, on a sample), and every
// implementation agrees with them on all of them.
func TestCIDRColdProbes(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds 1,000,000-prefix tables: run without -short and -race")
	}
	for _, fam := range []string{"v4", "v6"} {
		f := coldFamilies[fam]()
		require.Len(t, f.hit, coldProbes)
		require.Len(t, f.miss, coldProbes)
		for i := 0; i < coldProbes; i += coldProbes / 16 {
			require.True(t, linearContains(f.ps, f.hit[i]), "%s hit %s", fam, f.hit[i])
			require.False(t, linearContains(f.ps, f.miss[i]), "%s miss %s", fam, f.miss[i])
		}
		for _, impl := range coldImpls() {
			contains := coldTableFor(fam, impl).contains
			for i := range coldProbes {
				require.True(t, contains(f.hit[i]), "%s impl=%s hit %s", fam, impl.name, f.hit[i])
				require.False(t, contains(f.miss[i]), "%s impl=%s miss %s", fam, impl.name, f.miss[i])
			}
		}
	}
}
