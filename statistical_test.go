package ruledetect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/sketch"
)

// Statistical thresholds (DESIGN §3 rule 8): the fleet's nearest-rank
// percentile at each boundary T, zero datapoints included, each thing's
// datapoint at T compared with the threshold of the same T.

// statT0 is a multiple of the 300 s period: the first window is [statT0, statT0+300s).
var statT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const statProfileName = "fleet"

func statBehavior(name, metric, stat string, durationSeconds int64) behavior.Behavior {
	return behavior.Behavior{Name: name, Metric: metric, Criteria: &behavior.BehaviorCriteria{
		ComparisonOperator:   "less-than-equals",
		StatisticalThreshold: &behavior.StatisticalThreshold{Statistic: ptr(stat)},
		DurationSeconds:      ptr(durationSeconds),
	}}
}

// statEngine returns an engine with one profile of bs attached to all/things.
func statEngine(t *testing.T, bs []behavior.Behavior, opts ...Option) *Engine {
	t.Helper()
	e, err := New(opts...)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: statProfileName, Behaviors: bs})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, statProfileName, e.Arn("all/things")))
	return e
}

func thingName(i int) string { return fmt.Sprintf("thing-%04d", i) }

// sendMessages makes thing i send n messages of size bytes at t; a thing
// that sends none connects instead, so that it is active and gets a zero
// datapoint for the message counters (DESIGN rule 5).
func sendMessages(t *testing.T, e *Engine, i, n int, bytes int64, at time.Time) {
	ctx := context.Background()
	t.Helper()
	if n == 0 {
		require.NoError(t, e.IngestConnect(ctx, Connect{Thing: thingName(i), Time: at}))
		return
	}
	for range n {
		require.NoError(t, e.IngestMessage(ctx, Message{Thing: thingName(i), Time: at, Direction: Sent, Topic: "dt/" + thingName(i) + "/telemetry", Bytes: bytes}))
	}
}

// sendReport ingests a JSON device report with network_stats.
func sendReport(t *testing.T, e *Engine, i int, at time.Time, id int, bytesOut int64) {
	ctx := context.Background()
	t.Helper()
	r := fmt.Sprintf(`{"header":{"report_id":%d,"version":"1.0"},"metrics":{"network_stats":{"bytes_in":%d,"bytes_out":%d,"packets_in":%d,"packets_out":%d}}}`,
		id, 7*bytesOut, bytesOut, 3, 1+bytesOut/1000)
	res, err := e.IngestReport(ctx, thingName(i), at, JSON, []byte(r))
	require.NoError(t, err)
	require.Empty(t, res.Dropped)
}

// alarms returns, per behavior, the things in alarm and their
// lastViolationValue (a count), read through the ActiveViolations iterator.
func alarms(t *testing.T, e *Engine) map[string]map[string]int64 {
	ctx := context.Background()
	t.Helper()
	got := map[string]map[string]int64{}
	for a, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{MaxResults: 250}) {
		require.NoError(t, err)
		require.Equal(t, statProfileName, a.SecurityProfileName)
		require.NotNil(t, a.LastViolationValue)
		require.NotNil(t, a.LastViolationValue.Count, "%s %s", a.ThingName, a.Behavior.Name)
		if got[a.Behavior.Name] == nil {
			got[a.Behavior.Name] = map[string]int64{}
		}
		_, dup := got[a.Behavior.Name][a.ThingName]
		require.False(t, dup, "%s listed twice for %s", a.ThingName, a.Behavior.Name)
		got[a.Behavior.Name][a.ThingName] = *a.LastViolationValue.Count
	}
	return got
}

// nearestRank is the oracle of rule 8: the value at rank ⌈per10k·n/10^4⌉
// (at least 1) of the sorted datapoints, in integers.
func nearestRank(vals []int64, per10k int) int64 {
	s := slices.Clone(vals)
	slices.Sort(s)
	n := len(s)
	r := max((per10k*n+9999)/10000, 1)
	return s[r-1]
}

// expectAbove returns the things whose datapoint exceeds threshold
// (less-than-equals is violated), with their datapoints.
func expectAbove(vals map[int]int64, threshold int64) map[string]int64 {
	want := map[string]int64{}
	for i, v := range vals {
		if v > threshold {
			want[thingName(i)] = v
		}
	}
	return want
}

