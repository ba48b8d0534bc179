package ruledetect

import "sync/atomic"

// stats are the engine's counters of rare events (the shards count inputs
// and datapoints); they are atomic so Stats needs no lock.
type stats struct {
	late, clockJumps, rejected, exchangeErrors atomic.Uint64
	percentilesUnavailable, exportErrors       atomic.Uint64
}

// Stats is a snapshot of the engine's counters since New.
type Stats struct {
	// Inputs is the number of inputs applied (reports and cloud-side events).
	Inputs uint64
	// Late is the number of inputs rejected because they were older than the
	// newest closed evaluation period (ErrLateInput).
	Late uint64
	// ClockJumps is the number of inputs rejected because they were too far
	// ahead of the watermark (ErrClockJump).
	ClockJumps uint64
	// Rejected is the number of inputs rejected as invalid or malformed.
	Rejected uint64
	// Datapoints is the number of datapoints judged.
	Datapoints uint64
	// ExchangeErrors is the number of failed population exchanges (see
	// WithPopulationExchange); the local population was used instead.
	ExchangeErrors uint64
	// PercentilesUnavailable is the number of (statistical behavior,
	// window) pairs not judged because a value of the fleet's population
	// was negative, for which AWS has no percentile.
	PercentilesUnavailable uint64
	// ExportErrors is the number of metric export batches that could not be
	// encoded (a custom number JSON cannot carry).
	ExportErrors uint64
	// Things is the number of things the engine holds state for.
	Things int
	// Delivery counts the alerts and datapoints handed to sinks.
	Delivery DeliveryStats
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	e.awaitClose()
	inputs, datapoints := e.counts()
	return Stats{
		Inputs:                 inputs,
		Late:                   e.stats.late.Load(),
		ClockJumps:             e.stats.clockJumps.Load(),
		Rejected:               e.stats.rejected.Load(),
		Datapoints:             datapoints,
		ExchangeErrors:         e.stats.exchangeErrors.Load(),
		PercentilesUnavailable: e.stats.percentilesUnavailable.Load(),
		ExportErrors:           e.stats.exportErrors.Load(),
		Things:                 int(e.thingCount.Load()),
		Delivery:               e.deliveryStats(),
	}
}
