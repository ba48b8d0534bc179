package ruledetect

import (
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
)

// shard holds the things whose names hash to it, under a lock of its own, so
// that inputs of things in different shards are applied in parallel. The
// engine's clock (the watermark and the closed boundary) is global; a shard
// keeps the part of it that its inputs need without the engine's lock.
//
// The fields an input writes come first and share a cache line; the pad
// keeps a neighbouring shard's from sharing it.
type shard struct {
	mu sync.Mutex
	// closed is the newest boundary this shard has closed. A period close
	// sets the engine's closed boundary first and then closes the shards;
	// an input of a period after a boundary its shard has not closed yet
	// closes the shard itself first (closeShard).
	closed int64
	things map[string]*thingState
	// wm is the newest input time this shard has seen (Unix ns); the
	// engine's watermark is the greatest of its own and every shard's.
	wm atomic.Int64
	// inputs and datapoints count for Stats.
	inputs, datapoints atomic.Uint64
	_                  [64]byte

	scratch closeScratch
	// snap is the snapshot that has yet to encode this shard, if any
	// (thingEncoder); an input encodes it before it changes the shard.
	snap  *thingEncoder
	index uint16
	_     [64]byte
}

// An engine has 8 shards per GOMAXPROCS by default, so that two goroutines
// rarely want the same shard at once, and at least 64, so that an input
// that finds its shard behind a period close (see closeShard) closes a
// sixty-fourth of the fleet or less: about 8 ms at 10^6 things.
const (
	shardsPerProc = 8
	minShards     = 64
)

// maxShards bounds WithShards; a thing's shard index is 16 bits.
const maxShards = 4096

// WithShards sets the number of shards the engine's things are spread over
// (default 8 × GOMAXPROCS, at least 64). Inputs of things in different shards are
// applied in parallel, and a period close runs over the shards in
// parallel; the results do not depend on the number. One shard makes the
// engine serial, as a single lock would.
func WithShards(n int) Option {
	return func(o *options) error {
		if n < 1 || n > maxShards {
			return fmt.Errorf("shards %d must be between 1 and %d", n, maxShards)
		}
		o.shards = n
		return nil
	}
}

func defaultShards() int {
	return min(maxShards, max(minShards, shardsPerProc*runtime.GOMAXPROCS(0)))
}

// newShards makes n empty shards.
func newShards(n int) []*shard {
	s := make([]*shard, n)
	for i := range s {
		sh := &shard{things: map[string]*thingState{}, index: uint16(i)}
		s[i] = sh
	}
	return s
}

// shardOf returns the shard of the thing named name.
func (e *Engine) shardOf(name string) *shard {
	if len(e.shards) == 1 {
		return e.shards[0]
	}
	return e.shards[maphash.String(e.seed, name)%uint64(len(e.shards))]
}

// shardFor returns the shard of thing, from its handle when there is one.
func (e *Engine) shardFor(thing string, h *Thing) *shard {
	if h != nil {
		return h.sh
	}
	return e.shardOf(thing)
}

// lockAll takes mu and every shard's lock, and brings the watermark up to
// date: a control-plane change or a snapshot sees no input half applied.
// The section ends with unlock.
func (e *Engine) lockAll() {
	e.mu.Lock()
	e.lockShards()
	e.syncWatermark()
}

// lockShards locks every shard, in order; the caller holds mu. With it a
// control-plane change or a snapshot sees no input half applied.
func (e *Engine) lockShards() {
	for _, sh := range e.shards {
		sh.mu.Lock()
	}
}

func (e *Engine) unlockShards() {
	for _, sh := range e.shards {
		sh.mu.Unlock()
	}
}

// counts returns the inputs and datapoints every shard has counted.
func (e *Engine) counts() (inputs, datapoints uint64) {
	for _, sh := range e.shards {
		inputs += sh.inputs.Load()
		datapoints += sh.datapoints.Load()
	}
	return inputs, datapoints
}

// eachThing calls f with every thing of every shard; the caller holds every
// shard's lock (or the engine is not shared yet).
func (e *Engine) eachThing(f func(*thingState)) {
	for _, sh := range e.shards {
		for _, ts := range sh.things {
			f(ts)
		}
	}
}

// thing returns the state of the thing named name, or nil; the caller holds
// its shard's lock.
func (e *Engine) thing(name string) *thingState {
	return e.shardOf(name).things[name]
}

// parallelClose is the fleet size from which a period close runs its
// shards on several goroutines: below it, starting them costs more than
// it saves. Tests lower it.
var parallelClose = 4096

// eachShard calls f with every shard, each under its own lock, on up to
// GOMAXPROCS goroutines when the engine is not serial and the fleet is
// large, else in order. f must touch only its shard's things and what is
// safe for concurrent use.
func (e *Engine) eachShard(f func(*shard)) {
	workers := min(runtime.GOMAXPROCS(0), len(e.shards))
	if e.serial || workers < 2 || e.thingCount.Load() < int64(parallelClose) {
		for _, sh := range e.shards {
			sh.mu.Lock()
			f(sh)
			sh.mu.Unlock()
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(e.shards)) {
					return
				}
				sh := e.shards[i]
				sh.mu.Lock()
				f(sh)
				sh.mu.Unlock()
			}
		})
	}
	wg.Wait()
}
