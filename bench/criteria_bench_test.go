package bench

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/ruledetect/ruledetect/criteria"
)

// BenchmarkCriterion runs each Criterion kind through its Compliant method
// with a compliant datapoint of a few elements (every element is looked up),
// as the engine does per datapoint. All must report 0 allocs.
func BenchmarkCriterion(b *testing.B) {
	count := int64(100)
	number := 75.0
	cidrs := make([]string, 0, 1000)
	for i := range 1000 {
		cidrs = append(cidrs, fmt.Sprintf("100.%d.%d.0/24", 64+i/256, i%256))
	}
	cidrs = append(cidrs, "2001:db8::/32")
	strs := []string{"eth0", "wlan0", "device-000001", "device-000002"}
	cases := []struct {
		name  string
		op    criteria.Operator
		v     criteria.Value
		judge func(c *criteria.Criterion) bool
	}{
		{"kind=number/value=count", criteria.LessThanEquals, criteria.Value{Count: &count},
			func(c *criteria.Criterion) bool { return c.CompliantNumber(criteria.Int(42)) }},
		{"kind=number/value=number", criteria.GreaterThan, criteria.Value{Number: &number},
			func(c *criteria.Criterion) bool { return c.CompliantNumber(criteria.Float(80.5)) }},
		{"kind=ports/elems=4", criteria.InPortSet, criteria.Value{Ports: []int64{22, 80, 443, 8883}},
			func(c *criteria.Criterion) bool { return c.CompliantPorts([]uint16{22, 80, 443, 8883}) }},
		{"kind=addrs/set=v4-10/elems=4", criteria.NotInCIDRSet, criteria.Value{CIDRs: cidrs[:10]},
			func(c *criteria.Criterion) bool { return c.CompliantAddrs(probeAddrs) }},
		{"kind=addrs/set=v4v6-1001/elems=4", criteria.InCIDRSet, criteria.Value{CIDRs: cidrs},
			func(c *criteria.Criterion) bool { return c.CompliantAddrs(memberAddrs) }},
		{"kind=strings/elems=4", criteria.InSet, criteria.Value{Strings: strs},
			func(c *criteria.Criterion) bool { return c.CompliantStrings(strs) }},
		{"kind=numbers/elems=4", criteria.NotInSet, criteria.Value{Numbers: []float64{1, 2, 3}},
			func(c *criteria.Criterion) bool { return c.CompliantNumbers([]float64{4, 5, 6.5, -1}) }},
	}
	for _, cs := range cases {
		c, err := criteria.Compile(cs.op, cs.v)
		if err != nil {
			b.Fatal(err)
		}
		if !cs.judge(c) {
			b.Fatalf("%s: the benchmark datapoint should be compliant", cs.name)
		}
		b.Run(cs.name, func(b *testing.B) {
			b.ReportAllocs()
			ok := true
			for b.Loop() {
				ok = cs.judge(c) && ok
			}
			if !ok {
				b.Fatal("verdict changed")
			}
		})
	}
}

var (
	probeAddrs  = []netip.Addr{netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("::ffff:192.0.2.1"), netip.MustParseAddr("2001:db8::1")}
	memberAddrs = []netip.Addr{netip.MustParseAddr("100.64.0.9"), netip.MustParseAddr("100.67.231.1"), netip.MustParseAddr("::ffff:100.65.2.3"), netip.MustParseAddr("2001:db8::1")}
)
