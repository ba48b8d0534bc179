package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ruledetect/ruledetect/behavior"
)

// demoProfile is the profile a demo evaluated, compactly: one line a
// behavior.
type demoProfile struct {
	Name      string   `json:"name"`
	Behaviors []string `json:"behaviors"`
}

func newDemoProfile(sp *behavior.SecurityProfile) demoProfile {
	p := demoProfile{Name: sp.SecurityProfileName, Behaviors: make([]string, 0, len(sp.Behaviors))}
	for i := range sp.Behaviors {
		p.Behaviors = append(p.Behaviors, behaviorLine(&sp.Behaviors[i]))
	}
	return p
}

// behaviorLine says what a behavior expects in one line:
// "MessagesSent: aws:num-messages-sent less-than-equals 20 over 300s (alarm after 2, clear after 2)".
func behaviorLine(b *behavior.Behavior) string {
	var s strings.Builder
	s.WriteString(b.Name + ": " + b.Metric)
	if d := b.MetricDimension; d != nil {
		op := "IN"
		if d.Operator != nil {
			op = *d.Operator
		}
		fmt.Fprintf(&s, " [%s %s]", op, d.DimensionName)
	}
	c := b.Criteria
	if c == nil {
		return s.String()
	}
	if c.ComparisonOperator != "" {
		s.WriteString(" " + c.ComparisonOperator)
	}
	switch {
	case c.Value != nil:
		s.WriteString(" " + valueText(c.Value))
	case c.StatisticalThreshold != nil && c.StatisticalThreshold.Statistic != nil:
		s.WriteString(" fleet " + *c.StatisticalThreshold.Statistic)
	case c.MLDetectionConfig != nil:
		s.WriteString(" ML " + c.MLDetectionConfig.ConfidenceLevel)
	}
	if c.DurationSeconds != nil {
		fmt.Fprintf(&s, " over %ds", *c.DurationSeconds)
	}
	var counts []string
	if c.ConsecutiveDatapointsToAlarm != nil {
		counts = append(counts, "alarm after "+strconv.FormatInt(*c.ConsecutiveDatapointsToAlarm, 10))
	}
	if c.ConsecutiveDatapointsToClear != nil {
		counts = append(counts, "clear after "+strconv.FormatInt(*c.ConsecutiveDatapointsToClear, 10))
	}
	if len(counts) > 0 {
		s.WriteString(" (" + strings.Join(counts, ", ") + ")")
	}
	if b.SuppressAlerts != nil && *b.SuppressAlerts {
		s.WriteString(" [alerts suppressed]")
	}
	return s.String()
}

// valueText writes a criteria value without its JSON member name.
func valueText(v *behavior.MetricValue) string {
	list := func(n int, item func(int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = item(i)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	switch {
	case v.Count != nil:
		return strconv.FormatInt(*v.Count, 10)
	case v.Number != nil:
		return num(*v.Number)
	case v.CIDRs != nil:
		return list(len(v.CIDRs), func(i int) string { return v.CIDRs[i] })
	case v.Ports != nil:
		return list(len(v.Ports), func(i int) string { return strconv.FormatInt(v.Ports[i], 10) })
	case v.Numbers != nil:
		return list(len(v.Numbers), func(i int) string { return num(v.Numbers[i]) })
	case v.Strings != nil:
		return list(len(v.Strings), func(i int) string { return strconv.Quote(v.Strings[i]) })
	}
	return "(no value)"
}
