package sketch

import (
	"fmt"
	"testing"
)

// The benchmarks run on 10^6 values of each distribution; the peer
// comparisons live in bench/peers/sketch_test.go.

func BenchmarkAdd(b *testing.B) {
	for _, d := range dists {
		v := values(d, 1<<20, 1)
		b.Run("dist="+d.name, func(b *testing.B) {
			s := New()
			for _, x := range v {
				s.Add(x)
			}
			s.Reset()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				s.Add(v[i&(1<<20-1)])
			}
		})
	}
}

func BenchmarkQuantiles(b *testing.B) {
	for _, d := range dists {
		s := sketchOf(values(d, 1_000_000, 1))
		dst := make([]float64, 0, len(statQ))
		b.Run("dist="+d.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				dst = s.Quantiles(dst[:0], statQ)
			}
		})
	}
}

func BenchmarkMerge(b *testing.B) {
	for _, d := range dists {
		v := values(d, 200_000, 1)
		acc, part := sketchOf(v[:100_000]), sketchOf(v[100_000:])
		b.Run("dist="+d.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if err := acc.Merge(part); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPopulation measures the cost of a window's population on both
// sides of the exact limit: n Adds and one Quantile (the engine's pattern).
func BenchmarkPopulation(b *testing.B) {
	v := values(dists[1], 100_000, 1)
	for _, n := range []int{1_000, 10_000, 100_000} {
		for _, mode := range []string{"exact", "sketch"} {
			limit := n
			if mode == "sketch" {
				limit = 0
			}
			p := NewPopulation(limit)
			b.Run(fmt.Sprintf("n=%d/mode=%s", n, mode), func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					p.Reset()
					for _, x := range v[:n] {
						p.Add(x)
					}
					_ = p.Quantile(0.99)
				}
			})
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	p := NewPopulation(10_000)
	for _, x := range values(dists[1], 10_000, 1) {
		p.Add(x)
	}
	exact, _ := p.MarshalBinary()
	sk, _ := sketchOf(values(dists[1], 100_000, 1)).MarshalBinary()
	for _, c := range []struct {
		name string
		data []byte
		into interface{ UnmarshalBinary([]byte) error }
	}{{"sketch", sk, new(Sketch)}, {"population=exact", exact, new(Population)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if err := c.into.UnmarshalBinary(c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
