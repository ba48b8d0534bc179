package delivery

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func flush(t *testing.T, q interface{ Flush(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, q.Flush(ctx))
}

func TestQueueDeliversInPushOrderFromManyProducers(t *testing.T) {
	var mu sync.Mutex
	var got []int
	q := New(Policy{}, func(_ context.Context, v int) error {
		mu.Lock()
		got = append(got, v)
		mu.Unlock()
		return nil
	})
	// Each producer pushes under a shared lock, as the engine does, so the
	// push order is the order of the lock.
	var producer sync.Mutex
	var want []int
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				producer.Lock()
				v := g*1000 + i
				want = append(want, v)
				q.Push(v)
				producer.Unlock()
			}
		})
	}
	wg.Wait()
	flush(t, q)
	assert.Equal(t, want, got)
	s := q.Stats()
	assert.Equal(t, uint64(4000), s.Delivered)
	assert.Zero(t, s.Depth)
}

func TestQueueRetriesErrorsAndPanicsThenCountsFailure(t *testing.T) {
	tries := map[int]int{}
	var delivered []int
	q := New(Policy{Attempts: 3}, func(_ context.Context, v int) error {
		tries[v]++
		switch {
		case v == 1 && tries[v] < 3:
			return errors.New("transient")
		case v == 2:
			panic("sink bug")
		}
		delivered = append(delivered, v)
		return nil
	})
	q.Push(0, 1, 2, 3)
	flush(t, q)
	assert.Equal(t, []int{0, 1, 3}, delivered)
	assert.Equal(t, map[int]int{0: 1, 1: 3, 2: 3, 3: 1}, tries)
	s := q.Stats()
	assert.Equal(t, uint64(3), s.Delivered)
	assert.Equal(t, uint64(1), s.Failed)
	assert.Equal(t, uint64(4), s.Retried) // 2 for item 1, 2 for item 2
	require.Error(t, s.LastError)
	assert.Contains(t, s.LastError.Error(), "sink bug")
}

func TestQueueProducerWaitsForRoomThenSpills(t *testing.T) {
	release := make(chan struct{})
	q := New(Policy{Bound: 2, Wait: 50 * time.Millisecond}, func(_ context.Context, v int) error {
		<-release
		return nil
	})
	q.Push(1, 2, 3, 4)
	q.WaitForRoom(context.Background()) // the consumer is stuck: waits 50 ms, then spills
	assert.Equal(t, uint64(1), q.Stats().Spilled)
	assert.Equal(t, 4, q.Stats().Depth, "a spill keeps every item")
	close(release)
	flush(t, q)
	q.WaitForRoom(context.Background()) // room now: no spill
	assert.Equal(t, uint64(1), q.Stats().Spilled)
	assert.Equal(t, uint64(4), q.Stats().Delivered)
}

func TestQueueConsumerMayPush(t *testing.T) {
	var got []int
	var q *Queue[int]
	q = New(Policy{Bound: 1, Wait: time.Millisecond}, func(_ context.Context, v int) error {
		got = append(got, v)
		if v < 5 {
			q.Push(v + 1)
			q.WaitForRoom(context.Background()) // bounded: it cannot deadlock on itself
		}
		return nil
	})
	q.Push(0)
	flush(t, q)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, got)
}

func TestQueueFlushHonoursContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	q := New(Policy{}, func(_ context.Context, v int) error { <-release; return nil })
	q.Push(1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, q.Flush(ctx), context.DeadlineExceeded)
}

// TestQueueBackoffIsCapped: the pause doubles from Backoff up to
// MaxBackoff and stays there.
func TestQueueBackoffIsCapped(t *testing.T) {
	var at []time.Time
	q := New(Policy{Attempts: 6, Backoff: 10 * time.Millisecond, MaxBackoff: 25 * time.Millisecond},
		func(_ context.Context, v int) error {
			at = append(at, time.Now())
			return errors.New("down")
		})
	q.Push(1)
	flush(t, q)
	require.Len(t, at, 6)
	want := []time.Duration{10, 20, 25, 25, 25}
	for i, w := range want {
		gap := at[i+1].Sub(at[i])
		assert.GreaterOrEqual(t, gap, w*time.Millisecond, "pause %d", i+1)
		assert.Less(t, gap, w*time.Millisecond+200*time.Millisecond, "pause %d", i+1)
	}
	assert.Equal(t, uint64(1), q.Stats().Failed)
}
