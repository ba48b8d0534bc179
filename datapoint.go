package ruledetect

import (
	"math"
	"net/netip"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/criteria"
)

// dpKind is the shape of a datapoint's value.
type dpKind uint8

const (
	dpCount  dpKind = iota + 1 // an unsigned count, metricValue.count
	dpNumber                   // a custom number, metricValue.number
	dpPorts
	dpAddrs
	dpStrings
	dpNumbers
)

// datapoint is one measured value of one (thing, behavior). List values
// point into the input they came from; nothing is copied unless the
// datapoint ends up in a violation event.
type datapoint struct {
	kind    dpKind
	count   uint64
	number  float64
	ports   []uint16
	addrs   []netip.Addr
	strings []string
	numbers []float64
}

// num returns the datapoint as a criteria.Number (counts above MaxInt64,
// which no real input reaches, saturate).
func (d *datapoint) num() criteria.Number {
	if d.kind == dpNumber {
		return criteria.Float(d.number)
	}
	if d.count > math.MaxInt64 {
		return criteria.Int(math.MaxInt64)
	}
	return criteria.Int(int64(d.count))
}

// compliant judges d against a static criterion.
func (d *datapoint) compliant(c *criteria.Criterion) bool {
	switch d.kind {
	case dpCount, dpNumber:
		return c.CompliantNumber(d.num())
	case dpPorts:
		return c.CompliantPorts(d.ports)
	case dpAddrs:
		return c.CompliantAddrs(d.addrs)
	case dpStrings:
		return c.CompliantStrings(d.strings)
	case dpNumbers:
		return c.CompliantNumbers(d.numbers)
	}
	return true
}

// fits reports whether d has the shape the criterion takes; a custom metric
// reported with another type than the behavior expects gives no datapoint.
func (d *datapoint) fits(c *criteria.Criterion) bool {
	switch c.Kind() {
	case criteria.KindNumber:
		return d.kind == dpCount || d.kind == dpNumber
	case criteria.KindPorts:
		return d.kind == dpPorts
	case criteria.KindAddrs:
		return d.kind == dpAddrs
	case criteria.KindStrings:
		return d.kind == dpStrings
	case criteria.KindNumbers:
		return d.kind == dpNumbers
	}
	return false
}

// metricValue returns d in the service's MetricValue shape, as events and
// active violations carry it. It copies list values.
func (d *datapoint) metricValue() behavior.MetricValue {
	switch d.kind {
	case dpCount:
		n := int64(min(d.count, math.MaxInt64))
		return behavior.MetricValue{Count: &n}
	case dpNumber:
		f := d.number
		return behavior.MetricValue{Number: &f}
	case dpPorts:
		ps := make([]int64, len(d.ports))
		for i, p := range d.ports {
			ps[i] = int64(p)
		}
		return behavior.MetricValue{Ports: ps}
	case dpAddrs:
		cs := make([]string, len(d.addrs))
		for i, a := range d.addrs {
			cs[i] = a.String()
		}
		return behavior.MetricValue{CIDRs: cs}
	case dpStrings:
		return behavior.MetricValue{Strings: append([]string{}, d.strings...)}
	case dpNumbers:
		return behavior.MetricValue{Numbers: append([]float64{}, d.numbers...)}
	}
	return behavior.MetricValue{}
}

// windowValue turns an accumulated window value back into a datapoint.
func windowValue(cb *compiledBehavior, v uint64) datapoint {
	if cb.float {
		return datapoint{kind: dpNumber, number: math.Float64frombits(v)}
	}
	return datapoint{kind: dpCount, count: v}
}
