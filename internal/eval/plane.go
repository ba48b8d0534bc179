package eval

import (
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/sketch"
	"github.com/ruledetect/ruledetect/violation"
)

// Options are the settings of a Plane.
type Options struct {
	// Period is the evaluation period P: windowed datapoints fall at
	// multiples of it.
	Period time.Duration
	// Horizon is how long a thing may be silent before its alarms are
	// invalidated and its state dropped.
	Horizon time.Duration
	// AllowedLateness delays each boundary's close, so that inputs up to it
	// behind the watermark still land in their window.
	AllowedLateness time.Duration
	// MaxClockJump is how far ahead of the watermark an input may be (0: no
	// limit).
	MaxClockJump time.Duration
	// ExactPopulation is how many values a statistical population keeps
	// exactly before it becomes a sketch.
	ExactPopulation int
	// CumulativeNetStats makes a report's network_stats cumulative counters
	// whose differences are the datapoints.
	CumulativeNetStats bool
	// Shards is the number of shards (at least 1).
	Shards int
	// Retaining is set when values are retained or exported (Hooks.Retain,
	// Hooks.Closed): every datapoint is then produced, zeros included.
	Retaining bool
	// Serial makes every input take the clock lock, for options that need
	// one order across the fleet.
	Serial bool
}

// Judged is one judged datapoint, for Hooks.Observe.
type Judged struct {
	Thing     string
	Behavior  *Behavior
	Value     behavior.MetricValue
	Time      int64 // Unix ns
	Violating bool
	// Threshold is the fleet percentile of a statistical behavior.
	Threshold float64
}

// Hooks are what the plane hands to its owner. Each is called with the
// plane's locks held, so none may block or call the plane; nil hooks are
// skipped (Exchange: the local population is the fleet's).
type Hooks struct {
	// Emit receives every violation event the log records.
	Emit func(violation.Event)
	// Observe receives every judged datapoint.
	Observe func(Judged)
	// Retain receives every value of a retained series; d is the hook's
	// own.
	Retain func(thing string, r *Retained, d Datapoint, t int64)
	// Closed is called after each boundary a close crosses one at a time,
	// with the clock lock held, when Options.Retaining is set.
	Closed func()
	// Exchange returns the population to take b's percentile at T from:
	// local, or the fleet's. It is called with no lock held.
	Exchange func(b *Behavior, local *sketch.Population, T int64) *sketch.Population
}

// Plane is the data plane: the things and their windows, spread over
// shards, the clock that closes evaluation periods, and the alarm state
// machines that judge datapoints into the violation log. It is safe for
// concurrent use.
//
// An input goes through admit (Enter: the clock, the thing's state, the
// late and too-far-ahead checks), apply (the Apply methods: each behavior
// the input feeds adds to its window or is judged at once), and leave. A
// boundary closes (close.go) when the watermark passes it: every window's
// datapoint is made and judged (judge.go), statistical ones against the
// fleet's percentile.
type Plane struct {
	opts  Options
	hooks Hooks
	log   *violation.Log

	// rules is the configuration in force, replaced (never changed) with
	// every lock held, and read without a lock.
	rules atomic.Pointer[Rules]

	// mu serializes the clock (Advance, period closes), control-plane
	// changes and snapshots; inputs take only their shard's lock while the
	// clock needs no move (see Enter). In a serial plane every input takes
	// mu too.
	mu sync.Mutex
	// shards hold the things, spread by a hash of their names (seed).
	// shardsHeld is set, under mu, while the holder of mu holds every
	// shard's lock too (lockShards).
	shards     []*shard
	shardsHeld bool
	seed       maphash.Seed
	// thingCount is the number of things of every shard.
	thingCount atomic.Int64
	// serial is set when an option needs one order across the whole fleet.
	serial bool
	// watermark is the newest event time seen (Unix ns) by the clock,
	// which folds in the shards' (syncWatermark); wmPub publishes it to
	// inputs that do not take mu. closed is the index of the newest
	// evaluation period boundary already closed (boundary k is at k·P),
	// written under mu. started is false until the first input.
	watermark int64
	wmPub     atomic.Int64
	closed    atomic.Int64
	started   atomic.Bool
	// wmMoved has a bit per shard, set by the first input that moves the
	// shard's time after syncWatermark last read it (shard.wmNew); nil in
	// a serial plane.
	wmMoved []atomic.Uint64

	// late, clockJumps and percentilesUnavailable count for Stats.
	late, clockJumps, percentilesUnavailable atomic.Uint64
	// fleet gathers the shards' statistical batches at a close.
	fleet fleetScratch

	// held are the per-input datapoints waiting for the allowed lateness to
	// pass (always empty without it); heldSeq numbers them in arrival order.
	held    deferredHeap
	heldSeq uint64

	// closing is true while a goroutine closes boundaries; with a
	// population exchange it releases mu while it waits for the fleet, and
	// closeDone (on mu) tells the others when it is done. Meanwhile inputs
	// of the periods being closed are applied; later ones wait.
	closing   atomic.Bool // written under mu
	closeDone sync.Cond
	// moved is closed, and replaced, whenever the closed boundary moves or
	// a close ends (signalClock): inputs waiting for the clock wait on it
	// rather than on mu, which a close holds (lockClock).
	moved atomic.Pointer[chan struct{}]
	// bgClose is set while a close started by an input runs in the
	// background (closeInBackground).
	bgClose atomic.Bool
	// clockWaiters counts the inputs waiting in lockClock, which unlock
	// wakes.
	clockWaiters atomic.Int32
	// sweepers are eachShard's, kept from one close to the next (under
	// mu), so that a close allocates none.
	sweepers []*sweeper
	// sweeping counts the sweeps of the shards that run on goroutines
	// other than the inputs' (a close's workers, a snapshot's encoder);
	// while one runs, inputs give way now and then (giveWay).
	sweeping atomic.Int32
}

