package ruledetect

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

var clockT0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// clockProfile has a behavior of every aggregation: counts that a zero
// violates (so alarms stay open through a gap) and that a zero clears,
// consecutive counts, sums, last values, a growing disconnect duration, a
// statistical count and a per-input list.
func clockProfile() []behavior.Behavior {
	count := func(name, metric, op string, v, dur int64, toAlarm, toClear int64) behavior.Behavior {
		c := &behavior.BehaviorCriteria{ComparisonOperator: op, Value: &behavior.MetricValue{Count: ptr(v)}}
		if dur > 0 {
			c.DurationSeconds = ptr(dur)
		}
		if toAlarm > 0 {
			c.ConsecutiveDatapointsToAlarm, c.ConsecutiveDatapointsToClear = ptr(toAlarm), ptr(toClear)
		}
		return behavior.Behavior{Name: name, Metric: metric, Criteria: c}
	}
	return []behavior.Behavior{
		count("msgs-any", "aws:num-messages-sent", "greater-than-equals", 1, 300, 0, 0),
		count("msgs-max", "aws:num-messages-sent", "less-than", 5, 600, 2, 3),
		count("auth", "aws:num-authorization-failures", "less-than", 2, 300, 0, 0),
		count("bytes-out", "aws:all-bytes-out", "less-than", 1000, 300, 0, 0),
		count("listening", "aws:num-listening-tcp-ports", "less-than", 3, 300, 0, 0),
		count("disconnected", "aws:disconnect-duration", "less-than", 30, 0, 0, 0),
		statBehavior("msgs-p50", "aws:num-messages-sent", "p50", 300),
		{Name: "ports", Metric: "aws:listening-tcp-ports", Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator: "in-port-set", Value: &behavior.MetricValue{Ports: []int64{22, 443}}}},
	}
}

// clockInput is one input of a generated stream.
type clockInput struct {
	at    time.Time
	thing string
	apply func(e *Engine) error
}

// clockStream generates two hours of inputs for n things, in time order,
// ending with some things disconnected.
func clockStream(seed uint64, n int) []clockInput {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 1))
	var out []clockInput
	for th := range n {
		thing := fmt.Sprintf("dev-%02d", th)
		for s := 0; s < 7200; s += 5 + r.IntN(240) {
			at := clockT0.Add(time.Duration(s)*time.Second + time.Duration(r.IntN(1000))*time.Millisecond)
			var apply func(e *Engine) error
			switch k := r.IntN(10); {
			case k < 4:
				apply = func(e *Engine) error {
					return e.IngestMessage(ctx, Message{Thing: thing, Time: at, Direction: Sent, Topic: "dt/" + thing, Bytes: 10})
				}
			case k < 5:
				apply = func(e *Engine) error {
					return e.IngestAuthorizationFailure(ctx, AuthorizationFailure{Thing: thing, Time: at, Topic: "cmd/x"})
				}
			case k < 8:
				ports := []string{"22", "443", "8080", "23"}[:1+r.IntN(4)]
				rep := fmt.Sprintf(`{"header":{"report_id":%d,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[%s]},"network_stats":{"bytes_in":1,"bytes_out":%d,"packets_in":1,"packets_out":1}}}`,
					s+1, joinPorts(ports), r.IntN(1500))
				apply = func(e *Engine) error { _, err := e.IngestReport(ctx, thing, at, JSON, []byte(rep)); return err }
			case k < 9:
				apply = func(e *Engine) error { return e.IngestDisconnect(ctx, Disconnect{Thing: thing, Time: at}) }
			default:
				apply = func(e *Engine) error { return e.IngestConnect(ctx, Connect{Thing: thing, Time: at}) }
			}
			out = append(out, clockInput{at, thing, apply})
		}
	}
	slices.SortStableFunc(out, func(a, b clockInput) int { return a.at.Compare(b.at) })
	return out
}

func joinPorts(ps []string) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ","
		}
		s += `{"port":` + p + `}`
	}
	return s
}

func clockEngine(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	opts = append([]Option{WithClock(func() time.Time { return clockT0 })}, opts...)
	e, err := New(opts...)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: clockProfile()})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	return e
}

func feed(t testing.TB, e *Engine, in []clockInput) {
	t.Helper()
	for _, x := range in {
		require.NoError(t, x.apply(e), "%s at %s", x.thing, x.at)
	}
}

