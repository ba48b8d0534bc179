package ruledetect

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/violation"
)

// prefetching makes batches fetch ahead (on) or not, whatever the fleet's
// size, for the rest of the test: these fleets are far smaller than
// eval.PrefetchFrom, and a batch must give the same results both ways.
func prefetching(t *testing.T, on bool) {
	old := eval.PrefetchFrom
	t.Cleanup(func() { eval.PrefetchFrom = old })
	eval.PrefetchFrom = 1 << 62
	if on {
		eval.PrefetchFrom = 0
	}
}

// batchEngine has profile p attached to all things: sent messages on
// dt/+/telemetry (a TOPIC_FILTER dimension) fewer than 3 in 5 minutes,
// received messages fewer than 3 in 5 minutes, every message smaller than
// 900 bytes, and a sent message's source address in 10.0.0.0/8.
func batchEngine(t *testing.T) *Engine {
	t.Helper()
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	_, err = e.CreateDimension(ctx, CreateDimensionInput{Name: "telemetry", Type: DimensionTypeTopicFilter, StringValues: []string{"dt/+/telemetry"}})
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{
		{Name: "sent", Metric: "aws:num-messages-sent", MetricDimension: &behavior.MetricDimension{DimensionName: "telemetry"},
			Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: ptr(int64(3))}, DurationSeconds: ptr(int64(300))}},
		{Name: "received", Metric: "aws:num-messages-received",
			Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: ptr(int64(3))}, DurationSeconds: ptr(int64(300))}},
		{Name: "size", Metric: "aws:message-byte-size",
			Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: ptr(int64(900))}}},
		{Name: "ip", Metric: "aws:source-ip-address", MetricDimension: &behavior.MetricDimension{DimensionName: "telemetry"},
			Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "in-cidr-set", Value: &behavior.MetricValue{CIDRs: []string{"10.0.0.0/8"}}}},
	}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	return e
}

// batchStream generates the messages of 12 things over 8 evaluation
// periods from lifeT0, some 450 of them: each period's messages have random
// times in the period and come in random order (so things are shuffled and
// time goes back and forth within a period, never behind a closed one), a
// quarter are received, half go to a topic the dimension passes, a few are
// over the size limit or from outside 10.0.0.0/8, and the counts of every
// third thing in a period are over the limits.
func batchStream(seed uint64) []Message {
	rng := rand.New(rand.NewPCG(seed, 0))
	var msgs []Message
	for p := range 8 {
		start := lifeT0.Add(time.Duration(p) * 300 * time.Second)
		var period []Message
		for th := range 12 {
			name := fmt.Sprintf("dev-%02d", th)
			n := rng.IntN(6)
			if (th+p)%3 == 0 {
				n += 6
			}
			for range n {
				m := Message{Thing: name, Time: start.Add(time.Duration(rng.Int64N(int64(300 * time.Second)))),
					Direction: Sent, Topic: "cmd/" + name, Bytes: rng.Int64N(1000),
					SourceIP: netip.AddrFrom4([4]byte{10, 0, 0, byte(th)})}
				if rng.IntN(4) == 0 {
					m.Direction = Received
				}
				if rng.IntN(2) == 0 {
					m.Topic = "dt/" + name + "/telemetry"
				}
				if rng.IntN(20) == 0 {
					m.SourceIP = netip.AddrFrom4([4]byte{192, 0, 2, byte(th)})
				}
				period = append(period, m)
			}
		}
		rng.Shuffle(len(period), func(i, j int) { period[i], period[j] = period[j], period[i] })
		msgs = append(msgs, period...)
	}
	return msgs
}

// batchEnd is past the stream: Advance to it closes every period.
var batchEnd = lifeT0.Add(10 * 300 * time.Second)

// allEvents lists every violation event of e from lifeT0 on. Events at
// one time are sorted by thing, behavior and type: a period close produces
// its things' events in the order of the engine's index, whose hash seed
// differs from engine to engine.
func allEvents(t *testing.T, e *Engine) []ViolationEvent {
	t.Helper()
	in := ListViolationEventsInput{StartTime: behavior.At(lifeT0), EndTime: behavior.At(lifeT0.Add(30 * 24 * time.Hour))}
	var evs []ViolationEvent
	for ev, err := range e.ViolationEvents(context.Background(), in) {
		require.NoError(t, err)
		evs = append(evs, ev)
	}
	slices.SortStableFunc(evs, func(a, b ViolationEvent) int {
		return cmp.Or(a.ViolationEventTime.Compare(b.ViolationEventTime.Time), strings.Compare(a.ThingName, b.ThingName),
			strings.Compare(a.Behavior.Name, b.Behavior.Name), strings.Compare(string(a.ViolationEventType), string(b.ViolationEventType)))
	})
	return evs
}

