package ruledetect

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/internal/wire"
)

// Snapshot and restore: an engine restored from a snapshot taken in the
// middle of an input stream evaluates the rest of it exactly as the engine
// that was never stopped.

var snapT0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// snapStep is one input of the stream, or a control-plane change.
type snapStep struct {
	at   time.Time
	name string
	do   func(t testing.TB, e *Engine)
}

// snapClock is the control-plane clock of the stream's engines: the time
// of the step being applied, plus some nanoseconds (restored exactly).
type snapClock struct{ now time.Time }

func (c *snapClock) Now() time.Time { return c.now.Add(123456789) }

// snapSetup creates the control plane of the stream: a dimension, a custom
// metric, profile p on all/things (a windowed counter alarming after 2
// datapoints, a D=600 sliding window behind a dimension, a per-input list
// metric, a statistical behavior, a custom number, source IPs, disconnect
// duration) and profile q on thinggroup/g1, with things dev-00..dev-09 in g1.
func snapSetup(t testing.TB, e *Engine) {
	ctx := context.Background()
	_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: "telemetry", Type: DimensionTypeTopicFilter,
		StringValues: []string{"dt/${iot:ClientId}/#"}, ClientRequestToken: "tok-1",
		Tags: []behavior.Tag{{Key: "team", Value: ptr("iot")}}})
	require.NoError(t, err)
	_, err = e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "cpu", MetricType: "number", DisplayName: "CPU %",
		ClientRequestToken: "tok-2"})
	require.NoError(t, err)
	p, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p","securityProfileDescription":"the fleet",
	  "tags":[{"Key":"env","Value":"test"}],
	  "behaviors":[
	  {"name":"auth","metric":"aws:num-authorization-failures",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":2},"durationSeconds":300,"consecutiveDatapointsToAlarm":2}},
	  {"name":"telemetry","metric":"aws:num-messages-sent","metricDimension":{"dimensionName":"telemetry","operator":"IN"},
	   "criteria":{"comparisonOperator":"less-than","value":{"count":2},"durationSeconds":600,"consecutiveDatapointsToClear":2}},
	  {"name":"ports","metric":"aws:listening-tcp-ports",
	   "criteria":{"comparisonOperator":"in-port-set","value":{"ports":[443,8080]}}},
	  {"name":"exfil","metric":"aws:all-bytes-out",
	   "criteria":{"comparisonOperator":"less-than-equals","statisticalThreshold":{"statistic":"p90"},"durationSeconds":300}},
	  {"name":"cpu","metric":"cpu",
	   "criteria":{"comparisonOperator":"less-than","value":{"number":80},"durationSeconds":300}},
	  {"name":"srcip","metric":"aws:source-ip-address",
	   "criteria":{"comparisonOperator":"in-cidr-set","value":{"cidrs":["10.0.0.0/8"]}}},
	  {"name":"offline","metric":"aws:disconnect-duration",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":10}}}]}`))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, *p)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	q, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"q","behaviors":[
	  {"name":"conn","metric":"aws:num-connection-attempts",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":2},"durationSeconds":300}},
	  {"name":"recv","metric":"aws:num-messages-received",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":1},"durationSeconds":300,"consecutiveDatapointsToClear":2}}]}`))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, *q)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "q", e.Arn("thinggroup/g1")))
	for i := range 10 {
		require.NoError(t, e.SetThingGroups(ctx, snapThing(i), []string{"g1", "g2"}))
	}
}

func snapThing(i int) string { return fmt.Sprintf("dev-%02d", i) }

// snapStream returns a deterministic stream over three hours for n things:
// messages, authorization failures, connects, disconnects and JSON reports
// (cumulative network stats when cumulative), and at fixed times a profile
// update, group changes, a dimension update and a verification state.
func snapStream(n int, cumulative bool) []snapStep {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	var steps []snapStep
	totals := make([]int64, n)
	for i := range n {
		thing := snapThing(i)
		end := 3 * time.Hour
		if i%7 == 6 {
			end = 50 * time.Minute // goes silent: its alarms are invalidated after the horizon
		}
		noisy := i%5 == 0 || i%7 == 6
		for at := time.Duration(r.IntN(60)) * time.Second; at < end; at += time.Duration(20+r.IntN(100)) * time.Second {
			ts := snapT0.Add(at)
			var s snapStep
			switch k := r.IntN(10); {
			case k < 3:
				topic := "dt/" + thing + "/telemetry"
				if r.IntN(4) == 0 {
					topic = "cmd/" + thing
				}
				bytes := int64(10 + r.IntN(500))
				dir := Sent
				if r.IntN(3) == 0 {
					dir = Received
				}
				s = snapStep{ts, "message", func(t testing.TB, e *Engine) {
					require.NoError(t, e.IngestMessage(ctx, Message{Thing: thing, Time: ts, Direction: dir, Topic: topic, Bytes: bytes}))
				}}
			case k < 4 || (noisy && k < 6):
				s = snapStep{ts, "auth", func(t testing.TB, e *Engine) {
					require.NoError(t, e.IngestAuthorizationFailure(ctx, AuthorizationFailure{Thing: thing, Time: ts, Topic: "cmd/other"}))
				}}
			case k < 5:
				ip := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
				if r.IntN(6) == 0 {
					ip = netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
				}
				s = snapStep{ts, "connect", func(t testing.TB, e *Engine) {
					require.NoError(t, e.IngestConnect(ctx, Connect{Thing: thing, Time: ts, SourceIP: ip}))
				}}
			case k < 6:
				s = snapStep{ts, "disconnect", func(t testing.TB, e *Engine) {
					require.NoError(t, e.IngestDisconnect(ctx, Disconnect{Thing: thing, Time: ts}))
				}}
			default:
				ports := []int{443}
				if r.IntN(5) == 0 || i%7 == 6 {
					ports = append(ports, 22)
				}
				out := int64(1000 + r.IntN(4000))
				if i == 3 && at > time.Hour {
					out *= 50 // exfiltration: above the fleet's p90
				}
				if cumulative {
					totals[i] += out
					out = totals[i]
				}
				cpu := 20 + r.Float64()*70
				var ps []string
				for _, p := range ports {
					ps = append(ps, fmt.Sprintf(`{"port":%d}`, p))
				}
				report := fmt.Sprintf(`{"header":{"report_id":%d,"version":"1.0"},"metrics":{`+
					`"listening_tcp_ports":{"ports":[%s],"total":%d},`+
					`"network_stats":{"bytes_in":%d,"bytes_out":%d,"packets_in":%d,"packets_out":%d}},`+
					`"custom_metrics":{"cpu":[{"number":%g}]}}`,
					ts.Unix(), strings.Join(ps, ","), len(ports), out/2, out, out/100, out/90, cpu)
				s = snapStep{ts, "report", func(t testing.TB, e *Engine) {
					_, err := e.IngestReport(ctx, thing, ts, JSON, []byte(report))
					require.NoError(t, err)
				}}
			}
			steps = append(steps, s)
		}
	}
	steps = append(steps,
		snapStep{snapT0.Add(50*time.Minute + 7*time.Second), "update profile", func(t testing.TB, e *Engine) {
			sp, err := e.DescribeSecurityProfile(ctx, "p")
			require.NoError(t, err)
			bs := sp.Behaviors
			bs[1].Criteria.Value.Count = ptr(int64(3)) // telemetry changes: a new behavior
			bs[2].SuppressAlerts = ptr(true)           // ports keeps its state
			bs[0], bs[4] = bs[4], bs[0]                // and the order changes
			_, err = e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", Behaviors: bs, ExpectedVersion: ptr(int64(1))})
			require.NoError(t, err)
		}},
		snapStep{snapT0.Add(70*time.Minute + 3*time.Second), "groups", func(t testing.TB, e *Engine) {
			for i := range 5 {
				require.NoError(t, e.SetThingGroups(ctx, snapThing(i), []string{"g2"}))
			}
			require.NoError(t, e.SetThingGroups(ctx, snapThing(12), []string{"g1"}))
		}},
		snapStep{snapT0.Add(95*time.Minute + 1*time.Second), "verification", func(t testing.TB, e *Engine) {
			var ids []string
			for a, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{}) {
				require.NoError(t, err)
				ids = append(ids, a.ViolationID)
			}
			if len(ids) == 0 {
				return
			}
			require.NoError(t, e.PutVerificationStateOnViolation(ctx, PutVerificationStateOnViolationInput{
				ViolationID: slices.Min(ids), VerificationState: "TRUE_POSITIVE", VerificationStateDescription: ptr("checked")}))
		}},
		snapStep{snapT0.Add(110*time.Minute + 9*time.Second), "update dimension", func(t testing.TB, e *Engine) {
			_, err := e.UpdateDimension(ctx, UpdateDimensionInput{Name: "telemetry", StringValues: []string{"dt/#"}})
			require.NoError(t, err)
		}},
		snapStep{snapT0.Add(130*time.Minute + 2*time.Second), "detach q", func(t testing.TB, e *Engine) {
			require.NoError(t, e.DetachSecurityProfile(ctx, "q", e.Arn("thinggroup/g1")))
			require.NoError(t, e.AttachSecurityProfile(ctx, "q", e.Arn("all/registered-things")))
		}},
	)
	slices.SortStableFunc(steps, func(a, b snapStep) int { return a.at.Compare(b.at) })
	return steps
}

// snapEngine returns a new engine with the stream's control plane, and its clock.
func snapEngine(t testing.TB, opts ...Option) (*Engine, *snapClock) {
	clock := &snapClock{now: snapT0.Add(-time.Hour)}
	e, err := New(append([]Option{WithClock(clock.Now)}, opts...)...)
	require.NoError(t, err)
	snapSetup(t, e)
	return e, clock
}

func snapApply(t testing.TB, e *Engine, clock *snapClock, steps []snapStep) {
	for _, s := range steps {
		clock.now = s.at
		s.do(t, e)
	}
}

// snapView is everything an engine shows: its events, active violations,
// control plane (Describe and List) and stats, in a form to compare.
type snapView struct {
	Events, Active []string
	Describe       []string
	Lists          []string
	Stats          Stats
}

func viewOf(t testing.TB, e *Engine) snapView {
	ctx := context.Background()
	var v snapView
	type timed struct {
		at                     time.Time
		thing, profile, behave string
		s                      string
	}
	stable := func(xs []timed) []string {
		// Events at one time are in evaluation order, which follows the
		// engine's map of things: compare them in (time, key) order, each
		// key's events in their own order.
		slices.SortStableFunc(xs, func(a, b timed) int {
			return cmp.Or(a.at.Compare(b.at), strings.Compare(a.thing, b.thing), strings.Compare(a.profile, b.profile), strings.Compare(a.behave, b.behave))
		})
		out := []string{}
		for _, x := range xs {
			out = append(out, x.s)
		}
		return out
	}
	var evs []timed
	for ev, err := range e.ViolationEvents(ctx, ListViolationEventsInput{StartTime: behavior.At(time.Unix(0, 0)), EndTime: behavior.At(time.Unix(1<<40, 0))}) {
		require.NoError(t, err)
		j, err := json.Marshal(ev)
		require.NoError(t, err)
		evs = append(evs, timed{ev.ViolationEventTime.Time, ev.ThingName, ev.SecurityProfileName, ev.Behavior.Name,
			fmt.Sprintf("%d %v %s", ev.ViolationEventTime.UnixNano(), ev.Suppressed, j)})
	}
	v.Events = stable(evs)
	var acts []timed
	for a, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{}) {
		require.NoError(t, err)
		j, err := json.Marshal(a)
		require.NoError(t, err)
		acts = append(acts, timed{a.ViolationStartTime.Time, a.ThingName, a.SecurityProfileName, a.Behavior.Name,
			fmt.Sprintf("%d %d %v %s", a.ViolationStartTime.UnixNano(), a.LastViolationTime.UnixNano(), a.Suppressed, j)})
	}
	v.Active = stable(acts)
	add := func(dst *[]string, x any, err error) {
		require.NoError(t, err)
		j, err := json.Marshal(x)
		require.NoError(t, err)
		*dst = append(*dst, string(j))
	}
	dims, err := e.ListDimensions(ctx, ListDimensionsInput{})
	add(&v.Lists, dims, err)
	for _, n := range dims.DimensionNames {
		d, err := e.DescribeDimension(ctx, n)
		add(&v.Describe, d, err)
		add(&v.Describe, d.CreationDate.UnixNano(), nil)
		add(&v.Describe, d.LastModifiedDate.UnixNano(), nil)
	}
	cms, err := e.ListCustomMetrics(ctx, ListCustomMetricsInput{})
	add(&v.Lists, cms, err)
	for _, n := range cms.MetricNames {
		m, err := e.DescribeCustomMetric(ctx, n)
		add(&v.Describe, m, err)
	}
	sps, err := e.ListSecurityProfiles(ctx, ListSecurityProfilesInput{})
	add(&v.Lists, sps, err)
	for _, id := range sps.SecurityProfileIdentifiers {
		p, err := e.DescribeSecurityProfile(ctx, id.Name)
		add(&v.Describe, p, err)
		ts, err := e.ListTargetsForSecurityProfile(ctx, ListTargetsForSecurityProfileInput{SecurityProfileName: id.Name})
		add(&v.Lists, ts, err)
	}
	for _, target := range []string{"all/things", "all/registered-things", "thinggroup/g1"} {
		ps, err := e.ListSecurityProfilesForTarget(ctx, ListSecurityProfilesForTargetInput{SecurityProfileTargetArn: e.Arn(target), Recursive: true})
		add(&v.Lists, ps, err)
	}
	v.Stats = e.Stats()
	return v
}

func snapRoundTrip(t testing.TB, e *Engine, opts ...Option) (*Engine, []byte) {
	var buf bytes.Buffer
	require.NoError(t, e.WriteSnapshot(context.Background(), &buf))
	data := bytes.Clone(buf.Bytes())
	r, err := RestoreSnapshot(context.Background(), &buf, opts...)
	require.NoError(t, err)
	return r, data
}

func TestSnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	const things = 24
	optionSets := []struct {
		name string
		opts []Option
	}{
		{"defaults", []Option{WithInvalidationHorizon(time.Hour)}},
		{"cumulative, 60s period", []Option{WithInvalidationHorizon(time.Hour), WithCumulativeNetworkStats(true), WithEvaluationPeriod(time.Minute)}},
	}
	for _, os := range optionSets {
		t.Run(os.name, func(t *testing.T) {
			cumulative := strings.HasPrefix(os.name, "cumulative")
			steps := snapStream(things, cumulative)
			end := snapT0.Add(3*time.Hour + 5*time.Minute)

			whole, clock := snapEngine(t, os.opts...)
			snapApply(t, whole, clock, steps)
			clock.now = end
			whole.Advance(ctx, end)
			want := viewOf(t, whole)
			require.NotEmpty(t, want.Events)
			require.NotEmpty(t, want.Active)
			kinds := map[string]int{}
			for _, b := range []string{"auth", "telemetry", "ports", "exfil", "cpu", "srcip", "offline", "conn", "recv"} {
				require.True(t, slices.ContainsFunc(want.Events, func(ev string) bool { return strings.Contains(ev, `"name":"`+b+`"`) }), "behavior %s has events", b)
			}
			for _, ev := range want.Events {
				for _, k := range []string{"in-alarm", "alarm-cleared", "alarm-invalidated"} {
					if strings.Contains(ev, `"`+k+`"`) {
						kinds[k]++
					}
				}
			}
			t.Logf("%d events %v, %d active at the end", len(want.Events), kinds, len(want.Active))
			for _, k := range []string{"in-alarm", "alarm-cleared", "alarm-invalidated"} {
				require.NotZero(t, kinds[k], k)
			}

			// Split points: a quarter, half and three quarters in, and
			// right after each control-plane change (before any thing has
			// been aligned to the new configuration).
			splits := []int{0, len(steps) / 4, len(steps) / 2, 3 * len(steps) / 4, len(steps)}
			for i, s := range steps {
				if !slices.Contains([]string{"message", "auth", "connect", "disconnect", "report"}, s.name) {
					splits = append(splits, i+1)
				}
			}
			for _, split := range splits {
				t.Run(fmt.Sprint("split=", split), func(t *testing.T) {
					e, clock := snapEngine(t, os.opts...)
					snapApply(t, e, clock, steps[:split])
					before := viewOf(t, e)
					r, _ := snapRoundTrip(t, e, append([]Option{WithClock(clock.Now)}, os.opts...)...)
					require.Equal(t, before, viewOf(t, r), "the restored engine shows what the original did")
					snapApply(t, r, clock, steps[split:])
					clock.now = end
					r.Advance(ctx, end)
					got := viewOf(t, r)
					assert.Equal(t, want.Events, got.Events)
					assert.Equal(t, want.Active, got.Active)
					assert.Equal(t, want.Describe, got.Describe)
					assert.Equal(t, want.Lists, got.Lists)
					assert.Equal(t, want.Stats, got.Stats)
				})
			}
		})
	}
}

// Restoring twice in a row, with inputs in between, still matches.
func TestSnapshotChained(t *testing.T) {
	ctx := context.Background()
	opts := []Option{WithInvalidationHorizon(time.Hour)}
	steps := snapStream(12, false)
	end := snapT0.Add(5 * time.Hour)
	whole, clock := snapEngine(t, opts...)
	snapApply(t, whole, clock, steps)
	whole.Advance(ctx, end)

	e, clock := snapEngine(t, opts...)
	for i, chunk := range slices.Collect(slices.Chunk(steps, len(steps)/7+1)) {
		snapApply(t, e, clock, chunk)
		e, _ = snapRoundTrip(t, e, append([]Option{WithClock(clock.Now)}, opts...)...)
		t.Logf("restore %d: %d things", i, e.Stats().Things)
	}
	e.Advance(ctx, end)
	assert.Equal(t, viewOf(t, whole), viewOf(t, e))
}

// Each thing's slots land on the behavior of the same (profile, name) after
// the restore, whatever the in-memory ids and order.
func TestSnapshotSlotsByKey(t *testing.T) {
	ctx := context.Background()
	e, clock := snapEngine(t, WithInvalidationHorizon(time.Hour))
	steps := snapStream(6, false)
	snapApply(t, e, clock, steps[:len(steps)/3])
	// Burn ids so that the restored engine's ids differ from these.
	for i := range 5 {
		_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: fmt.Sprint("tmp", i), Behaviors: []behavior.Behavior{authBehavior("x", 3)}})
		require.NoError(t, err)
		require.NoError(t, e.DeleteSecurityProfile(ctx, fmt.Sprint("tmp", i), nil))
	}
	collect := func(e *Engine) map[string]eval.BehaviorState {
		out := map[string]eval.BehaviorState{}
		for name, ts := range e.allThings() {
			for b, s := range ts.Behaviors {
				out[name+"/"+b] = s
			}
		}
		return out
	}
	r, _ := snapRoundTrip(t, e, WithInvalidationHorizon(time.Hour))
	want := collect(e)
	require.NotEmpty(t, want)
	nonzero := 0
	for _, s := range want {
		if s.Streak[0] != 0 || len(s.Window) > 0 {
			nonzero++
		}
	}
	require.NotZero(t, nonzero)
	assert.Equal(t, want, collect(r))
	rthings := r.allThings()
	for name, ts := range e.allThings() {
		rt, ok := rthings[name]
		require.True(t, ok, name)
		assert.Equal(t, []any{ts.Kind, ts.Told, ts.LastInput, ts.DisconnectedAt, ts.Head},
			[]any{rt.Kind, rt.Told, rt.LastInput, rt.DisconnectedAt, rt.Head}, name)
	}
	assert.Equal(t, e.clock(), r.clock())
}

