// Package ruledetect evaluates AWS IoT Device Defender Rules Detect security
// profiles in-process. An Engine takes the same security-profile JSON, device
// metrics reports and cloud-side events the managed service takes, and
// produces the same violation events and active violations.
//
// The Engine has a control plane with the AWS operations' names and semantics
// (CreateSecurityProfile, AttachSecurityProfile, ListActiveViolations, …) and a
// data plane that ingests inputs in event time and evaluates behaviors at
// window ends. It is safe for concurrent use.
//
// # Time
//
// Evaluation runs on event time only: every input carries its timestamp,
// the watermark is the newest timestamp seen (or passed to Advance), and
// windowed datapoints fall at multiples of the evaluation period P (default
// 300 s). The datapoint at T is produced when the watermark reaches T plus
// the allowed lateness (WithAllowedLateness, default 0), before inputs at T
// are applied. An input older than the newest closed period is rejected
// with ErrLateInput, and one further ahead of the watermark than
// WithMaxClockJump allows with ErrClockJump; both are counted. A live
// integration stamps inputs with the time it received them and calls
// Advance from a ticker; device-reported times are for replays.
//
// # Concurrency
//
// Decoding a device report, the expensive part of an ingest, runs in the
// calling goroutine without locks. The things are spread over shards
// (WithShards, default 8 × GOMAXPROCS and at least 256), each with its own lock: an input
// that moves the clock to no new boundary takes only its thing's shard's
// lock, so goroutines ingesting different things run in parallel. Moving
// the clock (an input past a boundary, Advance), control-plane changes and
// snapshots take the engine's lock; a period close runs over the shards in
// parallel, and joins them only for the fleet's statistical populations;
// an input whose shard the close has not reached yet closes that shard
// itself, so it waits for one shard's close, not the fleet's. Results do not
// depend on the number of shards or on which goroutine ingests what:
// "every event's behavior is the profile version in force at its
// datapoint" holds because a control-plane change holds every lock.
//
// With allowed lateness, metric retention or export, or a datapoint
// observer, inputs are applied one at a time (they need one order across
// the fleet). Listing violations takes only the violation log's lock, and
// Describe and List operations read an immutable snapshot, so neither
// waits for ingest. Nothing a user supplies runs under a lock: alert
// sinks and datapoint observers are called from a delivery goroutine (see
// DeliveryPolicy), and a population exchange runs with the locks released.
package ruledetect

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ruledetect/ruledetect/internal/delivery"
	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/violation"
)

// Engine evaluates security profiles over a stream of device reports and
// cloud-side events. Create one with New; it is safe for concurrent use.
type Engine struct {
	opts options
	log  *violation.Log

	// cfg is the current control-plane version. It is replaced (never
	// changed) with every lock held (update), and read without a lock.
	cfg atomic.Pointer[config]
	// plane is the data plane: things, windows, the clock and the alarm
	// state machines. Its clock lock also serializes control-plane
	// changes and snapshots.
	plane *eval.Plane
	// nextID numbers compiled behaviors; a behavior keeps its id across
	// profile updates that do not change what it monitors.
	nextID uint64

	stats stats
	// decoders are per-goroutine report decoders.
	decoders sync.Pool

	// out is the delivery queue of alerts, datapoints and metric exports
	// (nil when there is no sink and no observer); a locked section pushes
	// to it and, once unlocked, waits for room.
	out *delivery.Queue[outgoing]

	// metrics holds the retained metric values (WithMetricRetention), and
	// exports the batches of metric values waiting for the next period
	// close (WithMetricSink). Both are guarded by the plane's clock lock
	// (a retaining engine is serial).
	metrics metricStore
	exports exportBatches
	// retaining is set when values are retained or exported.
	retaining bool
}

// New returns an Engine with no profiles, dimensions or custom metrics.
func New(opts ...Option) (*Engine, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("ruledetect.New: %w", err)
		}
	}
	if o.allowedLateness >= o.invalidationHorizon {
		return nil, fmt.Errorf("ruledetect.New: allowed lateness %v must be less than the invalidation horizon %v", o.allowedLateness, o.invalidationHorizon)
	}
	if o.shards == 0 {
		o.shards = eval.DefaultShards()
	}
	e := &Engine{opts: o}
	e.retaining = o.metricRetention.Duration > 0 || o.metricSink != nil
	e.log = violation.NewLog(violation.LogOptions{Retention: o.retention})
	e.newDelivery()
	e.decoders.New = newDecoder
	// allowed lateness (held datapoints are judged in time order), metric
	// retention or export (values are kept in the order measured) and a
	// datapoint observer (called in evaluation order) need one order
	// across the fleet: the plane is serial.
	serial := o.allowedLateness > 0 || e.retaining || o.observer != nil
	p, err := eval.New(eval.Options{
		Period: o.period, Horizon: o.invalidationHorizon, AllowedLateness: o.allowedLateness,
		MaxClockJump: o.maxClockJump, ExactPopulation: o.exactPopulation, CumulativeNetStats: o.cumulativeNetStats,
		Shards: o.shards, Retaining: e.retaining, Serial: serial,
	}, e.hooks(), e.log, nil)
	if err != nil {
		return nil, fmt.Errorf("ruledetect.New: %w", err)
	}
	e.plane = p
	e.setConfig(emptyConfig())
	return e, nil
}

// Arn returns the ARN of resource in this engine's region and account, e.g.
// Arn("all/things") is the target ARN that covers every thing.
func (e *Engine) Arn(resource string) string { return e.arn(resource) }

// arn returns the ARN of a resource of this engine's region and account:
// arn("securityprofile/NAME"), arn("dimension/NAME"), arn("all/things").
func (e *Engine) arn(resource string) string {
	return "arn:aws:iot:" + e.opts.region + ":" + e.opts.account + ":" + resource
}

// DropEventsBefore forgets the violation events before t, as retention
// would, and returns how many it dropped. Active violations are kept. A
// caller that has written the events elsewhere (a streaming replay) uses it
// to keep memory bounded; the engine's own retention (WithRetention) prunes
// by event time without it.
func (e *Engine) DropEventsBefore(t time.Time) int {
	e.plane.AwaitClose()
	return e.log.Prune(t.Add(e.log.Retention()))
}
