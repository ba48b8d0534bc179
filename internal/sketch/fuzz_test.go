package sketch

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// reportNumbers returns every number in the metrics reports of testdata, the
// kind of values a fleet's populations are made of.
func reportNumbers(t testing.TB) []float64 {
	var nums []float64
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case float64:
			nums = append(nums, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for _, name := range []string{"devguide-metrics-report-long.json", "agent-report-python-long-delta.json"} {
		b, err := os.ReadFile("testdata/" + name)
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal(b, &v))
		walk(v)
	}
	slices.Sort(nums) // map order is random; keep the seeds deterministic
	return nums
}

func float64sToBytes(v []float64) []byte {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func bytesToFloat64s(b []byte) []float64 {
	v := make([]float64, 0, len(b)/8)
	for ; len(b) >= 8; b = b[8:] {
		v = append(v, math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return v
}

// FuzzUnmarshal: no input panics; an accepted encoding re-encodes
// identically and answers every query; a Population likewise.
func FuzzUnmarshal(f *testing.F) {
	nums := reportNumbers(f)
	for _, s := range []*Sketch{New(), sketchOf(nums), sketchOf(append(slices.Clone(nums), -1, 0, -1e300))} {
		b, _ := s.MarshalBinary()
		f.Add(b)
	}
	// Seeds stay small: the fuzzer minimises every new input, which for
	// kilobyte inputs takes longer than a short fuzzing run.
	b, _ := sketchOf(values(dists[1], 200, 1)).MarshalBinary()
	f.Add(b)
	p := NewPopulation(100)
	for _, x := range nums {
		p.Add(x)
	}
	b, _ = p.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Sketch
		if s.UnmarshalBinary(data) == nil {
			again, _ := s.MarshalBinary()
			require.Equal(t, data, again)
			got := s.Quantiles(nil, statQ)
			for k := 1; k < len(got); k++ {
				require.False(t, got[k] < got[k-1], "quantiles must not decrease: %v", got)
			}
			require.NoError(t, s.Merge(&s))
		}
		var p Population
		if p.UnmarshalBinary(data) == nil {
			again, _ := p.MarshalBinary()
			require.Equal(t, data, again)
			_ = p.Quantiles(nil, statQ)
		}
	})
}

// FuzzSketchVsExact: for any values, split anywhere and merged, every
// statistic is within the bound of the exact order statistic, and exact at
// the ends and whenever the rank lies within a tail.
func FuzzSketchVsExact(f *testing.F) {
	f.Add(float64sToBytes(reportNumbers(f)), uint8(3))
	f.Add(float64sToBytes(values(dists[2], 300, 1)), uint8(100)) // > 2·tailSize values
	f.Add(float64sToBytes([]float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.NaN(), 5e-324}), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		v := bytesToFloat64s(data)
		a, b := New(), New()
		var kept []float64
		for i, x := range v {
			if math.IsNaN(x) {
				continue
			}
			kept = append(kept, x)
			if i < int(split) {
				a.Add(x)
			} else {
				b.Add(x)
			}
		}
		require.NoError(t, a.Merge(b))
		require.Equal(t, uint64(len(kept)), a.Count())
		if len(kept) == 0 {
			require.True(t, math.IsNaN(a.Quantile(0.5)))
			return
		}
		sorted := sortedCopy(kept)
		got := a.Quantiles(nil, statQ)
		for k, per10k := range statPer10k {
			want := exactQuantile(sorted, per10k)
			n := uint64(len(sorted))
			r := max((per10k*n+9999)/10000, 1)
			if r <= tailSize || n-r+1 <= tailSize {
				require.Equal(t, want, got[k], statNames[k])
				continue
			}
			if math.Abs(want) >= 0x1p-1022 {
				require.LessOrEqual(t, relErr(got[k], want), errBound, statNames[k])
			} else {
				require.LessOrEqual(t, math.Abs(got[k]-want), 0x1p-1029, statNames[k])
			}
		}
	})
}