func mapValues(m map[int]int64) []int64 {
	v := make([]int64, 0, len(m))
	for _, x := range m {
		v = append(v, x)
	}
	return v
}

// TestStatisticalP90 is issue #5's scenario: 1,000 things, thing i sends
// i mod 20 messages in [T0, T0+300s) (those with none only connect), so the
// population at T0+300s is 0..19, 50 things each. p90 is the value at rank
// ⌈0.9·1000⌉ = 900; ranks 851..900 hold 17, so the threshold is 17 and
// less-than-equals is violated by the 100 things that sent 18 or 19.
// Without the zero datapoints (950 values) the rank would be 855 and the
// threshold 18: the zeros are what make it 17. With the exact population
// limited to 100 the sketch answers; p90 of 1,000 values is within its
// exact top tail, so the result is the same.
func TestStatisticalP90(t *testing.T) {
	ctx := context.Background()
	const things = 1000
	counts := map[int]int64{}
	for i := range things {
		counts[i] = int64(i % 20)
	}
	require.Equal(t, int64(17), nearestRank(mapValues(counts), 9000))
	want := expectAbove(counts, 17)
	require.Len(t, want, 100)

	p90 := []behavior.Behavior{statBehavior("msgs-p90", "aws:num-messages-sent", "p90", 300)}
	for _, limit := range []int{sketch.DefaultExactLimit, 100} {
		t.Run(fmt.Sprintf("exact limit %d", limit), func(t *testing.T) {
			e := statEngine(t, p90, WithExactPopulation(limit))
			for i := range things {
				sendMessages(t, e, i, int(counts[i]), 10, statT0.Add(time.Duration(i%300)*time.Second))
			}
			e.Advance(ctx, statT0.Add(300*time.Second-time.Nanosecond))
			assert.Empty(t, alarms(t, e), "the datapoint at T is produced when the watermark reaches T")
			e.Advance(ctx, statT0.Add(300*time.Second))
			assert.Equal(t, map[string]map[string]int64{"msgs-p90": want}, alarms(t, e))
			assert.Equal(t, uint64(things), e.Stats().Datapoints, "every active thing gets a datapoint, zeros included")

			// The violations start at T0+300s, the datapoint's time.
			for a, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{}) {
				require.NoError(t, err)
				assert.True(t, a.ViolationStartTime.Equal(statT0.Add(300*time.Second)))
			}
		})
	}
}

// rendezvous is a PopulationExchange shared by engines that each hold part
// of a fleet: the call for (profile, behavior, t) blocks until every engine
// has sent its part, then all get MergePopulations of the parts. A call that
// waits longer than timeout fails (the engine then uses its local
// population and counts an exchange error) instead of hanging the test.
type rendezvous struct {
	parties int
	limit   int
	timeout time.Duration

	mu     sync.Mutex
	rounds map[string]*round
	calls  []string // keys in call order, for diagnosis
}

type round struct {
	parts [][]byte
	done  chan struct{}
	fleet []byte
	err   error
}

func newRendezvous(parties, limit int) *rendezvous {
	return &rendezvous{parties: parties, limit: limit, timeout: 5 * time.Second, rounds: map[string]*round{}}
}

func (r *rendezvous) exchange(_ context.Context, profile, behavior string, t time.Time, local []byte) ([]byte, error) {
	key := profile + "/" + behavior + "/" + t.Format(time.RFC3339)
	r.mu.Lock()
	rd := r.rounds[key]
	if rd == nil {
		rd = &round{done: make(chan struct{})}
		r.rounds[key] = rd
	}
	rd.parts = append(rd.parts, local)
	r.calls = append(r.calls, key)
	if len(rd.parts) == r.parties {
		rd.fleet, rd.err = MergePopulations(r.limit, rd.parts...)
		close(rd.done)
	}
	r.mu.Unlock()
	select {
	case <-rd.done:
		return rd.fleet, rd.err
	case <-time.After(r.timeout):
		return nil, errors.New("rendezvous timed out on " + key)
	}
}

// advanceAll advances every engine to at concurrently: with a blocking
// exchange, one engine's boundary waits for the others'.
func advanceAll(at time.Time, engines ...*Engine) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, e := range engines {
		wg.Go(func() { e.Advance(ctx, at) })
	}
	wg.Wait()
}