// A long gap crossed by one Advance (or one input) gives exactly what the
// same gap crossed boundary by boundary gives: the same events, active
// violations (last violation times included), stats and state. Before, one
// far call cost things × boundaries under the lock (3.4 s for 20k things).
func TestLongGapInOneStepEqualsSteps(t *testing.T) {
	ctx := context.Background()
	stream := clockStream(1, 24)
	end := stream[len(stream)-1].at
	for _, lateness := range []time.Duration{0, 2 * time.Minute} {
		for _, gap := range []time.Duration{20 * time.Minute, 3 * time.Hour, 47*time.Hour + 55*time.Minute, 48 * time.Hour, 50 * time.Hour, 31 * 24 * time.Hour} {
			t.Run(fmt.Sprint(lateness, "/", gap), func(t *testing.T) {
				opts := []Option{WithAllowedLateness(lateness), WithMaxClockJump(0)}
				jump, steps := clockEngine(t, opts...), clockEngine(t, opts...)
				feed(t, jump, stream)
				feed(t, steps, stream)
				to := end.Add(gap)
				jump.Advance(ctx, to)
				for at := end; at.Before(to); at = at.Add(300 * time.Second) {
					steps.Advance(ctx, at)
				}
				steps.Advance(ctx, to)
				require.Equal(t, viewOf(t, steps), viewOf(t, jump))
				require.Equal(t, thingStates(steps), thingStates(jump))

				// And both go on alike: a new input after the gap.
				after := to.Add(time.Minute)
				for _, e := range []*Engine{jump, steps} {
					require.NoError(t, e.IngestMessage(ctx, Message{Thing: "dev-01", Time: after, Direction: Sent, Topic: "dt/dev-01", Bytes: 1}))
					e.Advance(ctx, after.Add(time.Hour))
				}
				require.Equal(t, viewOf(t, steps), viewOf(t, jump))
			})
		}
	}
}

// thingStates is every thing's evaluation state, for comparing engines.
func thingStates(e *Engine) map[string]string {
	out := map[string]string{}
	for name, ts := range e.allThings() {
		s := fmt.Sprintf("last=%d disc=%d", ts.LastInput, ts.DisconnectedAt)
		if ts.Behaviors != nil {
			for _, b := range slices.Sorted(maps.Keys(ts.Behaviors)) {
				bs := ts.Behaviors[b]
				s += fmt.Sprintf(" %s=%x", b, bs.Streak)
				// By period, not by ring position: a thing's head may
				// differ and mean the same.
				for _, k := range slices.Sorted(maps.Keys(bs.Window)) {
					s += fmt.Sprintf(" %d:%d", k, bs.Window[k].Value)
				}
			}
		}
		out[name] = s
	}
	return out
}

// One message dated 2200 used to move the clock there: every alarm
// invalidated, the log pruned, and every later input late. Now it is
// rejected (ErrClockJump), counted, and changes nothing; and the far call
// returns at once.
func TestFarFutureInputIsRejectedAndMovesNothing(t *testing.T) {
	ctx := context.Background()
	stream := clockStream(2, 16)
	with, without := clockEngine(t), clockEngine(t)
	half := len(stream) / 2
	feed(t, with, stream[:half])
	feed(t, without, stream[:half])
	require.NotEmpty(t, activeSet(t, with), "the fleet has alarms to lose")

	future := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, err := range []error{
		with.IngestMessage(ctx, Message{Thing: "dev-03", Time: future, Direction: Sent, Topic: "dt/dev-03", Bytes: 1}),
		with.IngestConnect(ctx, Connect{Thing: "dev-04", Time: stream[half].at.Add(8 * 24 * time.Hour)}),
	} {
		require.ErrorIs(t, err, ErrClockJump)
		var e *Error
		require.True(t, errors.As(err, &e))
		assert.Contains(t, e.Message, "ahead of the watermark")
	}
	assert.Equal(t, uint64(2), with.Stats().ClockJumps)

	feed(t, with, stream[half:])
	feed(t, without, stream[half:])
	end := stream[len(stream)-1].at.Add(time.Hour)
	with.Advance(ctx, end)
	without.Advance(ctx, end)
	got, want := viewOf(t, with), viewOf(t, without)
	assert.Equal(t, want.Events, got.Events)
	assert.Equal(t, want.Active, got.Active)
	assert.Zero(t, got.Stats.Late)
	assert.Equal(t, want.Stats.Inputs, got.Stats.Inputs)
}

