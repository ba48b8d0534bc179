package criteria

import "net/netip"

// Criterion is a compiled static criterion: an operator with its value,
// ready to judge datapoints. It is immutable and safe for concurrent use.
//
// Each Compliant method evaluates one Kind of datapoint and reports whether
// it is normal: a behavior describes normal behavior, so a datapoint that
// satisfies the criterion is compliant; for the set operators, a list is a
// violation when any element is outside the set (in-*) or inside it
// (not-in-*), and an empty list is compliant. Called on a Criterion of another Kind, or
// on a nil Criterion, a Compliant method does no evaluation and returns true
// (compliant), so a mismatched datapoint can neither raise nor keep an alarm
// by accident; callers check Kind first.
type Criterion struct {
	op        Operator
	kind      Kind
	threshold Number
	cidrs     *CIDRSet
	ports     *PortSet
	strs      *StringSet
	nums      *NumberSet
}

// Operator returns the comparison operator; 0 for a nil c.
func (c *Criterion) Operator() Operator {
	if c == nil {
		return 0
	}
	return c.op
}

// Kind returns the kind of datapoint c takes; 0 for a nil c.
func (c *Criterion) Kind() Kind {
	if c == nil {
		return 0
	}
	return c.kind
}

// Threshold returns the configured number of a comparison criterion, and
// false for other kinds.
func (c *Criterion) Threshold() (Number, bool) {
	if c.Kind() != KindNumber {
		return Number{}, false
	}
	return c.threshold, true
}

// CompliantNumber reports whether "x op threshold" holds. A NaN x is never
// compliant (it satisfies no comparison).
func (c *Criterion) CompliantNumber(x Number) bool {
	if c.Kind() != KindNumber {
		return true
	}
	return c.op.Holds(x, c.threshold)
}

// CompliantPorts applies the any-element rule to a list of ports: for
// in-port-set every port must be in the set, for not-in-port-set none may be.
// An empty list is compliant.
func (c *Criterion) CompliantPorts(ports []uint16) bool {
	if c.Kind() != KindPorts {
		return true
	}
	allow := c.op == InPortSet
	for _, p := range ports {
		if c.ports.Contains(p) != allow {
			return false
		}
	}
	return true
}

// CompliantAddrs applies the any-element rule to a list of addresses (see
// CIDRSet.Contains for IPv4-mapped addresses). An invalid (zero) Addr is in
// no set: it violates in-cidr-set and satisfies not-in-cidr-set.
func (c *Criterion) CompliantAddrs(addrs []netip.Addr) bool {
	if c.Kind() != KindAddrs {
		return true
	}
	allow := c.op == InCIDRSet
	for _, a := range addrs {
		if c.cidrs.Contains(a) != allow {
			return false
		}
	}
	return true
}

// CompliantStrings applies the any-element rule to a list of strings,
// compared byte for byte.
func (c *Criterion) CompliantStrings(strs []string) bool {
	if c.Kind() != KindStrings {
		return true
	}
	allow := c.op == InSet
	for _, s := range strs {
		if c.strs.Contains(s) != allow {
			return false
		}
	}
	return true
}

// CompliantNumbers applies the any-element rule to a list of numbers,
// compared exactly (see NumberSet): a NaN element violates in-set and
// satisfies not-in-set.
func (c *Criterion) CompliantNumbers(nums []float64) bool {
	if c.Kind() != KindNumbers {
		return true
	}
	allow := c.op == InSet
	for _, f := range nums {
		if c.nums.Contains(f) != allow {
			return false
		}
	}
	return true
}
