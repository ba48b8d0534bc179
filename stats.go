package ruledetect

import "sync/atomic"

// stats are the engine's own counters of rare events (the data plane
// counts inputs, datapoints, late inputs and clock jumps); they are atomic
// so Stats needs no lock.
type stats struct {
	rejected, exchangeErrors, exportErrors atomic.Uint64
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
	ps := e.plane.Stats()
	return Stats{
		Inputs:                 ps.Inputs,
		Late:                   ps.Late,
		ClockJumps:             ps.ClockJumps,
		Rejected:               e.stats.rejected.Load(),
		Datapoints:             ps.Datapoints,
		ExchangeErrors:         e.stats.exchangeErrors.Load(),
		PercentilesUnavailable: ps.PercentilesUnavailable,
		ExportErrors:           e.stats.exportErrors.Load(),
		Things:                 ps.Things,
		Delivery:               e.deliveryStats(),
	}
}
