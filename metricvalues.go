package ruledetect

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/internal/pagetoken"
)

// MetricRetention says which metric values an Engine keeps for
// ListMetricValues: those of the last Duration of event time, at most
// MaxValuesPerSeries of each (thing, metric, dimension), the oldest dropped
// first. The zero value keeps none.
//
// A value costs about 48 bytes, plus its list's elements for list metrics
// (2 bytes a port, 24 an address, a string's length plus 16): a thing with
// five windowed behaviors keeps 5 × 288 values a day, about 70 KB.
type MetricRetention struct {
	Duration           time.Duration
	MaxValuesPerSeries int
}

// DefaultMaxValuesPerSeries is MetricRetention.MaxValuesPerSeries when it is
// zero: a week of values every five minutes.
const DefaultMaxValuesPerSeries = 7 * 24 * 12

// WithMetricRetention keeps the metric values of every behavior's metric
// (with its dimension) and of every profile's additionalMetricsToRetainV2,
// as ListMetricValues lists them: for a device-side or custom metric each
// reported value at the report's time; for a cloud-side count the count of
// each evaluation period at its end; for a message's size or a connect's
// address the value of each. Without it (the default) nothing is kept and
// ListMetricValues fails with ErrInvalidRequest, because a fleet's values
// take memory in proportion to its size (see MetricRetention).
func WithMetricRetention(r MetricRetention) Option {
	return func(o *options) error {
		if r.Duration < 0 || r.MaxValuesPerSeries < 0 {
			return fmt.Errorf("metric retention %+v must not be negative", r)
		}
		if r.Duration > 0 && r.MaxValuesPerSeries == 0 {
			r.MaxValuesPerSeries = DefaultMaxValuesPerSeries
		}
		o.metricRetention = r
		return nil
	}
}

// thingSeries names one series of retained values.
type thingSeries struct {
	thing string
	eval.Series
}

// metricDatum is one retained value: its time, a sequence number that
// orders values of the same time (and pages them), and the value, a number
// in n (a count, or a float's bits) or a list.
type metricDatum struct {
	t    int64
	seq  uint64
	kind eval.ValueKind
	n    uint64
	list any // []uint16, []netip.Addr, []string or []float64
}

// metricStore holds the retained values. It is guarded by the engine's mu.
type metricStore struct {
	series map[thingSeries]*metricSeries
	keys   []thingSeries // for the sweep that drops idle series
	sweep  int
}

// metricSeries is one series' values, oldest first, and the sequence
// number of the last value it was given: numbered per series, the values of
// a thing get the same numbers in every engine that saw the same inputs,
// whatever order things were visited in, so page tokens survive a restore.
type metricSeries struct {
	vs  []metricDatum
	seq uint64
}

// retain records d, the value of spec's series for ts at t, and queues it
// for metrics export. Called with mu held.
func (e *Engine) retain(thing string, spec *eval.Retained, d eval.Datapoint, t int64) {
	if len(spec.Export) > 0 && e.opts.metricSink != nil {
		e.queueExport(thing, spec, &d, t)
	}
	r := e.opts.metricRetention
	if r.Duration <= 0 {
		return
	}
	s := &e.metrics
	if s.series == nil {
		s.series = map[thingSeries]*metricSeries{}
	}
	k := thingSeries{thing, spec.Series}
	ser := s.series[k]
	if ser == nil {
		ser = &metricSeries{}
		s.series[k] = ser
		s.keys = append(s.keys, k)
	}
	ser.seq++
	m := metricDatum{t: t, seq: ser.seq, kind: d.Kind, n: d.Count}
	switch d.Kind {
	case eval.ValueNumber:
		m.n = math.Float64bits(d.Number)
	case eval.ValuePorts:
		m.list = slices.Clone(d.Ports)
	case eval.ValueAddrs:
		m.list = slices.Clone(d.Addrs)
	case eval.ValueStrings:
		m.list = slices.Clone(d.Strings)
	case eval.ValueNumbers:
		m.list = slices.Clone(d.Numbers)
	}
	// Values come in time order but for late inputs, which land within the
	// allowed lateness: insert from the end.
	vs := ser.vs
	i := len(vs)
	for i > 0 && vs[i-1].t > t {
		i--
	}
	vs = slices.Insert(vs, i, m)
	ser.vs = pruneSeries(vs, vs[len(vs)-1].t-int64(r.Duration), r.MaxValuesPerSeries)
}

