package eval

import (
	"math"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/violation"
)

const (
	sweepPeriod  = 300 * time.Second
	sweepHorizon = time.Hour
)

var sweepStart = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

// newSweepPlane returns a plane of shards shards under one profile that
// counts messages sent over a period (a windowed behavior, closed at every
// boundary; a silent period is in alarm), and the events it emits.
func newSweepPlane(t *testing.T, shards int) (*Plane, *[]violation.Event) {
	return newSweepPlaneHorizon(t, shards, sweepHorizon)
}

func newSweepPlaneHorizon(t *testing.T, shards int, horizon time.Duration) (*Plane, *[]violation.Event) {
	t.Helper()
	sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p","behaviors":[{"name":"sent","metric":"aws:num-messages-sent",
	  "criteria":{"comparisonOperator":"greater-than","value":{"count":0},"durationSeconds":300,"consecutiveDatapointsToAlarm":1}}]}`))
	require.NoError(t, err)
	var id uint64
	bs, err := CompileProfile("p", sp.Behaviors, nil, Env{Period: sweepPeriod}, &id)
	require.NoError(t, err)
	all := []Profile{{Name: "p", Behaviors: bs}}
	rules := NewRules(1, all, func(string) bool { return true }, func(Kind) []Profile { return all },
		func(string) *behavior.MetricsExportConfig { return nil }, 0)
	var events []violation.Event
	p, err := New(Options{Period: sweepPeriod, Horizon: horizon, Shards: shards},
		Hooks{Emit: func(ev violation.Event) { events = append(events, ev) }}, violation.NewLog(violation.LogOptions{}), rules)
	require.NoError(t, err)
	return p, &events
}

// send gives thing n messages at t.
func send(t *testing.T, p *Plane, thing string, at time.Time, n int) {
	t.Helper()
	for range n {
		require.NoError(t, p.Message(nil, thing, at, true, "t", 1, netip.Addr{}))
	}
}

// oldestInputs returns each shard's bound and the least last input of its
// things (math.MaxInt64 when none has had one).
func oldestInputs(p *Plane) (bound, least []int64) {
	for _, sh := range p.shards {
		sh.mu.Lock()
		m := int64(math.MaxInt64)
		for c := sh.things.cursor(); c.next(); {
			if c.ts.lastInput != 0 {
				m = min(m, c.ts.lastInput)
			}
		}
		bound, least = append(bound, sh.oldestInput.Load()), append(least, m)
		sh.mu.Unlock()
	}
	return bound, least
}

// A shard's oldestInput lets Advance pass the shard by when no thing in it
// can be due to expire. It must never be above a thing's last input (a due
// thing would be missed, its invalidation late), and a close leaves it
// exact, so that the Advance after a close visits no shard without a due
// thing.
func TestOldestInputBoundsTheShardsThings(t *testing.T) {
	p, events := newSweepPlane(t, 4)
	at := func(d time.Duration) time.Time { return sweepStart.Add(d) }
	for i := range 12 {
		send(t, p, "thing-"+strconv.Itoa(i), at(time.Duration(i)*time.Second), 1+i%3)
	}
	bound, least := oldestInputs(p)
	for i := range bound {
		assert.LessOrEqual(t, bound[i], least[i], "shard %d after inputs", i)
	}

	p.Advance(at(sweepPeriod)) // a close: every thing visited
	bound, least = oldestInputs(p)
	assert.Equal(t, least, bound, "a close leaves every shard's bound exact")

	// A new thing, and a thing after the close: the bound follows the
	// inputs down, never up.
	send(t, p, "late-comer", at(sweepPeriod+time.Second), 1)
	bound, least = oldestInputs(p)
	for i := range bound {
		assert.LessOrEqual(t, bound[i], least[i], "shard %d after a new thing", i)
	}

	// Every thing is in alarm from its first silent period on. thing-0..2
	// went silent an hour ago or more, "late-comer" and thing-3.. not yet:
	// an Advance between boundaries invalidates exactly the due ones'
	// alarms.
	*events = nil
	p.Advance(at(sweepHorizon + 2*time.Second + time.Millisecond))
	var invalidated []string
	for _, ev := range *events {
		if ev.ViolationEventType == violation.AlarmInvalidated {
			invalidated = append(invalidated, ev.ThingName)
		}
	}
	assert.ElementsMatch(t, []string{"thing-0", "thing-1", "thing-2"}, invalidated)
	states := p.States()
	for i := range 3 {
		assert.NotContains(t, states, "thing-"+strconv.Itoa(i), "expired and dropped")
	}
	assert.Contains(t, states, "thing-3")
	bound, least = oldestInputs(p)
	for i := range bound {
		assert.LessOrEqual(t, bound[i], least[i], "shard %d after the sweep", i)
	}
}

// A shard that a close left without a thing that has had an input is
// passed by until an input comes: the first thing's input lowers the
// bound, and its expiry before the next boundary (a horizon shorter than
// the period) is not missed.
func TestFirstInputAfterACloseLowersTheBound(t *testing.T) {
	p, _ := newSweepPlaneHorizon(t, 1, time.Minute)
	p.Advance(sweepStart.Add(sweepPeriod))
	assert.Equal(t, int64(math.MaxInt64), p.shards[0].oldestInput.Load(), "no thing: nothing can be due")
	last := sweepStart.Add(sweepPeriod + time.Second)
	send(t, p, "x", last, 1)
	p.Advance(last.Add(time.Minute).Add(-time.Millisecond))
	assert.Contains(t, p.States(), "x")
	p.Advance(last.Add(time.Minute)) // before the next boundary
	assert.NotContains(t, p.States(), "x", "expired at its last input + the horizon")
}

// A restored thing (added with its last input) lowers its shard's bound as
// an input does.
func TestOldestInputAfterAdd(t *testing.T) {
	p, _ := newSweepPlane(t, 1)
	sh := p.shards[0]
	sh.oldestInput.Store(math.MaxInt64) // as a close of an empty shard leaves it
	ts := newThing(nil, false, "restored")
	ts.lastInput = sweepStart.UnixNano()
	sh.add(ts)
	assert.Equal(t, sweepStart.UnixNano(), sh.oldestInput.Load())
}

// An input that closes its shard for a close under way has held the
// shard's lock for the whole shard: it gives way after it leaves (swept),
// so that what waited for the shard runs. The next input of the shard
// finds it closed and does not.
func TestAnInputThatClosesItsShardGivesWay(t *testing.T) {
	p, _ := newSweepPlane(t, 2)
	for i := range 8 {
		send(t, p, "thing-"+strconv.Itoa(i), sweepStart, 1)
	}
	// A close of boundary 1 as the clock starts one: marked closed first,
	// the shards closed after (here, not yet).
	m := p.periodOf(sweepStart.UnixNano()) + 1
	p.mu.Lock()
	p.closing.Store(true)
	p.closed.Store(m)
	after := sweepStart.Add(sweepPeriod + time.Second)
	var a admitted
	require.NoError(t, p.enter(&a, "thing-0", nil, after))
	assert.True(t, a.swept, "it closed its shard")
	assert.Equal(t, m, a.sh.closed)
	p.leave(&a)
	require.NoError(t, p.enter(&a, "thing-0", nil, after))
	assert.False(t, a.swept, "its shard was closed")
	p.leave(&a)
	p.closePeriod(m)
	p.endClose()
	p.mu.Unlock()
	for _, sh := range p.shards {
		assert.Equal(t, m, sh.closed)
	}
}

// While goroutines of the plane sweep the shards, inputs give way now and
// then (sweeping is counted), and the sweep's goroutines close a shard a
// chunk at a time (they are sweepers); a sweep on the caller's goroutine
// alone, a small fleet's, does neither.
func TestParallelSweepsAreCounted(t *testing.T) {
	p, _ := newSweepPlane(t, 8)
	send(t, p, "a", sweepStart, 1)
	type seen struct {
		sweeping int32
		chunked  bool
	}
	var during []seen
	var mu sync.Mutex
	record := func(_ *shard, sw *sweeper) {
		mu.Lock()
		during = append(during, seen{p.sweeping.Load(), sw != nil})
		mu.Unlock()
	}
	p.eachShard(record)
	assert.Equal(t, slices.Repeat([]seen{{0, false}}, 8), during, "a small fleet: swept in order")

	defer func(n int) { ParallelClose = n }(ParallelClose)
	ParallelClose = 1
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: shards are swept in order")
	}
	during = nil
	p.eachShard(record)
	assert.Equal(t, slices.Repeat([]seen{{1, true}}, 8), during, "swept in parallel")
	assert.Zero(t, p.sweeping.Load(), "and over")
}

// An input that must move the clock never queues on the clock lock (mu):
// a close that starts while it waits holds mu until the whole fleet is
// closed. Here mu is held when the input comes (as by another input
// that crosses the boundary), the close then starts in the background and
// cannot finish (the test holds one shard), and the input, in another
// shard, must still go in: queued on mu, it would wait for the close.
func TestAnInputNeverQueuesOnTheClockLock(t *testing.T) {
	p, _ := newSweepPlane(t, 2)
	names := map[*shard]string{}
	for i := 0; len(names) < 2; i++ {
		name := "thing-" + strconv.Itoa(i)
		names[p.shardOf(name)] = name
	}
	for _, name := range names {
		send(t, p, name, sweepStart, 1)
	}
	held, other := p.shards[0], p.shards[1]
	after := sweepStart.Add(sweepPeriod + time.Second)

	p.mu.Lock()
	done := make(chan error)
	go func() { done <- p.Message(nil, names[other], after, true, "t", 1, netip.Addr{}) }()
	for p.clockWaiters.Load() == 0 {
		runtime.Gosched() // until the input waits for the clock
	}
	held.mu.Lock()
	require.True(t, p.closeInBackground(after.UnixNano()), "the close goes on in the background, holding mu")
	require.NoError(t, <-done, "the input went in while the close held mu")
	held.mu.Unlock()
	p.AwaitClose()
	assert.Equal(t, held.closed, other.closed)
	assert.Equal(t, p.closed.Load(), other.closed)
}

// A sweeper closes a shard a chunk at a time and releases the shard's lock
// between chunks, so that an input of the shard waits for one chunk, not
// the shard: the shard stays behind the clock meanwhile, and the input
// finishes its close before it is applied. The result is the close in one
// piece's.
func TestAnInputFinishesTheCloseASweeperLeftBetweenChunks(t *testing.T) {
	const things = 2*sweepChunk + 88
	feed := func(p *Plane) {
		for i := range things {
			send(t, p, "thing-"+strconv.Itoa(i), sweepStart, 1)
		}
		p.Advance(sweepStart.Add(sweepPeriod))
		for i := 0; i < things; i += 2 { // the odd ones go silent: in alarm at the next boundary
			send(t, p, "thing-"+strconv.Itoa(i), sweepStart.Add(sweepPeriod+time.Second), 1+i%3)
		}
	}
	m := p0(sweepStart) + 2
	after := sweepStart.Add(2*sweepPeriod + time.Second)

	chunked, events := newSweepPlane(t, 1)
	feed(chunked)
	*events = nil
	sh := chunked.shards[0]
	chunked.mu.Lock() // a close of m, as the clock starts one
	chunked.closing.Store(true)
	chunked.closed.Store(m)
	sh.mu.Lock()
	require.False(t, chunked.closeChunk(sh, m, &sweeper{}), "a chunk, not the shard")
	assert.Len(t, sh.rest, things-sweepChunk)
	assert.Less(t, sh.closed, m, "behind the clock until the close is done")
	sh.mu.Unlock()
	send(t, chunked, "thing-1", after, 1) // finishes the close first
	assert.Equal(t, m, sh.closed)
	assert.Nil(t, sh.rest)
	chunked.closePeriod(m)
	chunked.endClose()
	chunked.unlock()

	whole, wholeEvents := newSweepPlane(t, 1)
	feed(whole)
	*wholeEvents = nil
	whole.Advance(sweepStart.Add(2 * sweepPeriod))
	send(t, whole, "thing-1", after, 1)

	require.Len(t, *wholeEvents, things/2, "the silent things' alarms")
	assert.ElementsMatch(t, *wholeEvents, *events)
	assert.Equal(t, whole.States(), chunked.States())
	assert.Equal(t, whole.stats(false), chunked.stats(false), "every datapoint made once")
	assert.Equal(t, whole.shards[0].oldestInput.Load(), sh.oldestInput.Load())
}

// p0 is the period of t.
func p0(t time.Time) int64 { return t.UnixNano() / int64(sweepPeriod) }