// handlesOf returns e's handles of the things of msgs, by name.
func handlesOf(t *testing.T, e *Engine, msgs []Message) map[string]*Thing {
	t.Helper()
	hs := map[string]*Thing{}
	for _, m := range msgs {
		if hs[m.Thing] == nil {
			h, err := e.Thing(m.Thing)
			require.NoError(t, err)
			hs[m.Thing] = h
		}
	}
	return hs
}

// thingMessages pairs msgs with their handles in hs, with a decoy name in
// Message.Thing, which must be ignored.
func thingMessages(msgs []Message, hs map[string]*Thing) []ThingMessage {
	tms := make([]ThingMessage, len(msgs))
	for i, m := range msgs {
		tms[i] = ThingMessage{Thing: hs[m.Thing], Message: m}
		tms[i].Message.Thing = "decoy"
	}
	return tms
}

// batchWays are the two batch calls: by name (IngestMessages) and through
// handles (IngestThingMessages). over returns a function that applies
// msgs[from:to] to e as one call; through handles, it makes e's handles of
// msgs once, so that later calls use handles that found their state.
var batchWays = []struct {
	name   string
	byName bool
	over   func(t *testing.T, e *Engine, msgs []Message) func(from, to int) (int, error)
}{
	{"by name", true, func(t *testing.T, e *Engine, msgs []Message) func(from, to int) (int, error) {
		return func(from, to int) (int, error) { return e.IngestMessages(context.Background(), msgs[from:to]) }
	}},
	{"by handle", false, func(t *testing.T, e *Engine, msgs []Message) func(from, to int) (int, error) {
		batch := thingMessages(msgs, handlesOf(t, e, msgs))
		return func(from, to int) (int, error) { return e.IngestThingMessages(context.Background(), batch[from:to]) }
	}},
}

// A stream applied in batches of any size, by name or through handles,
// gives exactly the events and counters of the same stream applied one
// message at a time.
func TestIngestMessagesBatchMatchesOneByOne(t *testing.T) {
	ctx := context.Background()
	msgs := batchStream(1)
	require.Greater(t, len(msgs), 400)

	one := batchEngine(t)
	for _, m := range msgs {
		require.NoError(t, one.IngestMessage(ctx, m))
	}
	require.NoError(t, one.Advance(ctx, batchEnd))
	want, wantStats := allEvents(t, one), one.Stats()
	require.Equal(t, uint64(len(msgs)), wantStats.Inputs)
	types := map[violation.EventType]int{}
	for _, ev := range want {
		types[ev.ViolationEventType]++
	}
	require.Positive(t, types["in-alarm"], "the stream must raise alarms")
	require.Positive(t, types["alarm-cleared"], "and clear them")
	seen := map[string]bool{}
	for _, ev := range want {
		seen[ev.Behavior.Name] = true
	}
	require.Equal(t, map[string]bool{"sent": true, "received": true, "size": true, "ip": true}, seen, "every behavior alarms")

	for _, c := range []struct {
		size     int
		prefetch bool
	}{{1, true}, {7, true}, {8, true}, {9, true}, {64, true}, {len(msgs), true}, {9, false}, {64, false}} {
		for _, way := range batchWays {
			t.Run(fmt.Sprintf("%s, batches of %d, prefetch %v", way.name, c.size, c.prefetch), func(t *testing.T) {
				prefetching(t, c.prefetch)
				e := batchEngine(t)
				batch := append([]Message(nil), msgs...)
				apply := way.over(t, e, batch)
				for at := 0; at < len(batch); at += c.size {
					to := min(at+c.size, len(batch))
					n, err := apply(at, to)
					require.NoError(t, err)
					require.Equal(t, to-at, n)
				}
				assert.Equal(t, msgs, batch, "the batch is left as it was")
				require.NoError(t, e.Advance(ctx, batchEnd))
				assert.Equal(t, want, allEvents(t, e))
				assert.Equal(t, wantStats, e.Stats())
			})
		}
	}
}

