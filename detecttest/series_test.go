package detecttest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func vals(vs ...float64) []Sample {
	out := make([]Sample, len(vs))
	for i, v := range vs {
		out[i] = Sample{Value: v}
	}
	return out
}

var miss = Sample{Missing: true}

func TestParseSeries(t *testing.T) {
	tests := []struct {
		in   string
		want []Sample
	}{
		{"", nil},
		{"   ", nil},
		{"1 2 3", vals(1, 2, 3)},
		{"0+10x3", vals(0, 10, 20, 30)},
		{"10-2x2", vals(10, 8, 6)},
		{"-1+1x2", vals(-1, 0, 1)},
		{"-1-1x1", vals(-1, -2)},
		{"5x2", vals(5, 5, 5)},
		{"1.5+0.5x1", vals(1.5, 2)},
		{"1e2", vals(100)},
		{"1e+2x1", vals(100, 100)},
		{"_", []Sample{miss}},
		{"_x3", []Sample{miss, miss, miss}},
		{"1 _ 2\t_x0 3", []Sample{{Value: 1}, miss, {Value: 2}, {Value: 3}}},
		{"0x0", vals(0)},
	}
	for _, tt := range tests {
		got, err := ParseSeries(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestParseSeriesErrors(t *testing.T) {
	tests := []struct {
		in, term string
		offset   int
	}{
		{"1 2 x", "x", 4},
		{"1+2", "1+2", 0},
		{"1 a", "a", 2},
		{"1x-1", "1x-1", 0},
		{"1xx2", "1xx2", 0},
		{"0x100001", "0x100001", 0},
		{"_x99999 1x5", "1x5", 8},
		{"NaN", "NaN", 0},
		{"Inf", "Inf", 0},
		{"1e400", "1e400", 0},
		{"_+1x2", "_+1x2", 0},
		{"1+", "1+", 0},
		{"1e308+1e308x5", "1e308+1e308x5", 0},
	}
	for _, tt := range tests {
		_, err := ParseSeries(tt.in)
		require.ErrorIs(t, err, ErrSeries, tt.in)
		var se *SeriesError
		require.ErrorAs(t, err, &se, tt.in)
		assert.Equal(t, tt.term, se.Term, tt.in)
		assert.Equal(t, tt.offset, se.Offset, tt.in)
	}
}

func FuzzParseSeries(f *testing.F) {
	for _, s := range []string{"0+10x12", "1 _ 2", "_x3", "-1-1x1", "1e2", "5x2 7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSeries(s)
		if err != nil {
			require.ErrorIs(t, err, ErrSeries)
			return
		}
		require.LessOrEqual(t, len(got), MaxSeriesLen)
		for _, smp := range got {
			if smp.Missing {
				require.Zero(t, smp.Value)
			}
		}
	})
}

func TestSeriesInputs(t *testing.T) {
	p := 300 * time.Second
	ins, n, err := SeriesInputs("cam-1 message-sent dt/a 7", "2 _ 1", Start, p)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	require.Len(t, ins, 3)
	for _, in := range ins {
		assert.Equal(t, KindMessageSent, in.Kind)
		assert.Equal(t, "dt/a", in.Topic)
		assert.Equal(t, int64(7), in.Bytes)
	}
	assert.Equal(t, []time.Time{T(100 * time.Second), T(200 * time.Second), T(750 * time.Second)},
		[]time.Time{ins[0].Time, ins[1].Time, ins[2].Time}, "spread inside each period, never on a boundary")

	ins, _, err = SeriesInputs("cam-1 report cpu_usage", "50.5", Start, p)
	require.NoError(t, err)
	require.Len(t, ins, 1)
	assert.Equal(t, T(150*time.Second), ins[0].Time)
	assert.JSONEq(t, `{"header":{"report_id":1767225750,"version":"1.0"},"custom_metrics":{"cpu_usage":[{"number":50.5}]}}`, string(ins[0].Report))

	for _, bad := range []struct{ key, notation string }{
		{"cam-1", "1"},
		{"cam-1 teleport", "1"},
		{"cam-1 message-sent", "1"},
		{"cam-1 message-sent t -1", "1"},
		{"cam-1 connect 999.1.1.1", "1"},
		{"cam-1 disconnect x", "1"},
		{"cam-1 authorization-failure", "1"},
		{"cam-1 report", "1"},
		{"cam-1 connect", "1.5"},
		{"cam-1 connect", "-1"},
		{"cam-1 connect", "1e9"},
		{"cam-1 connect", "1+"},
	} {
		_, _, err := SeriesInputs(bad.key, bad.notation, Start, p)
		assert.Error(t, err, "%s: %s", bad.key, bad.notation)
	}
}
