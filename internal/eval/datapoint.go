package eval

import (
	"math"
	"net/netip"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/criteria"
)

// ValueKind is the shape of a datapoint's value.
type ValueKind uint8

const (
	ValueCount  ValueKind = iota + 1 // an unsigned count, metricValue.count
	ValueNumber                      // a custom number, metricValue.number
	ValuePorts
	ValueAddrs
	ValueStrings
	ValueNumbers
)

// Datapoint is one measured value of one (thing, behavior). List values
// point into the input they came from; nothing is copied unless the
// datapoint ends up in a violation event.
type Datapoint struct {
	Kind    ValueKind
	Count   uint64
	Number  float64
	Ports   []uint16
	Addrs   []netip.Addr
	Strings []string
	Numbers []float64
}

// num returns the datapoint as a criteria.Number (counts above MaxInt64,
// which no real input reaches, saturate).
func (d *Datapoint) num() criteria.Number {
	if d.Kind == ValueNumber {
		return criteria.Float(d.Number)
	}
	if d.Count > math.MaxInt64 {
		return criteria.Int(math.MaxInt64)
	}
	return criteria.Int(int64(d.Count))
}

// compliant judges d against a static criterion.
func (d *Datapoint) compliant(c *criteria.Criterion) bool {
	switch d.Kind {
	case ValueCount, ValueNumber:
		return c.CompliantNumber(d.num())
	case ValuePorts:
		return c.CompliantPorts(d.Ports)
	case ValueAddrs:
		return c.CompliantAddrs(d.Addrs)
	case ValueStrings:
		return c.CompliantStrings(d.Strings)
	case ValueNumbers:
		return c.CompliantNumbers(d.Numbers)
	}
	return true
}

// fits reports whether d has the shape the criterion takes; a custom metric
// reported with another type than the behavior expects gives no datapoint.
func (d *Datapoint) fits(c *criteria.Criterion) bool {
	switch c.Kind() {
	case criteria.KindNumber:
		return d.Kind == ValueCount || d.Kind == ValueNumber
	case criteria.KindPorts:
		return d.Kind == ValuePorts
	case criteria.KindAddrs:
		return d.Kind == ValueAddrs
	case criteria.KindStrings:
		return d.Kind == ValueStrings
	case criteria.KindNumbers:
		return d.Kind == ValueNumbers
	}
	return false
}

// MetricValue returns d in the service's MetricValue shape, as events and
// active violations carry it. It copies list values.
func (d *Datapoint) MetricValue() behavior.MetricValue {
	switch d.Kind {
	case ValueCount:
		n := int64(min(d.Count, math.MaxInt64))
		return behavior.MetricValue{Count: &n}
	case ValueNumber:
		f := d.Number
		return behavior.MetricValue{Number: &f}
	case ValuePorts:
		ps := make([]int64, len(d.Ports))
		for i, p := range d.Ports {
			ps[i] = int64(p)
		}
		return behavior.MetricValue{Ports: ps}
	case ValueAddrs:
		cs := make([]string, len(d.Addrs))
		for i, a := range d.Addrs {
			cs[i] = a.String()
		}
		return behavior.MetricValue{CIDRs: cs}
	case ValueStrings:
		return behavior.MetricValue{Strings: append([]string{}, d.Strings...)}
	case ValueNumbers:
		return behavior.MetricValue{Numbers: append([]float64{}, d.Numbers...)}
	}
	return behavior.MetricValue{}
}

// windowValue turns an accumulated window value back into a datapoint.
func windowValue(cb *Behavior, v uint64) Datapoint {
	if cb.float {
		return Datapoint{Kind: ValueNumber, Number: math.Float64frombits(v)}
	}
	return Datapoint{Kind: ValueCount, Count: v}
}

// owned returns a copy of d whose lists are its own: d's may point into the
// input they came from, or into a stack array, and a hook may keep what it
// is given. Copying field by field (not d as a whole) keeps d's lists from
// escaping to the heap in every caller.
func (d *Datapoint) owned() Datapoint {
	return Datapoint{Kind: d.Kind, Count: d.Count, Number: d.Number,
		Ports: clone(d.Ports), Addrs: clone(d.Addrs), Strings: clone(d.Strings), Numbers: clone(d.Numbers)}
}

// clone is slices.Clone written so that s's content does not flow into the
// result (append to s[:0:0] would tell escape analysis it might).
func clone[S ~[]E, E any](s S) S {
	if s == nil {
		return nil
	}
	c := make(S, len(s))
	copy(c, s)
	return c
}
