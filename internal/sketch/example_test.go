package sketch_test

import (
	"fmt"

	"github.com/ruledetect/ruledetect/internal/sketch"
)

// A fleet's datapoints go into a sketch; the statistics come out in one
// pass: exact near the ends (p0, p0.01, p99.99, p100), within 0.78 %
// elsewhere (p50 is 50,000 and p99 99,000 exactly).
func ExampleSketch() {
	s := sketch.New()
	for i := 1; i <= 100_000; i++ {
		s.Add(float64(i))
	}
	stats := []float64{0, 0.0001, 0.5, 0.99, 0.9999, 1}
	fmt.Println(s.Count(), s.Quantiles(nil, stats))
	// Output: 100000 [1 10 49918.68717948718 98813.34715025907 99990 100000]
}

// Sketches from different engines, or periods, merge without loss.
func ExampleSketch_Merge() {
	a, b := sketch.New(), sketch.New()
	for i := range 1000 {
		a.Add(float64(i))
		b.Add(float64(-i))
	}
	enc, _ := b.MarshalBinary()
	var remote sketch.Sketch
	if err := remote.UnmarshalBinary(enc); err != nil {
		panic(err)
	}
	if err := a.Merge(&remote); err != nil {
		panic(err)
	}
	fmt.Println(a.Count(), a.Min(), a.Max())
	// Output: 2000 -999 999
}

// Below its limit a population is exact; above it, a sketch.
func ExamplePopulation() {
	p := sketch.NewPopulation(sketch.DefaultExactLimit)
	for _, v := range []float64{12, 7, 30, 7, 1} {
		p.Add(v)
	}
	fmt.Println(p.Exact(), p.Quantile(0.5), p.Quantile(0.9), p.Quantile(1))
	// Output: true 7 30 30
}
