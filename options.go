package ruledetect

import (
	"fmt"
	"time"

	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/violation"
)

// Option configures an Engine. Options are checked by New.
type Option func(*options) error

type options struct {
	region              string
	account             string
	period              time.Duration
	invalidationHorizon time.Duration
	allowedLateness     time.Duration
	maxClockJump        time.Duration
	retention           time.Duration
	exactPopulation     int
	cumulativeNetStats  bool
	clock               func() time.Time
	sink                violation.AlertSink
	observer            func(Datapoint)
	delivery            DeliveryPolicy
	metricRetention     MetricRetention
	metricSink          MetricSink
	exchange            PopulationExchange
	exchangeTimeout     time.Duration
	maxReportSize       int
	restoreMemoryLimit  int64
	shards              int
}

func defaultOptions() options {
	return options{
		region:              "us-east-1",
		account:             "123456789012",
		period:              300 * time.Second,
		invalidationHorizon: 48 * time.Hour,
		maxClockJump:        DefaultMaxClockJump,
		retention:           30 * 24 * time.Hour,
		exactPopulation:     10_000,
		clock:               time.Now,
		delivery:            defaultDeliveryPolicy(),
		exchangeTimeout:     DefaultExchangeTimeout,
		maxReportSize:       DefaultMaxReportSize,
	}
}

// WithRegion sets the region written into ARNs (default us-east-1).
func WithRegion(region string) Option {
	return func(o *options) error {
		if region == "" {
			return fmt.Errorf("region must not be empty")
		}
		o.region = region
		return nil
	}
}

// WithAccount sets the 12-digit account id written into ARNs (default 123456789012).
func WithAccount(account string) Option {
	return func(o *options) error {
		if account == "" {
			return fmt.Errorf("account must not be empty")
		}
		o.account = account
		return nil
	}
}

// WithEvaluationPeriod sets the evaluation period P (default 300 s): windowed
// datapoints fall at multiples of P since the Unix epoch. P must be a whole
// number of seconds dividing 300, so that every allowed durationSeconds is a
// multiple of it.
func WithEvaluationPeriod(p time.Duration) Option {
	return func(o *options) error {
		if p < time.Second || p%time.Second != 0 || (300*time.Second)%p != 0 {
			return fmt.Errorf("evaluation period %v: want whole seconds dividing 300s", p)
		}
		o.period = p
		return nil
	}
}

// WithInvalidationHorizon sets how long a thing may have no input at all
// before its open alarms become alarm-invalidated (default 48 h, as the
// service documents "more than two days").
func WithInvalidationHorizon(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("invalidation horizon %v must be positive", d)
		}
		o.invalidationHorizon = d
		return nil
	}
}

// WithRetention sets how long violation events are kept, in event time
// (default 30 days, the service quota).
func WithRetention(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("retention %v must be positive", d)
		}
		o.retention = d
		return nil
	}
}

// WithExactPopulation sets the fleet size up to which statistical thresholds
// are exact nearest-rank percentiles; above it the quantile sketch is used
// (default 10,000).
func WithExactPopulation(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("exact population %d must not be negative", n)
		}
		o.exactPopulation = n
		return nil
	}
}

// WithCumulativeNetworkStats treats network_stats in device reports as
// cumulative counters (the embedded-C demo sends /proc/net/dev totals) and
// turns them into per-thing deltas, handling counter resets. By default they
// are deltas, as the service documents.
func WithCumulativeNetworkStats(on bool) Option {
	return func(o *options) error {
		o.cumulativeNetStats = on
		return nil
	}
}

// WithClock sets the clock used for control-plane fields (creationDate,
// lastModifiedDate). Evaluation never reads it: evaluation runs on event time.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("clock must not be nil")
		}
		o.clock = now
		return nil
	}
}

// WithShards sets the number of shards the engine's things are spread over
// (default 8 × GOMAXPROCS, at least 256, at most 4096). Inputs of things in
// different shards are applied in parallel, and a period close runs over
// the shards in parallel; the results do not depend on the number. One
// shard makes the engine serial, as a single lock would.
func WithShards(n int) Option {
	return func(o *options) error {
		if n < 1 || n > eval.MaxShards {
			return fmt.Errorf("shards %d must be between 1 and %d", n, eval.MaxShards)
		}
		o.shards = n
		return nil
	}
}
