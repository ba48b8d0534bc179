package ruledetect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// A property of snapshots: whatever sequence of control-plane calls and
// inputs built an engine's state, a snapshot taken at any point restores,
// and the restored engine goes on exactly as the original: every later call
// answers the same, and the engines' states, listings and snapshots agree.
//
// Sequences are decoded from bytes (opStream), so the property test draws
// them from a PRNG and the fuzz targets from the fuzzer's input.

// opStream reads choices from bytes; past the end every choice is 0.
type opStream struct{ b []byte }

func (s *opStream) done() bool { return len(s.b) == 0 }

// pick returns a choice in [0, n).
func (s *opStream) pick(n int) int {
	if len(s.b) == 0 {
		return 0
	}
	c := int(s.b[0])
	s.b = s.b[1:]
	return c % n
}

// The universe of names the sequences draw from: small, so that calls meet
// each other's resources.
var (
	propProfiles = []string{"p1", "p2", "p3"}
	propDims     = []string{"d1", "d2"}
	propCustoms  = []string{"c1", "c2"}
	propThings   = []string{"t0", "t1", "t2", "t3", "t4"}
	propGroups   = []string{"g1", "g2"}
	propTargets  = []string{"all/things", "all/registered-things", "all/unregistered-things", "thinggroup/g1", "thinggroup/g2"}
	propFilters  = []string{"dt/${iot:ClientId}/#", "cmd/+", "dt/#", "a/b"}
	propTopics   = []string{"dt/t0/x", "dt/t1/y", "cmd/t2", "a/b", "other"}
	propCMTypes  = []string{"number", "string-list", "number-list", "ip-address-list"}
)

// propBehavior returns behavior i of the menu with threshold v. Some need a
// dimension or custom metric that may not exist, or of another type: the
// call then fails, which is part of the sequence.
func propBehavior(i, v int) string {
	menu := []string{
		`{"name":"auth","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"less-than","value":{"count":%d},"durationSeconds":300,"consecutiveDatapointsToAlarm":2}}`,
		`{"name":"sent","metric":"aws:num-messages-sent","metricDimension":{"dimensionName":"d1"},"criteria":{"comparisonOperator":"less-than","value":{"count":%d},"durationSeconds":600,"consecutiveDatapointsToClear":2}}`,
		`{"name":"ports","metric":"aws:listening-tcp-ports","criteria":{"comparisonOperator":"in-port-set","value":{"ports":[443,%d]}}}`,
		`{"name":"exfil","metric":"aws:all-bytes-out","criteria":{"comparisonOperator":"less-than-equals","statisticalThreshold":{"statistic":"p90"},"durationSeconds":300,"consecutiveDatapointsToAlarm":%d}}`,
		`{"name":"cpu","metric":"c1","criteria":{"comparisonOperator":"less-than","value":{"number":%d},"durationSeconds":300}}`,
		`{"name":"srcip","metric":"aws:source-ip-address","criteria":{"comparisonOperator":"in-cidr-set","value":{"cidrs":["10.0.0.0/%d"]}}}`,
		`{"name":"offline","metric":"aws:disconnect-duration","criteria":{"comparisonOperator":"less-than","value":{"count":%d}}}`,
		`{"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than","value":{"count":%d}}}`,
		`{"name":"words","metric":"c2","criteria":{"comparisonOperator":"in-set","value":{"strings":["a","b%d"]}}}`,
		`{"name":"recv","metric":"aws:num-messages-received","metricDimension":{"dimensionName":"d2","operator":"NOT_IN"},"criteria":{"comparisonOperator":"less-than","value":{"count":%d},"durationSeconds":300}}`,
		`{"name":"bytes","metric":"aws:all-bytes-out","criteria":{"comparisonOperator":"less-than","value":{"count":%d},"durationSeconds":900}}`,
	}
	if i == 3 || i == 5 {
		v = 1 + v%8 // consecutiveDatapointsToAlarm 1..8, a prefix length 1..8
	}
	return fmt.Sprintf(menu[i%len(menu)], v)
}

const propMenuLen = 11