// snapshotOf returns a snapshot of a small engine in the middle of the stream.
func snapshotOf(t testing.TB, things int) []byte {
	e, clock := snapEngine(t, WithInvalidationHorizon(time.Hour))
	steps := snapStream(things, false)
	snapApply(t, e, clock, steps[:len(steps)*2/3])
	var buf bytes.Buffer
	require.NoError(t, e.WriteSnapshot(context.Background(), &buf))
	return buf.Bytes()
}

// withCRC returns data with its checksum made right again, so that the
// parser, not the checksum, meets a corruption.
func withCRC(data []byte) []byte {
	if len(data) < 4 {
		return data
	}
	out := bytes.Clone(data)
	n := len(out) - 4
	binary.LittleEndian.PutUint32(out[n:], crc32.Checksum(out[:n], snapshotCRC))
	return out
}

func restoreBytes(data []byte, opts ...Option) (*Engine, error) {
	if len(opts) == 0 {
		opts = []Option{WithInvalidationHorizon(time.Hour)}
	}
	return RestoreSnapshot(context.Background(), bytes.NewReader(data), opts...)
}

// exercise runs a restored engine a little: nothing may panic.
func exercise(t testing.TB, e *Engine) {
	ctx := context.Background()
	w, _, _ := e.plane.Clock()
	at := time.Unix(0, w).Add(time.Second)
	for i := range 4 {
		_ = e.IngestMessage(ctx, Message{Thing: snapThing(i), Time: at, Direction: Sent, Topic: "dt/" + snapThing(i) + "/x", Bytes: 10})
		_, _ = e.IngestReport(ctx, snapThing(i), at, JSON, []byte(`{"header":{"report_id":1,"version":"1.0"},"metrics":{"network_stats":{"bytes_out":5}}}`))
	}
	_ = e.SetThingGroups(ctx, snapThing(1), []string{"g1"})
	e.Advance(ctx, at.Add(3*time.Hour))
	for range e.ActiveViolations(ctx, ListActiveViolationsInput{}) {
	}
	var buf bytes.Buffer
	require.NoError(t, e.WriteSnapshot(ctx, &buf))
	_, err := RestoreSnapshot(ctx, &buf, WithInvalidationHorizon(time.Hour))
	require.NoError(t, err, "a restored engine's own snapshot restores")
}