// New returns a plane with no things, judging into log, under rules.
func New(o Options, h Hooks, log *violation.Log, rules *Rules) (*Plane, error) {
	if o.Period <= 0 || o.Shards < 1 || o.Shards > MaxShards {
		return nil, fmt.Errorf("eval.New: period %v and shards %d out of range", o.Period, o.Shards)
	}
	seed := maphash.MakeSeed()
	p := &Plane{opts: o, hooks: h, log: log, shards: newShards(o.Shards, seed), seed: seed, serial: o.Serial}
	if !p.serial {
		p.wmMoved = make([]atomic.Uint64, (len(p.shards)+63)/64)
	}
	p.closeDone.L = &p.mu
	moved := make(chan struct{})
	p.moved.Store(&moved)
	p.rules.Store(rules)
	return p, nil
}

// Stats are the plane's counters.
type Stats struct {
	Inputs, Late, ClockJumps, Datapoints, PercentilesUnavailable uint64
	Things                                                       int
}

// Stats returns the plane's counters, after any close under way.
func (p *Plane) Stats() Stats {
	p.AwaitClose()
	return p.stats(false)
}

// stats returns the counters; shardsHeld says that the caller holds every
// shard's lock, which it otherwise takes in turn to read the shard's.
func (p *Plane) stats(shardsHeld bool) Stats {
	s := Stats{Late: p.late.Load(), ClockJumps: p.clockJumps.Load(),
		PercentilesUnavailable: p.percentilesUnavailable.Load(), Things: int(p.thingCount.Load())}
	for _, sh := range p.shards {
		if !shardsHeld {
			sh.mu.Lock()
		}
		s.Inputs += sh.inputs
		if !shardsHeld {
			sh.mu.Unlock()
		}
		s.Datapoints += sh.datapoints.Load()
	}
	return s
}

// restoreStats sets the counters a snapshot held; the totals start in the
// first shard.
func (p *Plane) restoreStats(s Stats) {
	p.shards[0].inputs = s.Inputs
	p.shards[0].datapoints.Store(s.Datapoints)
	p.late.Store(s.Late)
	p.clockJumps.Store(s.ClockJumps)
	p.percentilesUnavailable.Store(s.PercentilesUnavailable)
}

// Rules returns the configuration in force.
func (p *Plane) Rules() *Rules { return p.rules.Load() }

// SetRules puts rules in force. Called with every lock held (LockAll),
// or before the plane is shared.
func (p *Plane) SetRules(r *Rules) { p.rules.Store(r) }

// Lock takes the clock lock: the clock, closes and control-plane changes
// wait while it is held. Unlock releases it.
func (p *Plane) Lock() { p.mu.Lock() }

// Unlock releases the clock lock.
func (p *Plane) Unlock() { p.unlock() }

// LockAll takes the clock lock and every shard's, and brings the watermark
// up to date: a control-plane change or a snapshot sees no input half
// applied. UnlockAll ends the section.
func (p *Plane) LockAll() {
	p.mu.Lock()
	p.lockShards()
	p.syncWatermark()
}

// UnlockAll releases what LockAll took.
func (p *Plane) UnlockAll() {
	p.unlockShards()
	p.unlock()
}

// Watermark returns the newest event time seen (Unix ns); the caller holds
// the clock lock.
func (p *Plane) Watermark() int64 {
	p.syncWatermark()
	return p.watermark
}