// propRun applies a sequence to an engine and to engines restored from its
// snapshots along the way, and checks that they all agree.
type propRun struct {
	t       testing.TB
	s       *opStream
	now     time.Time // event time of the next input
	clock   time.Time // control-plane clock, shared by every engine
	engines []*Engine
	// controlOnly restricts the sequence to the control plane and a few
	// inputs (FuzzControlPlaneSequence).
	controlOnly bool
	log         []string
	// extra are options of the engines beyond the clock and horizon: an
	// allowed lateness, metric retention (propVariants).
	extra []Option
}

// propVariants are the engine options the property runs under, so that
// held datapoints and retained metric values cross restores too.
var propVariants = []struct {
	name string
	opts []Option
}{
	{"plain", nil},
	{"lateness", []Option{WithAllowedLateness(2 * time.Minute)}},
	{"retention", []Option{WithMetricRetention(MetricRetention{Duration: 2 * time.Hour, MaxValuesPerSeries: 20})}},
}

func newPropRun(t testing.TB, b []byte, extra ...Option) *propRun {
	r := &propRun{t: t, s: &opStream{b: b}, now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), extra: extra}
	r.clock = r.now
	e, err := New(r.options()...)
	require.NoError(t, err)
	r.engines = []*Engine{e}
	return r
}

func (r *propRun) options() []Option {
	return append([]Option{WithClock(func() time.Time { return r.clock }), WithInvalidationHorizon(2 * time.Hour)}, r.extra...)
}

// run applies every operation of the stream, then checks the engines one
// last time. Most streams start with a prologue that gives the engine a
// dimension, a custom metric and a profile on all/things, so that inputs
// meet behaviors from the start.
func (r *propRun) run() {
	if r.s.pick(4) != 0 {
		ctx := context.Background()
		r.each("prologue", func(e *Engine) error {
			_, err1 := e.CreateDimension(ctx, CreateDimensionInput{Name: "d1", Type: DimensionTypeTopicFilter, StringValues: []string{"dt/#"}})
			_, err2 := e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "c1", MetricType: "number"})
			sp, err3 := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p1","behaviors":[` +
				propBehavior(0, 2) + "," + propBehavior(1, 2) + "," + propBehavior(2, 8080) + "," + propBehavior(3, 1) + "," +
				propBehavior(4, 60) + "," + propBehavior(7, 100) + "," + propBehavior(10, 3000) + `]}`))
			if err3 != nil {
				return err3
			}
			_, err4 := e.CreateSecurityProfile(ctx, *sp)
			return errors.Join(err1, err2, err4, e.AttachSecurityProfile(ctx, "p1", e.Arn("all/things")))
		})
	}
	for n := 0; !r.s.done() && n < 400; n++ {
		r.step()
	}
	r.snapshot()
	r.compare("end")
}

// each applies call to every engine and requires the same outcome of all.
func (r *propRun) each(name string, call func(e *Engine) error) {
	var first string
	for i, e := range r.engines {
		err := call(e)
		got := "ok"
		if err != nil {
			got = err.Error()
			if !isTyped(err) {
				r.t.Fatalf("%s: untyped error %v", name, err)
			}
		}
		if i == 0 {
			first = got
			r.log = append(r.log, name+" → "+got)
			continue
		}
		if got != first {
			r.t.Fatalf("%s: engine %d answers %q, the original %q\nsequence:\n%s", name, i, got, first, strings.Join(r.log, "\n"))
		}
	}
}