func TestSnapshotCorrupt(t *testing.T) {
	data := snapshotOf(t, 5)
	t.Logf("snapshot of 5 things: %d bytes", len(data))
	_, err := restoreBytes(data)
	require.NoError(t, err)

	t.Run("truncated", func(t *testing.T) {
		for n := range len(data) {
			_, err := restoreBytes(data[:n])
			require.ErrorIs(t, err, ErrInvalidSnapshot, "truncated to %d bytes", n)
		}
		_, err := restoreBytes(append(bytes.Clone(data), 0))
		require.ErrorIs(t, err, ErrInvalidSnapshot, "trailing byte")
	})
	t.Run("truncated, checksum fixed", func(t *testing.T) {
		for n := 4; n < len(data); n++ {
			_, err := restoreBytes(withCRC(data[:n]))
			require.ErrorIs(t, err, ErrInvalidSnapshot, "truncated to %d bytes", n)
		}
	})
	t.Run("bit flips", func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for i := range len(data) {
			d := bytes.Clone(data)
			d[i] ^= 1 << r.IntN(8)
			_, err := restoreBytes(d)
			require.ErrorIs(t, err, ErrInvalidSnapshot, "bit flip at byte %d", i)
		}
	})
	t.Run("bit flips, checksum fixed", func(t *testing.T) {
		// Every byte but the log's (whose format the violation package
		// tests), and every 16th byte of the log.
		r := rand.New(rand.NewPCG(5, 6))
		restored, flips := 0, 0
		logStart, logEnd := snapLogBounds(t, data)
		for i := range len(data) - 4 {
			if i >= logStart && i < logEnd && i%16 != 0 {
				continue
			}
			flips++
			d := bytes.Clone(data)
			d[i] ^= 1 << r.IntN(8)
			e, err := restoreBytes(withCRC(d))
			if err != nil {
				require.ErrorIs(t, err, ErrInvalidSnapshot, "bit flip at byte %d", i)
				continue
			}
			restored++
			exercise(t, e)
		}
		t.Logf("%d of %d flips still made a consistent snapshot", restored, flips)
	})
}

