package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
	"github.com/ruledetect/ruledetect/server/broker"
	"github.com/ruledetect/ruledetect/violation"
)

// opsUsage is the part of serve's usage about alerts, metric values and
// /metrics.
const opsUsage = `  --metric-retention DURATION
                           how long metric values are kept for list-metric-values
                           (default 24h; 0 keeps none)
  --alert-webhook URL      POST every alert there, as the JSON AWS IoT publishes to an SNS
                           alert target, with an X-Ruledetect-Dedupe-Key header
  --alert-topic TOPIC      also publish every alert on this topic of the MQTT broker
                           (needs --mqtt-listen)
  --alert-attempts N       how often an alert is offered to a failing webhook or topic
                           before it is given up and counted (default 20; pauses double
                           from 500ms up to 1m: about 13 minutes of pauses)
`

// Alert delivery in serve: many attempts with a capped pause, so that a
// webhook that is down for minutes misses nothing.
const (
	defaultAlertAttempts = 20
	alertBackoff         = 500 * time.Millisecond
	alertMaxBackoff      = time.Minute
)

// opsConfig is the part of serveConfig about alerts and metric values.
type opsConfig struct {
	metricRetention time.Duration
	alertWebhook    string
	alertTopic      string
	alertAttempts   int
}

// addOpsFlags defines the flags of opsConfig on fs.
func addOpsFlags(fs *flag.FlagSet, c *opsConfig) {
	fs.DurationVar(&c.metricRetention, "metric-retention", 24*time.Hour, "")
	fs.StringVar(&c.alertWebhook, "alert-webhook", "", "")
	fs.StringVar(&c.alertTopic, "alert-topic", "", "")
	fs.IntVar(&c.alertAttempts, "alert-attempts", defaultAlertAttempts, "")
}

// check validates c once the flags are parsed; mqttListen is serve's
// --mqtt-listen.
func (c opsConfig) check(mqttListen string) error {
	if c.metricRetention < 0 {
		return fmt.Errorf("--metric-retention %v: want 0 (off) or more", c.metricRetention)
	}
	if c.alertAttempts < 1 {
		return fmt.Errorf("--alert-attempts %d: want 1 or more", c.alertAttempts)
	}
	if c.alertWebhook != "" {
		u, err := url.Parse(c.alertWebhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--alert-webhook %q: want an http:// or https:// URL", c.alertWebhook)
		}
	}
	if c.alertTopic != "" {
		if mqttListen == "" {
			return errors.New("--alert-topic needs --mqtt-listen")
		}
		if strings.ContainsAny(c.alertTopic, "+#\x00") || strings.HasPrefix(c.alertTopic, "$") || !utf8.ValidString(c.alertTopic) {
			return fmt.Errorf("--alert-topic %q: want a topic name without wildcards ('+', '#') that does not start with '$'", c.alertTopic)
		}
	}
	return nil
}

// serveOps wires alerts, metric values and /metrics into serve.
type serveOps struct {
	cfg    opsConfig
	alerts *server.Alerts
	broker atomic.Pointer[broker.Broker] // set once the broker runs
}

func newServeOps(cfg opsConfig) *serveOps {
	o := &serveOps{cfg: cfg}
	var sinks []violation.AlertSink
	if cfg.alertWebhook != "" {
		sinks = append(sinks, &server.WebhookSink{URL: cfg.alertWebhook})
	}
	if cfg.alertTopic != "" {
		sinks = append(sinks, &server.MQTTSink{Broker: lateBroker{o}, Topic: cfg.alertTopic})
	}
	// Without destinations the sink still counts events by type for /metrics.
	o.alerts = server.NewAlerts(sinks...)
	return o
}

// engineOptions are the Engine options of c: the alert sink, its delivery
// policy and the metric retention.
func (o *serveOps) engineOptions() []ruledetect.Option {
	attempts := o.cfg.alertAttempts
	if attempts < 1 {
		attempts = defaultAlertAttempts
	}
	opts := []ruledetect.Option{
		ruledetect.WithAlertSink(o.alerts),
		ruledetect.WithDeliveryPolicy(ruledetect.DeliveryPolicy{Queue: 10_000, Wait: time.Second,
			Attempts: attempts, Backoff: alertBackoff, MaxBackoff: alertMaxBackoff}),
	}
	if o.cfg.metricRetention > 0 {
		opts = append(opts, ruledetect.WithMetricRetention(ruledetect.MetricRetention{Duration: o.cfg.metricRetention}))
	}
	return opts
}

// configure sets the server's alert and broker sources for /metrics.
func (o *serveOps) configure(c *server.Config) {
	c.Alerts = o.alerts
	c.BrokerStats = func() broker.Stats {
		if b := o.broker.Load(); b != nil {
			return b.Stats()
		}
		return broker.Stats{}
	}
}

// brokerStarted binds the alert topic and /metrics to b.
func (o *serveOps) brokerStarted(b *broker.Broker) { o.broker.Store(b) }

// lateBroker publishes through the broker once it runs: the engine (and
// its alert sink) exists before the broker, which needs the engine.
type lateBroker struct{ o *serveOps }

func (l lateBroker) Publish(topic string, payload []byte) error {
	b := l.o.broker.Load()
	if b == nil {
		return errors.New("the MQTT broker is not running yet") // retried
	}
	return b.Publish(topic, payload)
}

// logGivenUp logs a warning, once a second at most, when alerts were given
// up after their last attempt, until ctx ends: the engine counts them, and
// an operator reading the logs should not have to scrape to learn it.
func logGivenUp(ctx context.Context, eng *ruledetect.Engine, log *slog.Logger) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var seen uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d := eng.Stats().Delivery
			if d.Failed > seen {
				attrs := []any{"count", d.Failed - seen, "total", d.Failed}
				if d.LastError != nil {
					attrs = append(attrs, "error", d.LastError.Error())
				}
				log.Warn("alerts given up after the last attempt", attrs...)
				seen = d.Failed
			}
		}
	}
}