// A batch stops at the first message it refuses: it returns the
// message's index and the error IngestMessage gives for it, the messages
// before it are applied, those after it are not, and the refusal is
// counted as IngestMessage counts it. Calling again with the rest, as a
// caller that skips a refused message does, ends as one by one.
func TestIngestMessagesBatchStopsAtTheRefusedMessage(t *testing.T) {
	prefetching(t, true)
	ctx := context.Background()
	stream := batchStream(2)[:160]
	// first is the index of the first message of the second period: from
	// it on, a message of the first period is late.
	first := 0
	for stream[first].Time.Before(lifeT0.Add(300 * time.Second)) {
		first++
	}
	require.Less(t, first+20, len(stream))

	type refusal struct {
		name string
		at   int
		bad  func(*Message)
		kind error
	}
	var cases []refusal
	for _, at := range []int{0, 1, 7, 8, 9, 17, 40, len(stream) - 1} {
		cases = append(cases,
			refusal{"bad thing name", at, func(m *Message) { m.Thing = "bad\x00name" }, ErrInvalidRequest},
			refusal{"empty thing name", at, func(m *Message) { m.Thing = "" }, ErrInvalidRequest},
			refusal{"wildcard topic", at, func(m *Message) { m.Topic = "dt/+/telemetry" }, ErrInvalidRequest},
			refusal{"empty topic", at, func(m *Message) { m.Topic = "" }, ErrInvalidRequest},
			refusal{"negative bytes", at, func(m *Message) { m.Bytes = -1 }, ErrInvalidRequest},
			refusal{"no direction", at, func(m *Message) { m.Direction = 0 }, ErrInvalidRequest},
			refusal{"bad direction", at, func(m *Message) { m.Direction = 7 }, ErrInvalidRequest},
			refusal{"no time", at, func(m *Message) { m.Time = time.Time{} }, ErrInvalidRequest},
		)
	}
	for _, at := range []int{first + 1, first + 8, first + 16, len(stream) - 1} {
		cases = append(cases, refusal{"late", at, func(m *Message) { m.Time = lifeT0.Add(10 * time.Second) }, ErrLateInput})
	}
	for _, tc := range cases {
		msgs := append([]Message(nil), stream...)
		tc.bad(&msgs[tc.at])

		// The reference: msgs[:at] one by one, then the refused message.
		ref := batchEngine(t)
		for _, m := range msgs[:tc.at] {
			require.NoError(t, ref.IngestMessage(ctx, m))
		}
		before := ref.Stats()
		refErr := ref.IngestMessage(ctx, msgs[tc.at])
		require.ErrorIs(t, refErr, tc.kind)
		refused := ref.Stats()
		require.Equal(t, before.Inputs, refused.Inputs)
		wantEvents := allEvents(t, ref)
		for _, m := range msgs[tc.at+1:] {
			require.NoError(t, ref.IngestMessage(ctx, m))
		}
		require.NoError(t, ref.Advance(ctx, batchEnd))
		wantAll, wantAllStats := allEvents(t, ref), ref.Stats()

		for _, way := range batchWays {
			if !way.byName && (tc.name == "bad thing name" || tc.name == "empty thing name") {
				continue // a handle has a valid name
			}
			t.Run(fmt.Sprintf("%s, %s at %d", way.name, tc.name, tc.at), func(t *testing.T) {
				e := batchEngine(t)
				apply := way.over(t, e, msgs)
				n, err := apply(0, len(msgs))
				assert.Equal(t, tc.at, n)
				require.ErrorIs(t, err, tc.kind)
				assert.Equal(t, refErr.Error(), err.Error())
				assert.Equal(t, refused, e.Stats(), "msgs[:n] applied and msgs[n] counted as refused, nothing after")
				assert.Equal(t, wantEvents, allEvents(t, e))

				n, err = apply(tc.at+1, len(msgs))
				require.NoError(t, err)
				assert.Equal(t, len(msgs)-tc.at-1, n)
				require.NoError(t, e.Advance(ctx, batchEnd))
				assert.Equal(t, wantAll, allEvents(t, e))
				assert.Equal(t, wantAllStats, e.Stats())
			})
		}
	}
}

