package ruledetect

import (
	"strings"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/eval"
)

// retainedPrefix starts the names of the behaviors compiled from a
// profile's additionalMetricsToRetainV2 (and additionalMetricsToRetain): a
// NUL, which no behavior name the service accepts contains, so they can
// never clash with a real behavior nor reach a violation.
const retainedPrefix = "\x00retain "

// retainedMetrics returns the profile's metrics to retain as behaviors
// without criteria, named after the metric and dimension, so the engine
// compiles and keeps them like any other (their datapoints are retained and
// exported, never judged). A metric listed twice is compiled once.
func retainedMetrics(sp *behavior.SecurityProfile) []behavior.Behavior {
	seen := map[eval.Series]bool{}
	var out []behavior.Behavior
	add := func(metric string, dim *behavior.MetricDimension, export *bool) {
		k := eval.SeriesOf(metric, dim)
		if seen[k] || metric == "" {
			return
		}
		seen[k] = true
		name := retainedPrefix + strings.Join([]string{k.Metric, k.Dimension, k.Operator}, " ")
		out = append(out, behavior.Behavior{Name: name, Metric: metric, MetricDimension: dim, ExportMetric: export})
	}
	for _, m := range sp.AdditionalMetricsToRetainV2 {
		add(m.Metric, m.MetricDimension, m.ExportMetric)
	}
	for _, m := range sp.AdditionalMetricsToRetain {
		add(m, nil, nil)
	}
	return out
}
