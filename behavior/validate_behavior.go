package behavior

import (
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"strings"

	"github.com/ruledetect/ruledetect/dimension"
)

// behaviorCheck validates one behavior.
type behaviorCheck struct {
	v      *validator
	b      *Behavior
	list   string // "behaviors"
	index  int    // the behavior's index in list
	metric Metric // the catalog row; zero when the metric is unknown
}

// fail records a problem of the behavior, in the service's form. A
// nameless behavior is called by its path, "behaviors[3]". The path is
// built only here, so that validating a valid behavior allocates nothing.
func (c *behaviorCheck) fail(field, format string, args ...any) {
	path := fmt.Sprintf("%s[%d]", c.list, c.index)
	display := path
	if c.b.Name != "" {
		display = echo.Name(c.b.Name)
	}
	c.v.errs = append(c.v.errs, ValidationError{
		ErrorMessage: "Behavior " + display + " is malformed. " + fmt.Sprintf(format, args...),
		Behavior:     c.b.Name,
		Field:        joinPath(path, field),
	})
}

func (c *behaviorCheck) run() {
	if msg := checkBehaviorName("name", c.b.Name); msg != "" {
		c.fail("name", "%s", msg)
	}
	c.metric = c.resolveMetric()
	c.checkDimension()
	c.checkCriteria()
}

// metricLabel names the metric in messages: "metric aws:num-disconnects"
// or "custom metric batteryPercentage".
func (c *behaviorCheck) metricLabel() string {
	if c.metric.IsCustom() {
		return "custom metric " + c.metric.Name
	}
	return "metric " + c.metric.Name
}

// resolveMetric finds the behavior's catalog row, reporting an unknown or
// malformed metric.
func (c *behaviorCheck) resolveMetric() Metric {
	name := c.b.Metric
	if m, ok := LookupMetric(name); ok {
		return m
	}
	switch {
	case name == "":
		c.fail("metric", "metric is required")
		return Metric{}
	case strings.HasPrefix(name, "aws:"):
		c.fail("metric", "metric %s is not supported", echo.Name(name))
		return Metric{}
	}
	if msg := checkName("metric", name); msg != "" {
		c.fail("metric", "%s", msg)
		return Metric{}
	}
	if c.v.opts.CustomMetrics == nil {
		return inferCustomType(c.b.Criteria).Metric(name)
	}
	t, ok := c.v.opts.CustomMetrics[name]
	switch {
	case !ok:
		c.fail("metric", "custom metric %s does not exist", echo.Name(name))
	case !t.IsValid():
		c.fail("metric", "custom metric %s has unknown type %s", echo.Name(name), echo.Name(string(t)))
	}
	return t.Metric(name)
}

// inferCustomType picks the custom metric type a behavior on an unknown
// custom metric is valid for, if any: the one its value field, else its
// operator, implies; number otherwise (the only type that takes
// statistical thresholds and ML).
func inferCustomType(cr *BehaviorCriteria) CustomMetricType {
	if cr == nil {
		return CustomNumber
	}
	if v := cr.Value; v != nil {
		switch {
		case v.Number != nil:
			return CustomNumber
		case v.Numbers != nil:
			return CustomNumberList
		case v.Strings != nil:
			return CustomStringList
		case v.CIDRs != nil:
			return CustomIPAddressList
		}
	}
	switch {
	case CIDROperators.Has(parseOperator(cr.ComparisonOperator)):
		return CustomIPAddressList
	case SetOperators.Has(parseOperator(cr.ComparisonOperator)):
		return CustomStringList
	}
	return CustomNumber
}

func (c *behaviorCheck) checkDimension() {
	d := c.b.MetricDimension
	if d == nil {
		return
	}
	switch m := c.metric; {
	case m.IsCustom():
		c.fail("metricDimension", "metricDimension cannot be used with %s", c.metricLabel())
	case m.IsValid() && !m.Dimension:
		c.fail("metricDimension", "metricDimension cannot be used with %s", c.metricLabel())
	}
	for _, p := range dimensionProblems(d, c.v.opts) {
		c.fail("metricDimension."+p.field, "%s", p.msg)
	}
}

type problem struct{ field, msg string }

// dimensionProblems checks a MetricDimension's own members.
func dimensionProblems(d *MetricDimension, opts ValidateOptions) []problem {
	var ps []problem
	if msg := checkName("metricDimension.dimensionName", d.DimensionName); msg != "" {
		ps = append(ps, problem{"dimensionName", msg})
	} else if opts.DimensionExists != nil && !opts.DimensionExists(d.DimensionName) {
		ps = append(ps, problem{"dimensionName", "dimension " + d.DimensionName + " does not exist"})
	}
	if op := d.Operator; op != nil {
		if _, err := dimension.ParseOperator(*op); err != nil || *op == "" {
			ps = append(ps, problem{"operator", fmt.Sprintf("metricDimension.operator %s should be IN or NOT_IN", echo.Quote(*op))})
		}
	}
	return ps
}
