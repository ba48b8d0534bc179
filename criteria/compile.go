package criteria

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
)

// Compile checks that op and v fit together and compiles them into a
// Criterion. The comparisons take exactly one of v.Count (≥ 0) or v.Number
// (finite); in-cidr-set and not-in-cidr-set take v.CIDRs (see ParseCIDR);
// in-port-set and not-in-port-set take v.Ports, each 0..65535; in-set and
// not-in-set take either v.Numbers (finite) or v.Strings. Every other field
// must be nil. An empty list is a valid, empty set.
//
// The error is an *Error naming the field and element
// ("value.ports[3]: 70000 is outside 0..65535"); it matches ErrInvalidValue,
// and a bad CIDR also matches ErrInvalidCIDR. Compile has no side effects.
func Compile(op Operator, v Value) (*Criterion, error) {
	if !op.IsValid() {
		e := fieldError("comparisonOperator", fmt.Sprintf("%v is not a comparison operator", op))
		e.Err = ErrInvalidOperator
		return nil, e
	}
	want, err := valueField(op, v)
	if err != nil {
		return nil, err
	}
	c := &Criterion{op: op}
	switch want {
	case "count", "number":
		err = c.compileNumber(v)
	case "cidrs":
		err = c.compileCIDRs(v.CIDRs)
	case "ports":
		err = c.compilePorts(v.Ports)
	case "numbers":
		err = c.compileNumbers(v.Numbers)
	default:
		c.kind, c.strs = KindStrings, NewStringSet(v.Strings)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// valueField returns the one field of v that op takes, or why v does not
// have exactly that field.
func valueField(op Operator, v Value) (string, error) {
	var allowed []string
	switch {
	case op.IsComparison():
		allowed = []string{"count", "number"}
	case op == InCIDRSet || op == NotInCIDRSet:
		allowed = []string{"cidrs"}
	case op == InPortSet || op == NotInPortSet:
		allowed = []string{"ports"}
	default:
		allowed = []string{"numbers", "strings"}
	}
	set := v.fields()
	want := strings.Join(allowed, " or ")
	switch {
	case len(set) == 0:
		return "", fieldError("value", fmt.Sprintf("%s needs %s", op, want))
	case len(set) > 1:
		return "", fieldError("value", fmt.Sprintf("%s takes one of %s, got %s", op, want, strings.Join(set, " and ")))
	}
	for _, f := range allowed {
		if f == set[0] {
			return f, nil
		}
	}
	return "", fieldError("value."+set[0], fmt.Sprintf("%s takes %s", op, want))
}

func (c *Criterion) compileNumber(v Value) error {
	c.kind = KindNumber
	if v.Count != nil {
		if *v.Count < 0 {
			return fieldError("value.count", fmt.Sprintf("%d is negative", *v.Count))
		}
		c.threshold = Int(*v.Count)
		return nil
	}
	if f := *v.Number; math.IsNaN(f) || math.IsInf(f, 0) {
		return fieldError("value.number", fmt.Sprintf("%v is not a finite number", f))
	}
	c.threshold = Float(*v.Number)
	return nil
}

func (c *Criterion) compileCIDRs(cidrs []string) error {
	ps := make([]netip.Prefix, len(cidrs))
	for i, s := range cidrs {
		p, err := ParseCIDR(s)
		if err != nil {
			e := elemError("value.cidrs", i, err.Error())
			e.Err = err
			return e
		}
		ps[i] = p
	}
	c.kind, c.cidrs = KindAddrs, NewCIDRSet(ps)
	return nil
}

func (c *Criterion) compilePorts(ports []int64) error {
	ps := make([]uint16, len(ports))
	for i, p := range ports {
		if p < 0 || p > math.MaxUint16 {
			return elemError("value.ports", i, fmt.Sprintf("%d is outside 0..65535", p))
		}
		ps[i] = uint16(p)
	}
	c.kind, c.ports = KindPorts, NewPortSet(ps)
	return nil
}

func (c *Criterion) compileNumbers(nums []float64) error {
	for i, f := range nums {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return elemError("value.numbers", i, fmt.Sprintf("%v is not a finite number", f))
		}
	}
	c.kind, c.nums = KindNumbers, NewNumberSet(nums)
	return nil
}
