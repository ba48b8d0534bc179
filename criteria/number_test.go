package criteria

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumberCompare(t *testing.T) {
	const two53 = 1 << 53
	nan := math.NaN()
	tests := []struct {
		name string
		a, b Number
		want int
	}{
		{"int equal", Int(5), Int(5), 0},
		{"int less", Int(-5), Int(5), -1},
		{"float greater", Float(2.5), Float(-2.5), 1},
		{"int vs same float", Int(10), Float(10), 0},
		{"int vs float just above", Int(10), Float(10.000001), -1},
		{"int vs float just below", Int(10), Float(9.999999), 1},
		{"2^53+1 vs float 2^53", Int(two53 + 1), Float(two53), 1},
		{"float 2^53 vs 2^53+1", Float(two53), Int(two53 + 1), -1},
		{"2^53 vs float 2^53", Int(two53), Float(two53), 0},
		{"max int64 vs float 2^63", Int(math.MaxInt64), Float(1 << 63), -1},
		{"max int64 vs float max-ish", Int(math.MaxInt64), Float(math.MaxInt64), -1}, // the float rounds up to 2^63
		{"min int64 vs float -2^63", Int(math.MinInt64), Float(-(1 << 63)), 0},
		{"min int64 vs float below", Int(math.MinInt64), Float(-(1 << 63) - 4096), 1},
		{"int vs +inf", Int(math.MaxInt64), Float(math.Inf(1)), -1},
		{"int vs -inf", Int(math.MinInt64), Float(math.Inf(-1)), 1},
		{"negative float vs int", Float(-0.5), Int(0), -1},
		{"negative float vs int below", Float(-1.5), Int(-1), -1},
		{"negative float vs int above", Float(-0.5), Int(-1), 1},
		{"-0 vs 0", Float(math.Copysign(0, -1)), Int(0), 0},
		{"-0 vs +0", Float(math.Copysign(0, -1)), Float(0), 0},
		{"NaN vs NaN", Float(nan), Float(nan), 0},
		{"NaN before int", Float(nan), Int(math.MinInt64), -1},
		{"int after NaN", Int(0), Float(nan), 1},
		{"NaN before -inf", Float(nan), Float(math.Inf(-1)), -1},
		{"zero value is Int(0)", Number{}, Int(0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.Compare(tt.b))
			assert.Equal(t, -tt.want, tt.b.Compare(tt.a), "antisymmetric")
		})
	}
}

func TestNumberAccessors(t *testing.T) {
	tests := []struct {
		n       Number
		isInt   bool
		i64     int64
		exact   bool
		f64     float64
		str     string
		isNaN   bool
		zeroish bool
	}{
		{n: Int(42), isInt: true, i64: 42, exact: true, f64: 42, str: "42"},
		{n: Int(math.MaxInt64), isInt: true, i64: math.MaxInt64, exact: true, f64: 1 << 63, str: "9223372036854775807"},
		{n: Float(42), i64: 42, exact: true, f64: 42, str: "42"},
		{n: Float(0.5), f64: 0.5, str: "0.5"},
		{n: Float(1 << 63), f64: 1 << 63, str: "9.223372036854776e+18"},
		{n: Float(-(1 << 63)), i64: math.MinInt64, exact: true, f64: -(1 << 63), str: "-9.223372036854776e+18"},
		{n: Float(math.NaN()), f64: math.NaN(), str: "NaN", isNaN: true},
		{n: Number{}, isInt: true, exact: true, str: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			assert.Equal(t, tt.isInt, tt.n.IsInt())
			assert.Equal(t, tt.isNaN, tt.n.IsNaN())
			i, ok := tt.n.Int64()
			assert.Equal(t, tt.exact, ok)
			assert.Equal(t, tt.i64, i)
			if tt.isNaN {
				assert.True(t, math.IsNaN(tt.n.Float64()))
			} else {
				assert.Equal(t, tt.f64, tt.n.Float64())
			}
			assert.Equal(t, tt.str, tt.n.String())
		})
	}
}

func TestNumberEquality(t *testing.T) {
	assert.True(t, Float(math.Copysign(0, -1)) == Float(0), "-0 == 0 as Go values")
	assert.False(t, Float(1) == Int(1), "== distinguishes the types; Compare does not")
	assert.False(t, Float(math.NaN()) == Float(math.NaN()))
	m := map[Number]int{Int(1): 1, Float(1): 2}
	assert.Len(t, m, 2)
}

func TestOperatorHolds(t *testing.T) {
	nan := Float(math.NaN())
	tests := []struct {
		op     Operator
		x, thr Number
		want   bool
	}{
		{LessThan, Int(12), Int(10), false}, // DESIGN rule 1's example is a violation
		{LessThan, Int(9), Int(10), true},
		{LessThan, Int(10), Int(10), false},
		{LessThanEquals, Int(10), Int(10), true},
		{LessThanEquals, Float(10.5), Int(10), false},
		{GreaterThan, Int(0), Int(10), false}, // [CLI-ex]: gt 10 with 0 is in alarm
		{GreaterThan, Int(1<<53 + 1), Float(1 << 53), true},
		{GreaterThanEquals, Int(1 << 53), Float(1 << 53), true},
		{GreaterThanEquals, Float(-0.0001), Int(0), false},
		{LessThan, nan, Int(10), false},
		{GreaterThanEquals, nan, Int(10), false},
		{LessThanEquals, Int(1), nan, false},
		{GreaterThan, Int(1), nan, false},
		{InSet, Int(1), Int(1), false},
		{Operator(0), Int(1), Int(2), false},
		{Operator(200), Int(1), Int(2), false},
	}
	for _, tt := range tests {
		t.Run(tt.op.String()+"/"+tt.x.String()+"/"+tt.thr.String(), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.op.Holds(tt.x, tt.thr))
		})
	}
}

// TestNumberCompareDifferential checks Compare against exact rational
// arithmetic in math/big on 10^5 random pairs biased to the hard cases:
// integers near 2^53 and 2^63 and floats a few ulps from them.
func TestNumberCompareDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		a, b := randomNumber(r), randomNumber(r)
		require.Equal(t, bigCompare(a, b), a.Compare(b), "%v vs %v", a, b)
	}
}

func randomNumber(r *rand.Rand) Number {
	anchors := []float64{0, 1, 1 << 53, 1 << 62, 1 << 63, 1e300, 0.5}
	base := anchors[r.IntN(len(anchors))]
	if r.IntN(2) == 0 {
		base = -base
	}
	switch r.IntN(5) {
	case 0:
		return Int(r.Int64() - r.Int64())
	case 1:
		f := base
		for range r.IntN(4) {
			f = math.Nextafter(f, math.Inf(r.IntN(2)*2-1))
		}
		return Float(f)
	case 2:
		i := int64(r.IntN(9) - 4)
		switch {
		case base >= 1<<63:
			return Int(math.MaxInt64 - i*i)
		case base <= -(1 << 63):
			return Int(math.MinInt64 + i*i)
		}
		return Int(int64(base) + i)
	case 3:
		return Float(r.NormFloat64() * math.Pow(2, float64(r.IntN(130)-65)))
	default:
		return Float(float64(r.Int64()) * float64(r.IntN(3)-1))
	}
}

func bigCompare(a, b Number) int {
	return bigOf(a).Cmp(bigOf(b))
}

func bigOf(n Number) *big.Rat {
	if i, ok := n.Int64(); ok && n.IsInt() {
		return new(big.Rat).SetInt64(i)
	}
	return new(big.Rat).SetFloat64(n.Float64())
}
