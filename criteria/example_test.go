package criteria_test

import (
	"errors"
	"fmt"
	"math"
	"net/netip"

	"github.com/ruledetect/ruledetect/criteria"
)

// A deny-list of source networks, as in the developer guide's
// "Destination IPs" example: a datapoint violates it when any address is
// inside a listed CIDR.
func ExampleCompile() {
	c, err := criteria.Compile(criteria.NotInCIDRSet, criteria.Value{
		CIDRs: []string{"12.8.0.0/16", "15.102.16.0/24"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Kind())
	fmt.Println(c.CompliantAddrs([]netip.Addr{netip.MustParseAddr("203.0.113.9")}))
	fmt.Println(c.CompliantAddrs([]netip.Addr{netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("::ffff:12.8.1.1")}))
	fmt.Println(c.CompliantAddrs(nil)) // an empty list is compliant
	// Output:
	// addresses
	// true
	// false
	// true
}

func ExampleCompile_error() {
	_, err := criteria.Compile(criteria.InPortSet, criteria.Value{Ports: []int64{443, 80, 8080, 70000}})
	fmt.Println(err)
	fmt.Println(errors.Is(err, criteria.ErrInvalidValue))
	// Output:
	// value.ports[3]: 70000 is outside 0..65535
	// true
}

func ExampleCriterion_CompliantNumber() {
	limit := int64(10)
	c, _ := criteria.Compile(criteria.LessThan, criteria.Value{Count: &limit})
	fmt.Println(c.CompliantNumber(criteria.Int(9)))
	fmt.Println(c.CompliantNumber(criteria.Int(12))) // DESIGN rule 1: a violation
	// Output:
	// true
	// false
}

func ExampleCriterion_CompliantPorts() {
	c, _ := criteria.Compile(criteria.InPortSet, criteria.Value{Ports: []int64{443, 80}})
	fmt.Println(c.CompliantPorts([]uint16{80, 443}))
	fmt.Println(c.CompliantPorts([]uint16{443, 8888}))
	// Output:
	// true
	// false
}

func ExampleNumber_Compare() {
	big := criteria.Int(1<<53 + 1)
	f := criteria.Float(1 << 53) // float64(1<<53+1) would round to this
	fmt.Println(big.Compare(f), big.Float64() == f.Float64())
	// Output: 1 true
}

func ExampleOperator_Holds() {
	fmt.Println(criteria.GreaterThanEquals.Holds(criteria.Float(74.5), criteria.Int(75)))
	// Output: false
}

func ExampleCIDRSet() {
	s := criteria.NewCIDRSet([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("10.1.0.0/16"), // covered by 10.0.0.0/8
		netip.MustParsePrefix("2001:db8::/32"),
	})
	fmt.Println(s.Len())
	fmt.Println(s.Contains(netip.MustParseAddr("10.200.0.1")), s.Contains(netip.MustParseAddr("::ffff:10.0.0.1")))
	fmt.Println(s.Contains(netip.MustParseAddr("2001:db9::1")))
	// Output:
	// 2
	// true true
	// false
}

func ExampleParseCIDR() {
	for _, s := range []string{"192.168.100.14/24", "203.0.113.9", "::ffff:10.0.0.0/104"} {
		p, _ := criteria.ParseCIDR(s)
		fmt.Println(p)
	}
	// Output:
	// 192.168.100.0/24
	// 203.0.113.9/32
	// 10.0.0.0/8
}

func ExampleStringSet() {
	s := criteria.NewStringSet([]string{"eth0", "wlan0"})
	fmt.Println(s.Contains("eth0"), s.Contains("eth1"), s.Len())
	// Output: true false 2
}

func ExampleNumberSet() {
	s := criteria.NewNumberSet([]float64{0, 50.5})
	fmt.Println(s.Contains(50.5), s.Contains(math.Copysign(0, -1)), s.Contains(50.50000001))
	// Output: true true false
}

func ExamplePortSet() {
	s := criteria.NewPortSet([]uint16{22, 443, 443})
	fmt.Println(s.Contains(443), s.Contains(80), s.Len())
	// Output: true false 2
}