// union merges the alarms of several engines; a thing must be in alarm in
// one engine only.
func union(t *testing.T, engines ...*Engine) map[string]map[string]int64 {
	t.Helper()
	got := map[string]map[string]int64{}
	for _, e := range engines {
		for b, things := range alarms(t, e) {
			if got[b] == nil {
				got[b] = map[string]int64{}
			}
			for th, v := range things {
				_, dup := got[b][th]
				require.False(t, dup, "%s in alarm in two engines", th)
				got[b][th] = v
			}
		}
	}
	return got
}

func exchangeErrors(engines ...*Engine) uint64 {
	var n uint64
	for _, e := range engines {
		n += e.Stats().ExchangeErrors
	}
	return n
}

// TestStatisticalSplitFleet: the scenario of TestStatisticalP90 with the
// fleet split across two engines whose populations are merged at every
// boundary by a rendezvous exchange, both advancing concurrently. Split
// "by count", each engine alone would judge differently (the low engine
// holds 0..15, its own p90 is 14; the high one 16..19, p90 19), so a
// missing or partial exchange shows.
func TestStatisticalSplitFleet(t *testing.T) {
	const things = 1000
	counts := map[int]int64{}
	for i := range things {
		counts[i] = int64(i % 20)
	}
	want := map[string]map[string]int64{"msgs-p90": expectAbove(counts, 17)}
	p90 := []behavior.Behavior{statBehavior("msgs-p90", "aws:num-messages-sent", "p90", 300)}
	splits := map[string]func(i int) int{
		"even/odd": func(i int) int { return i % 2 },
		"by count": func(i int) int {
			if i%20 < 16 {
				return 0
			}
			return 1
		},
	}
	for name, split := range splits {
		for _, limit := range []int{sketch.DefaultExactLimit, 100} {
			t.Run(fmt.Sprintf("%s exact limit %d", name, limit), func(t *testing.T) {
				x := newRendezvous(2, limit)
				a := statEngine(t, p90, WithExactPopulation(limit), WithPopulationExchange(x.exchange))
				b := statEngine(t, p90, WithExactPopulation(limit), WithPopulationExchange(x.exchange))
				for i := range things {
					e := []*Engine{a, b}[split(i)]
					sendMessages(t, e, i, int(counts[i]), 10, statT0.Add(time.Duration(i%300)*time.Second))
				}
				advanceAll(statT0.Add(300*time.Second), a, b)
				require.Zero(t, exchangeErrors(a, b), "calls: %v", x.calls)
				assert.Equal(t, want, union(t, a, b))
			})
		}
	}

	t.Run("without exchange each engine judges its own part", func(t *testing.T) {
		a, b := statEngine(t, p90), statEngine(t, p90)
		for i := range things {
			sendMessages(t, []*Engine{a, b}[splits["by count"](i)], i, int(counts[i]), 10, statT0)
		}
		advanceAll(statT0.Add(300*time.Second), a, b)
		got := union(t, a, b)["msgs-p90"]
		assert.Len(t, got, 50)
		for _, v := range got {
			assert.Equal(t, int64(15), v)
		}
	})
}

// TestStatisticalSplitFleetSeveralBehaviors: two statistical behaviors, one
// of which (aws:all-bytes-out) only things that sent a report have a
// datapoint for. Both engines must call the exchange for the same keys in
// the same order at every boundary, whatever order their things happen to
// be visited in, or a blocking exchange deadlocks; and an engine none of
// whose things has a datapoint for a behavior must still take part.
func TestStatisticalSplitFleetSeveralBehaviors(t *testing.T) {
	ctx := context.Background()
	const things, periods = 400, 6
	bs := []behavior.Behavior{
		statBehavior("bytes-p50", "aws:all-bytes-out", "p50", 300),
		statBehavior("msgs-p90", "aws:num-messages-sent", "p90", 300),
	}
	for _, tc := range []struct {
		name    string
		reports func(i int) bool // whether thing i sends a report
	}{
		{"both engines have reporting things", func(i int) bool { return i%3 == 0 }},
		{"one engine has no reporting thing", func(i int) bool { return i%2 == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newRendezvous(2, sketch.DefaultExactLimit)
			x.timeout = 2 * time.Second
			a := statEngine(t, bs, WithPopulationExchange(x.exchange))
			b := statEngine(t, bs, WithPopulationExchange(x.exchange))
			single := statEngine(t, bs)
			for p := range periods {
				start := statT0.Add(time.Duration(p) * 300 * time.Second)
				for i := range things {
					e := a
					if i%2 == 1 {
						e = b
					}
					n := (i*7 + p) % 13
					for _, e := range []*Engine{e, single} {
						sendMessages(t, e, i, n, 10, start)
						if tc.reports(i) {
							sendReport(t, e, i, start, p+1, int64(1000+(i*31+p*17)%977))
						}
					}
				}
				end := start.Add(300 * time.Second)
				advanceAll(end, a, b)
				single.Advance(ctx, end)
				require.Zero(t, exchangeErrors(a, b), "period %d, calls: %v", p, x.calls)
				require.Equal(t, alarms(t, single), union(t, a, b), "period %d", p)
			}
			assert.Len(t, x.rounds, 2*periods)
		})
	}
}

