package sketch

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireAccurate checks every statistic of s against the exact order
// statistics: exact at p0 and p100, and at p0.01/p99.99 when n ≤ 1.28×10^6;
// within the relative bound everywhere.
func requireAccurate(t *testing.T, s *Sketch, sorted []float64, label string) {
	t.Helper()
	got := s.Quantiles(nil, statQ)
	n := len(sorted)
	for k, per10k := range statPer10k {
		want := exactQuantile(sorted, per10k)
		exact := per10k == 0 || per10k == 10000 || ((per10k == 1 || per10k == 9999) && n <= 1_280_000)
		if exact {
			require.Equal(t, want, got[k], "%s %s must be exact", label, statNames[k])
			continue
		}
		require.LessOrEqual(t, relErr(got[k], want), errBound, "%s %s: got %v want %v", label, statNames[k], got[k], want)
	}
}

func TestAccuracy(t *testing.T) {
	for _, d := range dists {
		t.Run(d.name, func(t *testing.T) {
			v := values(d, size(t), 1)
			sorted := sortedCopy(v)
			requireAccurate(t, sketchOf(v), sorted, "single")

			// 100 parts sketched separately and merged.
			merged := New()
			part := New()
			step := len(v) / 100
			for i := 0; i < len(v); i += step {
				part.Reset()
				for _, x := range v[i:min(i+step, len(v))] {
					part.Add(x)
				}
				require.NoError(t, merged.Merge(part))
			}
			require.Equal(t, uint64(len(v)), merged.Count())
			requireAccurate(t, merged, sorted, "merged")
		})
	}
}

func TestExactTailsAtLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("1.28×10^6 values")
	}
	// At n = 1.28×10^6, p99.99 is the 129th largest value and p0.01 the
	// 128th smallest: still exact, in one sketch and after merging 100
	// parts. Under the race detector (10× slower) one distribution is enough.
	ds := dists
	if raceEnabled {
		ds = dists[2:]
	}
	for _, d := range ds {
		t.Run(d.name, func(t *testing.T) {
			const n = 1_280_000
			v := values(d, n, 7)
			sorted := sortedCopy(v)
			requireAccurate(t, sketchOf(v), sorted, "n=1.28e6")
			merged := New()
			for i := 0; i < n; i += n / 100 {
				require.NoError(t, merged.Merge(sketchOf(v[i:i+n/100])))
			}
			requireAccurate(t, merged, sorted, "n=1.28e6 merged")
		})
	}
}

func TestSmallSketchesAreExact(t *testing.T) {
	// Up to 2·tailSize values every rank is in a tail.
	r := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= 2*tailSize; n++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Round(r.NormFloat64()*100) / 4
		}
		s := sketchOf(v)
		sorted := sortedCopy(v)
		got := s.Quantiles(nil, statQ)
		for k, per10k := range statPer10k {
			require.Equal(t, exactQuantile(sorted, per10k), got[k], "n=%d %s", n, statNames[k])
		}
	}
}

func TestSignsAndZeros(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	tests := []struct {
		name string
		gen  func() float64
	}{
		{"negative", func() float64 { return -math.Exp(2 * r.NormFloat64()) }},
		{"mixed", func() float64 { return r.NormFloat64() * 1000 }},
		{"mostly zero", func() float64 {
			if r.IntN(10) > 0 {
				return 0
			}
			return r.NormFloat64()
		}},
		{"zero and negative zero", func() float64 { return math.Copysign(0, r.NormFloat64()) }},
		{"integers around zero", func() float64 { return float64(r.IntN(21) - 10) }},
		{"infinities", func() float64 {
			switch r.IntN(1000) {
			case 0:
				return math.Inf(1)
			case 1:
				return math.Inf(-1)
			}
			return r.NormFloat64()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := make([]float64, 50_000)
			for i := range v {
				v[i] = tt.gen()
			}
			s := sketchOf(v)
			requireAccurate(t, s, sortedCopy(v), tt.name)
			for _, q := range statQ {
				assert.False(t, math.Signbit(s.Quantile(q)) && s.Quantile(q) == 0, "−0 returned")
			}
		})
	}
}

