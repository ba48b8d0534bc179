package ruledetect

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/ruledetect/ruledetect/internal/delivery"
	"github.com/ruledetect/ruledetect/violation"
)

// DeliveryPolicy bounds the queue through which an Engine hands alerts (to
// its AlertSink) and datapoints (to its datapoint observer) to code outside
// its lock, and says what happens to a sink that fails.
//
// Both are produced while the engine holds its lock and delivered after it
// is released, one at a time and in the order they happened, from a delivery
// goroutine that exists while there is something to deliver. So a sink may
// call any Engine method (quarantine a device with SetThingGroups, detach a
// profile, ingest), and a slow sink holds up no ingest until the queue is
// full.
type DeliveryPolicy struct {
	// Queue is the number of undelivered items above which an Engine call
	// that produced more waits for the sink to catch up (default 10,000).
	Queue int
	// Wait is how long such a call waits (default 1 s). When the sink has
	// not caught up by then, the call returns anyway and the queue grows
	// past its bound: nothing is ever dropped, and the spill is counted in
	// Stats().Delivery.Spilled. The bound is what keeps a sink that calls
	// back into the engine from deadlocking it.
	Wait time.Duration
	// Attempts is how often an alert is offered to a sink that returns an
	// error or panics (default 3). After the last, it is counted in
	// Stats().Delivery.Failed and delivery goes on with the next. A
	// failing sink never changes evaluation state.
	Attempts int
	// Backoff is the pause before the second attempt, doubled before each
	// further one (default 100 ms).
	Backoff time.Duration
	// MaxBackoff caps the doubled pause, so that many attempts spread over
	// a long outage without pauses of hours (zero: no cap, the default).
	MaxBackoff time.Duration
}

func defaultDeliveryPolicy() DeliveryPolicy {
	return DeliveryPolicy{Queue: 10_000, Wait: time.Second, Attempts: 3, Backoff: 100 * time.Millisecond}
}

// WithDeliveryPolicy sets how alerts and datapoints are queued for delivery
// (see DeliveryPolicy for the defaults).
func WithDeliveryPolicy(p DeliveryPolicy) Option {
	return func(o *options) error {
		if p.Queue < 1 || p.Wait < 0 || p.Attempts < 1 || p.Backoff < 0 || p.MaxBackoff < 0 {
			return fmt.Errorf("delivery policy %+v: want Queue ≥ 1, Attempts ≥ 1, Wait, Backoff and MaxBackoff ≥ 0", p)
		}
		o.delivery = p
		return nil
	}
}

// WithAlertSink sets where alerts go: every violation event whose behavior
// does not suppress alerts, exactly once each unless the sink fails every
// attempt (see DeliveryPolicy). The sink is called outside the engine's
// lock, in event order, from the engine's delivery goroutine; Flush waits
// for it.
func WithAlertSink(s violation.AlertSink) Option {
	return func(o *options) error {
		o.sink = s
		return nil
	}
}

// DeliveryStats are the counters of an Engine's delivery queue.
type DeliveryStats struct {
	Delivered uint64 // alerts and datapoints handed over
	Retried   uint64 // further attempts after a sink failed
	Failed    uint64 // alerts given up after DeliveryPolicy.Attempts failures
	Spilled   uint64 // calls that stopped waiting with the queue over its bound
	Depth     int    // items queued and not yet delivered
	// LastError is the last error (or panic) of a sink, nil if none failed.
	LastError error
}

// outgoing is one item of the delivery queue: an alert, a datapoint or a
// metric export.
type outgoing struct {
	export      *MetricExport
	alert       violation.Alert
	datapoint   Datapoint
	isDatapoint bool
}

// newDelivery makes the engine's queue when it has somewhere to deliver.
func (e *Engine) newDelivery() {
	if e.opts.sink == nil && e.opts.observer == nil && e.opts.metricSink == nil {
		return
	}
	p := e.opts.delivery
	sink, observe, metrics := e.opts.sink, e.opts.observer, e.opts.metricSink
	e.out = delivery.New(delivery.Policy{Bound: p.Queue, Wait: p.Wait, Attempts: p.Attempts, Backoff: p.Backoff, MaxBackoff: p.MaxBackoff},
		func(ctx context.Context, o outgoing) error {
			if o.isDatapoint {
				observe(o.datapoint)
				return nil
			}
			if o.export != nil {
				return metrics.Export(ctx, *o.export)
			}
			return sink.Alert(ctx, o.alert)
		})
}

// emit queues ev for the alert sink, with its profile's alert targets,
// unless it is suppressed or empty (a transition that recorded nothing).
// Called under a lock: the queue never blocks a push, and the section
// waits for room once it has unlocked (waitForRoom).
func (e *Engine) emit(ev violation.Event) {
	if e.opts.sink == nil || ev.Suppressed || ev.ViolationID == "" {
		return
	}
	a := violation.Alert{Event: ev}
	if rec := e.cfg.Load().profiles[ev.SecurityProfileName]; rec != nil {
		a.Targets = maps.Clone(rec.sp.AlertTargets) // the sink's own: the config is shared
	}
	e.out.Push(outgoing{alert: a})
}

// unlock releases every lock (eval.Plane.LockAll) and waits, boundedly
// and no longer than ctx, for room in the delivery queue. Every section that
// takes every lock ends with it.
func (e *Engine) unlock(ctx context.Context) {
	e.plane.UnlockAll()
	e.waitForRoom(ctx)
}

// waitForRoom waits, if the delivery queue is over its bound, for the sinks
// to catch up (see DeliveryPolicy), or until ctx ends; a wait that ends with
// the queue still over its bound is counted as a spill. Called with no lock
// held.
func (e *Engine) waitForRoom(ctx context.Context) {
	if e.out != nil {
		e.out.WaitForRoom(ctx)
	}
}

// Flush waits until every alert and datapoint produced before the call has
// been delivered (or given up after its attempts), or ctx ends, whose error
// it returns then. Call it before reading what a sink collected, and before
// a program exits.
func (e *Engine) Flush(ctx context.Context) error {
	e.plane.AwaitClose()
	if e.out == nil {
		return nil
	}
	return e.out.Flush(ctx)
}

func (e *Engine) deliveryStats() DeliveryStats {
	if e.out == nil {
		return DeliveryStats{}
	}
	s := e.out.Stats()
	return DeliveryStats{Delivered: s.Delivered, Retried: s.Retried, Failed: s.Failed,
		Spilled: s.Spilled, Depth: s.Depth, LastError: s.LastError}
}
