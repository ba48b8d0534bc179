package peers

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/criteria"
)

// Set membership side by side with a Go map (matching.md §5): probe pools
// of 256, half members, half not.

func portPools(n int) (members, probes []uint16) {
	r := rand.New(rand.NewPCG(uint64(n), 11))
	seen := map[uint16]bool{}
	for len(members) < n {
		p := uint16(r.IntN(1 << 16))
		if !seen[p] {
			seen[p] = true
			members = append(members, p)
		}
	}
	for i := range 256 {
		p := members[r.IntN(n)]
		for i%2 == 1 && seen[p] {
			p = uint16(r.IntN(1 << 16))
		}
		probes = append(probes, p)
	}
	return members, probes
}

func stringPools(n int) (members, probes []string) {
	r := rand.New(rand.NewPCG(uint64(n), 12))
	for i := range n {
		members = append(members, fmt.Sprintf("device-%06d", 2*i)) // odd numbers are never members
	}
	for i := range 256 {
		k := 2 * r.IntN(n)
		probes = append(probes, fmt.Sprintf("device-%06d", k+i%2))
	}
	return members, probes
}

func numberPools(n int) (members, probes []float64) {
	r := rand.New(rand.NewPCG(uint64(n), 13))
	for i := range n {
		members = append(members, float64(3*i)+0.5)
	}
	for i := range 256 {
		probes = append(probes, float64(3*r.IntN(n))+0.5+float64(i%2))
	}
	return members, probes
}

func TestSetsAgree(t *testing.T) {
	for _, n := range []int{10, 1000} {
		ports, pp := portPools(n)
		ps := criteria.NewPortSet(ports)
		pm := map[uint16]struct{}{}
		for _, p := range ports {
			pm[p] = struct{}{}
		}
		for _, p := range pp {
			_, want := pm[p]
			require.Equal(t, want, ps.Contains(p))
		}
		nums, np := numberPools(n)
		ns := criteria.NewNumberSet(nums)
		nm := map[float64]struct{}{}
		for _, x := range nums {
			nm[x] = struct{}{}
		}
		for _, x := range np {
			_, want := nm[x]
			require.Equal(t, want, ns.Contains(x))
		}
	}
	for _, n := range []int{10, 100, 10000} {
		strs, sp := stringPools(n)
		ss := criteria.NewStringSet(strs)
		sm := map[string]struct{}{}
		for _, s := range strs {
			sm[s] = struct{}{}
		}
		hits := 0
		for _, s := range sp {
			_, want := sm[s]
			require.Equal(t, want, ss.Contains(s))
			if want {
				hits++
			}
		}
		require.Equal(t, 128, hits)
	}
}

func BenchmarkPortSet(b *testing.B) {
	for _, n := range []int{10, 1000} {
		members, probes := portPools(n)
		b.Run(fmt.Sprintf("n=%d/impl=ruledetect", n), func(b *testing.B) {
			s := criteria.NewPortSet(members)
			b.ReportAllocs()
			found := 0
			for i := 0; b.Loop(); i++ {
				if s.Contains(probes[i&255]) {
					found++
				}
			}
			setSink = found
		})
		b.Run(fmt.Sprintf("n=%d/impl=gomap", n), func(b *testing.B) {
			m := make(map[uint16]struct{}, n)
			for _, p := range members {
				m[p] = struct{}{}
			}
			b.ReportAllocs()
			found := 0
			for i := 0; b.Loop(); i++ {
				if _, ok := m[probes[i&255]]; ok {
					found++
				}
			}
			setSink = found
		})
	}
}

func BenchmarkStringSet(b *testing.B) {
	for _, n := range []int{10, 100, 10000} {
		members, probes := stringPools(n)
		b.Run(fmt.Sprintf("n=%d/impl=ruledetect", n), func(b *testing.B) {
			s := criteria.NewStringSet(members)
			b.ReportAllocs()
			found := 0
			for i := 0; b.Loop(); i++ {
				if s.Contains(probes[i&255]) {
					found++
				}
			}
			setSink = found
		})
		b.Run(fmt.Sprintf("n=%d/impl=gomap", n), func(b *testing.B) {
			m := make(map[string]struct{}, n)
			for _, s := range members {
				m[s] = struct{}{}
			}
			b.ReportAllocs()
			found := 0
			for i := 0; b.Loop(); i++ {
				if _, ok := m[probes[i&255]]; ok {
					found++
				}
			}
			setSink = found
		})
	}
}

func BenchmarkNumberSet(b *testing.B) {
	for _, n := range []int{10, 1000} {
		members, probes := numberPools(n)
		b.Run(fmt.Sprintf("n=%d/impl=ruledetect", n), func(b *testing.B) {
			s := criteria.NewNumberSet(members)
			b.ReportAllocs()
			found := 0
			for i := 0; b.Loop(); i++ {
				if s.Contains(probes[i&255]) {
					found++
				}
			}
			setSink = found
		})
		b.Run(fmt.Sprintf("n=%d/impl=gomap", n), func(b *testing.B) {
			m := make(map[float64]struct{}, n)
			for _, x := range members {
				m[x] = struct{}{}
			}
			b.ReportAllocs()
			found := 0
			for i := 0; b.Loop(); i++ {
				if _, ok := m[probes[i&255]]; ok {
					found++
				}
			}
			setSink = found
		})
	}
}

var setSink int
