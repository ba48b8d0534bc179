package eval

import (
	"slices"

	"github.com/ruledetect/ruledetect/behavior"
)

// Series names one retained metric of a thing: the metric with its
// dimension's name and operator ("" when it has none), as ListMetricValues
// selects it.
type Series struct {
	Metric, Dimension, Operator string
}

// SeriesOf is the series of metric measured with dim; a dimension's
// operator defaults to IN.
func SeriesOf(metric string, dim *behavior.MetricDimension) Series {
	k := Series{Metric: metric}
	if dim != nil {
		k.Dimension, k.Operator = dim.DimensionName, "IN"
		if dim.Operator != nil && *dim.Operator != "" {
			k.Operator = *dim.Operator
		}
	}
	return k
}

// Retained is one series of a kind of thing: its key and the metrics
// export destinations of the profiles that export it.
type Retained struct {
	Series Series
	Export []*behavior.MetricsExportConfig
}

// indexRetained chooses, for each series the covered behaviors measure, the
// behavior that feeds it: one that takes each input (the reported values)
// before one with a window (a value per evaluation period). A series is
// exported to every covering profile that has a metrics export
// configuration (exportOf) and marks the metric exportMetric on any of its
// behaviors or metrics to retain.
func (cv *Coverage) indexRetained(exportOf func(string) *behavior.MetricsExportConfig) {
	cv.retain = make([]*Retained, len(cv.behaviors))
	chosen := map[Series]int{}
	for i, cb := range cv.behaviors {
		if cb.eval == evalNone || cb.series.Metric == "" {
			continue
		}
		j, ok := chosen[cb.series]
		if !ok || (cv.behaviors[j].periods > 0 && cb.periods == 0) {
			chosen[cb.series] = i
		}
	}
	for key, i := range chosen {
		spec := &Retained{Series: key}
		for _, cb := range cv.behaviors {
			if cb.series != key || cb.b.ExportMetric == nil || !*cb.b.ExportMetric {
				continue
			}
			dst := exportOf(cb.profile)
			if dst == nil {
				continue
			}
			if !slices.ContainsFunc(spec.Export, func(x *behavior.MetricsExportConfig) bool { return *x == *dst }) {
				spec.Export = append(spec.Export, dst)
			}
		}
		cv.retain[i] = spec
	}
}

// retained returns the series behavior i feeds, or nil.
func (cv *Coverage) retained(i int) *Retained {
	if cv.retain == nil {
		return nil // a coverage restored from an older configuration, realigned at the thing's next use
	}
	return cv.retain[i]
}

// retainInput retains the value an input gave behavior i of ts, at the
// input's time, when i feeds a series: a per-input datapoint, or a value a
// report gave a windowed behavior (whose datapoints are the window's).
func (p *Plane) retainInput(ts *Thing, i int, d *Datapoint, t int64) {
	if !p.opts.Retaining {
		return
	}
	if spec := ts.cov.retained(i); spec != nil {
		p.hooks.Retain(ts.name, spec, d.owned(), t)
	}
}
