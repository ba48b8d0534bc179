package eval

import (
	"cmp"
	"runtime"
	"slices"
	"strings"

	"github.com/ruledetect/ruledetect/criteria"
	"github.com/ruledetect/ruledetect/internal/sketch"
)

// Statistical behaviors are judged at each boundary against the fleet's
// percentile of the same window: each shard gathers its datapoints in a
// batch per behavior while it closes; judgeStatistical joins the shards'
// batches and judges every member.

// closeScratch holds what closing a period reuses from one close to the
// next, in one shard.
type closeScratch struct {
	batches map[uint64]*statBatch // by compiled behavior id
	order   []*statBatch
}

// statBatch gathers one statistical behavior's datapoints at one boundary
// in one shard: the shard's population and the members to judge against
// the fleet's percentile.
type statBatch struct {
	sh      *shard
	cb      *Behavior
	pop     *sketch.Population
	members []statMember
}

// fleetScratch gathers the shards' batches of one boundary by behavior.
type fleetScratch struct {
	batches map[uint64]*fleetBatch // by compiled behavior id
	order   []*fleetBatch
}

// fleetBatch is one statistical behavior at one boundary across the
// shards: their batches and, when more than one has datapoints, the
// merge of their populations.
type fleetBatch struct {
	cb    *Behavior
	pop   *sketch.Population
	parts []*statBatch
}

type statMember struct {
	ts *Thing
	i  int
	d  Datapoint
}

// batch returns the shard's batch of the statistical behavior cb at the
// boundary being closed. Called with sh.mu held.
func (sh *shard) batch(p *Plane, cb *Behavior) *statBatch {
	sc := &sh.scratch
	if sc.batches == nil {
		sc.batches = map[uint64]*statBatch{}
	}
	b := sc.batches[cb.id]
	if b == nil {
		b = &statBatch{sh: sh, pop: sketch.NewPopulation(p.opts.ExactPopulation)}
		sc.batches[cb.id] = b
	}
	if b.cb == nil {
		b.cb = cb
		sc.order = append(sc.order, b)
	}
	return b
}

// reset empties b for the next boundary, keeping its memory.
func (b *statBatch) reset() {
	clear(b.members)
	b.members = b.members[:0]
	b.pop.Reset()
	b.cb = nil
}

func (b *statBatch) add(ts *Thing, i int, d Datapoint) {
	b.members = append(b.members, statMember{ts: ts, i: i, d: d})
	b.pop.Add(d.num().Float64())
}

// fleetBatch returns the fleet's batch of the statistical behavior cb at
// the boundary being closed. Called with mu held.
func (p *Plane) fleetBatch(cb *Behavior) *fleetBatch {
	fs := &p.fleet
	if fs.batches == nil {
		fs.batches = map[uint64]*fleetBatch{}
	}
	b := fs.batches[cb.id]
	if b == nil {
		b = &fleetBatch{pop: sketch.NewPopulation(p.opts.ExactPopulation)}
		fs.batches[cb.id] = b
	}
	if b.cb == nil {
		b.cb = cb
		fs.order = append(fs.order, b)
	}
	return b
}

// population returns the population of the shards' datapoints: the one
// shard's own when only one has any, else their merge.
func (b *fleetBatch) population() *sketch.Population {
	if len(b.parts) == 1 {
		return b.parts[0].pop
	}
	for _, p := range b.parts {
		// Merge fails only past 2^64 values, which no fleet reaches.
		_ = b.pop.Merge(p.pop)
	}
	return b.pop
}

func (b *fleetBatch) reset() {
	for _, p := range b.parts {
		p.reset()
	}
	clear(b.parts)
	b.parts = b.parts[:0]
	b.pop.Reset()
	b.cb = nil
}

// judgeStatistical gathers the shards' batches of boundary T by behavior,
// compares every member with its behavior's fleet percentile, then empties
// the batches for the next boundary.
//
// Batches are judged in (profile, behavior) order, not in the order the
// things happened to produce their first datapoints: engines that share a
// fleet through a blocking PopulationExchange must call it for the same
// keys in the same order, or each waits for the other on a different key.
// For the same reason, with an exchange every statistical behavior of every
// attached profile takes part, with an empty local population when none of
// this engine's things gave it a datapoint at T.
func (p *Plane) judgeStatistical(T int64) {
	fs := &p.fleet
	for _, sh := range p.shards {
		for _, b := range sh.scratch.order {
			fb := p.fleetBatch(b.cb)
			fb.parts = append(fb.parts, b)
		}
		clear(sh.scratch.order)
		sh.scratch.order = sh.scratch.order[:0]
		if len(sh.scratch.batches) > 1024 {
			sh.scratch.batches = nil // behaviors come and go; don't keep populations of deleted ones forever
		}
	}
	if p.hooks.Exchange != nil {
		for _, cb := range p.rules.Load().attached {
			p.fleetBatch(cb)
		}
	}
	slices.SortFunc(fs.order, func(a, b *fleetBatch) int {
		return cmp.Or(strings.Compare(a.cb.profile, b.cb.profile), strings.Compare(a.cb.b.Name, b.cb.b.Name))
	})
	for _, b := range fs.order {
		p.judgeFleetBatch(b, T)
		b.reset()
	}
	clear(fs.order)
	fs.order = fs.order[:0]
	if len(fs.batches) > 1024 {
		fs.batches = nil
	}
}

// judgeFleetBatch judges the members of b against the percentile of the
// fleet's population at T, each shard's under its lock.
func (p *Plane) judgeFleetBatch(b *fleetBatch, T int64) {
	pop := b.population()
	if p.hooks.Exchange != nil {
		// The exchange waits for the other engines of the fleet: without
		// mu, so that inputs of the periods being closed go on.
		p.unlock()
		pop = p.hooks.Exchange(b.cb, pop, T)
		p.mu.Lock()
	}
	if pop.Len() == 0 {
		// Nothing to judge (an engine without datapoints for it), and an
		// empty population has no percentile.
		return
	}
	if pop.Quantile(0) < 0 {
		// "Percentile statistics are not available for metrics when any
		// of the metric values are negative numbers" (AWS IoT Device
		// Defender developer guide, custom metrics): no threshold, so no
		// datapoint of this window is judged, as with missing data.
		// Counted.
		p.percentilesUnavailable.Add(1)
		return
	}
	threshold := criteria.Float(pop.Quantile(b.cb.statistic.Quantile()))
	// On a large fleet this is a sweep of the shards, by the close's
	// goroutine while inputs go on: it gives way between shards as
	// eachShard's workers do.
	large := !p.serial && p.large()
	if large {
		p.sweeping.Add(1)
		defer p.sweeping.Add(-1)
	}
	for _, part := range b.parts {
		part.sh.mu.Lock()
		for _, mb := range part.members {
			// While the exchange ran without the lock, the profile may have
			// changed: judge only where the behavior still applies.
			if i := mb.ts.slotOf(b.cb.id, mb.i); i >= 0 {
				p.transition(mb.ts, i, &mb.d, !b.cb.op.Holds(mb.d.num(), threshold), T, threshold.Float64())
			}
		}
		part.sh.mu.Unlock()
		if large {
			runtime.Gosched()
		}
	}
}