func TestEmptyAndInvalid(t *testing.T) {
	var s Sketch
	assert.True(t, math.IsNaN(s.Quantile(0.5)))
	assert.True(t, math.IsNaN(s.Min()))
	assert.True(t, math.IsNaN(s.Max()))
	s.Add(math.NaN())
	assert.Zero(t, s.Count(), "NaN is not counted")
	s.Add(3)
	for _, q := range []float64{-0.1, 1.1, math.NaN(), math.Inf(1)} {
		assert.True(t, math.IsNaN(s.Quantile(q)), "q=%v", q)
	}
	assert.Equal(t, 3.0, s.Quantile(0.5))
	assert.Equal(t, []float64{1, 3, 3}, s.Quantiles([]float64{1}, []float64{0, 1}))
}

func TestMinMaxExact(t *testing.T) {
	for _, d := range dists {
		v := values(d, 200_000, 11)
		s := sketchOf(v)
		sorted := sortedCopy(v)
		assert.Equal(t, sorted[0], s.Min(), d.name)
		assert.Equal(t, sorted[len(sorted)-1], s.Max(), d.name)
	}
}

func TestQuantilesUnsortedArguments(t *testing.T) {
	v := values(dists[1], 100_000, 3)
	s := sketchOf(v)
	qs := []float64{0.99, 0.1, 0.5, 0.5, 0, 0.9999, 0.001}
	got := s.Quantiles(nil, qs)
	for k, q := range qs {
		assert.Equal(t, s.Quantile(q), got[k], "q=%v", q)
	}
}

func TestMergeEqualsAdd(t *testing.T) {
	a, b := values(dists[1], 30_000, 1), values(dists[2], 20_000, 2)
	all := sketchOf(append(append([]float64(nil), a...), b...))
	sa, sb := sketchOf(a), sketchOf(b)
	require.NoError(t, sa.Merge(sb))
	assert.Equal(t, all.Quantiles(nil, statQ), sa.Quantiles(nil, statQ))
	ea, _ := all.MarshalBinary()
	eb, _ := sa.MarshalBinary()
	assert.Equal(t, ea, eb, "merge is lossless: same state as adding every value")

	// Merging a sketch into itself doubles it.
	self := sketchOf(a)
	require.NoError(t, self.Merge(self))
	twice := sketchOf(append(append([]float64(nil), a...), a...))
	e1, _ := self.MarshalBinary()
	e2, _ := twice.MarshalBinary()
	assert.Equal(t, e2, e1)

	require.NoError(t, sa.Merge(nil))
	require.NoError(t, sa.Merge(New()))
	assert.Equal(t, uint64(50_000), sa.Count())
}

func TestMergeOverflow(t *testing.T) {
	a, b := sketchOf([]float64{1}), sketchOf([]float64{2})
	a.n = math.MaxUint64 // inconsistent, but Merge checks the count first
	before, _ := a.MarshalBinary()
	err := a.Merge(b)
	require.ErrorIs(t, err, ErrOverflow)
	after, _ := a.MarshalBinary()
	assert.Equal(t, before, after, "a rejected merge changes nothing")
}

func TestResetReuses(t *testing.T) {
	s := sketchOf(values(dists[0], 10_000, 1))
	s.Reset()
	assert.Zero(t, s.Count())
	assert.True(t, math.IsNaN(s.Quantile(0)))
	v := values(dists[1], 10_000, 2)
	for _, x := range v {
		s.Add(x)
	}
	requireAccurate(t, s, sortedCopy(v), "after reset")
	allocs := testing.AllocsPerRun(10, func() {
		s.Reset()
		for _, x := range v {
			s.Add(x)
		}
	})
	assert.Zero(t, allocs, "steady-state Add allocates nothing")
}

func TestQuantilesDoNotAllocate(t *testing.T) {
	s := sketchOf(values(dists[1], 100_000, 1))
	dst := make([]float64, 0, len(statQ))
	assert.Zero(t, testing.AllocsPerRun(10, func() { dst = s.Quantiles(dst[:0], statQ) }))
	o := sketchOf(values(dists[1], 100_000, 2))
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = s.Merge(o) }))
}

func TestClone(t *testing.T) {
	s := sketchOf(values(dists[1], 10_000, 1))
	c := s.Clone()
	want := s.Quantiles(nil, statQ)
	c.Add(1e9)
	c.Add(-1e9)
	assert.Equal(t, want, s.Quantiles(nil, statQ), "the original is independent of its clone")
	assert.Equal(t, 1e9, c.Max())
}