// isTyped reports whether err matches one of the Engine's error kinds.
func isTyped(err error) bool {
	for _, k := range []error{ErrInvalidRequest, ErrResourceNotFound, ErrResourceAlreadyExists, ErrVersionConflict,
		ErrLimitExceeded, ErrLateInput, ErrMalformedReport, ErrReportTooLarge} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

func (r *propRun) step() {
	s, ctx := r.s, context.Background()
	r.clock = r.clock.Add(time.Duration(1+s.pick(50)) * time.Second)
	if !r.controlOnly || s.pick(4) == 0 {
		r.now = r.now.Add(time.Duration(s.pick(200)) * time.Second)
	}
	at := r.now
	if s.pick(8) == 0 {
		at = at.Add(-time.Duration(s.pick(4)) * 5 * time.Minute) // sometimes late
	}
	// Inputs are the most frequent operations; FuzzControlPlaneSequence
	// draws control-plane calls mostly.
	ops := []int{0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12, 13, 14, 14, 14, 15, 16, 16, 16, 17, 17, 18, 18, 18, 19}
	if r.controlOnly {
		ops = []int{0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12, 13, 14, 16, 18}
	}
	switch op := ops[s.pick(len(ops))]; op {
	case 0:
		name, f := propDims[s.pick(2)], []string{propFilters[s.pick(4)]}
		if s.pick(2) == 0 {
			f = append(f, propFilters[s.pick(4)])
		}
		r.each("CreateDimension "+name+" "+strings.Join(f, ","), func(e *Engine) error {
			_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: name, Type: DimensionTypeTopicFilter, StringValues: f})
			return err
		})
	case 1:
		name, f := propDims[s.pick(2)], []string{propFilters[s.pick(4)]}
		r.each("UpdateDimension "+name+" "+f[0], func(e *Engine) error {
			_, err := e.UpdateDimension(ctx, UpdateDimensionInput{Name: name, StringValues: f})
			return err
		})
	case 2:
		name := propDims[s.pick(2)]
		r.each("DeleteDimension "+name, func(e *Engine) error { return e.DeleteDimension(ctx, name) })
	case 3:
		name, typ := propCustoms[s.pick(2)], propCMTypes[s.pick(4)]
		r.each("CreateCustomMetric "+name+" "+typ, func(e *Engine) error {
			_, err := e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: name, MetricType: typ})
			return err
		})
	case 4:
		name, disp := propCustoms[s.pick(2)], fmt.Sprint("display ", s.pick(3))
		r.each("UpdateCustomMetric "+name, func(e *Engine) error {
			_, err := e.UpdateCustomMetric(ctx, UpdateCustomMetricInput{MetricName: name, DisplayName: disp})
			return err
		})
	case 5:
		name := propCustoms[s.pick(2)]
		r.each("DeleteCustomMetric "+name, func(e *Engine) error { return e.DeleteCustomMetric(ctx, name) })
	case 6, 7:
		name := propProfiles[s.pick(3)]
		var bs []string
		seen := map[int]bool{}
		for range 1 + s.pick(4) {
			if i := s.pick(propMenuLen); !seen[i] {
				seen[i] = true
				bs = append(bs, propBehavior(i, 1+s.pick(3)))
			}
		}
		doc := `{"securityProfileName":"` + name + `","behaviors":[` + strings.Join(bs, ",") + `]}`
		sp, err := behavior.ParseSecurityProfile([]byte(doc))
		require.NoError(r.t, err, doc)
		if op == 6 {
			r.each("CreateSecurityProfile "+doc, func(e *Engine) error {
				c := *sp
				_, err := e.CreateSecurityProfile(ctx, c)
				return err
			})
			break
		}
		r.each("UpdateSecurityProfile "+doc, func(e *Engine) error {
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: name, Behaviors: slices.Clone(sp.Behaviors)})
			return err
		})
	case 8:
		name := propProfiles[s.pick(3)]
		r.each("DeleteSecurityProfile "+name, func(e *Engine) error { return e.DeleteSecurityProfile(ctx, name, nil) })
	case 9, 10:
		name, target := propProfiles[s.pick(3)], propTargets[s.pick(len(propTargets))]
		if op == 9 {
			r.each("Attach "+name+" "+target, func(e *Engine) error { return e.AttachSecurityProfile(ctx, name, e.Arn(target)) })
		} else {
			r.each("Detach "+name+" "+target, func(e *Engine) error { return e.DetachSecurityProfile(ctx, name, e.Arn(target)) })
		}
	case 11:
		thing := propThings[s.pick(len(propThings))]
		var groups []string
		for i, mask := 0, s.pick(4); i < 2; i++ {
			if mask&(1<<i) != 0 {
				groups = append(groups, propGroups[i])
			}
		}
		r.each(fmt.Sprint("SetThingGroups ", thing, groups), func(e *Engine) error { return e.SetThingGroups(ctx, thing, groups) })
	case 12:
		var ids []string
		for a, err := range r.engines[0].ActiveViolations(ctx, ListActiveViolationsInput{}) {
			require.NoError(r.t, err)
			ids = append(ids, a.ViolationID)
		}
		slices.Sort(ids)
		id := "0123456789abcdef0123456789abcdef"
		if len(ids) > 0 {
			id = ids[s.pick(len(ids))]
		}
		state := []VerificationState{"TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE", "UNKNOWN"}[s.pick(4)]
		r.each("PutVerificationState "+id, func(e *Engine) error {
			return e.PutVerificationStateOnViolation(ctx, PutVerificationStateOnViolationInput{ViolationID: id, VerificationState: state})
		})
	case 13:
		r.snapshot()
	case 14, 15:
		thing, topic := propThings[s.pick(len(propThings))], propTopics[s.pick(len(propTopics))]
		dir, size := Direction(s.pick(2)), int64(s.pick(200))
		if dir != Sent {
			dir = Received
		}
		r.each(fmt.Sprint("IngestMessage ", thing, " ", topic, " ", at.Unix()), func(e *Engine) error {
			if op == 15 {
				h, err := e.Thing(thing)
				if err != nil {
					return err
				}
				return h.IngestMessage(ctx, Message{Time: at, Direction: dir, Topic: topic, Bytes: size})
			}
			return e.IngestMessage(ctx, Message{Thing: thing, Time: at, Direction: dir, Topic: topic, Bytes: size})
		})
	case 16:
		thing, topic := propThings[s.pick(len(propThings))], propTopics[s.pick(len(propTopics))]
		r.each(fmt.Sprint("IngestAuthorizationFailure ", thing, " ", at.Unix()), func(e *Engine) error {
			return e.IngestAuthorizationFailure(ctx, AuthorizationFailure{Thing: thing, Time: at, Topic: topic})
		})
	case 17:
		thing := propThings[s.pick(len(propThings))]
		if s.pick(2) == 0 {
			ip := fmt.Sprintf("%d.0.0.%d", []int{10, 203}[s.pick(2)], s.pick(5))
			r.each(fmt.Sprint("IngestConnect ", thing, " ", ip, " ", at.Unix()), func(e *Engine) error {
				return e.IngestConnect(ctx, Connect{Thing: thing, Time: at, SourceIP: netip.MustParseAddr(ip)})
			})
			break
		}
		r.each(fmt.Sprint("IngestDisconnect ", thing, " ", at.Unix()), func(e *Engine) error {
			return e.IngestDisconnect(ctx, Disconnect{Thing: thing, Time: at})
		})
	case 18:
		thing := propThings[s.pick(len(propThings))]
		report := fmt.Sprintf(`{"header":{"report_id":%d,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":%d}]},`+
			`"network_stats":{"bytes_out":%d}},"custom_metrics":{"c1":[{"number":%d}],"c2":[{"string_list":["a","b%d"]}]}}`,
			1+s.pick(100), []int{443, 22, 0}[s.pick(3)], s.pick(100)*100, s.pick(120), s.pick(3))
		format := JSON
		data := []byte(report)
		if s.pick(4) == 0 {
			format, data = CBOR, rpJSONToCBOR(r.t, []byte(report))
		}
		r.each(fmt.Sprint("IngestReport ", thing, " ", at.Unix(), " ", report), func(e *Engine) error {
			_, err := e.IngestReport(ctx, thing, at, format, data)
			return err
		})
	case 19:
		r.now = r.now.Add(time.Duration(s.pick(40)) * 5 * time.Minute)
		to := r.now
		r.each(fmt.Sprint("Advance ", to.Unix()), func(e *Engine) error { e.Advance(ctx, to); return nil })
	}
}

