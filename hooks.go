package ruledetect

import (
	"time"

	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/internal/sketch"
)

// hooks are what the data plane hands to the engine: violation events for
// the alert sink, judged datapoints for the observer, retained values for
// ListMetricValues and the metrics export, the end of each period close,
// and the fleet's populations through a PopulationExchange. A hook left nil
// tells the plane that nobody asked (it then skips the work, and may cross
// quiet boundaries in one sweep).
func (e *Engine) hooks() eval.Hooks {
	h := eval.Hooks{Emit: e.emit}
	if e.opts.observer != nil {
		h.Observe = e.observed
	}
	if e.retaining {
		h.Retain = e.retain
		h.Closed = func() {
			e.flushExports()
			e.sweepMetrics()
		}
	}
	if e.opts.exchange != nil {
		h.Exchange = e.exchange
	}
	return h
}

// observed queues a judged datapoint for the observer. Called with the
// plane's locks held, only when an observer is set.
func (e *Engine) observed(j eval.Judged) {
	b := j.Behavior
	e.out.Push(outgoing{isDatapoint: true, datapoint: Datapoint{
		Thing: j.Thing, Profile: b.Profile(), Behavior: b.Name(), Metric: b.Def().Metric,
		Time: time.Unix(0, j.Time).UTC(), Value: j.Value,
		Statistical: b.Statistical(), Threshold: j.Threshold, Violating: j.Violating,
	}})
}

// exchange returns the population to take b's threshold at T from: pop,
// the engine's own, or the fleet's when the exchange answers usably in
// time. The plane calls it with no lock held.
func (e *Engine) exchange(b *eval.Behavior, pop *sketch.Population, T int64) *sketch.Population {
	if fleet, ok := e.fleetPopulation(e.opts.exchange, b, pop, T); ok {
		return fleet
	}
	e.stats.exchangeErrors.Add(1)
	return pop
}
