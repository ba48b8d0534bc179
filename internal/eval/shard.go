package eval

import (
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
)

// shard holds the things whose names hash to it, under a lock of its own, so
// that inputs of things in different shards are applied in parallel. The
// plane's clock (the watermark and the closed boundary) is global; a shard
// keeps the part of it that its inputs need without the clock's lock.
//
// The fields every input reads or writes come first and share a cache
// line, the one line of the shard an input through a handle touches; the
// pad keeps a neighbouring shard's from sharing it.
type shard struct {
	mu sync.Mutex
	// closed is the newest boundary this shard has closed. A period close
	// sets the plane's closed boundary first and then closes the shards;
	// an input of a period after a boundary its shard has not closed yet
	// closes the shard itself first (closeShard).
	closed int64
	// wm is the newest input time this shard has seen (Unix ns); the
	// plane's watermark is the greatest of its own and every shard's
	// (syncWatermark). inputs counts the inputs applied here, for Stats.
	// Both are written by every input, under mu: an atomic write would
	// cost each input a locked instruction, a fifth of its time when its
	// thing is in cache. wmNew is set when wm has moved since the clock
	// last read it, and the shard's bit in the plane's wmMoved with it.
	wm     int64
	inputs uint64
	wmNew  bool
	index  uint16
	// snap is the snapshot that has yet to encode this shard, if any
	// (thingEncoder); an input encodes it before it changes the shard.
	snap *thingEncoder
	// oldestInput is at most the last input time of every thing here that
	// has had one (math.MaxInt64: none has): no thing of the shard can be
	// due to expire before oldestInput plus the horizon, so a sweep for
	// idle things (expireIdle) passes the shard by. A close, which visits
	// every thing, sets it exactly; an input lowers it to its own time;
	// zero, as a shard starts, means not known.
	oldestInput atomic.Int64
	things      thingIndex
	// datapoints counts for Stats.
	datapoints atomic.Uint64
	_          [64]byte

	scratch closeScratch
	// rest is what is left of a close of boundary restOf that a sweeper
	// left between two chunks, and restOldest the least last input of the
	// things it has closed (closeShard).
	rest       []*Thing
	restOf     int64
	restOldest int64
	_          [64]byte
}

// A plane has 8 shards per GOMAXPROCS by default, so that two goroutines
// rarely want the same shard at once, and at least 256, so that an input
// that finds its shard behind a period close (see closeShard), or being
// closed or encoded for a snapshot, waits for 1/256 of the fleet or less:
// about 1.5 ms at 10^6 things on a small cloud VM, where a 64th took 6.
const (
	shardsPerProc = 8
	minShards     = 256
)

// MaxShards bounds Options.Shards; a thing's shard index is 16 bits.
const MaxShards = 4096

// DefaultShards is the default number of shards: 8 × GOMAXPROCS, at least
// 256 and at most MaxShards.
func DefaultShards() int {
	return min(MaxShards, max(minShards, shardsPerProc*runtime.GOMAXPROCS(0)))
}

// newShards makes n empty shards, whose indexes hash names with seed.
func newShards(n int, seed maphash.Seed) []*shard {
	// One allocation for all of them: an engine is cheap to make, whatever
	// its shard count. A shard's table is made with its first thing (add).
	all := make([]shard, n)
	s := make([]*shard, n)
	for i := range s {
		all[i].index = uint16(i)
		all[i].things.setSeed(seed)
		s[i] = &all[i]
	}
	return s
}

// add puts ts in sh under its name. Called with sh.mu held.
func (sh *shard) add(ts *Thing) {
	sh.things.add(ts)
	if ts.lastInput != 0 { // a restored thing
		sh.lowerOldestInput(ts.lastInput)
	}
}

// lowerOldestInput keeps oldestInput a bound when a thing of sh has an
// input at t. Called with sh.mu held.
func (sh *shard) lowerOldestInput(t int64) {
	if t < sh.oldestInput.Load() {
		sh.oldestInput.Store(t)
	}
}

