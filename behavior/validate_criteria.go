package behavior

import (
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"math"
	"slices"
	"strings"

	"github.com/ruledetect/ruledetect/criteria"
)

// durations are the windows AWS documents for durationSeconds.
var durations = []int64{300, 600, 900, 1800, 3600}

func parseOperator(s string) criteria.Operator {
	op, err := criteria.ParseOperator(s)
	if err != nil {
		return 0
	}
	return op
}

func (c *behaviorCheck) checkCriteria() {
	cr := c.b.Criteria
	if cr == nil {
		c.fail("criteria", "criteria is required; to retain a metric without a rule, use additionalMetricsToRetainV2")
		return
	}
	c.checkOperatorName()
	c.checkConsecutive("consecutiveDatapointsToAlarm", cr.ConsecutiveDatapointsToAlarm)
	c.checkConsecutive("consecutiveDatapointsToClear", cr.ConsecutiveDatapointsToClear)
	if d := cr.DurationSeconds; d != nil && !slices.Contains(durations, *d) {
		c.fail("criteria.durationSeconds", "durationSeconds %d should be one of 300, 600, 900, 1800, 3600", *d)
	}
	if cr.Value != nil {
		c.checkValueContents(cr.Value)
	}
	switch n := criteriaPartCount(cr); {
	case n != 1:
		msg := "criteria should set exactly one of value, statisticalThreshold and mlDetectionConfig"
		if n > 1 {
			msg += ", not " + strings.Join(criteriaParts(cr), " and ")
		}
		c.fail("criteria", "%s", msg)
	case cr.Value != nil:
		c.checkStatic(cr)
	case cr.StatisticalThreshold != nil:
		c.checkStatistical(cr)
	default:
		c.checkML(cr)
	}
}

func criteriaPartCount(cr *BehaviorCriteria) int {
	n := 0
	for _, set := range [...]bool{cr.Value != nil, cr.StatisticalThreshold != nil, cr.MLDetectionConfig != nil} {
		if set {
			n++
		}
	}
	return n
}

func criteriaParts(cr *BehaviorCriteria) []string {
	var set []string
	if cr.Value != nil {
		set = append(set, "value")
	}
	if cr.StatisticalThreshold != nil {
		set = append(set, "statisticalThreshold")
	}
	if cr.MLDetectionConfig != nil {
		set = append(set, "mlDetectionConfig")
	}
	return set
}

func (c *behaviorCheck) checkOperatorName() {
	s := c.b.Criteria.ComparisonOperator
	if s != "" && parseOperator(s) == 0 {
		c.fail("criteria.comparisonOperator", "comparisonOperator %s should be one of %s", echo.Name(s), allOperators)
	}
}

var allOperators = (NumericOperators | CIDROperators | PortOperators | SetOperators).String()

func (c *behaviorCheck) checkConsecutive(field string, n *int64) {
	if n != nil && (*n < 1 || *n > 10) {
		c.fail("criteria."+field, "%s %d should be in range[1,10]", field, *n)
	}
}

// checkOperator checks that the operator is present and allowed by ops;
// with names what restricts it, the metric when empty.
func (c *behaviorCheck) checkOperator(ops OperatorSet, with string) {
	s := c.b.Criteria.ComparisonOperator
	op := parseOperator(s)
	switch {
	case s == "":
		c.fail("criteria.comparisonOperator", "comparisonOperator is required")
	case op != 0 && !ops.Has(op):
		if with == "" {
			with = c.metricLabel()
		}
		c.fail("criteria.comparisonOperator", "comparisonOperator %s cannot be used with %s; use one of %s", echo.Name(s), with, ops)
	}
}

func (c *behaviorCheck) checkStatic(cr *BehaviorCriteria) {
	m := c.metric
	if !m.IsValid() {
		c.checkOperator(NumericOperators|CIDROperators|PortOperators|SetOperators, "value")
		c.checkValueForOperator(cr)
		return
	}
	c.checkOperator(m.Operators, "")
	c.checkValueForMetric(cr.Value)
	switch {
	case m.Duration == DurationRequired && cr.DurationSeconds == nil:
		c.fail("criteria.durationSeconds", "durationSeconds is required for %s", c.metricLabel())
	case m.Duration == DurationForbidden && cr.DurationSeconds != nil:
		c.fail("criteria.durationSeconds", "durationSeconds cannot be used with %s", c.metricLabel())
	}
}

func (c *behaviorCheck) checkStatistical(cr *BehaviorCriteria) {
	if m := c.metric; m.IsValid() && !m.Statistical {
		c.fail("criteria.statisticalThreshold", "statisticalThreshold cannot be used with %s", c.metricLabel())
	}
	c.checkOperator(NumericOperators, "statisticalThreshold")
	if cr.DurationSeconds == nil {
		c.fail("criteria.durationSeconds", "durationSeconds is required with statisticalThreshold")
	}
	st := cr.StatisticalThreshold.Statistic
	switch {
	case st == nil:
		c.fail("criteria.statisticalThreshold.statistic", "statisticalThreshold.statistic is required")
	case *st == "Average":
		c.fail("criteria.statisticalThreshold.statistic", "statistic Average is accepted only by CloudFormation's schema, not by the API; use one of %s", statisticNames)
	default:
		if _, err := criteria.ParseStatistic(*st); err != nil {
			c.fail("criteria.statisticalThreshold.statistic", "statistic %s should be one of %s", echo.Name(*st), statisticNames)
		}
	}
}

var statisticNames = func() string {
	names := make([]string, len(criteria.Statistics))
	for i, s := range criteria.Statistics {
		names[i] = s.String()
	}
	return strings.Join(names, ", ")
}()