// TestStatisticalSketchPath: above the exact limit the threshold is a bucket
// estimate. Thing i sends one message of 1024·(1 + i mod 20) bytes
// (aws:message-byte-size summed over 300 s); p50 of the 1,000 sizes is at
// rank 500, i.e. 10,240 (ranks 451..500), far inside the sketch (not a
// kept tail), so the engine's threshold is an estimate within 1/129 of
// it. Neighbouring sizes differ by at least 1/20 (> 2 %), and 10,240 is the
// lower bound of its bucket, so every estimate of it lies in
// [10,240, 10,240·(1+1/64)) and a ≤ 1 % error cannot change who is in alarm:
// the 500 things above 10,240.
func TestStatisticalSketchPath(t *testing.T) {
	ctx := context.Background()
	const things = 1000
	sizes := map[int]int64{}
	for i := range things {
		sizes[i] = 1024 * int64(1+i%20)
	}
	exact := nearestRank(mapValues(sizes), 5000)
	require.Equal(t, int64(10240), exact)

	// The population the engine builds: a sketch, whose p50 is not exact
	// but within the bound.
	pop := sketch.NewPopulation(100)
	for _, v := range mapValues(sizes) {
		pop.Add(float64(v))
	}
	require.False(t, pop.Exact())
	est := pop.Quantile(0.5)
	require.NotEqual(t, float64(exact), est, "the sketch path gives an estimate")
	require.LessOrEqual(t, math.Abs(est-float64(exact))/float64(exact), 1.0/129)

	want := map[string]map[string]int64{"size-p50": expectAbove(sizes, exact)}
	require.Len(t, want["size-p50"], 500)
	bs := []behavior.Behavior{statBehavior("size-p50", "aws:message-byte-size", "p50", 300)}
	e := statEngine(t, bs, WithExactPopulation(100))
	for i := range things {
		sendMessages(t, e, i, 1, sizes[i], statT0)
	}
	e.Advance(ctx, statT0.Add(300*time.Second))
	assert.Equal(t, want, alarms(t, e))

	// Split across two engines whose sketches are merged: the same.
	x := newRendezvous(2, 100)
	a := statEngine(t, bs, WithExactPopulation(100), WithPopulationExchange(x.exchange))
	b := statEngine(t, bs, WithExactPopulation(100), WithPopulationExchange(x.exchange))
	for i := range things {
		sendMessages(t, []*Engine{a, b}[i%2], i, 1, sizes[i], statT0)
	}
	advanceAll(statT0.Add(300*time.Second), a, b)
	require.Zero(t, exchangeErrors(a, b))
	assert.Equal(t, want, union(t, a, b))
}