// snapSections splits a snapshot into its control JSON, log and things.
func snapSections(t testing.TB, data []byte) (*snapControl, []byte, []byte) {
	d := wire.NewDecoder(data[len(snapshotMagic)+1:len(data)-4], 0)
	ctl, log, things := d.Section(""), d.Section(""), d.Section("")
	d.Section("") // metric values
	require.NoError(t, d.Err())
	var c snapControl
	require.NoError(t, json.Unmarshal(ctl, &c))
	return &c, log, things
}

// snapLogBounds returns where the log section of a snapshot starts and ends.
func snapLogBounds(t testing.TB, data []byte) (int, int) {
	d := wire.NewDecoder(data[len(snapshotMagic)+1:len(data)-4], 0)
	d.Section("")
	log := d.Section("")
	require.NoError(t, d.Err())
	end := len(data) - 4 - d.Left()
	return end - len(log), end
}

func snapAssemble(t testing.TB, ctl *snapControl, log, things []byte) []byte {
	j, err := json.Marshal(ctl)
	require.NoError(t, err)
	b := append([]byte(snapshotMagic), snapshotVersion)
	for _, s := range [][]byte{j, log, things, nil} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return withCRC(append(b, 0, 0, 0, 0))
}

// Snapshots that are well-formed but inconsistent are refused, each with
// a message that says what is wrong.
func TestSnapshotInconsistent(t *testing.T) {
	data := snapshotOf(t, 5)
	ctl, log, things := snapSections(t, data)
	_, err := restoreBytes(snapAssemble(t, ctl, log, things))
	require.NoError(t, err, "reassembled unchanged")

	tests := []struct {
		name   string
		change func(c *snapControl, log, things *[]byte)
		msg    string
	}{
		{"version", func(c *snapControl, _, _ *[]byte) {}, "format version"},
		{"closed period", func(c *snapControl, _, _ *[]byte) { c.Closed++ }, "closed period"},
		{"watermark before start", func(c *snapControl, _, _ *[]byte) { c.Started = false }, "watermark"},
		{"key to a missing profile", func(c *snapControl, _, _ *[]byte) { c.Keys[0].Profile = "nope" }, "missing"},
		{"key to a missing behavior", func(c *snapControl, _, _ *[]byte) { c.Keys[0].Behavior = "nope" }, "has no behavior"},
		{"repeated key", func(c *snapControl, _, _ *[]byte) { c.Keys[1] = c.Keys[0] }, "repeated"},
		{"layout key out of range", func(c *snapControl, _, _ *[]byte) { c.Layouts[0] = append(c.Layouts[0], 999) }, "layout"},
		{"layout repeats a key", func(c *snapControl, _, _ *[]byte) { c.Layouts[0] = append(c.Layouts[0], c.Layouts[0][0]) }, "layout"},
		{"groups out of order", func(c *snapControl, _, _ *[]byte) {
			for i := range c.Kinds {
				if len(c.Kinds[i].Groups) > 1 {
					slices.Reverse(c.Kinds[i].Groups)
				}
			}
		}, "groups"},
		{"unregistered in a group", func(c *snapControl, _, _ *[]byte) {
			c.Kinds = append(c.Kinds, eval.KindRecord{Groups: []string{"g"}})
		}, "unregistered"},
		{"bad dimension", func(c *snapControl, _, _ *[]byte) { c.Dimensions[0].Values = []string{"a/#/b"} }, "dimension"},
		{"repeated dimension", func(c *snapControl, _, _ *[]byte) { c.Dimensions = append(c.Dimensions, c.Dimensions[0]) }, "twice"},
		{"custom metric type", func(c *snapControl, _, _ *[]byte) { c.CustomMetrics[0].Type = "float" }, "custom metric"},
		{"profile version", func(c *snapControl, _, _ *[]byte) { c.Profiles[0].Profile.Version = 0 }, "version"},
		{"profile ARN", func(c *snapControl, _, _ *[]byte) { c.Profiles[0].Profile.SecurityProfileArn += "x" }, "ARN"},
		{"invalid profile", func(c *snapControl, _, _ *[]byte) {
			c.Profiles[0].Profile.Behaviors[0].Criteria.ConsecutiveDatapointsToAlarm = ptr(int64(100))
		}, "malformed"},
		{"target to a missing profile", func(c *snapControl, _, _ *[]byte) { c.Targets[0].Profiles = []string{"nope"} }, "target"},
		{"target of another account", func(c *snapControl, _, _ *[]byte) {
			c.Targets[0].Arn = strings.Replace(c.Targets[0].Arn, c.Account, "999999999999", 1)
		}, "target"},
		{"log", func(c *snapControl, log, _ *[]byte) { *log = []byte("{}") }, "violation log"},
		{"trailing thing data", func(c *snapControl, _, things *[]byte) { *things = append(*things, 0) }, "after the last thing"},
		{"too many things", func(c *snapControl, _, things *[]byte) {
			*things = append(binary.AppendUvarint(nil, 1<<40), (*things)[1:]...)
		}, "exceeds the remaining input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, l, th := snapSections(t, data)
			tt.change(c, &l, &th)
			b := snapAssemble(t, c, l, th)
			if tt.name == "version" {
				b[len(snapshotMagic)] = snapshotVersion + 1
				b = withCRC(b)
			}
			_, err := restoreBytes(b)
			require.ErrorIs(t, err, ErrInvalidSnapshot)
			assert.Contains(t, err.Error(), tt.msg)
			t.Log(err)
		})
	}
	t.Run("not a snapshot", func(t *testing.T) {
		for _, b := range [][]byte{nil, []byte("hello"), []byte(snapshotMagic), append([]byte(snapshotMagic), 1, 0, 0, 0, 0)} {
			_, err := restoreBytes(b)
			require.ErrorIs(t, err, ErrInvalidSnapshot)
		}
	})
}