// pruneSeries drops the values before cutoff and the oldest beyond limit.
func pruneSeries(vs []metricDatum, cutoff int64, limit int) []metricDatum {
	n := 0
	for n < len(vs) && vs[n].t < cutoff {
		n++
	}
	n = max(n, len(vs)-limit)
	if n == 0 {
		return vs
	}
	clear(vs[:n])
	return append(vs[:0], vs[n:]...)
}

// metricCutoff is the time before which retained values are no longer
// listed: the watermark less the retention. Values before it may still be
// held until the sweep reaches their series; nothing shows them.
func (e *Engine) metricCutoff() int64 {
	return e.plane.Watermark() - int64(e.opts.metricRetention.Duration)
}

// visible returns the values of vs at or after cutoff.
func visible(vs []metricDatum, cutoff int64) []metricDatum {
	i, _ := slices.BinarySearchFunc(vs, cutoff, func(m metricDatum, t int64) int { return cmp.Compare(m.t, t) })
	return vs[i:]
}

// sweepMetrics prunes a few series by the watermark at each period close,
// so that the values of things that went quiet age out too and memory stays
// bounded by what the retention keeps. Called with mu held.
func (e *Engine) sweepMetrics() {
	s, r := &e.metrics, e.opts.metricRetention
	cutoff := e.metricCutoff()
	for range min(256, len(s.keys)) {
		if len(s.keys) == 0 {
			return
		}
		if s.sweep >= len(s.keys) {
			s.sweep = 0
		}
		k := s.keys[s.sweep]
		ser := s.series[k]
		if ser.vs = pruneSeries(ser.vs, cutoff, r.MaxValuesPerSeries); len(ser.vs) > 0 {
			s.sweep++
			continue
		}
		delete(s.series, k)
		last := len(s.keys) - 1
		s.keys[s.sweep] = s.keys[last]
		s.keys = s.keys[:last]
	}
}

// ListMetricValuesInput is the model's ListMetricValuesRequest.
// DimensionValueOperator defaults to IN when DimensionName is set. The time
// range is closed: values with StartTime <= timestamp <= EndTime are listed,
// oldest first.
type ListMetricValuesInput struct {
	ThingName              string             `json:"thingName"`
	MetricName             string             `json:"metricName"`
	DimensionName          string             `json:"dimensionName,omitzero"`
	DimensionValueOperator string             `json:"dimensionValueOperator,omitzero"`
	StartTime              behavior.Timestamp `json:"startTime"`
	EndTime                behavior.Timestamp `json:"endTime"`
	MaxResults             int                `json:"maxResults,omitzero"`
	NextToken              string             `json:"nextToken,omitzero"`
}

// MetricDatum is the model's MetricDatum: one retained value.
type MetricDatum struct {
	Timestamp behavior.Timestamp   `json:"timestamp"`
	Value     behavior.MetricValue `json:"value"`
}

// ListMetricValuesOutput is the model's ListMetricValuesResponse.
type ListMetricValuesOutput struct {
	MetricDatumList []MetricDatum `json:"metricDatumList"`
	NextToken       string        `json:"nextToken,omitzero"`
}