// snapshot restores the newest engine's snapshot as one more engine (at
// most four run side by side: the oldest restored one makes room) and
// compares them all.
func (r *propRun) snapshot() {
	ctx := context.Background()
	src := r.engines[len(r.engines)-1]
	var buf bytes.Buffer
	require.NoError(r.t, src.WriteSnapshot(ctx, &buf))
	e, err := RestoreSnapshot(ctx, &buf, r.options()...)
	if err != nil {
		r.t.Fatalf("restore: %v\nsequence:\n%s", err, strings.Join(r.log, "\n"))
	}
	r.log = append(r.log, "snapshot")
	if len(r.engines) == 4 {
		r.engines = slices.Delete(r.engines, 1, 2)
	}
	r.engines = append(r.engines, e)
	r.compare("after restore")
}

// compare requires every engine to show what the original shows: the
// same listings and descriptions, events and active violations, stats, and
// the same state (the control and thing sections of a snapshot with things
// in name order).
func (r *propRun) compare(when string) {
	want := viewOf(r.t, r.engines[0])
	wantState, err := r.engines[0].snapshot(true)
	require.NoError(r.t, err)
	for i, e := range r.engines[1:] {
		got := viewOf(r.t, e)
		state, err := e.snapshot(true)
		require.NoError(r.t, err)
		if !equalViews(want, got) || !bytes.Equal(wantState[0], state[0]) || !bytes.Equal(wantState[2], state[2]) || !bytes.Equal(wantState[3], state[3]) {
			require.Equal(r.t, want, got, "%s: engine %d's view\nsequence:\n%s", when, i+1, strings.Join(r.log, "\n"))
			require.Equal(r.t, string(wantState[0]), string(state[0]), "%s: engine %d's control state", when, i+1)
			require.Equal(r.t, wantState[2], state[2], "%s: engine %d's things", when, i+1)
			require.Equal(r.t, wantState[3], state[3], "%s: engine %d's metric values", when, i+1)
		}
	}
}