// TestStatisticalSketchWithinBound: lognormal message sizes on 5,000 things,
// thresholds p10, p50, p99 from the sketch (exact limit 100). A thing whose
// size is beyond the exact percentile by more than the sketch's relative
// error must be judged as the exact threshold would; only sizes within
// 1/129 of it may go either way.
func TestStatisticalSketchWithinBound(t *testing.T) {
	ctx := context.Background()
	const things = 5000
	r := rand.New(rand.NewPCG(42, 5))
	sizes := map[int]int64{}
	for i := range things {
		sizes[i] = 1 + int64(math.Exp(8+1.5*r.NormFloat64()))
	}
	stats := map[string]int{"p10": 1000, "p50": 5000, "p99": 9900}
	var bs []behavior.Behavior
	for name := range stats {
		bs = append(bs, statBehavior("size-"+name, "aws:message-byte-size", name, 300))
	}
	slices.SortFunc(bs, func(a, b behavior.Behavior) int { return strings.Compare(a.Name, b.Name) })
	e := statEngine(t, bs, WithExactPopulation(100))
	for i := range things {
		sendMessages(t, e, i, 1, sizes[i], statT0)
	}
	e.Advance(ctx, statT0.Add(300*time.Second))
	got := alarms(t, e)
	for name, per10k := range stats {
		exact := float64(nearestRank(mapValues(sizes), per10k))
		lo, hi := exact*(1-1.0/129), exact*(1+1.0/129)
		inAlarm := got["size-"+name]
		undecided := 0
		for i, v := range sizes {
			_, alarmed := inAlarm[thingName(i)]
			switch x := float64(v); {
			case x > hi:
				require.True(t, alarmed, "%s: %s at %d above %v", name, thingName(i), v, exact)
				require.Equal(t, v, inAlarm[thingName(i)])
			case x < lo:
				require.False(t, alarmed, "%s: %s at %d below %v", name, thingName(i), v, exact)
			default:
				undecided++
			}
		}
		t.Logf("%s: exact threshold %v, %d in alarm, %d within the error band", name, exact, len(inAlarm), undecided)
	}
}

// TestStatisticalSlidingWindow: durationSeconds 600 over the 300 s period.
// Thing i sends i mod 10 messages in [T0, T0+300s) and (i/100) mod 10 in
// [T0+300s, T0+600s). The datapoint at T0+300s counts the first period
// only (the period before it is empty); the one at T0+600s both. p90 is
// taken at each boundary over that boundary's datapoints, in one engine and
// in two that exchange.
func TestStatisticalSlidingWindow(t *testing.T) {
	ctx := context.Background()
	const things = 1000
	first, second := map[int]int64{}, map[int]int64{}
	for i := range things {
		first[i], second[i] = int64(i%10), int64((i/100)%10)
	}
	sum := map[int]int64{}
	for i := range things {
		sum[i] = first[i] + second[i]
	}
	p1, p2 := nearestRank(mapValues(first), 9000), nearestRank(mapValues(sum), 9000)
	require.Equal(t, int64(8), p1) // 0..9, 100 each: rank 900 is the last 8
	want1 := expectAbove(first, p1)
	want2 := expectAbove(sum, p2)
	bs := []behavior.Behavior{statBehavior("msgs-p90-600", "aws:num-messages-sent", "p90", 600)}

	run := func(t *testing.T, engines []*Engine, advance func(time.Time)) {
		for i := range things {
			sendMessages(t, engines[i%len(engines)], i, int(first[i]), 10, statT0)
		}
		advance(statT0.Add(300 * time.Second))
		require.Equal(t, map[string]map[string]int64{"msgs-p90-600": want1}, union(t, engines...), "at T0+300s")
		for i := range things {
			// A thing sending nothing in the second period still has the
			// first period's input in its 48 h: its datapoint is the window's count.
			if second[i] > 0 {
				sendMessages(t, engines[i%len(engines)], i, int(second[i]), 10, statT0.Add(300*time.Second))
			}
		}
		advance(statT0.Add(600 * time.Second))
		require.Equal(t, map[string]map[string]int64{"msgs-p90-600": want2}, union(t, engines...), "at T0+600s")
		// One more boundary: the window [T0+300s, T0+900s) holds the second
		// period only.
		advance(statT0.Add(900 * time.Second))
		p3 := nearestRank(mapValues(second), 9000)
		require.Equal(t, map[string]map[string]int64{"msgs-p90-600": expectAbove(second, p3)}, union(t, engines...), "at T0+900s")
	}
	t.Run("one engine", func(t *testing.T) {
		e := statEngine(t, bs)
		run(t, []*Engine{e}, func(at time.Time) { e.Advance(ctx, at) })
	})
	t.Run("two engines", func(t *testing.T) {
		x := newRendezvous(2, sketch.DefaultExactLimit)
		a := statEngine(t, bs, WithPopulationExchange(x.exchange))
		b := statEngine(t, bs, WithPopulationExchange(x.exchange))
		run(t, []*Engine{a, b}, func(at time.Time) { advanceAll(at, a, b) })
		require.Zero(t, exchangeErrors(a, b))
	})
}