// IngestThingMessages refuses, with ErrInvalidRequest and counted as
// rejected, a message without a handle of the engine: none, another
// engine's, or one not made by Engine.Thing.
func TestIngestThingMessagesBatchRefusesForeignHandles(t *testing.T) {
	ctx := context.Background()
	stream := batchStream(3)[:80]
	other := batchEngine(t)
	foreign, err := other.Thing(stream[0].Thing)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		handle *Thing
	}{
		{"nil", nil},
		{"another engine's", foreign},
		{"a zero Thing", &Thing{}},
	} {
		for _, at := range []int{0, 5, 8, 23, len(stream) - 1} {
			t.Run(fmt.Sprintf("%s at %d", tc.name, at), func(t *testing.T) {
				ref := batchEngine(t)
				for _, m := range stream[:at] {
					require.NoError(t, ref.IngestMessage(ctx, m))
				}
				want := ref.Stats()
				want.Rejected++
				wantEvents := allEvents(t, ref)

				e := batchEngine(t)
				batch := thingMessages(stream, handlesOf(t, e, stream))
				batch[at].Thing = tc.handle
				n, err := e.IngestThingMessages(ctx, batch)
				assert.Equal(t, at, n)
				require.ErrorIs(t, err, ErrInvalidRequest)
				assert.Equal(t, want, e.Stats())
				assert.Equal(t, wantEvents, allEvents(t, e))
			})
		}
	}
	assert.Zero(t, other.Stats().Inputs, "nothing reaches the handle's own engine")
}

// A batch whose ctx is already done applies nothing, not even the count
// of a refused message, and returns ctx.Err(); an empty batch does
// nothing and succeeds.
func TestIngestMessagesBatchContextAndEmpty(t *testing.T) {
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	expired, cancel2 := context.WithDeadline(ctx, lifeT0)
	defer cancel2()
	stream := batchStream(4)[:40]
	bad := append([]Message(nil), stream...)
	bad[3].Bytes = -1

	for _, tc := range []struct {
		name string
		ctx  context.Context
		msgs []Message
		n    int
		err  error
	}{
		{"canceled", canceled, stream, 0, context.Canceled},
		{"canceled, with an invalid message", canceled, bad, 0, context.Canceled},
		{"deadline passed", expired, stream, 0, context.DeadlineExceeded},
		{"canceled and empty", canceled, nil, 0, context.Canceled},
		{"nil", ctx, nil, 0, nil},
		{"empty", ctx, []Message{}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := batchEngine(t)
			require.NoError(t, e.IngestMessage(ctx, stream[0]))
			before := e.Stats()

			n, err := e.IngestMessages(tc.ctx, tc.msgs)
			assert.Equal(t, tc.n, n)
			assert.Equal(t, tc.err, err)
			assert.Equal(t, before, e.Stats())

			n, err = e.IngestThingMessages(tc.ctx, thingMessages(tc.msgs, handlesOf(t, e, tc.msgs)))
			assert.Equal(t, tc.n, n)
			assert.Equal(t, tc.err, err)
			assert.Equal(t, before, e.Stats())
			if tc.msgs == nil {
				n, err = e.IngestThingMessages(tc.ctx, nil)
				assert.Equal(t, tc.n, n)
				assert.Equal(t, tc.err, err)
			}
		})
	}
}

// Batches by name and through shared handles, from several goroutines at
// once and beside an Advance, are all applied or refused as late: each
// goroutine skips a late message and goes on with the rest, and the
// engine's counters add up to the goroutines'.
func TestIngestMessagesBatchConcurrent(t *testing.T) {
	prefetching(t, true)
	ctx := context.Background()
	e := batchEngine(t)
	const workers, periods, things, perPeriod = 4, 6, 16, 150
	hs := make([]*Thing, things)
	for i := range hs {
		var err error
		hs[i], err = e.Thing(fmt.Sprintf("dev-%02d", i))
		require.NoError(t, err)
	}
	var applied, late [workers]int
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for p := range periods {
				start := lifeT0.Add(time.Duration(p) * 300 * time.Second)
				msgs := make([]ThingMessage, perPeriod)
				for i := range msgs {
					h := hs[rng.IntN(things)]
					msgs[i] = ThingMessage{Thing: h, Message: Message{Thing: h.Name(),
						Time:      start.Add(time.Duration(rng.Int64N(int64(300 * time.Second)))),
						Direction: Direction(1 + rng.IntN(2)), Topic: "dt/" + h.Name() + "/telemetry", Bytes: rng.Int64N(1000)}}
				}
				byName := make([]Message, len(msgs))
				for i := range msgs {
					byName[i] = msgs[i].Message
				}
				for k := 0; k < len(msgs); {
					var n int
					var err error
					if (w+k)%2 == 0 {
						n, err = e.IngestMessages(ctx, byName[k:min(k+37, len(msgs))])
					} else {
						n, err = e.IngestThingMessages(ctx, msgs[k:min(k+37, len(msgs))])
					}
					applied[w] += n
					k += n
					if err != nil {
						if !assert.ErrorIs(t, err, ErrLateInput) {
							return
						}
						late[w]++
						k++
					}
				}
			}
		})
	}
	wg.Go(func() {
		for p := range periods {
			assert.NoError(t, e.Advance(ctx, lifeT0.Add(time.Duration(p)*300*time.Second+150*time.Second)))
			time.Sleep(time.Millisecond)
		}
	})
	wg.Wait()
	require.NoError(t, e.Advance(ctx, batchEnd))
	var sumApplied, sumLate int
	for w := range workers {
		sumApplied += applied[w]
		sumLate += late[w]
	}
	s := e.Stats()
	assert.Equal(t, workers*periods*perPeriod, sumApplied+sumLate)
	assert.Equal(t, uint64(sumApplied), s.Inputs)
	assert.Equal(t, uint64(sumLate), s.Late)
	assert.Zero(t, s.Rejected)
	assert.Positive(t, s.Inputs)
	assert.NotEmpty(t, allEvents(t, e))
}