func (c *behaviorCheck) checkML(cr *BehaviorCriteria) {
	if m := c.metric; m.IsValid() && !m.ML {
		c.fail("criteria.mlDetectionConfig", "mlDetectionConfig cannot be used with %s", c.metricLabel())
	}
	if cr.ComparisonOperator != "" {
		c.fail("criteria.comparisonOperator", "comparisonOperator cannot be used with mlDetectionConfig")
	}
	if cr.DurationSeconds != nil {
		c.fail("criteria.durationSeconds", "durationSeconds cannot be used with mlDetectionConfig")
	}
	switch l := cr.MLDetectionConfig.ConfidenceLevel; l {
	case "LOW", "MEDIUM", "HIGH":
	case "":
		c.fail("criteria.mlDetectionConfig.confidenceLevel", "mlDetectionConfig.confidenceLevel is required")
	default:
		c.fail("criteria.mlDetectionConfig.confidenceLevel", "mlDetectionConfig.confidenceLevel %s should be one of LOW, MEDIUM, HIGH", echo.Name(l))
	}
}

// valueSet is a set of MetricValue fields.
type valueSet uint8

func (s valueSet) has(t ValueType) bool { return s&(1<<t) != 0 }

// types lists the set's fields in model order.
func (s valueSet) types() []ValueType {
	var ts []ValueType
	for t := ValueCount; t <= ValueStrings; t++ {
		if s.has(t) {
			ts = append(ts, t)
		}
	}
	return ts
}

// valueFieldsSet returns the MetricValue fields that are set.
func valueFieldsSet(v *MetricValue) valueSet {
	var s valueSet
	for t, set := range [...]bool{ValueCount: v.Count != nil, ValueCIDRs: v.CIDRs != nil, ValuePorts: v.Ports != nil,
		ValueNumber: v.Number != nil, ValueNumbers: v.Numbers != nil, ValueStrings: v.Strings != nil} {
		if set {
			s |= 1 << t
		}
	}
	return s
}

// checkValueForMetric checks that value sets the metric's field and no other.
func (c *behaviorCheck) checkValueForMetric(v *MetricValue) {
	want := c.metric.Value
	set := valueFieldsSet(v)
	if set == 1<<want {
		return
	}
	if !set.has(want) {
		c.fail("criteria.value", "value.%s is required for %s", want.Field(), c.metricLabel())
	}
	for _, t := range set.types() {
		if t != want {
			c.fail("criteria.value."+t.Field(), "value.%s cannot be used with %s; it takes value.%s", t.Field(), c.metricLabel(), want.Field())
		}
	}
}

// operatorFields are the value fields each kind of operator compares with,
// for behaviors whose metric is unknown.
func operatorFields(op criteria.Operator) []ValueType {
	switch {
	case NumericOperators.Has(op):
		return []ValueType{ValueCount, ValueNumber}
	case CIDROperators.Has(op):
		return []ValueType{ValueCIDRs}
	case PortOperators.Has(op):
		return []ValueType{ValuePorts}
	case SetOperators.Has(op):
		return []ValueType{ValueNumbers, ValueStrings}
	}
	return nil
}

func (c *behaviorCheck) checkValueForOperator(cr *BehaviorCriteria) {
	set := valueFieldsSet(cr.Value).types()
	switch len(set) {
	case 0:
		c.fail("criteria.value", "value should set one of count, cidrs, ports, number, numbers, strings")
		return
	case 1:
	default:
		names := make([]string, len(set))
		for i, t := range set {
			names[i] = t.Field()
		}
		c.fail("criteria.value", "value should set exactly one field, not %s", strings.Join(names, " and "))
	}
	op := parseOperator(cr.ComparisonOperator)
	if op == 0 {
		return
	}
	want := operatorFields(op)
	for _, t := range set {
		if !slices.Contains(want, t) {
			c.fail("criteria.value."+t.Field(), "value.%s cannot be used with comparisonOperator %s", t.Field(), op)
		}
	}
}

// checkValueContents checks each element of a value against its shape.
func (c *behaviorCheck) checkValueContents(v *MetricValue) {
	if v.Count != nil && *v.Count < 0 {
		c.fail("criteria.value.count", "value.count %d should not be negative", *v.Count)
	}
	for i, p := range v.Ports {
		if p < 0 || p > 65535 {
			c.fail(fmt.Sprintf("criteria.value.ports[%d]", i), "value.ports[%d] %d should be in range[0,65535]", i, p)
		}
	}
	for i, s := range v.CIDRs {
		if !validCIDR(s) {
			field := fmt.Sprintf("value.cidrs[%d]", i)
			c.fail("criteria."+field, "%s", checkCIDR(field, s))
		}
	}
	if v.Number != nil && !finite(*v.Number) {
		c.fail("criteria.value.number", "value.number %v should be a finite number", *v.Number)
	}
	for i, n := range v.Numbers {
		if !finite(n) {
			c.fail(fmt.Sprintf("criteria.value.numbers[%d]", i), "value.numbers[%d] %v should be a finite number", i, n)
		}
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// checkCIDR checks one Cidr: 2..43 characters of the model's pattern, and
// an address or prefix criteria.ParseCIDR accepts.
func checkCIDR(field, s string) string {
	if msg := checkLength(field, s, 2, 43); msg != "" {
		return msg
	}
	if _, err := criteria.ParseCIDR(s); err != nil || !allRunes(s, isCIDRChar) {
		return fmt.Sprintf("%s %s is not a valid CIDR", field, echo.Quote(s))
	}
	return ""
}

func validCIDR(s string) bool {
	if n := len(s); n < 2 || n > 43 || !allRunes(s, isCIDRChar) {
		return false
	}
	_, err := criteria.ParseCIDR(s)
	return err == nil
}

func isCIDRChar(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == ':' || r == '.' || r == '/'
}
