package criteria

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumberSet(t *testing.T) {
	negZero := math.Copysign(0, -1)
	many := make([]float64, 100)
	for i := range many {
		many[i] = float64(i) * 0.5
	}
	tests := []struct {
		name string
		nums []float64
		in   []float64
		out  []float64
		len  int
	}{
		{"empty", nil, nil, []float64{0, 1, math.NaN()}, 0},
		{"exact, no tolerance", []float64{0.1, 50.5}, []float64{0.1, 50.5}, []float64{math.Nextafter(0.1, 1), math.Nextafter(50.5, 51), 50}, 2},
		{"-0 is 0", []float64{negZero}, []float64{0, negZero}, []float64{math.SmallestNonzeroFloat64}, 1},
		{"0 is -0", []float64{0}, []float64{negZero}, nil, 1},
		{"NaN never a member", []float64{math.NaN(), 1}, []float64{1}, []float64{math.NaN()}, 1},
		{"duplicates", []float64{2, 2, 2, 0, negZero}, []float64{2, 0}, []float64{3}, 2},
		{"infinities", []float64{math.Inf(1)}, []float64{math.Inf(1)}, []float64{math.Inf(-1), math.MaxFloat64}, 1},
		{"map-backed", many, []float64{0, negZero, 49.5, 0.5}, []float64{50, 0.25, math.NaN()}, 100},
		{"map-backed -0", append([]float64{negZero}, many[1:]...), []float64{0}, nil, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewNumberSet(tt.nums)
			for _, f := range tt.in {
				assert.True(t, s.Contains(f), "%v", f)
			}
			for _, f := range tt.out {
				assert.False(t, s.Contains(f), "%v", f)
			}
			assert.Equal(t, tt.len, s.Len())
		})
	}
	var nilSet *NumberSet
	assert.False(t, nilSet.Contains(0))
	assert.Zero(t, nilSet.Len())
	var zero NumberSet
	assert.False(t, zero.Contains(0))
}

// TestNumberSetDifferential checks both representations against a Go map
// keyed by float64 (which already treats -0 as 0 and never finds NaN).
func TestNumberSetDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pool := []float64{0, math.Copysign(0, -1), math.NaN(), 1, -1, 0.1, 1e300, math.Inf(1), 1 << 53, 1<<53 + 2}
	pick := func() float64 {
		if r.IntN(3) == 0 {
			return pool[r.IntN(len(pool))]
		}
		return float64(r.IntN(200)) / 4
	}
	for range 1000 {
		nums := make([]float64, r.IntN(40))
		want := map[float64]bool{}
		for i := range nums {
			nums[i] = pick()
			want[nums[i]] = true
		}
		s := NewNumberSet(nums)
		for range 100 {
			f := pick()
			require.Equal(t, want[f], s.Contains(f), "%v in %v", f, nums)
		}
	}
}
