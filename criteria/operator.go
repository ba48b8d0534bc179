// Package criteria compiles the comparison operators and values of a behavior's
// criteria into evaluators that answer "is this datapoint normal?" without
// allocating: numeric comparisons, CIDR sets, port sets, string and number sets.
//
// A criterion describes normal behavior: a datapoint that satisfies it is
// compliant, one that does not is a violation. For list datapoints the
// any-element rule applies: in-* sets are violated when any element is outside
// the set, not-in-* sets when any element is inside; an empty list is compliant.
package criteria

import (
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
)

// Operator is a comparison operator of the service model's ComparisonOperator
// enum. The zero Operator is not valid and means "none given".
type Operator uint8

// The comparison operators, in the service model's order.
const (
	LessThan Operator = iota + 1
	LessThanEquals
	GreaterThan
	GreaterThanEquals
	InCIDRSet
	NotInCIDRSet
	InPortSet
	NotInPortSet
	InSet
	NotInSet
)

var operatorNames = [...]string{
	LessThan:          "less-than",
	LessThanEquals:    "less-than-equals",
	GreaterThan:       "greater-than",
	GreaterThanEquals: "greater-than-equals",
	InCIDRSet:         "in-cidr-set",
	NotInCIDRSet:      "not-in-cidr-set",
	InPortSet:         "in-port-set",
	NotInPortSet:      "not-in-port-set",
	InSet:             "in-set",
	NotInSet:          "not-in-set",
}

// ParseOperator returns the operator spelled s as in the service's JSON
// ("less-than-equals", "not-in-cidr-set", …). Matching is exact, as the
// service's is.
func ParseOperator(s string) (Operator, error) {
	for op, name := range operatorNames {
		if name != "" && name == s {
			return Operator(op), nil
		}
	}
	return 0, fmt.Errorf("unknown comparison operator %s", echo.Quote(s))
}

// String returns the operator's JSON spelling, or "Operator(N)" for an invalid one.
func (op Operator) String() string {
	if op.IsValid() {
		return operatorNames[op]
	}
	return fmt.Sprintf("Operator(%d)", uint8(op))
}

// IsValid reports whether op is one of the ten operators.
func (op Operator) IsValid() bool { return op >= LessThan && op <= NotInSet }

// IsComparison reports whether op compares a single number with a threshold.
func (op Operator) IsComparison() bool { return op >= LessThan && op <= GreaterThanEquals }

// IsSetMembership reports whether op tests the elements of a list against a set.
func (op Operator) IsSetMembership() bool { return op >= InCIDRSet && op <= NotInSet }

// IsNegated reports whether op is a deny-list operator (not-in-*): a list
// datapoint violates it when any element is inside the set.
func (op Operator) IsNegated() bool {
	return op == NotInCIDRSet || op == NotInPortSet || op == NotInSet
}

// Holds reports whether "x op threshold" is true, comparing exactly (see
// Number.Compare). It is false when either side is NaN, and for operators
// other than the four comparisons.
func (op Operator) Holds(x, threshold Number) bool {
	if x.IsNaN() || threshold.IsNaN() {
		return false
	}
	c := x.Compare(threshold)
	switch op {
	case LessThan:
		return c < 0
	case LessThanEquals:
		return c <= 0
	case GreaterThan:
		return c > 0
	case GreaterThanEquals:
		return c >= 0
	}
	return false
}
