package ruledetect

import (
	"slices"
	"strings"

	"github.com/ruledetect/ruledetect/behavior"
)

// seriesKey names one retained metric of a thing: the metric with its
// dimension's name and operator ("" when it has none), as ListMetricValues
// selects it.
type seriesKey struct {
	metric, dimension, operator string
}

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
	seen := map[seriesKey]bool{}
	var out []behavior.Behavior
	add := func(metric string, dim *behavior.MetricDimension, export *bool) {
		k := keyOf(metric, dim)
		if seen[k] || metric == "" {
			return
		}
		seen[k] = true
		name := retainedPrefix + strings.Join([]string{k.metric, k.dimension, k.operator}, " ")
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

// keyOf is the series of metric measured with dim; a dimension's operator
// defaults to IN.
func keyOf(metric string, dim *behavior.MetricDimension) seriesKey {
	k := seriesKey{metric: metric}
	if dim != nil {
		k.dimension, k.operator = dim.DimensionName, "IN"
		if dim.Operator != nil && *dim.Operator != "" {
			k.operator = *dim.Operator
		}
	}
	return k
}

// retainSpec is one series of a kind of thing: its key and the metrics
// export destinations of the profiles that export it.
type retainSpec struct {
	key    seriesKey
	export []*behavior.MetricsExportConfig
}

// indexRetained chooses, for each series the covered behaviors measure, the
// behavior that feeds it: one that takes each input (the reported values)
// before one with a window (a value per evaluation period). A series is
// exported to every covering profile that has a metrics export
// configuration and marks the metric exportMetric on any of its behaviors
// or metrics to retain.
func (cv *coverage) indexRetained(c *config) {
	cv.retain = make([]*retainSpec, len(cv.behaviors))
	chosen := map[seriesKey]int{}
	for i, cb := range cv.behaviors {
		if cb.eval == evalNone || cb.series.metric == "" {
			continue
		}
		j, ok := chosen[cb.series]
		if !ok || (cv.behaviors[j].periods > 0 && cb.periods == 0) {
			chosen[cb.series] = i
		}
	}
	for key, i := range chosen {
		spec := &retainSpec{key: key}
		for _, cb := range cv.behaviors {
			if cb.series != key || cb.b.ExportMetric == nil || !*cb.b.ExportMetric {
				continue
			}
			rec := c.profiles[cb.profile]
			if rec == nil || rec.sp.MetricsExportConfig == nil {
				continue
			}
			dst := rec.sp.MetricsExportConfig
			if !slices.ContainsFunc(spec.export, func(x *behavior.MetricsExportConfig) bool { return *x == *dst }) {
				spec.export = append(spec.export, dst)
			}
		}
		cv.retain[i] = spec
	}
}

// retained returns the series behavior i feeds, or nil.
func (cv *coverage) retained(i int) *retainSpec {
	if cv.retain == nil {
		return nil // a coverage restored from an older configuration, realigned at the thing's next use
	}
	return cv.retain[i]
}

// retainInput retains the value an input gave behavior i of ts, at the
// input's time, when i feeds a series: a per-input datapoint, or a value a
// report gave a windowed behavior (whose datapoints are the window's).
func (e *Engine) retainInput(ts *thingState, i int, d datapoint, t int64) {
	if !e.retaining {
		return
	}
	if spec := ts.cov.retained(i); spec != nil {
		e.retain(ts, spec, &d, t)
	}
}
