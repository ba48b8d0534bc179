package sketch

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// statistics are the 11 percentiles of a statistical threshold, as parts
// per 10,000 (so the oracle can compute ranks in integers) and as fractions.
var (
	statPer10k = []uint64{0, 1, 10, 100, 1000, 5000, 9000, 9900, 9990, 9999, 10000}
	statNames  = []string{"p0", "p0.01", "p0.1", "p1", "p10", "p50", "p90", "p99", "p99.9", "p99.99", "p100"}
	statQ      = []float64{0, 0.0001, 0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1}
)

// errBound is the guaranteed relative error of a bucket estimate, with room
// for the rounding of one multiplication and one division.
const errBound = 1.0/129 + 1e-12

// dist generates the distributions of quantile-sketches.md §2 from a seeded
// PCG: uniform integers 0..10^6, exp(2·N(0,1)), Pareto x_m = 1, α = 1.16.
type dist struct {
	name string
	gen  func(r *rand.Rand) float64
}

var dists = []dist{
	{"uniform", func(r *rand.Rand) float64 { return float64(r.IntN(1_000_001)) }},
	{"lognormal", func(r *rand.Rand) float64 { return math.Exp(2 * r.NormFloat64()) }},
	{"pareto", func(r *rand.Rand) float64 { return math.Pow(1-r.Float64(), -1/1.16) }},
}

func values(d dist, n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	v := make([]float64, n)
	for i := range v {
		v[i] = d.gen(r)
	}
	return v
}

// size returns the number of values for the accuracy tests: 10^6 as the
// brief asks, 10^5 under -short.
func size(t testing.TB) int {
	if testing.Short() {
		return 100_000
	}
	return 1_000_000
}

// exactQuantile is the oracle: the nearest-rank per10k/10^4-quantile of
// sorted values, ranks computed in integers.
func exactQuantile(sorted []float64, per10k uint64) float64 {
	n := uint64(len(sorted))
	r := max((per10k*n+9999)/10000, 1)
	return sorted[r-1]
}

func sortedCopy(v []float64) []float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s
}

// relErr is |got−want|/|want|, or |got| when want is 0.
func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

func sketchOf(v []float64) *Sketch {
	s := New()
	for _, x := range v {
		s.Add(x)
	}
	return s
}
