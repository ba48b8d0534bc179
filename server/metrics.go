package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ruledetect/ruledetect/server/broker"
)

// Status is what a durable store reports about itself for /metrics. The
// zero Status is a server without one.
type Status struct {
	// SnapshotAge is the time since the last snapshot was written (zero
	// when none was, or there is no durable store).
	SnapshotAge time.Duration
	// LogLag is the number of durable-log entries appended and not yet
	// applied to the engine: the replay still to do after a restart, and
	// the appends in flight in a running server.
	LogLag uint64
}

// periodCloseBuckets span a quiet fleet's Advance (tens of microseconds) to
// a large one's period close (seconds).
var periodCloseBuckets = prometheus.ExponentialBuckets(50e-6, 4, 10)

// metrics is the server's Prometheus registry. Its counters are read from
// the engine's, the broker's and the alert sink's own at each scrape (no
// second count to drift); only the period-close histogram is its own.
// No label carries a thing name: label values are fixed sets (kinds,
// reasons, event types), so a fleet's size does not change the series.
type metrics struct {
	reg         *prometheus.Registry
	periodClose prometheus.Histogram
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		periodClose: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ruledetect_period_close_seconds",
			Help:    "Time one Advance of the engine's clock took (it closes the evaluation periods that ended).",
			Buckets: periodCloseBuckets,
		}),
	}
	m.reg.MustRegister(m.periodClose, statsCollector{s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Advance moves the engine's clock to now (see ruledetect.Engine.Advance)
// and records how long it took in ruledetect_period_close_seconds. A
// service's clock ticker calls it instead of the Engine's. ctx and the
// error are the Engine's: a ctx already done moves nothing.
func (s *Server) Advance(ctx context.Context, now time.Time) error {
	return s.AdvanceThrough(ctx, now, s.engine.Advance)
}

// AdvanceThrough is Advance for a service whose clock goes through
// something before the engine (a durable log that records the tick): it
// calls advance(ctx, now), records how long it took, and returns its error.
func (s *Server) AdvanceThrough(ctx context.Context, now time.Time, advance func(context.Context, time.Time) error) error {
	start := time.Now()
	err := advance(ctx, now)
	s.metrics.periodClose.Observe(time.Since(start).Seconds())
	return err
}

// metric is one series statsCollector exports.
type metric struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
}

func counter(name, help string, labels ...string) metric {
	return metric{prometheus.NewDesc(name, help, labels, nil), prometheus.CounterValue}
}

func gauge(name, help string, labels ...string) metric {
	return metric{prometheus.NewDesc(name, help, labels, nil), prometheus.GaugeValue}
}

var (
	mInputs         = counter("ruledetect_engine_inputs_total", "Inputs the engine applied (reports and cloud-side events).")
	mLate           = counter("ruledetect_engine_late_inputs_total", "Inputs the engine rejected as older than its newest closed evaluation period.")
	mClockJumps     = counter("ruledetect_engine_clock_jumps_total", "Inputs the engine rejected as too far ahead of its clock.")
	mRejected       = counter("ruledetect_engine_rejected_inputs_total", "Inputs the engine rejected as invalid or malformed.")
	mDatapoints     = counter("ruledetect_engine_datapoints_total", "Datapoints the engine judged.")
	mPercentiles    = counter("ruledetect_engine_percentiles_unavailable_total", "Statistical judgements skipped because the population had a negative value.")
	mThings         = gauge("ruledetect_engine_things", "Things the engine holds state for.")
	mEvents         = counter("ruledetect_violation_events_total", "Violation events handed to the alert sinks (suppressed ones are not), by type.", "type")
	mDelivered      = counter("ruledetect_alert_deliveries_total", "Alerts every alert sink took.")
	mRetried        = counter("ruledetect_alert_retries_total", "Further delivery attempts after an alert sink failed.")
	mFailed         = counter("ruledetect_alert_failures_total", "Alerts given up after the delivery policy's last attempt.")
	mSpilled        = counter("ruledetect_alert_queue_spills_total", "Engine calls that stopped waiting for the alert queue with it over its bound.")
	mDepth          = gauge("ruledetect_alert_queue_depth", "Alerts queued and not yet delivered.")
	mSnapshotAge    = gauge("ruledetect_snapshot_age_seconds", "Time since the last snapshot was written (0 without durable state).")
	mLogLag         = gauge("ruledetect_log_lag_entries", "Durable-log entries appended and not yet applied (0 without durable state).")
	mMQTTInputs     = counter("ruledetect_mqtt_inputs_total", "Inputs the MQTT broker fed to the engine and the engine applied, by kind.", "kind")
	mMQTTRejected   = counter("ruledetect_mqtt_rejected_inputs_total", "Inputs from the MQTT broker the engine refused, by reason.", "reason")
	mFailedConnects = counter("ruledetect_mqtt_failed_connects_total", "Connection attempts the broker refused, by reason.", "reason")
	mDenied         = counter("ruledetect_mqtt_denied_total", "Publishes and subscriptions the broker's ACL refused, by action.", "action")
	mReplyErrors    = counter("ruledetect_mqtt_reply_errors_total", "Report replies (accepted/rejected) the broker could not publish.")
)

// statsCollector exports the counters of the server's engine, its alert
// sink, its durable store and its broker, read at each scrape.
type statsCollector struct{ s *Server }

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range []metric{mInputs, mLate, mClockJumps, mRejected, mDatapoints, mPercentiles, mThings,
		mEvents, mDelivered, mRetried, mFailed, mSpilled, mDepth, mSnapshotAge, mLogLag,
		mMQTTInputs, mMQTTRejected, mFailedConnects, mDenied, mReplyErrors} {
		ch <- m.desc
	}
}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	emit := func(m metric, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, v, labels...)
	}
	st := c.s.engine.Stats()
	emit(mInputs, float64(st.Inputs))
	emit(mLate, float64(st.Late))
	emit(mClockJumps, float64(st.ClockJumps))
	emit(mRejected, float64(st.Rejected))
	emit(mDatapoints, float64(st.Datapoints))
	emit(mPercentiles, float64(st.PercentilesUnavailable))
	emit(mThings, float64(st.Things))
	emit(mDelivered, float64(st.Delivery.Delivered))
	emit(mRetried, float64(st.Delivery.Retried))
	emit(mFailed, float64(st.Delivery.Failed))
	emit(mSpilled, float64(st.Delivery.Spilled))
	emit(mDepth, float64(st.Delivery.Depth))

	var counts [len(eventTypes)]uint64
	if a := c.s.cfg.Alerts; a != nil {
		for i := range eventTypes {
			counts[i] = a.byType[i].Load()
		}
	}
	for i, t := range eventTypes {
		emit(mEvents, float64(counts[i]), string(t))
	}

	var status Status
	if c.s.cfg.Status != nil {
		status = c.s.cfg.Status()
	}
	emit(mSnapshotAge, status.SnapshotAge.Seconds())
	emit(mLogLag, float64(status.LogLag))

	var b broker.Stats
	if c.s.cfg.BrokerStats != nil {
		b = c.s.cfg.BrokerStats()
	}
	for kind, v := range map[string]uint64{
		"connect": b.Inputs.Connects, "failed_connect": b.Inputs.FailedConnects, "disconnect": b.Inputs.Disconnects,
		"message_sent": b.Inputs.MessagesSent, "message_received": b.Inputs.MessagesReceived,
		"authorization_failure": b.Inputs.AuthorizationFailures, "report": b.Inputs.Reports,
	} {
		emit(mMQTTInputs, float64(v), kind)
	}
	for reason, v := range map[string]uint64{
		"malformed_report": b.Rejected.MalformedReport, "late": b.Rejected.Late, "clock_jump": b.Rejected.ClockJump,
		"invalid": b.Rejected.Invalid, "other": b.Rejected.Other,
	} {
		emit(mMQTTRejected, float64(v), reason)
	}
	for reason, v := range map[string]uint64{
		"bad_credentials": b.FailedConnects.BadCredentials, "wrong_username": b.FailedConnects.WrongUsername,
		"invalid_client_id": b.FailedConnects.InvalidClientID, "will_denied": b.FailedConnects.WillDenied,
	} {
		emit(mFailedConnects, float64(v), reason)
	}
	emit(mDenied, float64(b.Denied.Publish), "publish")
	emit(mDenied, float64(b.Denied.Subscribe), "subscribe")
	emit(mReplyErrors, float64(b.ReplyErrors))
}
