package durable

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/server"
)

// testProfile alarms on every report with more than two listening TCP
// ports and clears on the next one with fewer, and on more than three
// messages sent in a five-minute period.
const testProfile = `{"behaviors":[
 {"name":"ports","metric":"aws:num-listening-tcp-ports","criteria":{"comparisonOperator":"greater-than","value":{"count":2},"consecutiveDatapointsToAlarm":1,"consecutiveDatapointsToClear":1}},
 {"name":"msgs","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"greater-than","value":{"count":3},"durationSeconds":300,"consecutiveDatapointsToAlarm":1,"consecutiveDatapointsToClear":1}}]}`

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// step is one call of the test sequence, made on a Log or directly on an Engine.
type step func(in ingester, ctl func(server.Call) error) error

// ingester is what the Log and the Engine have in common.
type ingester interface {
	IngestMessage(context.Context, ruledetect.Message) error
	IngestReport(context.Context, string, time.Time, ruledetect.ReportFormat, []byte) (ruledetect.IngestResult, error)
	Advance(context.Context, time.Time) error
}

// sequence is a fixed sequence: the profile and its attachment, then for
// each i messages and a report of thing i%3 at t0+i·20s, with the clock
// advanced every fourth step.
func sequence(n int) []step {
	ctx := context.Background()
	steps := []step{
		func(_ ingester, ctl func(server.Call) error) error {
			return ctl(server.Call{Operation: "CreateSecurityProfile", PathValues: map[string]string{"securityProfileName": "p"}, Body: []byte(testProfile)})
		},
		func(_ ingester, ctl func(server.Call) error) error {
			return ctl(server.Call{Operation: "AttachSecurityProfile", PathValues: map[string]string{"securityProfileName": "p"},
				Query: "securityProfileTargetArn=" + url.QueryEscape("arn:aws:iot:us-east-1:123456789012:all/things")})
		},
	}
	for i := range n {
		at := t0.Add(time.Duration(i) * 20 * time.Second)
		thing := fmt.Sprintf("thing-%d", i%3)
		ports := `{"port":1}`
		if (i/3)%2 == 0 {
			ports = `{"port":1},{"port":2},{"port":3}`
		}
		steps = append(steps, func(in ingester, _ func(server.Call) error) error {
			for range i % 4 {
				if err := in.IngestMessage(ctx, ruledetect.Message{Thing: thing, Time: at, Direction: ruledetect.Sent, Topic: "t", Bytes: 10}); err != nil {
					return err
				}
			}
			_, err := in.IngestReport(ctx, thing, at, ruledetect.JSON, fmt.Appendf(nil,
				`{"header":{"report_id":%d,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[%s]}}}`, i+1, ports))
			return err
		})
		if i%4 == 3 {
			steps = append(steps, func(in ingester, _ func(server.Call) error) error {
				return in.Advance(ctx, at)
			})
		}
	}
	return steps
}

// events lists every violation event of e.
func events(t *testing.T, e *ruledetect.Engine) []ruledetect.ViolationEvent {
	ctx := context.Background()
	var out []ruledetect.ViolationEvent
	for ev, err := range e.ViolationEvents(ctx, ruledetect.ListViolationEventsInput{StartTime: behavior.At(t0.Add(-time.Hour)), EndTime: behavior.At(t0.Add(1000 * time.Hour))}) {
		require.NoError(t, err)
		out = append(out, ev)
	}
	return out
}

// retention makes the Engines keep every metric value, so that a record
// applied twice or lost shows in metricValues.
var retention = ruledetect.WithMetricRetention(ruledetect.MetricRetention{Duration: 1000 * time.Hour})

// metricValues lists the retained values of both metrics of every thing.
func metricValues(t *testing.T, e *ruledetect.Engine) []string {
	var out []string
	for k := range 3 {
		for _, metric := range []string{"aws:num-listening-tcp-ports", "aws:num-messages-sent"} {
			for d, err := range e.MetricValues(context.Background(), ruledetect.ListMetricValuesInput{ThingName: fmt.Sprintf("thing-%d", k), MetricName: metric,
				StartTime: behavior.At(t0.Add(-time.Hour)), EndTime: behavior.At(t0.Add(1000 * time.Hour))}) {
				require.NoError(t, err)
				out = append(out, fmt.Sprintf("thing-%d %s %v %d", k, metric, d.Timestamp, *d.Value.Count))
			}
		}
	}
	return out
}