// TestStatisticalReportMetric: aws:all-bytes-out is the sum of network_stats
// bytes_out deltas of a thing's reports in the window, and only things with
// a report in it have a datapoint (rule 5): things that only sent messages
// are not zeros in its population. 800 of 1,000 things report (those with
// i mod 5 = 0 send two reports, summed); the other 200 only send messages.
func TestStatisticalReportMetric(t *testing.T) {
	ctx := context.Background()
	const things = 1000
	bytesOut := map[int]int64{}
	for i := range things {
		if i%10 < 2 {
			continue
		}
		bytesOut[i] = 100 * int64(1+(i*37)%50)
	}
	threshold := nearestRank(mapValues(bytesOut), 9000)
	want := expectAbove(bytesOut, threshold)
	// Counting the 200 silent things as zeros would give another threshold
	// and another set: the test tells the two apart.
	withZeros := append(mapValues(bytesOut), make([]int64, 200)...)
	require.NotEqual(t, want, expectAbove(bytesOut, nearestRank(withZeros, 9000)))

	bs := []behavior.Behavior{statBehavior("bytes-out-p90", "aws:all-bytes-out", "p90", 300)}
	ingest := func(t *testing.T, e *Engine, i int) {
		v, ok := bytesOut[i]
		if !ok {
			sendMessages(t, e, i, 1, 10, statT0)
			return
		}
		if i%5 == 0 {
			sendReport(t, e, i, statT0, 1, v/4)
			sendReport(t, e, i, statT0.Add(100*time.Second), 2, v-v/4)
			return
		}
		sendReport(t, e, i, statT0.Add(time.Duration(i%300)*time.Second), 1, v)
	}
	t.Run("one engine", func(t *testing.T) {
		e := statEngine(t, bs)
		for i := range things {
			ingest(t, e, i)
		}
		e.Advance(ctx, statT0.Add(300*time.Second))
		assert.Equal(t, map[string]map[string]int64{"bytes-out-p90": want}, alarms(t, e))
		assert.Equal(t, uint64(800), e.Stats().Datapoints)
	})
	t.Run("two engines", func(t *testing.T) {
		x := newRendezvous(2, sketch.DefaultExactLimit)
		a := statEngine(t, bs, WithPopulationExchange(x.exchange))
		b := statEngine(t, bs, WithPopulationExchange(x.exchange))
		for i := range things {
			ingest(t, []*Engine{a, b}[i%2], i)
		}
		advanceAll(statT0.Add(300*time.Second), a, b)
		require.Zero(t, exchangeErrors(a, b))
		assert.Equal(t, map[string]map[string]int64{"bytes-out-p90": want}, union(t, a, b))
	})
}

// TestStatisticalExchangeFailure: an exchange error makes the engine judge
// against its local population and count the failure; a fleet population
// smaller than the local one is refused the same way.
func TestStatisticalExchangeFailure(t *testing.T) {
	ctx := context.Background()
	bs := []behavior.Behavior{statBehavior("msgs-p90", "aws:num-messages-sent", "p90", 300)}
	counts := map[int]int64{}
	for i := range 100 {
		counts[i] = int64(i % 10)
	}
	want := map[string]map[string]int64{"msgs-p90": expectAbove(counts, nearestRank(mapValues(counts), 9000))}
	empty, err := sketch.NewPopulation(10).MarshalBinary()
	require.NoError(t, err)
	for name, x := range map[string]PopulationExchange{
		"error": func(context.Context, string, string, time.Time, []byte) ([]byte, error) {
			return nil, errors.New("down")
		},
		"garbage":         func(context.Context, string, string, time.Time, []byte) ([]byte, error) { return []byte{0xff}, nil },
		"empty fleet":     func(context.Context, string, string, time.Time, []byte) ([]byte, error) { return empty, nil },
		"echo (no peers)": func(_ context.Context, _, _ string, _ time.Time, local []byte) ([]byte, error) { return local, nil },
		"panics":          func(context.Context, string, string, time.Time, []byte) ([]byte, error) { panic("exchange bug") },
		"never answers": func(ctx context.Context, _, _ string, _ time.Time, _ []byte) ([]byte, error) {
			select {} // ignores its context: the engine stops waiting anyway
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := statEngine(t, bs, WithPopulationExchange(x), WithExchangeTimeout(50*time.Millisecond))
			for i := range 100 {
				sendMessages(t, e, i, int(counts[i]), 1, statT0)
			}
			e.Advance(ctx, statT0.Add(300*time.Second))
			assert.Equal(t, want, alarms(t, e))
			wantErrs := uint64(1)
			if name == "echo (no peers)" {
				wantErrs = 0
			}
			assert.Equal(t, wantErrs, e.Stats().ExchangeErrors)
		})
	}
}

