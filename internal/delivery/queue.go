// Package delivery hands items produced under a lock to a consumer that runs
// outside it: an ordered, bounded queue with one worker goroutine that exists
// only while there is something to deliver.
//
// The engine produces alerts and datapoints while it holds its lock; a sink
// that ran there could stall every other caller, deadlock by calling back
// into the engine, or leave a half-done period close behind it when it
// panics. A Queue takes the items under the producer's lock without calling
// anything, and delivers them one at a time, in push order, from its own
// goroutine.
package delivery

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Policy says how a Queue bounds itself and treats a consumer that fails.
type Policy struct {
	// Bound is the queue length above which a producer waits (WaitForRoom)
	// for the worker to catch up. Zero means no bound.
	Bound int
	// Wait is how long a producer waits for room before it goes on anyway,
	// leaving the queue longer than Bound (a spill, counted). Items are
	// never dropped: a bounded wait is what keeps a consumer that calls
	// back into its producer from deadlocking it.
	Wait time.Duration
	// Attempts is how many times an item is tried when the consumer returns
	// an error or panics (at least 1); after the last it is counted as
	// failed and the queue goes on with the next item.
	Attempts int
	// Backoff is the pause before the second attempt, doubled before each
	// further one.
	Backoff time.Duration
	// MaxBackoff caps the doubled pause (zero: no cap).
	MaxBackoff time.Duration
}

// Stats are a Queue's counters.
type Stats struct {
	Delivered uint64 // items the consumer accepted
	Retried   uint64 // attempts after a failed one
	Failed    uint64 // items given up after Policy.Attempts failures
	Spilled   uint64 // producer waits that ended with the queue still over Bound
	Depth     int    // items pushed and not yet finished
	// LastError is the error of the last failed attempt, nil if none failed.
	LastError error
}

// Queue delivers items of type T to a consumer in push order, one at a time,
// from a worker goroutine started by Push when none is running and ended when
// the queue is empty. It is safe for concurrent use; its zero value is not
// usable: create one with New.
type Queue[T any] struct {
	policy Policy
	send   func(context.Context, T) error

	mu      sync.Mutex
	items   []T
	spare   []T
	running bool
	// busy counts items taken by the worker and not yet finished, so that
	// Flush waits for the one being delivered too.
	busy int
	// depth is len(items)+busy, kept beside them so that WaitForRoom, which
	// every producer calls after its section, checks for room without the
	// lock.
	depth atomic.Int64
	// progress is closed and replaced whenever the worker finishes a batch
	// or stops, waking producers waiting for room and flushers.
	progress chan struct{}
	stats    Stats
}

// New returns an empty queue that delivers with send. A send that returns an
// error or panics is retried per p; send must not call Flush or WaitForRoom
// of the same queue (it may push).
func New[T any](p Policy, send func(context.Context, T) error) *Queue[T] {
	if p.Attempts < 1 {
		p.Attempts = 1
	}
	return &Queue[T]{policy: p, send: send, progress: make(chan struct{})}
}

// Push appends items and starts the worker if none is running. It never
// blocks on the consumer, so it may be called under the producer's lock.
func (q *Queue[T]) Push(items ...T) {
	if len(items) == 0 {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, items...)
	q.depth.Add(int64(len(items)))
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go q.work()
	}
}

// WaitForRoom blocks while the queue is longer than Policy.Bound, for at most
// Policy.Wait or until ctx ends. A wait that ends with the queue still over
// the bound is counted in Stats.Spilled. Call it without the producer's lock.
func (q *Queue[T]) WaitForRoom(ctx context.Context) {
	if q.policy.Bound <= 0 || q.depth.Load() <= int64(q.policy.Bound) {
		return
	}
	var timeout <-chan time.Time
	for {
		q.mu.Lock()
		if len(q.items)+q.busy <= q.policy.Bound {
			q.mu.Unlock()
			return
		}
		progress := q.progress
		q.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(q.policy.Wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-progress:
		case <-timeout:
			q.spill()
			return
		case <-ctx.Done():
			q.spill()
			return
		}
	}
}

func (q *Queue[T]) spill() {
	q.mu.Lock()
	q.stats.Spilled++
	q.mu.Unlock()
}

// Flush waits until every item pushed before it has been delivered (or given
// up), or ctx ends, whose error it returns then.
func (q *Queue[T]) Flush(ctx context.Context) error {
	for {
		q.mu.Lock()
		if len(q.items) == 0 && q.busy == 0 {
			q.mu.Unlock()
			return nil
		}
		progress := q.progress
		q.mu.Unlock()
		select {
		case <-progress:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stats returns the queue's counters.
func (q *Queue[T]) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Depth = len(q.items) + q.busy
	return s
}

// work delivers batches until the queue is empty, then stops.
func (q *Queue[T]) work() {
	for {
		q.mu.Lock()
		batch := q.items
		if len(batch) == 0 {
			q.running = false
			q.wake()
			q.mu.Unlock()
			return
		}
		q.items, q.spare = q.spare[:0], nil
		q.busy = len(batch)
		q.mu.Unlock()

		for i := range batch {
			ok, retries, err := q.deliver(batch[i])
			q.mu.Lock()
			if err != nil {
				q.stats.LastError = err
			}
			q.busy--
			q.depth.Add(-1)
			q.stats.Retried += uint64(retries)
			if ok {
				q.stats.Delivered++
			} else {
				q.stats.Failed++
			}
			q.mu.Unlock()
		}
		clear(batch)
		q.mu.Lock()
		if q.spare == nil {
			q.spare = batch[:0]
		}
		q.wake()
		q.mu.Unlock()
	}
}

// wake tells waiters that the queue moved; called with mu held.
func (q *Queue[T]) wake() {
	close(q.progress)
	q.progress = make(chan struct{})
}

// deliver tries item up to Policy.Attempts times.
// It returns the last attempt's error, if any failed.
func (q *Queue[T]) deliver(item T) (ok bool, retries int, last error) {
	backoff := q.policy.Backoff
	for attempt := 1; ; attempt++ {
		err := q.try(item)
		if err == nil {
			return true, attempt - 1, last
		}
		last = err
		if attempt >= q.policy.Attempts {
			return false, attempt - 1, last
		}
		if backoff > 0 {
			time.Sleep(backoff)
			backoff *= 2
			if q.policy.MaxBackoff > 0 && backoff > q.policy.MaxBackoff {
				backoff = q.policy.MaxBackoff
			}
		}
	}
}

// try sends item once; a panic in send is an error like any other.
func (q *Queue[T]) try(item T) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("delivery: consumer panicked: %v", r)
		}
	}()
	return q.send(context.Background(), item)
}
