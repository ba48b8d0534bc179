package criteria

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseOperator(t *testing.T) {
	for op := LessThan; op <= NotInSet; op++ {
		got, err := ParseOperator(op.String())
		require.NoError(t, err)
		assert.Equal(t, op, got)
		assert.True(t, op.IsValid())
		assert.NotEqual(t, op.IsComparison(), op.IsSetMembership(), op.String())
	}
	for _, bad := range []string{"", "LESS-THAN", "in-cidr-set ", "equals"} {
		_, err := ParseOperator(bad)
		assert.Error(t, err, bad)
	}
	assert.True(t, NotInCIDRSet.IsNegated())
	assert.False(t, InPortSet.IsNegated())
	assert.False(t, Operator(0).IsValid())
	assert.Equal(t, "Operator(0)", Operator(0).String())
}

func TestParseStatistic(t *testing.T) {
	tests := []struct {
		in string
		st Statistic
		q  float64
	}{{"p0", P0, 0}, {"p0.01", P0_01, 0.0001}, {"p50", P50, 0.5}, {"p99.99", P99_99, 0.9999}, {"p100", P100, 1}}
	for _, tt := range tests {
		st, err := ParseStatistic(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.st, st)
		assert.Equal(t, tt.in, st.String())
		assert.Equal(t, tt.q, st.Quantile())
	}
	for _, bad := range []string{"Average", "p95", ""} {
		_, err := ParseStatistic(bad)
		assert.Error(t, err, bad)
	}
	assert.Len(t, Statistics, 11)
	assert.False(t, Statistic(0).IsValid())
	assert.Zero(t, Statistic(99).Quantile())
	assert.Equal(t, "Statistic(99)", Statistic(99).String())
}