// TestMergePopulations: exact parts stay exact up to the limit, beyond it
// they are merged as a sketch; a bad part is ErrInvalidRequest.
func TestMergePopulations(t *testing.T) {
	enc := func(limit int, vals ...float64) []byte {
		p := sketch.NewPopulation(limit)
		for _, v := range vals {
			p.Add(v)
		}
		b, err := p.MarshalBinary()
		require.NoError(t, err)
		return b
	}
	decode := func(b []byte) *sketch.Population {
		var p sketch.Population
		require.NoError(t, p.UnmarshalBinary(b))
		return &p
	}
	m, err := MergePopulations(10, enc(10, 1, 2, 3), enc(10, 4, 5), enc(10))
	require.NoError(t, err)
	p := decode(m)
	assert.True(t, p.Exact())
	assert.Equal(t, uint64(5), p.Len())
	assert.Equal(t, []float64{1, 3, 5}, p.Quantiles(nil, []float64{0, 0.5, 1}))

	m, err = MergePopulations(4, enc(10, 1, 2, 3), enc(10, 4, 5))
	require.NoError(t, err)
	p = decode(m)
	assert.False(t, p.Exact(), "above the limit the merge is a sketch")
	assert.Equal(t, []float64{1, 3, 5}, p.Quantiles(nil, []float64{0, 0.5, 1}), "small sketches are exact")

	_, err = MergePopulations(10, enc(10, 1), []byte{1, 2, 3})
	require.ErrorIs(t, err, ErrInvalidRequest)
}

// AWS: "Percentile statistics are not available for metrics when any of
// the metric values are negative numbers." A window whose population holds
// a negative custom value judges nobody (as missing data) and is counted;
// the next window, all non-negative, is judged.
func TestStatisticalNegativeCustomValuesHaveNoPercentile(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	_, err = e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "temperature", MetricType: "number"})
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: statProfileName,
		Behaviors: []behavior.Behavior{statBehavior("temp-p50", "temperature", "p50", 300)}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, statProfileName, e.Arn("all/things")))
	report := func(i int, at time.Time, v float64) {
		t.Helper()
		r := fmt.Sprintf(`{"header":{"report_id":%d,"version":"1.0"},"metrics":{},"custom_metrics":{"temperature":[{"number":%g}]}}`, at.Unix(), v)
		_, err := e.IngestReport(ctx, thingName(i), at, JSON, []byte(r))
		require.NoError(t, err)
	}
	// Window 1: values -5, 10, 20, 30 (p50 would be 10): not judged.
	for i, v := range []float64{-5, 10, 20, 30} {
		report(i, statT0.Add(time.Minute), v)
	}
	e.Advance(ctx, statT0.Add(300*time.Second))
	assert.Empty(t, alarms(t, e))
	assert.Zero(t, e.Stats().Datapoints)
	assert.Equal(t, uint64(1), e.Stats().PercentilesUnavailable)
	// Window 2: 5, 10, 20, 30: p50 is 10, and 20 and 30 are above it.
	for i, v := range []float64{5, 10, 20, 30} {
		report(i, statT0.Add(6*time.Minute), v)
	}
	e.Advance(ctx, statT0.Add(600*time.Second))
	assert.Equal(t, uint64(4), e.Stats().Datapoints)
	assert.Equal(t, uint64(1), e.Stats().PercentilesUnavailable)
	var got []string
	for a, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{}) {
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("%s %g", a.ThingName, *a.LastViolationValue.Number))
	}
	slices.Sort(got)
	assert.Equal(t, []string{thingName(2) + " 20", thingName(3) + " 30"}, got)
}
