package ruledetect

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/eval"
)

// MetricExport is one batch of exported metric values, as Device Defender
// Detect publishes it to the MQTT topic of a security profile's
// metricsExportConfig ("Detect metrics export" in the AWS IoT Device Defender
// developer guide).
type MetricExport struct {
	// Topic and RoleArn are the profile's metricsExportConfig.
	Topic   string
	RoleArn string
	// Payload is the batch in the documented metrics export schema:
	//
	//	{"version":"1.0","metrics":[{"name":…,"thing":…,"value":{…},
	//	  "version":1,"timestamp":…,"dimension":{"name":…,"operator":…}}]}
	//
	// timestamp is in epoch milliseconds (the schema gives no unit; the
	// service's other JSON for devices, the SNS alert, uses milliseconds);
	// dimension is present only for metrics measured with one; version is
	// always 1, as the engine sends each value once.
	Payload []byte
}

// MetricSink receives metric exports. It is called like an AlertSink:
// outside the engine's lock, in order, from the delivery goroutine, retried
// per the DeliveryPolicy.
type MetricSink interface {
	Export(ctx context.Context, x MetricExport) error
}

// MetricSinkFunc adapts a function to MetricSink.
type MetricSinkFunc func(ctx context.Context, x MetricExport) error

// Export calls f(ctx, x).
func (f MetricSinkFunc) Export(ctx context.Context, x MetricExport) error { return f(ctx, x) }

// WithMetricSink exports metric values as the service would: the values of
// every metric marked exportMetric (on a behavior, or on an entry of
// additionalMetricsToRetainV2) of a profile with a metricsExportConfig, for
// the things the profile covers. Values are batched per destination and
// handed over at each evaluation period's close, at most
// MaxExportMetrics to a batch. A profile's exportMetric without a
// metricsExportConfig exports nothing, as the service has nowhere to send it.
func WithMetricSink(s MetricSink) Option {
	return func(o *options) error {
		o.metricSink = s
		return nil
	}
}

// MaxExportMetrics is the most metric values in one MetricExport, which
// keeps a payload of numbers well under MQTT's 128 KB message limit on AWS
// IoT.
const MaxExportMetrics = 500

// exportedMetric is one entry of the export schema's metrics array.
type exportedMetric struct {
	Name      string               `json:"name"`
	Thing     string               `json:"thing"`
	Value     behavior.MetricValue `json:"value"`
	Version   int                  `json:"version"`
	Timestamp int64                `json:"timestamp"`
	Dimension *exportedDimension   `json:"dimension,omitempty"`
}

type exportedDimension struct {
	Name     string `json:"name"`
	Operator string `json:"operator"`
}

type exportPayload struct {
	Version string           `json:"version"`
	Metrics []exportedMetric `json:"metrics"`
}

// exportBatches are the values waiting for the next period close, by
// destination, in the order they were measured. Guarded by the engine's mu.
type exportBatches struct {
	order []behavior.MetricsExportConfig
	by    map[behavior.MetricsExportConfig][]exportedMetric
}

// queueExport adds d, measured at t, to the batch of every destination its
// series is exported to. Called with mu held.
func (e *Engine) queueExport(thing string, spec *eval.Retained, d *eval.Datapoint, t int64) {
	b := &e.exports
	if b.by == nil {
		b.by = map[behavior.MetricsExportConfig][]exportedMetric{}
	}
	m := exportedMetric{Name: spec.Series.Metric, Thing: thing, Value: d.MetricValue(), Version: 1, Timestamp: t / 1e6}
	if spec.Series.Dimension != "" {
		m.Dimension = &exportedDimension{Name: spec.Series.Dimension, Operator: spec.Series.Operator}
	}
	for _, dst := range spec.Export {
		if _, ok := b.by[*dst]; !ok {
			b.order = append(b.order, *dst)
		}
		b.by[*dst] = append(b.by[*dst], m)
	}
}

// flushExports hands the waiting batches to the delivery queue, split at
// MaxExportMetrics. Called with mu held, at a period close.
func (e *Engine) flushExports() {
	b := &e.exports
	for _, dst := range b.order {
		ms := b.by[dst]
		for chunk := range slices.Chunk(ms, MaxExportMetrics) {
			payload, err := json.Marshal(exportPayload{Version: "1.0", Metrics: chunk})
			if err != nil {
				// Only NaN or ±Inf custom numbers, which reports cannot
				// carry, could fail; count rather than drop in silence.
				e.stats.exportErrors.Add(1)
				continue
			}
			e.out.Push(outgoing{export: &MetricExport{Topic: dst.MQTTTopic, RoleArn: dst.RoleArn, Payload: payload}})
		}
		delete(b.by, dst)
	}
	b.order = b.order[:0]
}

// String names the export's topic and size, never its content.
func (x MetricExport) String() string {
	return fmt.Sprintf("metric export to %s (%d bytes)", x.Topic, len(x.Payload))
}

// snapExports encodes the waiting exports. Called with mu held.
func (e *Engine) snapExports() []snapExport {
	var out []snapExport
	for _, dst := range e.exports.order {
		out = append(out, snapExport{Topic: dst.MQTTTopic, RoleArn: dst.RoleArn, Metrics: e.exports.by[dst]})
	}
	return out
}

// restoreExports puts the waiting exports back.
func (e *Engine) restoreExports(xs []snapExport) error {
	for _, x := range xs {
		if x.Topic == "" || x.RoleArn == "" {
			return errSnap("a metric export without its destination")
		}
		if e.exports.by == nil {
			e.exports.by = map[behavior.MetricsExportConfig][]exportedMetric{}
		}
		dst := behavior.MetricsExportConfig{MQTTTopic: x.Topic, RoleArn: x.RoleArn}
		if _, dup := e.exports.by[dst]; dup {
			return errSnap("metric exports to %q repeated", x.Topic)
		}
		e.exports.order = append(e.exports.order, dst)
		e.exports.by[dst] = x.Metrics
	}
	return nil
}