func TestMaxClockJumpOptions(t *testing.T) {
	ctx := context.Background()
	e := clockEngine(t, WithMaxClockJump(time.Hour))
	require.NoError(t, e.IngestMessage(ctx, Message{Thing: "a", Time: clockT0, Direction: Sent, Topic: "t"}))
	require.NoError(t, e.IngestMessage(ctx, Message{Thing: "a", Time: clockT0.Add(time.Hour), Direction: Sent, Topic: "t"}), "exactly the limit is allowed")
	require.ErrorIs(t, e.IngestMessage(ctx, Message{Thing: "a", Time: clockT0.Add(2*time.Hour + time.Nanosecond), Direction: Sent, Topic: "t"}), ErrClockJump)
	e.Advance(ctx, clockT0.Add(10*time.Hour)) // the host's clock is exempt
	require.NoError(t, e.IngestMessage(ctx, Message{Thing: "a", Time: clockT0.Add(10 * time.Hour), Direction: Sent, Topic: "t"}))

	_, err := New(WithMaxClockJump(-time.Second))
	require.Error(t, err)
	_, err = New(WithAllowedLateness(48 * time.Hour))
	require.Error(t, err, "lateness must be less than the invalidation horizon")
	_, err = New(WithAllowedLateness(-time.Second))
	require.Error(t, err)
}

// shuffleWithin reorders in so that no input arrives more than d after an
// input later than it (bounded lateness d).
func shuffleWithin(r *rand.Rand, in []clockInput, d time.Duration) []clockInput {
	out := slices.Clone(in)
	// Delay each input by a random amount below d and sort by arrival.
	delay := make(map[*clockInput]time.Duration, len(out))
	for i := range out {
		delay[&out[i]] = time.Duration(r.Int64N(int64(d)))
	}
	slices.SortStableFunc(out, func(a, b clockInput) int {
		return a.at.Add(delay[&a]).Compare(b.at.Add(delay[&b]))
	})
	return out
}

// With an allowed lateness, the same inputs give the same events whatever
// their order within it.
func TestAllowedLatenessMakesOrderIrrelevant(t *testing.T) {
	ctx := context.Background()
	const d = 2 * time.Minute
	stream := clockStream(3, 16)
	end := stream[len(stream)-1].at.Add(time.Hour)
	ref := clockEngine(t, WithAllowedLateness(d))
	feed(t, ref, stream)
	ref.Advance(ctx, end)
	want := viewOf(t, ref)
	require.NotEmpty(t, want.Events)
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 9))
		shuffled := shuffleWithin(r, stream, d)
		require.NotEqual(t, stream, shuffled)
		e := clockEngine(t, WithAllowedLateness(d))
		feed(t, e, shuffled)
		e.Advance(ctx, end)
		got := viewOf(t, e)
		assert.Equal(t, want.Events, got.Events, "seed %d", seed)
		assert.Equal(t, want.Active, got.Active, "seed %d", seed)
		assert.Zero(t, got.Stats.Late)
	}
}

// Four goroutines feeding in-order simulated time concurrently used to
// lose most of their inputs as late (107,142 of 180,000). With an allowed
// lateness at least their skew, none is lost and the events are those of a
// sequential run.
func TestConcurrentFeedersWithinLatenessLoseNothing(t *testing.T) {
	ctx := context.Background()
	const workers, d = 8, 5 * time.Minute
	stream := clockStream(4, 32)
	end := stream[len(stream)-1].at.Add(time.Hour)
	seq := clockEngine(t, WithAllowedLateness(d))
	feed(t, seq, stream)
	seq.Advance(ctx, end)

	// Each worker feeds its own things in time order; the workers move
	// through simulated time together, a minute at a time, so their skew
	// stays under d.
	e := clockEngine(t, WithAllowedLateness(d))
	parts := make([][]clockInput, workers)
	for _, x := range stream {
		w := int(x.thing[len(x.thing)-1]-'0') % workers
		parts[w] = append(parts[w], x)
	}
	var wg sync.WaitGroup
	for step := clockT0; !step.After(end); step = step.Add(time.Minute) {
		for w := range parts {
			wg.Go(func() {
				for len(parts[w]) > 0 && parts[w][0].at.Before(step) {
					if err := parts[w][0].apply(e); err != nil {
						t.Error(err)
					}
					parts[w] = parts[w][1:]
				}
			})
		}
		wg.Wait()
	}
	e.Advance(ctx, end)
	got, want := viewOf(t, e), viewOf(t, seq)
	assert.Zero(t, got.Stats.Late)
	assert.Zero(t, got.Stats.Rejected)
	assert.Equal(t, want.Stats.Inputs, got.Stats.Inputs)
	assert.Equal(t, want.Events, got.Events)
	assert.Equal(t, want.Active, got.Active)
}