func equalViews(a, b snapView) bool {
	return slices.Equal(a.Events, b.Events) && slices.Equal(a.Active, b.Active) && slices.Equal(a.Describe, b.Describe) &&
		slices.Equal(a.Lists, b.Lists) && a.Stats == b.Stats
}

// TestSnapshotRestoreContinuesIdentically is the property over random
// sequences of every control-plane call and input, with snapshots at
// random points.
func TestSnapshotRestoreContinuesIdentically(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 30
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 9))
		b := make([]byte, 600+rng.IntN(1200))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			v := propVariants[seed%len(propVariants)]
			newPropRun(t, b, v.opts...).run()
		})
	}
}

// propSeeds are sequences that once found a bug, kept as fuzz seeds and run
// by TestSnapshotRestoreContinuesIdentically's regressions.
var propSeeds = [][]byte{
	// Failure 1 of issue 9: create p1, attach it to all/things, delete it,
	// snapshot. (No prologue; each step is clock, time, lateness, operation
	// and its arguments.)
	{0, 0, 0, 1, 6, 0, 0, 0, 0, 0, 0, 1, 10, 0, 0, 0, 0, 1, 9, 0, 0, 0, 1, 15},
}

func TestSnapshotPropertyRegressions(t *testing.T) {
	for i, b := range propSeeds {
		t.Run(fmt.Sprint(i), func(t *testing.T) { newPropRun(t, b).run() })
	}
}

// FuzzRestoreThenContinue: any sequence, restored at any point, continues
// as the original.
func FuzzRestoreThenContinue(f *testing.F) {
	for _, b := range propSeeds {
		f.Add(b, uint8(len(b)))
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 8 {
		b := make([]byte, 400)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		f.Add(b, uint8(len(b)))
	}
	f.Fuzz(func(t *testing.T, b []byte, variant uint8) {
		newPropRun(t, b, propVariants[int(variant)%len(propVariants)].opts...).run()
	})
}

// FuzzControlPlaneSequence: any sequence of control-plane calls (and a few
// inputs) answers with typed errors only, never panics, and leaves a state
// whose snapshot restores and continues as the original.
func FuzzControlPlaneSequence(f *testing.F) {
	for _, b := range propSeeds {
		f.Add(b)
	}
	f.Add([]byte{3, 0, 0, 0, 6, 0, 0, 0, 16, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := newPropRun(t, b)
		r.controlOnly = true
		r.run()
	})
}