func TestSnapshotOptionsMismatch(t *testing.T) {
	data := snapshotOf(t, 3)
	tests := []struct {
		name string
		opts []Option
		msg  string // empty: restores
	}{
		{"same", []Option{WithInvalidationHorizon(time.Hour)}, ""},
		{"other retention and population", []Option{WithInvalidationHorizon(time.Hour), WithRetention(time.Hour), WithExactPopulation(3)}, ""},
		{"region", []Option{WithInvalidationHorizon(time.Hour), WithRegion("eu-west-1")}, `region "us-east-1" (options: "eu-west-1")`},
		{"account", []Option{WithInvalidationHorizon(time.Hour), WithAccount("210987654321")}, "account"},
		{"period", []Option{WithInvalidationHorizon(time.Hour), WithEvaluationPeriod(time.Minute)}, "evaluation period 5m0s (options: 1m0s)"},
		{"horizon", nil, "invalidation horizon 1h0m0s (options: 48h0m0s)"},
		{"bad option", []Option{WithRetention(-1)}, "retention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if opts == nil {
				opts = []Option{WithRetention(30 * 24 * time.Hour)} // the default horizon
			}
			e, err := RestoreSnapshot(context.Background(), bytes.NewReader(data), opts...)
			if tt.msg == "" {
				require.NoError(t, err)
				require.NotNil(t, e)
				return
			}
			require.Error(t, err)
			assert.Nil(t, e)
			assert.Contains(t, err.Error(), tt.msg)
			if tt.name != "bad option" {
				assert.ErrorIs(t, err, ErrInvalidSnapshot)
			}
		})
	}
}