// large reports whether the fleet is large enough for a close or a
// snapshot to give way to inputs between shards (see eachShard).
func (p *Plane) large() bool { return p.thingCount.Load() >= int64(ParallelClose) }

// shardOf returns the shard of the thing named name.
func (p *Plane) shardOf(name string) *shard {
	sh, _ := p.shardFor(name, nil)
	return sh
}

// shardFor returns the shard of thing, from its handle when there is one,
// and otherwise with the hash of the name, which places the thing in its
// shard's index too (thingIndex.getHashed), so that an input hashes the
// name once. The hash is 0 with a handle.
func (p *Plane) shardFor(thing string, h *Handle) (*shard, uint64) {
	if h != nil {
		return h.sh, 0
	}
	hash := maphash.String(p.seed, thing)
	return p.shards[hash%uint64(len(p.shards))], hash
}

// lockShards locks every shard, in order; the caller holds mu. With it a
// control-plane change or a snapshot sees no input half applied.
func (p *Plane) lockShards() {
	for _, sh := range p.shards {
		sh.mu.Lock()
	}
	p.shardsHeld = true
}

func (p *Plane) unlockShards() {
	p.shardsHeld = false
	for _, sh := range p.shards {
		sh.mu.Unlock()
	}
}

// eachThing calls f with every thing of every shard; the caller holds every
// shard's lock (or the plane is not shared yet).
func (p *Plane) eachThing(f func(*Thing)) {
	for _, sh := range p.shards {
		for c := sh.things.cursor(); c.next(); {
			f(c.ts)
		}
	}
}

// thing returns the state of the thing named name, or nil; the caller holds
// its shard's lock.
func (p *Plane) thing(name string) *Thing {
	return p.shardOf(name).things.get(name)
}

// ParallelClose is the fleet size from which a period close runs its
// shards on several goroutines: below it, starting them costs more than
// it saves. Tests lower it.
var ParallelClose = 4096

// eachShard calls f with every shard, each under its own lock, on up to
// GOMAXPROCS goroutines when the plane is not serial and the fleet is
// large, else in order. f must touch only its shard's things and what is
// safe for concurrent use; sw is the goroutine's sweeper on the parallel
// path, nil on the caller's goroutine. Called with mu held.
func (p *Plane) eachShard(f func(sh *shard, sw *sweeper)) {
	workers := min(runtime.GOMAXPROCS(0), len(p.shards))
	if p.serial || workers < 2 || !p.large() {
		for _, sh := range p.shards {
			sh.mu.Lock()
			f(sh, nil)
			sh.mu.Unlock()
		}
		return
	}
	p.sweeping.Add(1)
	defer p.sweeping.Add(-1)
	for len(p.sweepers) < workers {
		p.sweepers = append(p.sweepers, &sweeper{})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, sw := range p.sweepers[:workers] {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(p.shards)) {
					return
				}
				sh := p.shards[i]
				sh.mu.Lock()
				f(sh, sw)
				sh.mu.Unlock()
				clear(sw.things) // keeps no thing alive until the next close
				sw.things = sw.things[:0]
				// Inputs go on while a close runs; on a machine with
				// as many busy goroutines as cores, an input preempted
				// behind a worker would wait for its whole time slice
				// (10 ms), not for one shard.
				runtime.Gosched()
			}
		})
	}
	wg.Wait()
}

// A sweeper is one of eachShard's goroutines, with what it reuses from one
// shard, and one close, to the next (Plane.sweepers).
type sweeper struct {
	// things holds the things of the shard being closed, which the sweeper
	// closes a chunk at a time (closeShard).
	things []*Thing
}

// sweepChunk is how many things a sweeper closes between two yields of its
// processor: about 0.1 ms at 10^6 things, where every thing is a cache
// miss, against ~1.5 ms for a whole shard.
const sweepChunk = 256
