package behavior

import (
	"errors"
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
)

// CustomMetricType is the metricType of a custom metric, spelled as the
// service spells it.
type CustomMetricType string

// The four custom metric types.
const (
	CustomNumber        CustomMetricType = "number"
	CustomNumberList    CustomMetricType = "number-list"
	CustomStringList    CustomMetricType = "string-list"
	CustomIPAddressList CustomMetricType = "ip-address-list"
)

// ErrInvalidCustomMetricType is returned by [ParseCustomMetricType] for a
// string that is not one of the four types.
var ErrInvalidCustomMetricType = errors.New("behavior: invalid custom metric type")

// CustomMetricTypes returns the four custom metric types.
func CustomMetricTypes() []CustomMetricType {
	return []CustomMetricType{CustomNumber, CustomNumberList, CustomStringList, CustomIPAddressList}
}

// ParseCustomMetricType returns the type spelled s, exactly as the service
// spells it.
func ParseCustomMetricType(s string) (CustomMetricType, error) {
	t := CustomMetricType(s)
	if !t.IsValid() {
		return "", fmt.Errorf("%w %s: want number, number-list, string-list or ip-address-list", ErrInvalidCustomMetricType, echo.Quote(s))
	}
	return t, nil
}

// IsValid reports whether t is one of the four types.
func (t CustomMetricType) IsValid() bool {
	switch t {
	case CustomNumber, CustomNumberList, CustomStringList, CustomIPAddressList:
		return true
	}
	return false
}

// Metric returns the catalog row of a custom metric of type t called name:
// number compares with less-/greater-than, takes an optional duration and
// supports statistical thresholds and ML; the list types take set operators
// and no duration. Custom metrics never take a dimension. For an invalid t
// it returns the zero Metric.
func (t CustomMetricType) Metric(name string) Metric {
	m := Metric{Name: name, Side: SideCustom, Duration: DurationForbidden, CustomType: t,
		Source: FromCustom, Aggregation: PerInput}
	switch t {
	case CustomNumber:
		m.Value, m.Operators, m.Duration = ValueNumber, NumericOperators, DurationOptional
		m.Statistical, m.ML = true, true
		m.Aggregation = LastValue
	case CustomNumberList:
		m.Value, m.Operators = ValueNumbers, SetOperators
	case CustomStringList:
		m.Value, m.Operators = ValueStrings, SetOperators
	case CustomIPAddressList:
		m.Value, m.Operators = ValueCIDRs, CIDROperators
	default:
		return Metric{}
	}
	return m
}
