package criteria

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ptr[T any](v T) *T { return &v }

func TestCompile(t *testing.T) {
	tests := []struct {
		op   Operator
		v    Value
		kind Kind
	}{
		{LessThan, Value{Count: ptr[int64](10)}, KindNumber},
		{GreaterThanEquals, Value{Number: ptr(75.0)}, KindNumber},
		{NotInCIDRSet, Value{CIDRs: []string{"12.8.0.0/16", "15.102.16.0/24"}}, KindAddrs},
		{InCIDRSet, Value{CIDRs: []string{"192.168.100.14/24"}}, KindAddrs},
		{InCIDRSet, Value{CIDRs: []string{}}, KindAddrs},
		{InPortSet, Value{Ports: []int64{443, 80}}, KindPorts},
		{NotInPortSet, Value{Ports: []int64{0, 65535}}, KindPorts},
		{InSet, Value{Strings: []string{"eth0"}}, KindStrings},
		{NotInSet, Value{Numbers: []float64{1, 2.5}}, KindNumbers},
	}
	for _, tt := range tests {
		t.Run(tt.op.String(), func(t *testing.T) {
			c, err := Compile(tt.op, tt.v)
			require.NoError(t, err)
			assert.Equal(t, tt.op, c.Operator())
			assert.Equal(t, tt.kind, c.Kind())
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		op   Operator
		v    Value
		msg  string
		cidr bool
	}{
		{"no operator", 0, Value{Count: ptr[int64](1)}, "comparisonOperator: Operator(0) is not a comparison operator", false},
		{"unknown operator", 11, Value{Count: ptr[int64](1)}, "comparisonOperator: Operator(11) is not a comparison operator", false},
		{"no value", LessThan, Value{}, "value: less-than needs count or number", false},
		{"count and number", LessThan, Value{Count: ptr[int64](1), Number: ptr(1.0)}, "value: less-than takes one of count or number, got count and number", false},
		{"count with ports", LessThan, Value{Count: ptr[int64](1), Ports: []int64{1}}, "value: less-than takes one of count or number, got count and ports", false},
		{"wrong field", LessThan, Value{CIDRs: []string{"10.0.0.0/8"}}, "value.cidrs: less-than takes count or number", false},
		{"negative count", GreaterThan, Value{Count: ptr[int64](-1)}, "value.count: -1 is negative", false},
		{"NaN number", GreaterThan, Value{Number: ptr(math.NaN())}, "value.number: NaN is not a finite number", false},
		{"infinite number", GreaterThan, Value{Number: ptr(math.Inf(1))}, "value.number: +Inf is not a finite number", false},
		{"ports for cidr op", InCIDRSet, Value{Ports: []int64{80}}, "value.ports: in-cidr-set takes cidrs", false},
		{"bad CIDR", NotInCIDRSet, Value{CIDRs: []string{"10.0.0.0/8", "10.0.0/8"}}, `value.cidrs[1]: invalid CIDR "10.0.0/8": want ADDRESS/BITS or an address`, true},
		{"zoned CIDR", InCIDRSet, Value{CIDRs: []string{"fe80::1%eth0"}}, `value.cidrs[0]: invalid CIDR "fe80::1%eth0": zones are not allowed`, true},
		{"port too big", InPortSet, Value{Ports: []int64{1, 2, 3, 70000}}, "value.ports[3]: 70000 is outside 0..65535", false},
		{"negative port", NotInPortSet, Value{Ports: []int64{-1}}, "value.ports[0]: -1 is outside 0..65535", false},
		{"numbers and strings", InSet, Value{Numbers: []float64{1}, Strings: []string{"a"}}, "value: in-set takes one of numbers or strings, got numbers and strings", false},
		{"set with count", NotInSet, Value{Count: ptr[int64](1)}, "value.count: not-in-set takes numbers or strings", false},
		{"NaN element", InSet, Value{Numbers: []float64{1, math.Inf(-1)}}, "value.numbers[1]: -Inf is not a finite number", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compile(tt.op, tt.v)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.EqualError(t, err, tt.msg)
			assert.True(t, errors.Is(err, ErrInvalidValue))
			assert.Equal(t, tt.cidr, errors.Is(err, ErrInvalidCIDR))
			var e *Error
			require.True(t, errors.As(err, &e))
			assert.NotEmpty(t, e.Field)
		})
	}
}

func TestCompileErrorOperatorMatches(t *testing.T) {
	_, err := Compile(0, Value{})
	assert.True(t, errors.Is(err, ErrInvalidOperator))
	_, err = Compile(LessThan, Value{})
	assert.False(t, errors.Is(err, ErrInvalidOperator))
}

func TestCompileDoesNotKeepInput(t *testing.T) {
	cidrs := []string{"10.0.0.0/8"}
	strs := []string{"a"}
	nums := []float64{1}
	count := int64(5)
	cc, err := Compile(InCIDRSet, Value{CIDRs: cidrs})
	require.NoError(t, err)
	cs, err := Compile(InSet, Value{Strings: strs})
	require.NoError(t, err)
	cn, err := Compile(InSet, Value{Numbers: nums})
	require.NoError(t, err)
	ct, err := Compile(LessThan, Value{Count: &count})
	require.NoError(t, err)
	cidrs[0], strs[0], nums[0], count = "11.0.0.0/8", "b", 2, 50
	assert.True(t, cc.CompliantAddrs(addrs("10.1.1.1")))
	assert.True(t, cs.CompliantStrings([]string{"a"}))
	assert.True(t, cn.CompliantNumbers([]float64{1}))
	assert.True(t, ct.CompliantNumber(Int(4)))
	assert.False(t, ct.CompliantNumber(Int(5)))
}
