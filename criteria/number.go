package criteria

import (
	"math"
	"strconv"
)

// Number is an exact numeric value: an int64 (a MetricValue count) or a
// float64 (a MetricValue number). Numbers compare by their mathematical
// value without converting one side to the other's type, so an int64 above
// 2^53 and a float64 that rounds to it still compare correctly.
//
// Number is comparable with ==, which is true for the same type and value
// (Float(-0) == Float(0); Float(NaN) never equals anything, as in Go). Use
// Compare to compare across types. The zero Number is Int(0).
type Number struct {
	i       int64
	f       float64
	isFloat bool
}

// Int returns the Number holding i.
func Int(i int64) Number { return Number{i: i} }

// Float returns the Number holding f. A NaN Number never satisfies any
// comparison (Operator.Holds is false), and Compare orders it before every
// other Number, as cmp.Compare does.
func Float(f float64) Number { return Number{f: f, isFloat: true} }

// IsInt reports whether n was made by Int.
func (n Number) IsInt() bool { return !n.isFloat }

// IsNaN reports whether n is a float NaN.
func (n Number) IsNaN() bool { return n.isFloat && n.f != n.f }

// Int64 returns n as an int64 and whether that is exact: true for an Int,
// and for a Float with an integral value in int64's range.
func (n Number) Int64() (int64, bool) {
	if !n.isFloat {
		return n.i, true
	}
	if n.f >= -(1<<63) && n.f < 1<<63 && n.f == math.Trunc(n.f) {
		return int64(n.f), true
	}
	return 0, false
}

// Float64 returns n as a float64, rounded to nearest for an Int beyond 2^53.
func (n Number) Float64() float64 {
	if n.isFloat {
		return n.f
	}
	return float64(n.i)
}

// String returns n in decimal: an Int as an integer, a Float in the
// shortest form that reads back to the same float64 ("1e+21", "0.5", "NaN").
func (n Number) String() string {
	if n.isFloat {
		return strconv.FormatFloat(n.f, 'g', -1, 64)
	}
	return strconv.FormatInt(n.i, 10)
}

// Compare returns -1, 0 or +1 as n is less than, equal to or greater than m
// by mathematical value. -0 equals 0. NaN equals NaN and is less than every
// other Number, so Compare is a total order usable for sorting; comparison
// operators do not use that order for NaN (see Operator.Holds).
func (n Number) Compare(m Number) int {
	switch {
	case !n.isFloat && !m.isFloat:
		return cmpInt(n.i, m.i)
	case n.isFloat && m.isFloat:
		return cmpFloat(n.f, m.f)
	case n.isFloat:
		return -cmpIntFloat(m.i, n.f)
	default:
		return cmpIntFloat(n.i, m.f)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	aNaN, bNaN := a != a, b != b
	switch {
	case aNaN || bNaN:
		return cmpBool(bNaN, aNaN)
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// cmpIntFloat compares i with f exactly. Within int64's range the integral
// part of f converts to int64 without loss, so the integer parts compare as
// integers and the fraction breaks a tie; outside it, f's sign decides.
func cmpIntFloat(i int64, f float64) int {
	switch {
	case f != f:
		return 1 // NaN sorts first
	case f >= 1<<63:
		return -1
	case f < -(1 << 63):
		return 1
	}
	t := math.Trunc(f)
	if c := cmpInt(i, int64(t)); c != 0 {
		return c
	}
	switch frac := f - t; {
	case frac > 0:
		return -1
	case frac < 0:
		return 1
	}
	return 0
}
