package ruledetect

import (
	"time"

	"github.com/ruledetect/ruledetect/behavior"
)

// Datapoint is one judged datapoint of one (thing, profile, behavior): what
// the service would draw in the console's metric graph, with the verdict.
type Datapoint struct {
	Thing    string
	Profile  string
	Behavior string
	// Metric is the behavior's metric, e.g. "aws:num-messages-sent" or a
	// custom metric's name.
	Metric string
	// Time is the window end for windowed behaviors, or the input's time
	// for behaviors judged per input.
	Time time.Time
	// Value is the datapoint as the service writes it in metricValue.
	Value behavior.MetricValue
	// Statistical reports that it was judged against the fleet's
	// percentile, Threshold, of the same window.
	Statistical bool
	Threshold   float64
	// Violating reports that it did not satisfy the behavior's criteria.
	Violating bool
}

// WithDatapointObserver calls f with every judged datapoint, in evaluation
// order, outside the engine's lock, from the engine's delivery goroutine (as
// alerts are; Flush waits for it). It is for tests, backtests and graphs:
// with it, every datapoint costs a copy of its value. A panic in f is
// recovered and counted in Stats().Delivery.
func WithDatapointObserver(f func(Datapoint)) Option {
	return func(o *options) error {
		o.observer = f
		return nil
	}
}
