package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ruledetect/ruledetect/violation"
)

// Headers of a webhook alert. DedupeKeyHeader carries the alert's
// de-duplication key (see DedupeKey); TopicArnHeader, the topic ARN of the
// profile's SNS alert target when it has one, under the name SNS itself
// uses for HTTP deliveries.
const (
	DedupeKeyHeader = "X-Ruledetect-Dedupe-Key"
	TopicArnHeader  = "X-Amz-Sns-Topic-Arn"
)

// DedupeKey is the de-duplication key of an alert: its violation ID, event
// type and event time in epoch milliseconds, joined by ':'. A violation
// has at most one event of each type, so the ID and type alone would do;
// the time makes the key checkable against the message, which carries all
// three (violationId, violationEventType, violationEventTime). Alerts are
// delivered at least once: a consumer that keeps the keys it has seen
// drops the repeats.
func DedupeKey(a violation.Alert) string {
	return a.ViolationID + ":" + string(a.ViolationEventType) + ":" + strconv.FormatInt(a.ViolationEventTime.UnixMilli(), 10)
}

// WebhookSink POSTs each alert to URL as the JSON message AWS IoT Device
// Defender publishes to an SNS alert target (violation.SNSMessage), with
// DedupeKeyHeader and, when the profile has an SNS alert target,
// TopicArnHeader. An answer other than 2xx, or no answer, is an error, so
// that the engine retries the alert (see ruledetect.DeliveryPolicy).
type WebhookSink struct {
	// URL is where alerts are POSTed.
	URL string
	// Client sends the requests (nil: a client with a 10-second timeout).
	Client *http.Client
}

var defaultWebhookClient = &http.Client{Timeout: 10 * time.Second}

// Alert POSTs a and returns an error unless the webhook answered 2xx.
func (w *WebhookSink) Alert(ctx context.Context, a violation.Alert) error {
	msg, err := violation.SNSMessage(a.Event)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(msg))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(DedupeKeyHeader, DedupeKey(a))
	if t, ok := a.Targets["SNS"]; ok && t.AlertTargetArn != "" {
		req.Header.Set(TopicArnHeader, t.AlertTargetArn)
	}
	client := w.Client
	if client == nil {
		client = defaultWebhookClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: alert %s: %w", DedupeKey(a), err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: alert %s: %s answered %s", DedupeKey(a), w.URL, resp.Status)
	}
	return nil
}

// Publisher publishes a payload on an MQTT topic; *broker.Broker is one.
type Publisher interface {
	Publish(topic string, payload []byte) error
}

// MQTTSink publishes each alert on Topic as the same JSON message
// WebhookSink POSTs. MQTT 3 has no headers: the de-duplication key's three
// parts are members of the message (see DedupeKey).
type MQTTSink struct {
	Broker Publisher
	Topic  string
}

// Alert publishes a on Topic.
func (m *MQTTSink) Alert(_ context.Context, a violation.Alert) error {
	msg, err := violation.SNSMessage(a.Event)
	if err != nil {
		return err
	}
	return m.Broker.Publish(m.Topic, msg)
}

// Alerts is an AlertSink that hands each alert to several sinks and counts
// alerts by event type (for /metrics). When some sinks fail, it returns
// their errors joined so the engine retries, and the retry goes only to
// the sinks that failed: a sink that took an alert is not given it again.
// The engine offers alerts one at a time, so remembering the last one is
// enough: an alert with the same DedupeKey as the one before it is taken
// for a retry of it.
type Alerts struct {
	sinks []violation.AlertSink

	mu      sync.Mutex
	lastKey string
	done    []bool // done[i]: sinks[i] took the alert lastKey

	byType [len(eventTypes)]atomic.Uint64
}

// eventTypes are the violation event types, in the order Alerts counts them.
var eventTypes = [...]violation.EventType{violation.InAlarm, violation.AlarmCleared, violation.AlarmInvalidated}

// NewAlerts returns an Alerts over sinks (none: it only counts).
func NewAlerts(sinks ...violation.AlertSink) *Alerts {
	return &Alerts{sinks: sinks, done: make([]bool, len(sinks))}
}

// Alert offers a to every sink that has not taken it yet.
func (s *Alerts) Alert(ctx context.Context, a violation.Alert) error {
	key := DedupeKey(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != s.lastKey {
		s.lastKey = key
		clear(s.done)
		for i, t := range eventTypes {
			if a.ViolationEventType == t {
				s.byType[i].Add(1)
			}
		}
	}
	var errs []error
	for i, sink := range s.sinks {
		if s.done[i] {
			continue
		}
		if err := sink.Alert(ctx, a); err != nil {
			errs = append(errs, err)
			continue
		}
		s.done[i] = true
	}
	return errors.Join(errs...)
}

// CountsByType returns how many distinct alerts Alerts was offered, by
// violation event type.
func (s *Alerts) CountsByType() map[violation.EventType]uint64 {
	out := make(map[violation.EventType]uint64, len(eventTypes))
	for i, t := range eventTypes {
		out[t] = s.byType[i].Load()
	}
	return out
}