func TestSnapshotEmptyAndCancelled(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	r, data := snapRoundTrip(t, e)
	assert.Equal(t, viewOf(t, e), viewOf(t, r))
	t.Logf("empty engine: %d bytes", len(data))

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, e.WriteSnapshot(cancelled, &bytes.Buffer{}), context.Canceled)
	_, err = RestoreSnapshot(cancelled, bytes.NewReader(data))
	assert.ErrorIs(t, err, context.Canceled)

	_, err = RestoreSnapshot(ctx, iotestErrReader{})
	assert.ErrorContains(t, err, "reading")
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func FuzzRestoreSnapshot(f *testing.F) {
	data := snapshotOf(f, 3)
	f.Add(data)
	f.Add(data[:len(data)/2])
	e, err := New(WithInvalidationHorizon(time.Hour))
	require.NoError(f, err)
	var buf bytes.Buffer
	require.NoError(f, e.WriteSnapshot(context.Background(), &buf))
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		// As given (the checksum rejects almost every change), then with
		// the checksum made right, so the parser meets the change.
		for _, d := range [][]byte{data, withCRC(data)} {
			e, err := restoreBytes(d)
			if err != nil {
				if !errors.Is(err, ErrInvalidSnapshot) {
					t.Fatalf("error does not match ErrInvalidSnapshot: %v", err)
				}
				continue
			}
			exercise(t, e)
		}
	})
}

