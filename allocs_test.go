package ruledetect

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// Regression: when the data plane moved to internal/eval, a judged
// datapoint was handed to the observer hook by pointer, so escape analysis
// moved every judged datapoint (and a source IP's one-address list) to the
// heap, observer or not: a period close at 10^6 things went from 0.7 s to
// 3.2 s, in garbage collection. Ingest of inputs judged at once (per-input
// metrics, lists) and of windowed ones allocates nothing once warm, when
// they are normal (a violation keeps a copy of its last value).
func TestIngestOfJudgedInputsAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops values at random")
	}
	ctx := context.Background()
	t.Run("cloud", func(t *testing.T) {
		e, err := New()
		require.NoError(t, err)
		sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"cloud","behaviors":[
			{"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than","value":{"count":1000000}}},
			{"name":"sent","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"less-than","value":{"count":1000000},"durationSeconds":300}},
			{"name":"auth","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"less-than","value":{"count":1000000},"durationSeconds":300}},
			{"name":"ips","metric":"aws:source-ip-address","criteria":{"comparisonOperator":"in-cidr-set","value":{"cidrs":["10.0.0.0/8"]}}}]}`))
		require.NoError(t, err)
		_, err = e.CreateSecurityProfile(ctx, *sp)
		require.NoError(t, err)
		require.NoError(t, e.AttachSecurityProfile(ctx, "cloud", e.Arn("all/things")))
		h, err := e.Thing("dev-1")
		require.NoError(t, err)
		at := reportsT0
		src := netip.MustParseAddr("10.1.2.3")
		step := func() {
			at = at.Add(time.Millisecond)
			if err := h.IngestMessage(ctx, Message{Time: at, Direction: Sent, Topic: "dt/dev-1", Bytes: 100, SourceIP: src}); err != nil {
				t.Fatal(err)
			}
			if err := h.IngestConnect(ctx, Connect{Time: at, SourceIP: src}); err != nil {
				t.Fatal(err)
			}
			if err := h.IngestAuthorizationFailure(ctx, AuthorizationFailure{Time: at, Topic: "cmd/x"}); err != nil {
				t.Fatal(err)
			}
		}
		for range 10 {
			step()
		}
		before := e.Stats().Datapoints
		assert.Zero(t, testing.AllocsPerRun(100, step))
		assert.Greater(t, e.Stats().Datapoints, before, "the inputs were judged")
	})
	t.Run("report", func(t *testing.T) {
		e, err := New()
		require.NoError(t, err)
		sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"device","behaviors":[
			{"name":"tcp","metric":"aws:listening-tcp-ports","criteria":{"comparisonOperator":"not-in-port-set","value":{"ports":[1]}}},
			{"name":"udp","metric":"aws:listening-udp-ports","criteria":{"comparisonOperator":"not-in-port-set","value":{"ports":[1]}}},
			{"name":"tcp-count","metric":"aws:num-listening-tcp-ports","criteria":{"comparisonOperator":"less-than","value":{"count":1000000}}},
			{"name":"dst","metric":"aws:destination-ip-addresses","criteria":{"comparisonOperator":"not-in-cidr-set","value":{"cidrs":["255.255.255.255/32"]}}},
			{"name":"bytes-out","metric":"aws:all-bytes-out","criteria":{"comparisonOperator":"less-than","value":{"count":1000000000},"durationSeconds":300}}]}`))
		require.NoError(t, err)
		_, err = e.CreateSecurityProfile(ctx, *sp)
		require.NoError(t, err)
		require.NoError(t, e.AttachSecurityProfile(ctx, "device", e.Arn("all/things")))
		data := rpReadAWS(t, "agent-report-embeddedc-demo-short.json")
		at := reportsT0
		step := func() {
			at = at.Add(time.Millisecond)
			if _, err := e.IngestReport(ctx, "dev-1", at, JSON, data); err != nil {
				t.Fatal(err)
			}
		}
		for range 10 {
			step()
		}
		before := e.Stats().Datapoints
		assert.Zero(t, testing.AllocsPerRun(100, step))
		assert.Greater(t, e.Stats().Datapoints, before, "the reports were judged")
	})
}

// Regression: a refused input allocated 7 times where 5 do (its message,
// the Error), because the engine matched the plane's refusal with
// errors.As, which moves its target to the heap, and Error.Unwrap made a
// slice on every errors.Is. A device whose clock is years off sends such
// inputs without end (BenchmarkFarFutureInput).
func TestARefusedInputAllocatesOnlyItsError(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	ctx := context.Background()
	e, err := New(WithMaxClockJump(time.Hour))
	require.NoError(t, err)
	require.NoError(t, e.IngestMessage(ctx, Message{Thing: "dev-1", Time: reportsT0, Direction: Sent, Topic: "t", Bytes: 1}))
	future := Message{Thing: "dev-1", Time: reportsT0.Add(100 * 365 * 24 * time.Hour), Direction: Sent, Topic: "t", Bytes: 1}
	var refused error
	allocs := testing.AllocsPerRun(100, func() { refused = e.IngestMessage(ctx, future) })
	require.ErrorIs(t, refused, ErrClockJump)
	assert.LessOrEqual(t, allocs, 5.0, "the message's three formatted times and its text, and the Error")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if !errors.Is(refused, ErrClockJump) || errors.Is(refused, ErrLateInput) {
			t.Fatal("errors.Is")
		}
	}), "errors.Is")
}

// A batch of judged messages, by name or through handles, allocates
// nothing once warm, as one message does: the prefetch of the messages
// ahead and the batch's closures stay on the stack.
func TestIngestBatchOfJudgedMessagesAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops values at random")
	}
	prefetching(t, true) // as in a fleet of millions
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"cloud","behaviors":[
		{"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than","value":{"count":1000000}}},
		{"name":"sent","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"less-than","value":{"count":1000000},"durationSeconds":300}},
		{"name":"received","metric":"aws:num-messages-received","criteria":{"comparisonOperator":"less-than","value":{"count":1000000},"durationSeconds":300}}]}`))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, *sp)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "cloud", e.Arn("all/things")))
	const size, things = 64, 16
	msgs := make([]Message, size)
	tms := make([]ThingMessage, size)
	for i := range msgs {
		name := fmt.Sprintf("dev-%d", i*7%things)
		h, err := e.Thing(name)
		require.NoError(t, err)
		msgs[i] = Message{Thing: name, Direction: Direction(1 + i%2), Topic: "dt/" + name, Bytes: 100}
		tms[i] = ThingMessage{Thing: h, Message: msgs[i]}
	}
	at := reportsT0
	step := func() {
		for i := range msgs {
			at = at.Add(time.Millisecond)
			msgs[i].Time, tms[i].Message.Time = at, at.Add(size*time.Millisecond)
		}
		at = at.Add(size * time.Millisecond)
		if n, err := e.IngestMessages(ctx, msgs); err != nil || n != size {
			t.Fatal(n, err)
		}
		if n, err := e.IngestThingMessages(ctx, tms); err != nil || n != size {
			t.Fatal(n, err)
		}
	}
	for range 10 {
		step()
	}
	before := e.Stats().Datapoints
	assert.Zero(t, testing.AllocsPerRun(100, step))
	assert.Greater(t, e.Stats().Datapoints, before, "the messages were judged")
	assert.Equal(t, uint64(111*2*size), e.Stats().Inputs)
}
