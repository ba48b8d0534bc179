package violation

import "context"

// AlertSink receives alerts: every event of a violation that is not
// suppressed, with its profile's alert targets. The Engine delivers them one at a time, in event order, outside
// its lock and from its own delivery goroutine, so a sink may call any Engine
// method and a slow sink holds up no ingest (see ruledetect.WithAlertSink for
// the queue's bound and retries).
//
// Alert returns an error when it could not take the event (a webhook that
// answered 503); the engine retries it per its delivery policy. A panic is
// treated as an error.
type AlertSink interface {
	Alert(ctx context.Context, a Alert) error
}

// AlertFunc adapts a function to AlertSink.
type AlertFunc func(ctx context.Context, a Alert) error

// Alert calls f(ctx, a).
func (f AlertFunc) Alert(ctx context.Context, a Alert) error { return f(ctx, a) }