func actives(t *testing.T, e *ruledetect.Engine) []ruledetect.ActiveViolation {
	ctx := context.Background()
	var out []ruledetect.ActiveViolation
	for a, err := range e.ActiveViolations(ctx, ruledetect.ListActiveViolationsInput{}) {
		require.NoError(t, err)
		out = append(out, a)
	}
	return out
}

// reference runs steps directly on an Engine, with no log.
func reference(t *testing.T, steps []step) *ruledetect.Engine {
	e, err := ruledetect.New(retention)
	require.NoError(t, err)
	srv, err := server.New(server.Config{Engine: e, Credentials: map[string]string{"A": "s"}})
	require.NoError(t, err)
	for _, s := range steps {
		require.NoError(t, s(srv.Engine(), func(c server.Call) error { _, err := srv.Apply(context.Background(), c); return err }))
	}
	return srv.Engine()
}

// open opens and recovers a Log on dir with its HTTP server.
func open(t *testing.T, dir string, every uint64) (*Log, *server.Server) {
	return openStore(t, dir, every, nil)
}

// openStore is open with the log's records in store (nil: NATS).
func openStore(t *testing.T, dir string, every uint64, store Store) (*Log, *server.Server) {
	l, err := Open(context.Background(), Config{Dir: dir, SnapshotEvery: every, Options: []ruledetect.Option{retention}, Store: store})
	require.NoError(t, err)
	srv, err := server.New(server.Config{Engine: l.Engine(), Credentials: map[string]string{"A": "s"}, Commit: l.Commit, Ready: l.Ready})
	require.NoError(t, err)
	assert.False(t, l.Ready())
	require.NoError(t, l.Recover(context.Background(), srv.Apply))
	require.True(t, l.Ready())
	return l, srv
}

func run(t *testing.T, l *Log, steps []step) {
	for _, s := range steps {
		require.NoError(t, s(l, func(c server.Call) error { _, err := l.Commit(context.Background(), c); return err }))
	}
}

// TestRecoverEqualsUninterrupted: a log closed or abandoned at any point,
// reopened and fed the rest of the sequence, ends with the violation events
// and active violations of an Engine fed the whole sequence directly; the
// snapshots taken every few records and the tails replayed after them
// lose and duplicate nothing.
//
// The same holds with the records in another Store than NATS: memStore,
// the smallest store there is, shows what one must do.
func TestRecoverEqualsUninterrupted(t *testing.T) {
	for _, store := range []string{"nats", "memory"} {
		t.Run(store, func(t *testing.T) {
			mems := map[string]*memStore{} // by data directory: one store per "machine"
			testRecoverEqualsUninterrupted(t, func(t *testing.T, dir string, every uint64) *Log {
				var s Store
				if store == "memory" {
					if mems[dir] == nil {
						mems[dir] = &memStore{}
					}
					s = mems[dir]
				}
				l, _ := openStore(t, dir, every, s)
				return l
			})
		})
	}
}

func testRecoverEqualsUninterrupted(t *testing.T, open func(t *testing.T, dir string, every uint64) *Log) {
	steps := sequence(60)
	want := reference(t, steps)
	require.NotEmpty(t, events(t, want))
	require.NotEmpty(t, metricValues(t, want))
	for _, tc := range []struct {
		name     string
		every    uint64
		cut      []int
		graceful bool
	}{
		{"graceful", 1000, []int{10, 40}, true},
		{"abandoned, no snapshot", 100000, []int{25}, false},
		{"abandoned, snapshots every 7", 7, []int{3, 30, 31, 70}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			from := 0
			for k, cut := range append(tc.cut, len(steps)) {
				l := open(t, dir, tc.every)
				if k > 0 && !tc.graceful && tc.every > 1000 {
					assert.Positive(t, l.Stats().Replayed, "the tail after the last snapshot is replayed")
				}
				run(t, l, steps[from:cut])
				from = cut
				if cut == len(steps) {
					assert.Equal(t, events(t, want), events(t, l.Engine()))
					assert.Equal(t, actives(t, want), actives(t, l.Engine()))
					assert.Equal(t, metricValues(t, want), metricValues(t, l.Engine()))
					require.NoError(t, l.Close(context.Background()))
					break
				}
				if tc.graceful {
					require.NoError(t, l.Close(context.Background()))
				} else {
					l.abandon()
				}
			}
			// A last restart replays (or restores) the same state.
			l := open(t, dir, tc.every)
			defer l.Close(context.Background())
			assert.Equal(t, events(t, want), events(t, l.Engine()))
			assert.Equal(t, actives(t, want), actives(t, l.Engine()))
			assert.Equal(t, metricValues(t, want), metricValues(t, l.Engine()))
		})
	}
}

