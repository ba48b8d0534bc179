package ruledetect

import (
	"context"
	"fmt"
	"time"

	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/internal/sketch"
)

// PopulationExchange lets engines that each see part of a fleet agree on one
// statistical threshold. At every boundary t, for every statistical behavior
// of every attached profile, the engine calls it with the encoded population
// of its own things' datapoints (empty when it has none); it returns the
// encoded population of the whole fleet (typically the merge, with
// MergePopulations, of what every engine sent for the same profile,
// behavior and t).
//
// The call is made without the engine's lock: other inputs go on being
// applied while it waits for the other engines, and it may call the
// engine. Only the next boundary waits for it. ctx ends after the
// exchange timeout (WithExchangeTimeout); an exchange that returns an
// error, panics or is still running then makes the engine use its local
// population, counted in Stats().ExchangeErrors.
//
// Engines that share a fleet must close the same boundaries: an engine
// with an exchange steps through every boundary its watermark passes, idle
// or not, so drive each engine's clock (Advance on a ticker) even while its
// things are silent.
type PopulationExchange func(ctx context.Context, profile, behavior string, t time.Time, local []byte) (fleet []byte, err error)

// DefaultExchangeTimeout is how long an engine waits for a population
// exchange by default.
const DefaultExchangeTimeout = 30 * time.Second

// WithExchangeTimeout sets how long an engine waits for its population
// exchange at a boundary before it judges with its local population.
func WithExchangeTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("exchange timeout %v must be positive", d)
		}
		o.exchangeTimeout = d
		return nil
	}
}

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

// fleetPopulation sends the engine's population of cb through x and
// decodes the fleet's. A fleet smaller than the engine's own (an exchange
// that lost or dropped parts) is not usable: the fleet holds at least this
// engine's datapoints.
func (e *Engine) fleetPopulation(x PopulationExchange, cb *eval.Behavior, pop *sketch.Population, T int64) (*sketch.Population, bool) {
	local, err := pop.MarshalBinary()
	if err != nil {
		return nil, false
	}
	profile, name, at := cb.Profile(), cb.Name(), time.Unix(0, T).UTC()
	encoded, err := callExchange(x, e.opts.exchangeTimeout, profile, name, at, local)
	if err != nil {
		return nil, false
	}
	fleet := sketch.NewPopulation(e.opts.exactPopulation)
	if err := fleet.UnmarshalBinary(encoded); err != nil {
		return nil, false
	}
	return fleet, fleet.Len() >= pop.Len()
}

// callExchange runs x in a goroutine of its own, so that an exchange that
// ignores its context cannot hold the engine past the timeout, and a panic
// in it is an error rather than a crash.
func callExchange(x PopulationExchange, timeout time.Duration, profile, behavior string, t time.Time, local []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	type answer struct {
		fleet []byte
		err   error
	}
	done := make(chan answer, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- answer{err: fmt.Errorf("population exchange panicked: %v", r)}
			}
		}()
		fleet, err := x(ctx, profile, behavior, t, local)
		done <- answer{fleet, err}
	}()
	select {
	case a := <-done:
		return a.fleet, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
