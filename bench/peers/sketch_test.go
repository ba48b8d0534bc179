package peers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	tdigest "github.com/caio/go-tdigest/v4"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/internal/sketch"
)

// Side-by-side quantile sketches on the data of quantile-sketches.md §2:
// 10^6 values per distribution from a seeded PCG.
//
//   - ruledetect: internal/sketch (6 mantissa bits, ≤ 0.78 %, exact tails)
//   - ddsketch: DataDog/sketches-go at 1 % with the cubically interpolated
//     mapping and unbounded dense stores, its fastest insert path (the
//     reference note measured its logarithmic mapping 1.6–2× slower)
//   - hdrhistogram: HdrHistogram-go, 3 significant digits, range 1..10^15,
//     values recorded as int64(v·scale+0.5) with scale 1 (uniform), 10^7
//     (lognormal), 10^4 (Pareto), as in the reference note
//   - tdigest: caio/go-tdigest/v4, compression 100 (its default)
//   - otel-expohisto, otel-expohisto-2048: the OpenTelemetry exponential
//     histogram at 160 buckets (its default) and 2,048 (sketch_expohisto_test.go)

const sketchValues = 1_000_000

var sketchStats = []float64{0, 0.0001, 0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1}

type sketchDist struct {
	name  string
	scale float64 // HdrHistogram's value scale
	gen   func(r *rand.Rand) float64
}

var sketchDists = []sketchDist{
	{"uniform", 1, func(r *rand.Rand) float64 { return float64(r.IntN(1_000_001)) }},
	{"lognormal", 1e7, func(r *rand.Rand) float64 { return math.Exp(2 * r.NormFloat64()) }},
	{"pareto", 1e4, func(r *rand.Rand) float64 { return math.Pow(1-r.Float64(), -1/1.16) }},
}

func (d sketchDist) values(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	v := make([]float64, n)
	for i := range v {
		v[i] = d.gen(r)
	}
	return v
}

// quantileSketch is what the benchmarks drive. The hot loops call the
// concrete types directly; this interface only builds and queries.
type quantileSketch interface {
	add(v float64)
	quantiles(dst, qs []float64) []float64
	merge(o quantileSketch)
	encodedSize() int
}

type sketchImpl struct {
	name string
	new  func(d sketchDist) quantileSketch
}

var sketchImpls = []sketchImpl{
	{"ruledetect", func(sketchDist) quantileSketch { return &rdSketch{sketch.New()} }},
	{"ddsketch", func(sketchDist) quantileSketch { return newDD() }},
	{"hdrhistogram", func(d sketchDist) quantileSketch {
		return &hdrSketch{hdrhistogram.New(1, 1e15, 3), d.scale}
	}},
	{"tdigest", func(sketchDist) quantileSketch {
		t, err := tdigest.New(tdigest.Compression(100))
		if err != nil {
			panic(err)
		}
		return &tdSketch{t}
	}},
	{"otel-expohisto", func(sketchDist) quantileSketch { return newExpo(160) }},
	{"otel-expohisto-2048", func(sketchDist) quantileSketch { return newExpo(2048) }},
}

type rdSketch struct{ s *sketch.Sketch }

func (s *rdSketch) add(v float64) { s.s.Add(v) }
func (s *rdSketch) quantiles(dst, qs []float64) []float64 {
	return s.s.Quantiles(dst, qs)
}
func (s *rdSketch) merge(o quantileSketch) {
	if err := s.s.Merge(o.(*rdSketch).s); err != nil {
		panic(err)
	}
}
func (s *rdSketch) encodedSize() int {
	b, _ := s.s.MarshalBinary()
	return len(b)
}

type ddSketch struct{ s *ddsketch.DDSketch }

func newDD() *ddSketch {
	m, err := mapping.NewCubicallyInterpolatedMapping(0.01)
	if err != nil {
		panic(err)
	}
	return &ddSketch{ddsketch.NewDDSketch(m, store.NewDenseStore(), store.NewDenseStore())}
}

func (s *ddSketch) add(v float64) { _ = s.s.Add(v) }
func (s *ddSketch) quantiles(dst, qs []float64) []float64 {
	for _, q := range qs {
		v, _ := s.s.GetValueAtQuantile(q)
		dst = append(dst, v)
	}
	return dst
}
func (s *ddSketch) merge(o quantileSketch) { _ = s.s.MergeWith(o.(*ddSketch).s) }
func (s *ddSketch) encodedSize() int {
	var b []byte
	s.s.Encode(&b, false)
	return len(b)
}

type hdrSketch struct {
	h     *hdrhistogram.Histogram
	scale float64
}

func (s *hdrSketch) add(v float64) { _ = s.h.RecordValue(int64(v*s.scale + 0.5)) }
func (s *hdrSketch) quantiles(dst, qs []float64) []float64 {
	for _, q := range qs {
		dst = append(dst, float64(s.h.ValueAtQuantile(q*100))/s.scale)
	}
	return dst
}
func (s *hdrSketch) merge(o quantileSketch) { s.h.Merge(o.(*hdrSketch).h) }
func (s *hdrSketch) encodedSize() int {
	b, err := s.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		panic(err)
	}
	return len(b)
}