// ListMetricValues lists the values the engine retained for a thing's
// metric (see WithMetricRetention), as the service's ListMetricValues does:
// the metric of a behavior or of additionalMetricsToRetainV2 of a profile
// that covers the thing, with the dimension it was measured with.
func (e *Engine) ListMetricValues(ctx context.Context, in ListMetricValuesInput) (ListMetricValuesOutput, error) {
	const op = "ListMetricValues"
	if err := ctx.Err(); err != nil {
		return ListMetricValuesOutput{}, err
	}
	if err := checkThing(op, in.ThingName); err != nil {
		return ListMetricValuesOutput{}, err
	}
	if in.MetricName == "" {
		return ListMetricValuesOutput{}, newError(op, ErrInvalidRequest, in.ThingName, "metricName is required")
	}
	if e.opts.metricRetention.Duration <= 0 {
		return ListMetricValuesOutput{}, newError(op, ErrInvalidRequest, in.ThingName, "this engine retains no metric values (see WithMetricRetention)")
	}
	key := eval.Series{Metric: in.MetricName}
	switch {
	case in.DimensionName != "":
		key.Dimension, key.Operator = in.DimensionName, "IN"
		if in.DimensionValueOperator != "" {
			key.Operator = in.DimensionValueOperator
		}
		if key.Operator != "IN" && key.Operator != "NOT_IN" {
			return ListMetricValuesOutput{}, newError(op, ErrInvalidRequest, in.ThingName, "dimensionValueOperator must be IN or NOT_IN")
		}
	case in.DimensionValueOperator != "":
		return ListMetricValuesOutput{}, newError(op, ErrInvalidRequest, in.ThingName, "dimensionValueOperator without dimensionName")
	}
	if in.StartTime.IsZero() || in.EndTime.IsZero() {
		return ListMetricValuesOutput{}, newError(op, ErrInvalidRequest, in.ThingName, "startTime and endTime are required")
	}
	start, end := in.StartTime.Time.UTC(), in.EndTime.Time.UTC()
	if end.Before(start) {
		return ListMetricValuesOutput{}, newError(op, ErrInvalidRequest, in.ThingName, "endTime is before startTime")
	}
	limit, err := checkMaxResults(op, in.MaxResults)
	if err != nil {
		return ListMetricValuesOutput{}, err
	}
	scope := pagetoken.NewScope(op, in.ThingName, key.Metric, key.Dimension, key.Operator,
		start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	var after pagetoken.Cursor
	if in.NextToken != "" {
		if after, err = pagetoken.Decode(in.NextToken, scope); err != nil {
			return ListMetricValuesOutput{}, newError(op, ErrInvalidRequest, in.ThingName, "invalid nextToken")
		}
	}
	out := ListMetricValuesOutput{MetricDatumList: []MetricDatum{}}
	e.plane.Lock()
	var vs []metricDatum
	if ser := e.metrics.series[thingSeries{in.ThingName, key}]; ser != nil {
		vs = visible(ser.vs, max(e.metricCutoff(), start.UnixNano()))
	}
	var last metricDatum
	for _, m := range vs {
		if m.t > end.UnixNano() {
			break
		}
		if in.NextToken != "" && (m.t < after.Time.UnixNano() || m.t == after.Time.UnixNano() && m.seq <= after.Seq) {
			continue
		}
		if len(out.MetricDatumList) == limit {
			tok, err := pagetoken.Encode(scope, pagetoken.Cursor{Time: time.Unix(0, last.t), Seq: last.seq})
			if err != nil {
				e.plane.Unlock()
				return ListMetricValuesOutput{}, err
			}
			out.NextToken = tok
			break
		}
		out.MetricDatumList = append(out.MetricDatumList, MetricDatum{Timestamp: behavior.At(time.Unix(0, m.t).UTC()), Value: m.value()})
		last = m
	}
	e.plane.Unlock()
	return out, nil
}

// MetricValues yields every value ListMetricValues lists for in, walking its
// pages.
func (e *Engine) MetricValues(ctx context.Context, in ListMetricValuesInput) iter.Seq2[MetricDatum, error] {
	return walk(ctx, in.NextToken, func(ctx context.Context, token string) ([]MetricDatum, string, error) {
		in.NextToken = token
		out, err := e.ListMetricValues(ctx, in)
		return out.MetricDatumList, out.NextToken, err
	})
}

// value is m in the model's shape.
func (m metricDatum) value() behavior.MetricValue {
	d := eval.Datapoint{Kind: m.kind, Count: m.n}
	switch m.kind {
	case eval.ValueNumber:
		d.Number = math.Float64frombits(m.n)
	case eval.ValuePorts:
		d.Ports = m.list.([]uint16)
	case eval.ValueAddrs:
		d.Addrs = m.list.([]netip.Addr)
	case eval.ValueStrings:
		d.Strings = m.list.([]string)
	case eval.ValueNumbers:
		d.Numbers = m.list.([]float64)
	}
	return d.MetricValue()
}