// Batches through handles whose things' state was dropped (idle past the
// 48 h invalidation horizon) give exactly the events of the same messages
// by name, one at a time or in a batch.
func TestIngestThingMessagesBatchAfterStateDropped(t *testing.T) {
	prefetching(t, true)
	ctx := context.Background()
	newEngine := func() *Engine {
		e, err := New()
		require.NoError(t, err)
		_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{msgBehavior("msgs", 3), {
			Name: "size", Metric: "aws:message-byte-size",
			Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: ptr(int64(1000))}},
		}}})
		require.NoError(t, err)
		require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
		return e
	}
	one, byName, byHandle := newEngine(), newEngine(), newEngine()
	names := []string{"cam-1", "cam-2", "cam-3", "cam-4", "cam-5"}
	hs := map[string]*Thing{}
	for _, name := range names {
		h, err := byHandle.Thing(name)
		require.NoError(t, err)
		hs[name] = h
	}
	// Busy, then idle for three days (state dropped), then busy again.
	for _, start := range []time.Time{lifeT0, lifeT0.Add(72 * time.Hour)} {
		var msgs []Message
		for i := range 5 {
			for j, name := range names {
				if i > j { // cam-1 sends one message, cam-5 five
					continue
				}
				m := Message{Thing: name, Time: start.Add(time.Duration(i) * 61 * time.Second), Direction: Sent, Topic: "dt/" + name, Bytes: 10}
				if i == 4 {
					m.Bytes = 5000 // cam-5's last message: in alarm until its state is dropped
				}
				msgs = append(msgs, m)
			}
		}
		for _, m := range msgs {
			require.NoError(t, one.IngestMessage(ctx, m))
		}
		n, err := byName.IngestMessages(ctx, msgs)
		require.NoError(t, err)
		require.Equal(t, len(msgs), n)
		n, err = byHandle.IngestThingMessages(ctx, thingMessages(msgs, hs))
		require.NoError(t, err)
		require.Equal(t, len(msgs), n)
		for _, e := range []*Engine{one, byName, byHandle} {
			require.NoError(t, e.Advance(ctx, start.Add(time.Hour)))
		}
	}
	want := allEvents(t, one)
	var types []violation.EventType
	for _, ev := range want {
		types = append(types, ev.ViolationEventType)
	}
	require.Contains(t, types, violation.EventType("alarm-invalidated"), "the idle gap must drop the state")
	assert.Equal(t, want, allEvents(t, byName))
	assert.Equal(t, want, allEvents(t, byHandle))
	assert.Empty(t, eventTypes(t, byHandle, "decoy"))
	assert.Equal(t, one.Stats(), byName.Stats())
	assert.Equal(t, one.Stats(), byHandle.Stats())
}

// Regression: IngestThingMessages wrote each handle's name into the
// caller's batch (msgs[i].Message.Thing), a field its documentation says
// is ignored, where Thing.IngestMessage takes its message by value and
// IngestMessages leaves its batch as it was. A caller that reads its batch
// after the call (to log or retry it) sees names it did not write, and one
// that reads it from another goroutine meanwhile races with the engine.
func TestIngestThingMessagesBatchLeftAsItWas(t *testing.T) {
	ctx := context.Background()
	e := batchEngine(t)
	msgs := batchStream(5)[:20]
	batch := thingMessages(msgs, handlesOf(t, e, msgs))
	n, err := e.IngestThingMessages(ctx, batch)
	require.NoError(t, err)
	require.Equal(t, len(batch), n)
	names := make([]string, len(batch))
	for i, tm := range batch {
		names[i] = tm.Message.Thing
	}
	assert.Equal(t, slices.Repeat([]string{"decoy"}, len(batch)), names, "the caller's batch is left as it was")
}