type tdSketch struct{ t *tdigest.TDigest }

func (s *tdSketch) add(v float64) { _ = s.t.Add(v) }
func (s *tdSketch) quantiles(dst, qs []float64) []float64 {
	for _, q := range qs {
		dst = append(dst, s.t.Quantile(q))
	}
	return dst
}
func (s *tdSketch) merge(o quantileSketch) { _ = s.t.Merge(o.(*tdSketch).t) }
func (s *tdSketch) encodedSize() int {
	b, err := s.t.AsBytes()
	if err != nil {
		panic(err)
	}
	return len(b)
}

func build(impl sketchImpl, d sketchDist, v []float64) quantileSketch {
	s := impl.new(d)
	for _, x := range v {
		s.add(x)
	}
	return s
}

// BenchmarkSketchInsert is the amortised cost of one insert into a sketch
// that cycles over 10^6 values; B/encoded is the encoding of a sketch of
// exactly those 10^6 values.
func BenchmarkSketchInsert(b *testing.B) {
	for _, d := range sketchDists {
		v := d.values(sketchValues, 1)
		for _, impl := range sketchImpls {
			size := build(impl, d, v).encodedSize()
			b.Run("dist="+d.name+"/impl="+impl.name, func(b *testing.B) {
				insertLoop(b, impl.new(d), v)
				b.ReportMetric(float64(size), "B/encoded")
			})
		}
	}
}

// insertLoop calls each implementation's Add directly, with no interface and
// no modulo in the loop, after one warm-up pass over the values.
func insertLoop(b *testing.B, s quantileSketch, v []float64) {
	for _, x := range v {
		s.add(x)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for left := b.N; left > 0; left -= len(v) {
		chunk := v[:min(left, len(v))]
		switch s := s.(type) {
		case *rdSketch:
			for _, x := range chunk {
				s.s.Add(x)
			}
		case *ddSketch:
			for _, x := range chunk {
				_ = s.s.Add(x)
			}
		case *hdrSketch:
			for _, x := range chunk {
				_ = s.h.RecordValue(int64(x*s.scale + 0.5))
			}
		case *tdSketch:
			for _, x := range chunk {
				_ = s.t.Add(x)
			}
		case *expoSketch:
			for _, x := range chunk {
				s.h.Update(x)
			}
		}
	}
}

// BenchmarkSketchQuantiles queries all 11 statistics of a 10^6-value sketch.
func BenchmarkSketchQuantiles(b *testing.B) {
	for _, d := range sketchDists {
		v := d.values(sketchValues, 1)
		for _, impl := range sketchImpls {
			s := build(impl, d, v)
			dst := make([]float64, 0, len(sketchStats))
			b.Run("dist="+d.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					dst = s.quantiles(dst[:0], sketchStats)
				}
			})
		}
	}
}

// BenchmarkSketchMerge merges a 10^5-value sketch into another 10^5-value
// sketch that accumulates across iterations (as in the reference note).
func BenchmarkSketchMerge(b *testing.B) {
	for _, d := range sketchDists {
		v := d.values(200_000, 1)
		for _, impl := range sketchImpls {
			acc, part := build(impl, d, v[:100_000]), build(impl, d, v[100_000:])
			b.Run("dist="+d.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					acc.merge(part)
				}
			})
		}
	}
}

// TestSketchAccuracyTable prints, for every implementation, the relative
// error of each statistic against the exact nearest-rank order statistic
// (run with -v). Only ruledetect's bound is asserted; the peers are shown.
func TestSketchAccuracyTable(t *testing.T) {
	n := sketchValues
	if testing.Short() {
		n = 100_000
	}
	for _, d := range sketchDists {
		v := d.values(n, 1)
		sorted := slices.Clone(v)
		slices.Sort(sorted)
		var tab strings.Builder
		fmt.Fprintf(&tab, "\n%s (n=%d): relative error vs exact nearest rank\n%-20s", d.name, n, "impl")
		for _, q := range sketchStats {
			fmt.Fprintf(&tab, " %9s", fmt.Sprintf("p%g", q*100))
		}
		for _, impl := range sketchImpls {
			got := build(impl, d, v).quantiles(nil, sketchStats)
			fmt.Fprintf(&tab, "\n%-20s", impl.name)
			for k, q := range sketchStats {
				r := max(int(math.Ceil(q*float64(n)-1e-9)), 1)
				want := sorted[r-1]
				e := math.Abs(got[k] - want)
				if want != 0 {
					e /= math.Abs(want)
				}
				fmt.Fprintf(&tab, " %9.3g", e)
				if impl.name == "ruledetect" {
					require.LessOrEqual(t, e, 1.0/129+1e-12, "%s %s p%g", impl.name, d.name, q*100)
				}
			}
		}
		t.Log(tab.String())
	}
}