func TestSubtract(t *testing.T) {
	parts := make([][]float64, 6)
	for i := range parts {
		parts[i] = values(dists[i%3], 5_000, uint64(i))
	}
	// A running total over a window of 3 parts, sliding by one.
	total := New()
	sketches := make([]*Sketch, len(parts))
	for i, p := range parts {
		sketches[i] = sketchOf(p)
	}
	for i := range parts {
		require.NoError(t, total.Merge(sketches[i]))
		if i >= 3 {
			require.NoError(t, total.Subtract(sketches[i-3]))
		}
		var window []float64
		for _, p := range parts[max(0, i-2) : i+1] {
			window = append(window, p...)
		}
		sorted := sortedCopy(window)
		require.Equal(t, uint64(len(window)), total.Count())
		got := total.Quantiles(nil, statQ)
		for k, per10k := range statPer10k {
			want := exactQuantile(sorted, per10k)
			require.LessOrEqual(t, relErr(got[k], want), errBound, "window ending %d %s", i, statNames[k])
		}
	}
}

func TestSubtractExactWhenRecomputable(t *testing.T) {
	// Subtracting part of a small (complete) sketch keeps it exact.
	a, b := []float64{5, 1, 9, -3, 0, 7}, []float64{9, 0}
	s := sketchOf(append(append([]float64(nil), a...), b...))
	require.NoError(t, s.Subtract(sketchOf(b)))
	want := sketchOf(a)
	e1, _ := s.MarshalBinary()
	e2, _ := want.MarshalBinary()
	assert.Equal(t, e2, e1)
	s.Add(100)
	assert.Equal(t, 100.0, s.Max())
}

func TestSubtractRejects(t *testing.T) {
	s := sketchOf([]float64{1, 2, 3, 4})
	before, _ := s.MarshalBinary()
	for _, o := range []*Sketch{
		sketchOf([]float64{5}),
		sketchOf([]float64{1, 2, 3, 4, 4}),
		sketchOf([]float64{0}),
		sketchOf([]float64{-1}),
		sketchOf([]float64{2.0000001}), // same bucket, different value
	} {
		require.ErrorIs(t, s.Subtract(o), ErrNotContained)
		after, _ := s.MarshalBinary()
		require.Equal(t, before, after, "a rejected subtract changes nothing")
	}
}

func TestSubtractLargeShrinksTails(t *testing.T) {
	a, b := values(dists[1], 50_000, 1), values(dists[1], 50_000, 2)
	s, sb := sketchOf(a), sketchOf(b)
	require.NoError(t, s.Merge(sb))
	require.NoError(t, s.Subtract(sb))
	sorted := sortedCopy(a)
	// Tails are partial now but what they hold is still exact, and the
	// other statistics keep the bound.
	got := s.Quantiles(nil, statQ)
	for k, per10k := range statPer10k {
		want := exactQuantile(sorted, per10k)
		require.LessOrEqual(t, relErr(got[k], want), errBound, statNames[k])
	}
	for _, x := range values(dists[1], 50_000, 3) {
		s.Add(x)
		a = append(a, x)
	}
	sorted = sortedCopy(a)
	got = s.Quantiles(nil, statQ)
	for k, per10k := range statPer10k {
		want := exactQuantile(sorted, per10k)
		require.LessOrEqual(t, relErr(got[k], want), errBound, "after adds %s", statNames[k])
	}
}

// TestAccuracyTable prints ruledetect's relative error per statistic against
// the exact order statistics (go test -v -run AccuracyTable).
func TestAccuracyTable(t *testing.T) {
	line := fmt.Sprintf("%-10s %-7s", "dist", "mode")
	for _, name := range statNames {
		line += fmt.Sprintf(" %8s", name)
	}
	t.Log(line)
	for _, d := range dists {
		v := values(d, size(t), 1)
		sorted := sortedCopy(v)
		single := sketchOf(v)
		merged := New()
		for i := 0; i < len(v); i += len(v) / 100 {
			require.NoError(t, merged.Merge(sketchOf(v[i:min(i+len(v)/100, len(v))])))
		}
		for _, m := range []struct {
			name string
			s    *Sketch
		}{{"single", single}, {"merged", merged}} {
			got := m.s.Quantiles(nil, statQ)
			line := fmt.Sprintf("%-10s %-7s", d.name, m.name)
			for k, per10k := range statPer10k {
				line += fmt.Sprintf(" %8.2e", relErr(got[k], exactQuantile(sorted, per10k)))
			}
			t.Log(line)
		}
	}
}
