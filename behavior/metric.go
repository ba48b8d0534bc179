package behavior

import "github.com/ruledetect/ruledetect/criteria"

// Side says where a metric is measured.
type Side uint8

// The sides of the metric catalog.
const (
	SideCloud  Side = iota + 1 // measured by AWS IoT from the device's connection
	SideDevice                 // reported by the device in its metrics report
	SideCustom                 // a custom metric, reported by the device
)

// String returns "cloud", "device" or "custom".
func (s Side) String() string {
	switch s {
	case SideCloud:
		return "cloud"
	case SideDevice:
		return "device"
	case SideCustom:
		return "custom"
	}
	return "Side(?)"
}

// ValueType is the kind of value a metric's datapoints and criteria hold,
// which fixes the MetricValue field a behavior must set.
type ValueType uint8

// The value types, one per MetricValue field.
const (
	ValueCount   ValueType = iota + 1 // a non-negative integer, MetricValue.Count
	ValueCIDRs                        // a list of IP prefixes, MetricValue.CIDRs
	ValuePorts                        // a list of ports, MetricValue.Ports
	ValueNumber                       // a double, MetricValue.Number
	ValueNumbers                      // a list of doubles, MetricValue.Numbers
	ValueStrings                      // a list of strings, MetricValue.Strings
)

var valueFields = [...]string{
	ValueCount:   "count",
	ValueCIDRs:   "cidrs",
	ValuePorts:   "ports",
	ValueNumber:  "number",
	ValueNumbers: "numbers",
	ValueStrings: "strings",
}

// Field returns the JSON name of the MetricValue field the type uses
// ("count", "cidrs", …), or "" for an invalid type.
func (t ValueType) Field() string {
	if t >= ValueCount && t <= ValueStrings {
		return valueFields[t]
	}
	return ""
}

// IsList reports whether datapoints of this type are lists, compared with
// set operators. List metrics take no durationSeconds.
func (t ValueType) IsList() bool {
	return t == ValueCIDRs || t == ValuePorts || t == ValueNumbers || t == ValueStrings
}

// DurationRule says whether a behavior's criteria may or must carry
// durationSeconds for a metric.
type DurationRule uint8

// The duration rules.
const (
	// DurationRequired: counters accumulated over a window (cloud-side
	// counters, aws:all-*).
	DurationRequired DurationRule = iota + 1
	// DurationOptional: gauges and per-message sizes; without a duration
	// each report or message is a datapoint.
	DurationOptional
	// DurationForbidden: list metrics (the model: "Cannot be used with
	// list-based metric datatypes") and aws:disconnect-duration.
	DurationForbidden
)

// String returns "required", "optional" or "forbidden".
func (r DurationRule) String() string {
	switch r {
	case DurationRequired:
		return "required"
	case DurationOptional:
		return "optional"
	case DurationForbidden:
		return "forbidden"
	}
	return "DurationRule(?)"
}

// OperatorSet is a set of comparison operators.
type OperatorSet uint16

// Operator sets used by the catalog.
const (
	NumericOperators OperatorSet = 1<<criteria.LessThan | 1<<criteria.LessThanEquals | 1<<criteria.GreaterThan | 1<<criteria.GreaterThanEquals
	CIDROperators    OperatorSet = 1<<criteria.InCIDRSet | 1<<criteria.NotInCIDRSet
	PortOperators    OperatorSet = 1<<criteria.InPortSet | 1<<criteria.NotInPortSet
	SetOperators     OperatorSet = 1<<criteria.InSet | 1<<criteria.NotInSet
	upperOperators   OperatorSet = 1<<criteria.LessThan | 1<<criteria.LessThanEquals
)

// Has reports whether op is in the set.
func (s OperatorSet) Has(op criteria.Operator) bool { return op.IsValid() && s&(1<<op) != 0 }

// Operators returns the set's operators in the service model's order.
func (s OperatorSet) Operators() []criteria.Operator {
	var ops []criteria.Operator
	for op := criteria.LessThan; op <= criteria.NotInSet; op++ {
		if s.Has(op) {
			ops = append(ops, op)
		}
	}
	return ops
}

// String returns the operators' JSON spellings separated by ", ".
func (s OperatorSet) String() string {
	var b []byte
	for _, op := range s.Operators() {
		if len(b) > 0 {
			b = append(b, ", "...)
		}
		b = append(b, op.String()...)
	}
	return string(b)
}

// Metric is one row of the metric catalog: what a behavior on this metric
// may say. The zero Metric is not a metric.
type Metric struct {
	// Name is the metric's name: "aws:num-messages-sent", or a custom
	// metric's name.
	Name string
	// Side is where the metric is measured.
	Side Side
	// Value is the type of the metric's values; Value.Field() is the
	// MetricValue field a static behavior sets.
	Value ValueType
	// Operators are the comparison operators a behavior may use.
	Operators OperatorSet
	// Duration says whether criteria may or must set durationSeconds.
	Duration DurationRule
	// Statistical reports whether statisticalThreshold is supported.
	Statistical bool
	// ML reports whether ML Detect (mlDetectionConfig) is supported.
	ML bool
	// Dimension reports whether a TOPIC_FILTER metricDimension may scope it.
	Dimension bool
	// CustomType is the custom metric's type; "" for aws: metrics.
	CustomType CustomMetricType
	// Source is the input that gives the metric its datapoints, and
	// Aggregation how a window's inputs make its datapoint.
	Source      Source
	Aggregation Aggregation
}

// IsValid reports whether m is a catalog row rather than the zero Metric.
func (m Metric) IsValid() bool { return m.Side != 0 }

// IsCustom reports whether m is a custom metric.
func (m Metric) IsCustom() bool { return m.Side == SideCustom }
