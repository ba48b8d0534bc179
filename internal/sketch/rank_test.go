package sketch

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRank(t *testing.T) {
	tests := []struct {
		q    float64
		n    uint64
		want uint64
	}{
		{0, 1, 1}, {1, 1, 1}, {0.5, 1, 1}, {0, 10, 1}, {1, 10, 10},
		{0.7, 10, 7}, // 0.7·10 is 7.000000000000001 in float64
		{0.29, 100, 29}, {0.5, 3, 2}, {0.5, 4, 2}, {0.9999, 1_280_000, 1_279_872},
		{0.0001, 1_280_000, 128}, {0.0001, 1_280_001, 129}, {0.999, 1000, 999}, {0.999, 1001, 1000},
		{0.9, 1 << 40, 989560464999}, // ⌈0.9·2^40⌉ = ⌈989560464998.4⌉
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, rank(tt.q, tt.n), "q=%v n=%v", tt.q, tt.n)
	}
}

func TestRankMatchesIntegerOracle(t *testing.T) {
	for n := uint64(1); n < 30_000; n += 7 {
		for k, per10k := range statPer10k {
			want := max((per10k*n+9999)/10000, 1)
			if got := rank(statQ[k], n); got != want {
				t.Fatalf("rank(%v, %d) = %d, want %d", statQ[k], n, got, want)
			}
		}
	}
}