// benchEngine returns an engine with n things that each have a window in
// progress, a few in alarm.
func benchEngine(b testing.TB, n int) *Engine {
	ctx := context.Background()
	e, clock := snapEngine(b)
	at := snapT0.Add(time.Minute)
	clock.now = at
	report := []byte(`{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":443}],"total":1},` +
		`"network_stats":{"bytes_in":100,"bytes_out":2000,"packets_in":10,"packets_out":20}},"custom_metrics":{"cpu":[{"number":42.5}]}}`)
	for i := range n {
		th, err := e.Thing(fmt.Sprintf("thing-%07d", i))
		require.NoError(b, err)
		require.NoError(b, th.IngestMessage(ctx, Message{Time: at, Direction: Sent, Topic: "dt/" + th.Name() + "/t", Bytes: 100}))
		if i%100 == 0 {
			require.NoError(b, th.IngestAuthorizationFailure(ctx, AuthorizationFailure{Time: at, Topic: "x"}))
			require.NoError(b, th.IngestAuthorizationFailure(ctx, AuthorizationFailure{Time: at, Topic: "x"}))
		}
		_, err = th.IngestReport(ctx, at, JSON, report)
		require.NoError(b, err)
	}
	return e
}

func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		if n > 100_000 && testing.Short() {
			continue
		}
		e := benchEngine(b, n)
		var buf bytes.Buffer
		require.NoError(b, e.WriteSnapshot(context.Background(), &buf))
		b.Run(fmt.Sprint("write/things=", n), func(b *testing.B) {
			for b.Loop() {
				// A file or a socket: not a buffer growing to the size of
				// the snapshot, whose copies would be most of the time.
				require.NoError(b, e.WriteSnapshot(context.Background(), io.Discard))
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
			b.ReportMetric(float64(buf.Len())/float64(n), "bytes/thing")
		})
		data := buf.Bytes()
		b.Run(fmt.Sprint("restore/things=", n), func(b *testing.B) {
			for b.Loop() {
				_, err := RestoreSnapshot(context.Background(), bytes.NewReader(data))
				require.NoError(b, err)
			}
		})
	}
}
