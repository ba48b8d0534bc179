package sketch

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPopulationExactBelowLimit(t *testing.T) {
	for _, d := range dists {
		v := values(d, 10_000, 4)
		p := NewPopulation(DefaultExactLimit)
		for _, x := range v {
			p.Add(x)
		}
		require.True(t, p.Exact())
		sorted := sortedCopy(v)
		// Single queries select; several sort once. Both are exact.
		for k, per10k := range statPer10k {
			require.Equal(t, exactQuantile(sorted, per10k), p.Quantile(statQ[k]), "%s %s", d.name, statNames[k])
		}
		got := p.Quantiles(nil, statQ)
		for k, per10k := range statPer10k {
			require.Equal(t, exactQuantile(sorted, per10k), got[k], "%s %s", d.name, statNames[k])
		}
	}
}

func TestPopulationSwitchesToSketch(t *testing.T) {
	v := values(dists[1], 10_001, 5)
	p := NewPopulation(10_000)
	for _, x := range v[:10_000] {
		p.Add(x)
	}
	require.True(t, p.Exact())
	p.Add(v[10_000])
	require.False(t, p.Exact(), "the 10,001st value switches to the sketch")
	assert.Equal(t, uint64(10_001), p.Len())
	requireAccurate(t, &p.sk, sortedCopy(v), "switched")
	got := p.Quantiles(nil, statQ)
	assert.Equal(t, p.sk.Quantiles(nil, statQ), got)

	p.Reset()
	assert.True(t, p.Exact())
	assert.Zero(t, p.Len())
	assert.True(t, math.IsNaN(p.Quantile(0.5)))
}

func TestPopulationZeroValueSketches(t *testing.T) {
	var p Population
	p.Add(1)
	p.Add(math.NaN())
	assert.False(t, p.Exact())
	assert.Equal(t, uint64(1), p.Len())
	assert.Equal(t, 1.0, p.Quantile(0.5))
	assert.Equal(t, 0, NewPopulation(-5).Limit())
}

func TestPopulationMerge(t *testing.T) {
	a, b := values(dists[0], 4_000, 1), values(dists[2], 5_000, 2)
	all := append(append([]float64(nil), a...), b...)
	sorted := sortedCopy(all)
	build := func(limit int, v []float64) *Population {
		p := NewPopulation(limit)
		for _, x := range v {
			p.Add(x)
		}
		return p
	}
	tests := []struct {
		name      string
		p, o      *Population
		wantExact bool
	}{
		{"exact+exact within limit", build(10_000, a), build(10_000, b), true},
		{"exact+exact over limit", build(8_000, a), build(10_000, b), false},
		{"exact+sketch", build(10_000, a), build(0, b), false},
		{"sketch+exact", build(0, a), build(10_000, b), false},
		{"sketch+sketch", build(0, a), build(0, b), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.p.Merge(tt.o))
			assert.Equal(t, tt.wantExact, tt.p.Exact())
			assert.Equal(t, uint64(len(all)), tt.p.Len())
			got := tt.p.Quantiles(nil, statQ)
			for k, per10k := range statPer10k {
				want := exactQuantile(sorted, per10k)
				if tt.wantExact {
					require.Equal(t, want, got[k], statNames[k])
				} else {
					require.LessOrEqual(t, relErr(got[k], want), errBound, statNames[k])
				}
			}
		})
	}

	self := build(100, a[:60])
	require.NoError(t, self.Merge(self))
	assert.Equal(t, uint64(120), self.Len())
	assert.False(t, self.Exact())
	self2 := build(1000, a[:60])
	require.NoError(t, self2.Merge(self2))
	assert.Equal(t, uint64(120), self2.Len())
	assert.True(t, self2.Exact())
	require.NoError(t, self2.Merge(nil))
}

func TestPopulationEncoding(t *testing.T) {
	exact := NewPopulation(100)
	for _, x := range []float64{3, -1, 0, 2.5} {
		exact.Add(x)
	}
	sk := NewPopulation(10)
	for _, x := range values(dists[1], 1_000, 1) {
		sk.Add(x)
	}
	for name, p := range map[string]*Population{"exact": exact, "sketch": sk, "empty": NewPopulation(7)} {
		t.Run(name, func(t *testing.T) {
			b, err := p.MarshalBinary()
			require.NoError(t, err)
			// The engine decodes into a population it made with its own limit.
			d := NewPopulation(DefaultExactLimit)
			require.NoError(t, d.UnmarshalBinary(b))
			assert.Equal(t, p.Limit(), d.Limit(), "the encoded limit is restored")
			assert.Equal(t, p.Exact(), d.Exact())
			assert.Equal(t, p.Len(), d.Len())
			if p.Len() > 0 {
				assert.Equal(t, p.Quantiles(nil, statQ), d.Quantiles(nil, statQ))
			}
			again, _ := d.MarshalBinary()
			if name != "exact" { // the query above sorted the exact values
				assert.Equal(t, b, again)
			}
		})
	}
}

func TestPopulationUnmarshalRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"version", []byte{9, 0, 0, 0}, ErrVersion},
		{"mode", []byte{1, 2, 0, 0}, ErrCorrupt},
		{"count above limit", []byte{1, 0, 1, 2}, ErrCorrupt},
		{"values missing", []byte{1, 0, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0}, ErrTruncated},
		{"huge limit", []byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0}, ErrCorrupt},
		{"NaN value", append([]byte{1, 0, 1, 1}, 1, 0, 0, 0, 0, 0, 0xf8, 0x7f), ErrCorrupt},
		{"−0 value", append([]byte{1, 0, 1, 1}, 0, 0, 0, 0, 0, 0, 0, 0x80), ErrCorrupt},
		{"trailing", []byte{1, 0, 1, 0, 0}, ErrCorrupt},
		{"non-minimal limit", []byte{1, 0, 0x81, 0x00, 0}, ErrCorrupt},
		{"bad sketch", []byte{1, 1, 0, 2}, ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPopulation(3)
			p.Add(1)
			err := p.UnmarshalBinary(tt.data)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, 3, p.Limit(), "a rejected decode changes nothing")
			assert.Equal(t, uint64(1), p.Len())
		})
	}
}

func TestSelectKth(t *testing.T) {
	for _, d := range dists {
		v := values(d, 5_000, 9)
		sorted := sortedCopy(v)
		for _, k := range []int{0, 1, 17, 2_500, 4_998, 4_999} {
			w := append([]float64(nil), v...)
			require.Equal(t, sorted[k], selectKth(w, k))
		}
	}
	// Adversarial shapes: sorted, reversed, all equal, organ pipe.
	n := 3_000
	shapes := map[string]func(i int) float64{
		"sorted":   func(i int) float64 { return float64(i) },
		"reversed": func(i int) float64 { return float64(n - i) },
		"equal":    func(int) float64 { return 1 },
		"pipe":     func(i int) float64 { return float64(min(i, n-i)) },
	}
	for name, f := range shapes {
		v := make([]float64, n)
		for i := range v {
			v[i] = f(i)
		}
		sorted := sortedCopy(v)
		for _, k := range []int{0, n / 3, n - 1} {
			require.Equal(t, sorted[k], selectKth(append([]float64(nil), v...), k), name)
		}
	}
}
