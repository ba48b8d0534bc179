package ruledetect

import (
	"time"

	"github.com/ruledetect/ruledetect/internal/sketch"
)

// PopulationExchange lets engines that each see part of a fleet agree on one
// statistical threshold (DESIGN rule 8). At every boundary t, for every
// statistical behavior, the engine calls it with the encoded population of its
// own things' datapoints; it returns the encoded population of the whole
// fleet (typically the merge, with MergePopulations, of what every engine
// sent for the same profile, behavior and t). An error makes the engine use
// its local population and count the failure in Stats.ExchangeErrors.
//
// The call is made with the engine's lock held: it may block (waiting for
// the other engines), but it must not call back into the same engine.
//
// An engine calls it only at the boundaries it closes: those its watermark
// passes while it holds at least one thing seen within the invalidation
// horizon. An engine with no input for longer than that skips the
// boundaries of its silence, so an exchange that waits for every engine
// must time out (and return an error) rather than wait for ever.
type PopulationExchange func(profile, behavior string, t time.Time, local []byte) (fleet []byte, err error)

// WithPopulationExchange sets the exchange used for statistical thresholds.
func WithPopulationExchange(x PopulationExchange) Option {
	return func(o *options) error {
		o.exchange = x
		return nil
	}
}

// MergePopulations merges encoded populations (as a PopulationExchange
// receives them) into one. Populations below the exact-population limit stay
// exact; above it they are merged as quantile sketches without loss.
func MergePopulations(limit int, parts ...[]byte) ([]byte, error) {
	acc := sketch.NewPopulation(limit)
	for i, p := range parts {
		var part sketch.Population
		if err := part.UnmarshalBinary(p); err != nil {
			return nil, newError("MergePopulations", ErrInvalidRequest, "", "part %d: %v", i, err)
		}
		if err := acc.Merge(&part); err != nil {
			return nil, newError("MergePopulations", ErrInvalidRequest, "", "part %d: %v", i, err)
		}
	}
	return acc.MarshalBinary()
}

// exchange returns the population to take b's threshold from: b's own, or
// the fleet's when an exchange is configured and answers usably.
func (e *Engine) exchange(b *statBatch, T int64) *sketch.Population {
	x := e.opts.exchange
	if x == nil {
		return b.pop
	}
	if fleet, ok := e.fleetPopulation(x, b, T); ok {
		return fleet
	}
	e.stats.exchangeErrors.Add(1)
	return b.pop
}

// fleetPopulation sends b's population through x and decodes the fleet's.
// A fleet smaller than b's own (an exchange that lost or dropped parts) is
// not usable: the fleet holds at least this engine's datapoints.
func (e *Engine) fleetPopulation(x PopulationExchange, b *statBatch, T int64) (*sketch.Population, bool) {
	local, err := b.pop.MarshalBinary()
	if err != nil {
		return nil, false
	}
	encoded, err := x(b.cb.profile, b.cb.b.Name, time.Unix(0, T).UTC(), local)
	if err != nil {
		return nil, false
	}
	fleet := sketch.NewPopulation(e.opts.exactPopulation)
	if err := fleet.UnmarshalBinary(encoded); err != nil {
		return nil, false
	}
	return fleet, fleet.Len() >= b.pop.Len()
}
