package eval

// ThingState is one thing's state as a comparison sees it: what a snapshot
// must carry across a restart, and what must not depend on the number of
// shards or the order inputs were applied in.
type ThingState struct {
	Kind      Kind
	Told      bool
	LastInput int64
	// DisconnectedAt is when the thing disconnected (Unix ns), 0 while
	// connected.
	DisconnectedAt int64
	// Head is the period of the ring's newest slot.
	Head int64
	// Behaviors are the thing's slots, by "profile/behavior".
	Behaviors map[string]BehaviorState
}

// BehaviorState is one slot: its streak, encoded, and, for a windowed
// behavior, its periods with input (by period index) in its ring.
type BehaviorState struct {
	Streak  []byte
	InAlarm bool
	Window  map[int64]PeriodState
}

// PeriodState is one period's accumulated value: a sum, or a last value
// with its offset into the period (At, microseconds plus one).
type PeriodState struct {
	Value uint64
	At    uint32
}

// States returns the state of every thing, by name. It takes every lock;
// it is for tests and debugging, not for a hot path.
func (p *Plane) States() map[string]ThingState {
	p.LockAll()
	defer p.UnlockAll()
	out := map[string]ThingState{}
	p.eachThing(func(ts *Thing) {
		s := ThingState{Kind: ts.kindOf(), Told: ts.told, LastInput: ts.lastInput, DisconnectedAt: ts.disconnectedAt, Head: ts.head}
		if ts.cov != nil {
			s.Behaviors = map[string]BehaviorState{}
			for i, cb := range ts.cov.behaviors {
				streak, _ := ts.slots()[i].streak.MarshalBinary()
				bs := BehaviorState{Streak: streak, InAlarm: ts.slots()[i].streak.InAlarm()}
				if windowed(cb) {
					bs.Window = map[int64]PeriodState{}
					for j, a := range ts.ringOf(i) {
						if a.any {
							bs.Window[ts.head-int64(j)] = PeriodState{Value: a.v, At: a.at}
						}
					}
				}
				s.Behaviors[cb.profile+"/"+cb.b.Name] = bs
			}
		}
		out[ts.name] = s
	})
	return out
}

// Clock returns the watermark, the newest closed boundary and whether the
// clock has started. It takes the clock lock.
func (p *Plane) Clock() (watermark, closed int64, started bool) {
	p.mu.Lock()
	defer p.unlock()
	p.syncWatermark()
	return p.watermark, p.closed.Load(), p.started.Load()
}

// Held returns the number of per-input datapoints waiting for the allowed
// lateness. It takes the clock lock.
func (p *Plane) Held() int {
	p.mu.Lock()
	defer p.unlock()
	return len(p.held)
}

// Shards returns the number of shards.
func (p *Plane) Shards() int { return len(p.shards) }