// A live integration: inputs stamped at receipt by 8 goroutines, the clock
// driven by a ticker through Advance. With an allowed lateness above the
// time between stamping and applying, nothing is rejected.
func TestLiveReceiptTimeWithTickerRejectsNothing(t *testing.T) {
	ctx := context.Background()
	e := clockEngine(t, WithEvaluationPeriod(time.Second), WithAllowedLateness(5*time.Second))
	stop := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Go(func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tk.C:
				e.Advance(ctx, now)
			}
		}
	})
	var wg sync.WaitGroup
	deadline := time.Now().Add(1500 * time.Millisecond)
	for w := range 8 {
		wg.Go(func() {
			thing := fmt.Sprintf("live-%d", w)
			for i := 0; time.Now().Before(deadline) && i < 20000; i++ {
				if err := e.IngestMessage(ctx, Message{Thing: thing, Time: time.Now(), Direction: Sent, Topic: "dt/" + thing, Bytes: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	ticker.Wait()
	s := e.Stats()
	assert.Zero(t, s.Late)
	assert.Zero(t, s.ClockJumps)
	assert.Zero(t, s.Rejected)
	assert.Positive(t, s.Inputs)
}

// Windowed sums used to wrap at 2^64: two reports of 2^63−1 bytes and one
// of 2 summed to 0, below any limit. They saturate now.
func TestWindowedSumsSaturate(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	lim := func(name, metric string) behavior.Behavior {
		return behavior.Behavior{Name: name, Metric: metric, Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: ptr(int64(1000))}, DurationSeconds: ptr(int64(300))}}
	}
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{
		lim("bytes-out", "aws:all-bytes-out"), lim("msg-bytes", "aws:message-byte-size")}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	for i, v := range []int64{9223372036854775807, 9223372036854775807, 2} {
		at := clockT0.Add(time.Duration(i+1) * time.Second)
		rep := fmt.Sprintf(`{"header":{"report_id":%d,"version":"1.0"},"metrics":{"network_stats":{"bytes_in":0,"bytes_out":%d,"packets_in":0,"packets_out":0}}}`, i+1, v)
		_, err := e.IngestReport(ctx, "a", at, JSON, []byte(rep))
		require.NoError(t, err)
		require.NoError(t, e.IngestMessage(ctx, Message{Thing: "a", Time: at, Direction: Sent, Topic: "t", Bytes: v}))
	}
	e.Advance(ctx, clockT0.Add(300*time.Second))
	var got []string
	for v, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{}) {
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("%s %d", v.Behavior.Name, *v.LastViolationValue.Count))
	}
	slices.Sort(got)
	assert.Equal(t, []string{"bytes-out 9223372036854775807", "msg-bytes 9223372036854775807"}, got)
}

// A snapshot taken while per-input datapoints wait for the allowed lateness
// restores them: the restored engine goes on exactly as the original.
func TestSnapshotWithHeldDatapoints(t *testing.T) {
	ctx := context.Background()
	const d = 2 * time.Minute
	stream := clockStream(5, 12)
	orig := clockEngine(t, WithAllowedLateness(d))
	half := len(stream) / 2
	feed(t, orig, stream[:half])
	held := orig.plane.Held()
	require.Positive(t, held, "the snapshot must hold datapoints for the test to mean anything")

	restored, _ := snapRoundTrip(t, orig, WithAllowedLateness(d), WithClock(func() time.Time { return clockT0 }))
	end := stream[len(stream)-1].at.Add(time.Hour)
	for _, e := range []*Engine{orig, restored} {
		feed(t, e, stream[half:])
		e.Advance(ctx, end)
	}
	assert.Equal(t, viewOf(t, orig), viewOf(t, restored))

	_, err := restoreBytes(snapshotOfEngine(t, orig))
	require.ErrorIs(t, err, ErrInvalidSnapshot, "restoring without the lateness the snapshot was taken with")
}

func snapshotOfEngine(t *testing.T, e *Engine) []byte {
	t.Helper()
	var buf nopBuffer
	require.NoError(t, e.WriteSnapshot(context.Background(), &buf))
	return buf.b
}

type nopBuffer struct{ b []byte }

func (w *nopBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// Two engines share a fleet through a population exchange; one has no
// input for 50 h but its clock still ticks (Advance on every boundary).
// Both call the exchange at every boundary, the silent one with an empty
// population, so the busy one judges every boundary with no exchange
// error, and neither holds its lock while it waits.
func TestExchangeWithAnEngineSilentFor50Hours(t *testing.T) {
	ctx := context.Background()
	x := &rendezvous{parties: 2, limit: 10_000, rounds: map[string]*round{}, timeout: 20 * time.Second}
	bs := []behavior.Behavior{statBehavior("msgs-p90", "aws:num-messages-sent", "p90", 300)}
	busy := statEngine(t, bs, WithPopulationExchange(x.exchange))
	silent := statEngine(t, bs, WithPopulationExchange(x.exchange))
	for i := range 10 {
		sendMessages(t, silent, 100+i, 1, 1, statT0)
	}
	const boundaries = 50 * 12
	var wg sync.WaitGroup
	wg.Go(func() {
		for m := 1; m <= boundaries; m++ {
			at := statT0.Add(time.Duration(m) * 300 * time.Second)
			for i := range 10 {
				// Thing 9 sends ten times as much: the fleet's p90 is 1.
				n := 1
				if i == 9 {
					n = 10
				}
				sendMessages(t, busy, i, n, 1, at.Add(-time.Minute))
			}
			busy.Advance(ctx, at)
		}
	})
	wg.Go(func() {
		for m := 1; m <= boundaries; m++ {
			silent.Advance(ctx, statT0.Add(time.Duration(m)*300*time.Second))
		}
	})
	wg.Wait()
	assert.Zero(t, exchangeErrors(busy, silent))
	x.mu.Lock()
	calls := len(x.calls)
	x.mu.Unlock()
	assert.Equal(t, 2*boundaries, calls, "both engines exchanged at every boundary")
	// Every boundary judged the busy engine's things: thing 9 in alarm.
	assert.Equal(t, map[string]map[string]int64{"msgs-p90": {thingName(9): 10}}, alarms(t, busy))
	assert.Equal(t, uint64(10*boundaries), busy.Stats().Datapoints)
}

// While a population exchange ran without the lock, an input of the
// period its boundary closes was accepted and added to a window the close
// had already read: counted nowhere. It is late now.
func TestInputDuringExchangeOfItsBoundaryIsLate(t *testing.T) {
	ctx := context.Background()
	asked := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	x := func(ctx context.Context, _, _ string, _ time.Time, local []byte) ([]byte, error) {
		once.Do(func() { close(asked); <-release })
		return local, nil
	}
	e := statEngine(t, []behavior.Behavior{statBehavior("msgs-p90", "aws:num-messages-sent", "p90", 300)}, WithPopulationExchange(x))
	sendMessages(t, e, 1, 1, 1, statT0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Advance(ctx, statT0.Add(300*time.Second))
	}()
	<-asked
	err := e.IngestMessage(ctx, Message{Thing: thingName(2), Time: statT0.Add(299 * time.Second), Direction: Sent, Topic: "t", Bytes: 1})
	require.ErrorIs(t, err, ErrLateInput, "the boundary being closed has read its windows")
	require.NoError(t, e.IngestMessage(ctx, Message{Thing: thingName(2), Time: statT0.Add(300 * time.Second), Direction: Sent, Topic: "t", Bytes: 1}),
		"an input of the next period goes in meanwhile")
	close(release)
	<-done
	assert.Equal(t, uint64(1), e.Stats().Late)
}
