package ruledetect

import (
	"slices"

	"github.com/ruledetect/ruledetect/internal/report"
	"github.com/ruledetect/ruledetect/violation"
)

// staleVersion marks a thing whose coverage must be recomputed although the
// config did not change (its kind did).
const staleVersion = ^uint64(0)

// thingState is everything the engine keeps about one thing: its kind (for
// target coverage), when it last sent anything, and one slot per behavior
// that applies to it, aligned with its coverage.
type thingState struct {
	name string
	kind thingKind
	// told reports that the thing's registration or groups were told to the
	// engine; such a thing is kept when it goes idle, others are dropped.
	told bool
	// dropped reports that the engine no longer holds this state (the thing
	// went idle); a Thing handle that points to it must look it up again.
	dropped bool
	// shard is the index of the shard that holds the state.
	shard uint16
	// lastInput is the event time (Unix ns) of its newest input; 0 = none yet.
	lastInput int64
	// disconnectedAt is when it last disconnected (Unix ns), 0 while connected.
	disconnectedAt int64

	cfgVersion uint64
	cov        *coverage
	// slots holds the alarm state of each behavior of cov, in its order.
	slots []slot
	// ring holds the periods of the windowed behaviors of cov (at
	// cov.ringOff), all with period head at index 0 (ringOf).
	ring []acc
	head int64
	// counters is the last cumulative network_stats, when enabled (nil
	// until the first report with them).
	counters *report.CounterState
}

// align makes the thing's slots match the behaviors of cfg, carrying the
// state of behaviors that did not change (same id) and dropping the rest. The
// log's alarms of dropped behaviors were invalidated by the change itself.
func (ts *thingState) align(e *Engine, cfg *config) {
	if ts.cov != nil && ts.cfgVersion == cfg.version {
		return
	}
	cov := cfg.coverageFor(e, ts.kind)
	if cov == ts.cov {
		// Another config version, the same behaviors (a change elsewhere).
		ts.cfgVersion = cfg.version
		return
	}
	old, oldRing, oldCov := ts.slots, ts.ring, ts.cov
	var slots []slot
	if len(cov.behaviors) > 0 {
		slots = make([]slot, len(cov.behaviors))
	}
	var ring []acc // allocated here only to carry windows over; else at the next input
	if cov.ringLen > 0 && oldRing != nil {
		ring = make([]acc, cov.ringLen)
	}
	if oldCov != nil {
		for i, cb := range cov.behaviors {
			j := slices.IndexFunc(oldCov.behaviors, func(o *compiledBehavior) bool { return o.id == cb.id })
			if j < 0 {
				continue
			}
			slots[i].streak = old[j].streak
			if n := int32(cb.periods) + cov.slack; ring != nil && cb.periods > 0 && oldCov.behaviors[j].periods == cb.periods {
				// Same window length: it carries over, at the same head.
				copy(ring[cov.ringOff[i]:cov.ringOff[i]+n], oldRing[oldCov.ringOff[j]:oldCov.ringOff[j]+n])
			}
		}
	}
	ts.slots, ts.ring, ts.cov, ts.cfgVersion = slots, ring, cov, cfg.version
}

// key returns the violation key of the thing's behavior i.
func (ts *thingState) key(i int) violation.Key {
	cb := ts.cov.behaviors[i]
	return violation.Key{Thing: ts.name, Profile: cb.profile, Behavior: cb.b.Name}
}

// slotOf returns the index of the compiled behavior id among the thing's
// slots (trying hint first), or -1 when it no longer applies to the thing
// or the thing's state was dropped.
func (ts *thingState) slotOf(id uint64, hint int) int {
	if ts.dropped || ts.cov == nil {
		return -1
	}
	if hint >= 0 && hint < len(ts.cov.behaviors) && ts.cov.behaviors[hint].id == id {
		return hint
	}
	return slices.IndexFunc(ts.cov.behaviors, func(cb *compiledBehavior) bool { return cb.id == id })
}