// TestCommitResponseIsApplied: a control-plane call's response is what the
// Engine returned when the record was applied, errors included.
func TestCommitResponseIsApplied(t *testing.T) {
	l, _ := open(t, t.TempDir(), 0)
	defer l.Close(context.Background())
	out, err := l.Commit(context.Background(), server.Call{Operation: "CreateSecurityProfile", PathValues: map[string]string{"securityProfileName": "p"}, Body: []byte(testProfile)})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iot:us-east-1:123456789012:securityprofile/p", out.(ruledetect.CreateSecurityProfileOutput).SecurityProfileArn)
	_, err = l.Commit(context.Background(), server.Call{Operation: "CreateSecurityProfile", PathValues: map[string]string{"securityProfileName": "p"}, Body: []byte(`{"behaviors":[]}`)})
	assert.ErrorIs(t, err, ruledetect.ErrResourceAlreadyExists)
	_, err = l.Commit(context.Background(), server.Call{Operation: "DeleteSecurityProfile", PathValues: map[string]string{"securityProfileName": "p"}, Query: "expectedVersion=7"})
	assert.ErrorIs(t, err, ruledetect.ErrVersionConflict)
	st := l.Stats()
	assert.Equal(t, uint64(3), st.Appended)
	assert.Equal(t, uint64(2), st.Rejected)
	assert.Equal(t, uint64(3), st.Applied)
	assert.Zero(t, st.Pending)
	assert.True(t, st.LastSnapshot.IsZero(), "no snapshot yet")
}

// TestRecoverRefusesForeignLog: a snapshot ahead of the stream (another
// data directory's snapshot, or a wiped NATS store) is refused.
func TestRecoverRefusesForeignLog(t *testing.T) {
	dir := t.TempDir()
	l, _ := open(t, dir, 1)
	run(t, l, sequence(3))
	require.NoError(t, l.Close(context.Background()))
	require.NoError(t, os.RemoveAll(dir+"/nats"))
	l, err := Open(context.Background(), Config{Dir: dir, Options: []ruledetect.Option{retention}})
	require.NoError(t, err)
	defer l.Close(context.Background())
	srv, err := server.New(server.Config{Engine: l.Engine(), Credentials: map[string]string{"A": "s"}})
	require.NoError(t, err)
	err = l.Recover(context.Background(), srv.Apply)
	assert.ErrorIs(t, err, ErrLog)
	assert.ErrorContains(t, err, "not this data directory's log")
}

// TestReplayKeepsControlPlaneDates: a profile's creationDate and
// lastModifiedDate are its calls' receipt times, also when the calls are
// replayed after a crash.
func TestReplayKeepsControlPlaneDates(t *testing.T) {
	dir := t.TempDir()
	l, _ := open(t, dir, 1000)
	_, err := l.Commit(context.Background(), server.Call{Operation: "CreateSecurityProfile", PathValues: map[string]string{"securityProfileName": "p"}, Body: []byte(testProfile)})
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	_, err = l.Commit(context.Background(), server.Call{Operation: "UpdateSecurityProfile", PathValues: map[string]string{"securityProfileName": "p"},
		Body: []byte(`{"securityProfileDescription":"updated"}`)})
	require.NoError(t, err)
	before, err := l.Engine().DescribeSecurityProfile(context.Background(), "p")
	require.NoError(t, err)
	require.NotEqual(t, before.CreationDate, before.LastModifiedDate)
	l.abandon()
	time.Sleep(20 * time.Millisecond)

	l, _ = open(t, dir, 1000)
	require.Equal(t, uint64(2), l.Stats().Replayed)
	defer func() {
		require.NoError(t, l.Close(context.Background()))
		st := l.Stats()
		assert.Equal(t, uint64(2), st.SnapshotSeq, "the graceful close snapshots")
		assert.False(t, st.LastSnapshot.IsZero())
	}()
	after, err := l.Engine().DescribeSecurityProfile(context.Background(), "p")
	require.NoError(t, err)
	assert.Equal(t, before.CreationDate, after.CreationDate)
	assert.Equal(t, before.LastModifiedDate, after.LastModifiedDate)
}
