package ruledetect

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/violation"
)

// TestShardCountDoesNotChangeResults runs random sequences of every
// control-plane call and input (the snapshot property's) on engines with
// 1, 2 and 13 shards side by side: every answer, listing, event, active
// violation, statistic and the state itself must be the same.
func TestShardCountDoesNotChangeResults(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 10
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 31))
		b := make([]byte, 600+rng.IntN(1200))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			v := propVariants[seed%len(propVariants)]
			r := newPropRun(t, b, append(v.opts, WithShards(1))...)
			for _, n := range []int{2, 13} {
				e, err := New(append(r.options(), WithShards(n))...)
				require.NoError(t, err)
				r.engines = append(r.engines, e)
			}
			r.run()
		})
	}
}

// TestConcurrentIngestEqualsSequential feeds a fleet period by period,
// each period's inputs from four goroutines at once (each its own things),
// and requires the events, active violations and statistics of an engine
// fed the same inputs in order from one goroutine. The profile has static
// and statistical behaviors, so closes join the shards' populations.
func TestConcurrentIngestEqualsSequential(t *testing.T) {
	const things, periods, workers = 400, 8, 4
	sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p","behaviors":[
		{"name":"many","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"greater-than","value":{"count":6},"durationSeconds":300,"consecutiveDatapointsToAlarm":1,"consecutiveDatapointsToClear":1}},
		{"name":"outlier","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"greater-than","statisticalThreshold":{"statistic":"p90"},"durationSeconds":300,"consecutiveDatapointsToAlarm":1,"consecutiveDatapointsToClear":1}},
		{"name":"big","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"greater-than","value":{"count":900}}}]}`))
	require.NoError(t, err)
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// inputs[p][w] are worker w's inputs of period p, in time order.
	rng := rand.New(rand.NewPCG(7, 7))
	inputs := make([][][]Message, periods)
	for p := range inputs {
		inputs[p] = make([][]Message, workers)
		for i := range things {
			w := i % workers
			for k := range rng.IntN(10) {
				at := start.Add(time.Duration(p)*5*time.Minute + time.Duration(1+k*20)*time.Second)
				inputs[p][w] = append(inputs[p][w], Message{Thing: fmt.Sprint("t", i), Time: at, Topic: "dt/x", Direction: Sent, Bytes: int64(rng.IntN(1000))})
			}
		}
	}
	newEngine := func() *Engine {
		e, err := New(WithShards(8), WithClock(func() time.Time { return start }))
		require.NoError(t, err)
		ctx := context.Background()
		_, err = e.CreateSecurityProfile(ctx, *sp)
		require.NoError(t, err)
		require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
		return e
	}
	seq, par := newEngine(), newEngine()
	defer func(n int) { eval.ParallelClose = n }(eval.ParallelClose)
	eval.ParallelClose = 1 // the closes run their shards in parallel too
	for p := range periods {
		// The boundary is crossed by Advance, so no worker's input is
		// late because another's closed its period first.
		boundary := start.Add(time.Duration(p) * 5 * time.Minute)
		seq.Advance(context.Background(), boundary)
		par.Advance(context.Background(), boundary)
		for w := range workers {
			for _, m := range inputs[p][w] {
				require.NoError(t, seq.IngestMessage(context.Background(), m))
			}
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for _, m := range inputs[p][w] {
					assert.NoError(t, par.IngestMessage(context.Background(), m))
				}
			})
		}
		wg.Wait()
	}
	end := start.Add(periods * 5 * time.Minute)
	seq.Advance(context.Background(), end)
	par.Advance(context.Background(), end)
	want, got := viewOf(t, seq), viewOf(t, par)
	for _, b := range []string{`"many"`, `"outlier"`, `"big"`} {
		require.True(t, slices.ContainsFunc(want.Events, func(ev string) bool { return strings.Contains(ev, b) }), b)
	}
	assert.Equal(t, want, got)
}

// TestSnapshotDuringIngestIsConsistent takes snapshots while goroutines
// ingest, which the snapshot lets go on shard by shard: every restored
// engine must be a consistent cut, in which a thing's behavior is in alarm
// exactly when the violation log holds an active violation for it (an
// input half in the state and half in the log would break that).
func TestSnapshotDuringIngestIsConsistent(t *testing.T) {
	sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p","behaviors":[
		{"name":"big","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"greater-than","value":{"count":500}}}]}`))
	require.NoError(t, err)
	start := time.Date(2026, 5, 1, 0, 0, 10, 0, time.UTC)
	e, err := New(WithShards(16))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = e.CreateSecurityProfile(ctx, *sp)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	// Bounded: every other input raises or clears an alarm, and the log
	// keeps every event.
	const workers, things, inputs = 4, 200, 20_000
	var done atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			defer done.Add(1)
			for k := range inputs {
				i := w + workers*(k%(things/workers))
				bytes := int64(100)
				if (k/(things/workers))%2 == 0 {
					bytes = 900 // alternately raise and clear every thing's alarm
				}
				at := start.Add(time.Duration(k%200) * time.Second)
				if err := e.IngestMessage(context.Background(), Message{Thing: fmt.Sprint("t", i), Time: at, Direction: Sent, Topic: "a", Bytes: bytes}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for n := 0; n < 3 || (done.Load() < workers && n < 20); n++ {
		var buf bytes.Buffer
		require.NoError(t, e.WriteSnapshot(ctx, &buf))
		r, err := RestoreSnapshot(ctx, &buf)
		require.NoError(t, err)
		active := map[string]bool{}
		for a, err := range r.ActiveViolations(context.Background(), ListActiveViolationsInput{}) {
			require.NoError(t, err)
			active[a.ThingName] = true
		}
		for name, ts := range r.allThings() {
			inAlarm := false
			for _, b := range ts.Behaviors {
				inAlarm = inAlarm || b.InAlarm
			}
			require.Equal(t, active[name], inAlarm, name)
		}
	}
	wg.Wait()
}

// TestPutVerificationStateWaitsForBackgroundClose is the regression test of
// a violation that a background close was still raising when its ID was
// given to PutVerificationStateOnViolation: "does not exist". The ID is
// known in advance (violation.ID), and the close of 20,000 things is long.
func TestPutVerificationStateWaitsForBackgroundClose(t *testing.T) {
	ctx := context.Background()
	sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p","behaviors":[
		{"name":"quiet","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"greater-than","value":{"count":0},"durationSeconds":300,"consecutiveDatapointsToAlarm":1}}]}`))
	require.NoError(t, err)
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for round := range 3 {
		e, err := New()
		require.NoError(t, err)
		_, err = e.CreateSecurityProfile(ctx, *sp)
		require.NoError(t, err)
		require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
		for i := range 20_000 {
			require.NoError(t, e.IngestConnect(ctx, Connect{Thing: fmt.Sprint("t", i), Time: start.Add(time.Second)}))
		}
		// The next period's first input starts the close in the background;
		// every thing sent no message (a count of 0, not greater than 0), so
		// every one goes into alarm at 300 s.
		require.NoError(t, e.IngestConnect(ctx, Connect{Thing: "t0", Time: start.Add(301 * time.Second)}))
		id := violation.ID("t19999", "p", "quiet", start.Add(300*time.Second))
		require.NoError(t, e.PutVerificationStateOnViolation(ctx, PutVerificationStateOnViolationInput{ViolationID: id, VerificationState: "TRUE_POSITIVE"}), "round %d", round)
	}
}

func TestWithShardsBounds(t *testing.T) {
	for _, tc := range []struct {
		n  int
		ok bool
	}{{0, false}, {-1, false}, {1, true}, {eval.MaxShards, true}, {eval.MaxShards + 1, false}} {
		e, err := New(WithShards(tc.n))
		if !tc.ok {
			require.Error(t, err, "WithShards(%d)", tc.n)
			assert.Contains(t, err.Error(), "shards")
			continue
		}
		require.NoError(t, err, "WithShards(%d)", tc.n)
		assert.Equal(t, tc.n, e.plane.Shards())
	}
	e, err := New()
	require.NoError(t, err)
	assert.Equal(t, eval.DefaultShards(), e.plane.Shards())
	assert.GreaterOrEqual(t, e.plane.Shards(), 256)
}
