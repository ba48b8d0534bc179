package ruledetect

import (
	"fmt"
	"time"
)

// DefaultMaxClockJump is how far ahead of the watermark an input may be by
// default: a week, longer than any invalidation horizon a fleet uses (48 h)
// so that a replay with a weekend's gap goes through, and far shorter than
// the years a device whose clock was reset or never set is off by.
const DefaultMaxClockJump = 7 * 24 * time.Hour

// WithAllowedLateness lets inputs arrive up to d after the watermark has
// passed their time and still land in their own window: the evaluation
// period ending at T closes when the watermark reaches T + d, not T.
//
// With d > 0 the same inputs give the same events whatever order they
// arrive in within d: sums and counts do not depend on order, a window's
// last value is the one with the latest timestamp, and datapoints of
// behaviors without a duration (judged per input) are held until the
// watermark is d past them and judged in timestamp order (inputs with the
// same timestamp in arrival order). Events are final d later than with the
// default, 0, which judges everything as soon as its time is reached.
//
// d must be less than the invalidation horizon. Cumulative network
// counters (WithCumulativeNetworkStats) and disconnect durations follow
// arrival order, not timestamps.
func WithAllowedLateness(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("allowed lateness %v must not be negative", d)
		}
		o.allowedLateness = d
		return nil
	}
}

// WithMaxClockJump sets how far ahead of the watermark an input may be
// (default DefaultMaxClockJump). An input further ahead is rejected with
// ErrClockJump and counted in Stats().ClockJumps; it moves nothing, so one
// device with a wrong clock cannot close every window, invalidate every
// alarm, prune the whole log and make every other input late. Zero means
// no limit.
//
// Advance is exempt: a live integration stamps inputs with the time it
// received them, not with times the devices report, and drives the clock
// with Advance from its own ticker, so a quiet fleet still has its windows
// closed and a device's clock can never move the engine's. Device-reported
// times are for replays of recorded data, whose order the recorder fixed.
//
// The first input sets the clock; an engine that must not trust it is
// started with Advance.
func WithMaxClockJump(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("max clock jump %v must not be negative", d)
		}
		o.maxClockJump = d
		return nil
	}
}
