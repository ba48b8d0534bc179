package criteria

import (
	"math"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// datapoint is one measured value in the shape of any Kind; the table
// names the Kind it fills.
type datapoint struct {
	num   Number
	ports []uint16
	addrs []netip.Addr
	strs  []string
	nums  []float64
}

func (d datapoint) judge(c *Criterion) bool {
	switch c.Kind() {
	case KindNumber:
		return c.CompliantNumber(d.num)
	case KindPorts:
		return c.CompliantPorts(d.ports)
	case KindAddrs:
		return c.CompliantAddrs(d.addrs)
	case KindStrings:
		return c.CompliantStrings(d.strs)
	case KindNumbers:
		return c.CompliantNumbers(d.nums)
	}
	panic("no kind")
}

func TestCriterionCompliant(t *testing.T) {
	cidrs := Value{CIDRs: []string{"12.8.0.0/16", "2001:db8::/32", "::ffff:203.0.113.0/120"}}
	ports := Value{Ports: []int64{443, 80, 0, 65535}}
	strs := Value{Strings: []string{"eth0", "wlan0", ""}}
	nums := Value{Numbers: []float64{50.5, 0, 1 << 53}}
	tests := []struct {
		name string
		op   Operator
		v    Value
		d    datapoint
		want bool
	}{
		// comparisons: a behavior describes normal behavior
		{"lt violated", LessThan, Value{Count: ptr[int64](10)}, datapoint{num: Int(12)}, false},
		{"lt ok", LessThan, Value{Count: ptr[int64](10)}, datapoint{num: Int(9)}, true},
		{"lt equal", LessThan, Value{Count: ptr[int64](10)}, datapoint{num: Int(10)}, false},
		{"lte equal", LessThanEquals, Value{Count: ptr[int64](10)}, datapoint{num: Float(10)}, true},
		{"gt zero", GreaterThan, Value{Count: ptr[int64](10)}, datapoint{num: Int(0)}, false},
		{"gte float threshold", GreaterThanEquals, Value{Number: ptr(75.0)}, datapoint{num: Float(74.9)}, false},
		{"gte float threshold ok", GreaterThanEquals, Value{Number: ptr(75.0)}, datapoint{num: Int(75)}, true},
		{"2^53+1 vs 2^53", GreaterThan, Value{Number: ptr(float64(1 << 53))}, datapoint{num: Int(1<<53 + 1)}, true},
		{"max int64 count", LessThanEquals, Value{Count: ptr[int64](math.MaxInt64)}, datapoint{num: Int(math.MaxInt64)}, true},
		{"negative float", GreaterThan, Value{Number: ptr(-1.5)}, datapoint{num: Float(-1.25)}, true},
		{"NaN datapoint", LessThan, Value{Number: ptr(1.0)}, datapoint{num: Float(math.NaN())}, false},
		// ports
		{"in-port-set all in", InPortSet, ports, datapoint{ports: []uint16{80, 443, 443}}, true},
		{"in-port-set one out", InPortSet, ports, datapoint{ports: []uint16{80, 8888}}, false},
		{"in-port-set empty", InPortSet, ports, datapoint{ports: []uint16{}}, true},
		{"in-port-set nil", InPortSet, ports, datapoint{}, true},
		{"in-port-set edges", InPortSet, ports, datapoint{ports: []uint16{0, 65535}}, true},
		{"not-in-port-set none in", NotInPortSet, ports, datapoint{ports: []uint16{22, 8080}}, true},
		{"not-in-port-set one in", NotInPortSet, ports, datapoint{ports: []uint16{22, 443}}, false},
		{"not-in-port-set empty", NotInPortSet, ports, datapoint{}, true},
		// addresses
		{"in-cidr-set all in", InCIDRSet, cidrs, datapoint{addrs: addrs("12.8.1.1", "2001:db8::9", "203.0.113.7")}, true},
		{"in-cidr-set mapped datapoint", InCIDRSet, cidrs, datapoint{addrs: addrs("::ffff:12.8.1.1", "::ffff:203.0.113.7")}, true},
		{"in-cidr-set one out", InCIDRSet, cidrs, datapoint{addrs: addrs("12.8.1.1", "12.9.0.0")}, false},
		{"in-cidr-set v6 out", InCIDRSet, cidrs, datapoint{addrs: addrs("2001:db9::")}, false},
		{"in-cidr-set invalid addr", InCIDRSet, cidrs, datapoint{addrs: []netip.Addr{{}}}, false},
		{"in-cidr-set empty", InCIDRSet, cidrs, datapoint{}, true},
		{"not-in-cidr-set none in", NotInCIDRSet, cidrs, datapoint{addrs: addrs("8.8.8.8", "fd00::1", "::ffff:8.8.8.8")}, true},
		{"not-in-cidr-set mapped in", NotInCIDRSet, cidrs, datapoint{addrs: addrs("8.8.8.8", "::ffff:12.8.0.1")}, false},
		{"not-in-cidr-set invalid addr", NotInCIDRSet, cidrs, datapoint{addrs: []netip.Addr{{}}}, true},
		{"not-in-cidr-set /0", NotInCIDRSet, Value{CIDRs: []string{"0.0.0.0/0"}}, datapoint{addrs: addrs("::1")}, true},
		{"in-cidr-set empty set", InCIDRSet, Value{CIDRs: []string{}}, datapoint{addrs: addrs("1.1.1.1")}, false},
		// strings
		{"in-set strings all in", InSet, strs, datapoint{strs: []string{"eth0", "", "eth0"}}, true},
		{"in-set strings one out", InSet, strs, datapoint{strs: []string{"eth0", "eth1"}}, false},
		{"in-set strings empty", InSet, strs, datapoint{}, true},
		{"not-in-set strings none in", NotInSet, strs, datapoint{strs: []string{"ETH0", "lo"}}, true},
		{"not-in-set strings one in", NotInSet, strs, datapoint{strs: []string{"lo", "wlan0"}}, false},
		// numbers
		{"in-set numbers all in", InSet, nums, datapoint{nums: []float64{50.5, math.Copysign(0, -1), 1 << 53}}, true},
		{"in-set numbers one out", InSet, nums, datapoint{nums: []float64{50.5, 1<<53 + 2}}, false},
		{"in-set numbers NaN", InSet, nums, datapoint{nums: []float64{math.NaN()}}, false},
		{"not-in-set numbers none in", NotInSet, nums, datapoint{nums: []float64{50.4, math.NaN()}}, true},
		{"not-in-set numbers one in", NotInSet, nums, datapoint{nums: []float64{1, 0}}, false},
		{"not-in-set numbers empty", NotInSet, nums, datapoint{nums: []float64{}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compile(tt.op, tt.v)
			require.NoError(t, err)
			assert.Equal(t, tt.want, tt.d.judge(c))
		})
	}
}

// TestCriterionWrongKind: a Compliant method of another Kind does no
// evaluation and reports compliant, even where the right one would not.
func TestCriterionWrongKind(t *testing.T) {
	strict := map[Kind]Value{
		KindNumber:  {Count: ptr[int64](0)},
		KindPorts:   {Ports: []int64{}},
		KindAddrs:   {CIDRs: []string{}},
		KindStrings: {Strings: []string{}},
		KindNumbers: {Numbers: []float64{}},
	}
	ops := map[Kind]Operator{KindNumber: LessThan, KindPorts: InPortSet, KindAddrs: InCIDRSet, KindStrings: InSet, KindNumbers: InSet}
	d := datapoint{num: Int(5), ports: []uint16{1}, addrs: addrs("1.1.1.1"), strs: []string{"x"}, nums: []float64{1}}
	for kind, v := range strict {
		c, err := Compile(ops[kind], v)
		require.NoError(t, err)
		require.Equal(t, kind, c.Kind())
		assert.False(t, d.judge(c), "%v: the right method judges", kind)
		calls := map[Kind]bool{
			KindNumber:  c.CompliantNumber(d.num),
			KindPorts:   c.CompliantPorts(d.ports),
			KindAddrs:   c.CompliantAddrs(d.addrs),
			KindStrings: c.CompliantStrings(d.strs),
			KindNumbers: c.CompliantNumbers(d.nums),
		}
		for k, got := range calls {
			if k != kind {
				assert.True(t, got, "%v criterion, %v method", kind, k)
			}
		}
		_, hasThreshold := c.Threshold()
		assert.Equal(t, kind == KindNumber, hasThreshold)
	}
	var nilC *Criterion
	assert.True(t, nilC.CompliantNumber(Int(1)))
	assert.True(t, nilC.CompliantAddrs(addrs("1.1.1.1")))
	assert.Zero(t, nilC.Kind())
	assert.Zero(t, nilC.Operator())
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "addresses", KindAddrs.String())
	assert.Equal(t, "Kind(0)", Kind(0).String())
	assert.Equal(t, "Kind(9)", Kind(9).String())
}
