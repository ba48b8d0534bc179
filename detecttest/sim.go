package detecttest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
)

// Start is where simulated time begins: 2026-01-01T00:00:00Z, a multiple
// of every evaluation period.
var Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// T returns the simulated time d after Start.
func T(d time.Duration) time.Time { return Start.Add(d) }

// Sim is an engine under test with a simulated clock. Its input helpers
// send at the clock's time; they never move the clock, except Series,
// which leaves it at the end of the series. Built by New, a Sim fails its
// test on the first error; built by Build, it keeps the first error for
// Err and ignores later inputs.
type Sim struct {
	// Engine is the engine under test, for anything the helpers do not
	// cover.
	Engine *ruledetect.Engine

	tb       testing.TB
	period   time.Duration
	now      time.Time
	profiles []string // names, in creation order
	err      error

	observers []func(ruledetect.Datapoint)

	mu         sync.Mutex
	datapoints []ruledetect.Datapoint
}

// setup is what the options configure.
type setup struct {
	profiles   []string // JSON
	dimensions []string
	metrics    []string
	groups     map[string][]string // thing → groups
	targets    []string            // resource parts of target ARNs
	engine     []ruledetect.Option
	period     time.Duration
	observers  []func(ruledetect.Datapoint)
}

// Option configures Build and New.
type Option func(*setup)

// WithProfile adds another security profile (JSON, as CreateSecurityProfile
// takes it).
func WithProfile(profileJSON string) Option {
	return func(s *setup) { s.profiles = append(s.profiles, profileJSON) }
}

// WithDimension creates a dimension (JSON, as CreateDimension takes it)
// before the profiles.
func WithDimension(dimensionJSON string) Option {
	return func(s *setup) { s.dimensions = append(s.dimensions, dimensionJSON) }
}

// WithCustomMetric creates a custom metric (JSON, as CreateCustomMetric
// takes it) before the profiles.
func WithCustomMetric(metricJSON string) Option {
	return func(s *setup) { s.metrics = append(s.metrics, metricJSON) }
}

// WithThingGroups registers thing as a member of groups.
func WithThingGroups(thing string, groups ...string) Option {
	return func(s *setup) {
		if s.groups == nil {
			s.groups = map[string][]string{}
		}
		s.groups[thing] = append(s.groups[thing], groups...)
	}
}

// WithTargets attaches every profile to these targets (resource parts of
// ARNs: "all/things", "all/registered-things", "thinggroup/NAME") instead
// of all/things.
func WithTargets(targets ...string) Option {
	return func(s *setup) { s.targets = append(s.targets, targets...) }
}

// WithPeriod sets the evaluation period of the engine and of Series.
func WithPeriod(p time.Duration) Option {
	return func(s *setup) { s.period = p }
}

// WithDatapointObserver also passes every judged datapoint to f (the Sim
// keeps them too, for its diffs): use it rather than
// ruledetect.WithDatapointObserver in WithEngineOptions, which would
// replace the Sim's own observer.
func WithDatapointObserver(f func(ruledetect.Datapoint)) Option {
	return func(s *setup) { s.observers = append(s.observers, f) }
}

// WithEngineOptions passes options to ruledetect.New. A retention that
// keeps every event and the Sim's datapoint observer come first, so these
// may override the retention (but should not set a datapoint observer:
// see WithDatapointObserver).
func WithEngineOptions(opts ...ruledetect.Option) Option {
	return func(s *setup) { s.engine = append(s.engine, opts...) }
}

// New builds a Sim for a test: the engine, the dimensions and custom
// metrics, profileJSON and any WithProfile profiles, each attached to
// all/things (or the WithTargets targets). Any error fails tb at once.
func New(tb testing.TB, profileJSON string, opts ...Option) *Sim {
	tb.Helper()
	s, err := Build(profileJSON, opts...)
	if err != nil {
		tb.Fatalf("detecttest: %v", err)
	}
	s.tb = tb
	return s
}

// Build is New for callers that are not tests: it returns the error.
func Build(profileJSON string, opts ...Option) (*Sim, error) {
	st := setup{period: 300 * time.Second}
	if profileJSON != "" {
		st.profiles = append(st.profiles, profileJSON)
	}
	for _, o := range opts {
		o(&st)
	}
	if len(st.profiles) == 0 {
		return nil, errors.New("no security profile")
	}
	if len(st.targets) == 0 {
		st.targets = []string{"all/things"}
	}
	s := &Sim{period: st.period, now: Start, observers: st.observers}
	eopts := append([]ruledetect.Option{
		ruledetect.WithRetention(keepAll),
		ruledetect.WithEvaluationPeriod(st.period),
		ruledetect.WithDatapointObserver(s.observe),
	}, st.engine...)
	e, err := ruledetect.New(eopts...)
	if err != nil {
		return nil, err
	}
	s.Engine = e
	ctx := context.Background()
	for i, d := range st.dimensions {
		var in ruledetect.CreateDimensionInput
		if err := json.Unmarshal([]byte(d), &in, json.RejectUnknownMembers(true)); err != nil {
			return nil, &BuildError{"dimension", i + 1, err}
		}
		if _, err := e.CreateDimension(ctx, in); err != nil {
			return nil, &BuildError{"dimension", i + 1, err}
		}
	}
	for i, m := range st.metrics {
		var in ruledetect.CreateCustomMetricInput
		if err := json.Unmarshal([]byte(m), &in, json.RejectUnknownMembers(true)); err != nil {
			return nil, &BuildError{"custom metric", i + 1, err}
		}
		if _, err := e.CreateCustomMetric(ctx, in); err != nil {
			return nil, &BuildError{"custom metric", i + 1, err}
		}
	}
	things := make([]string, 0, len(st.groups))
	for thing := range st.groups {
		things = append(things, thing)
	}
	slices.Sort(things)
	for _, thing := range things {
		if err := e.SetThingGroups(ctx, thing, st.groups[thing]); err != nil {
			return nil, fmt.Errorf("thing groups of %s: %w", thing, err)
		}
	}
	for i, p := range st.profiles {
		sp, err := behavior.ParseSecurityProfile([]byte(p))
		if err != nil {
			return nil, &BuildError{"profile", i + 1, err}
		}
		if _, err := e.CreateSecurityProfile(ctx, *sp); err != nil {
			return nil, &BuildError{"profile", i + 1, err}
		}
		for _, t := range st.targets {
			if err := e.AttachSecurityProfile(ctx, sp.SecurityProfileName, e.Arn(t)); err != nil {
				return nil, &BuildError{"profile", i + 1, err}
			}
		}
		s.profiles = append(s.profiles, sp.SecurityProfileName)
	}
	return s, nil
}

// BuildError is a setup document Build or New rejected: which kind
// ("profile", "dimension", "custom metric"), its position among the
// documents of that kind (from 1), and why.
type BuildError struct {
	What  string
	Index int
	Err   error
}

// Error says which document and why.
func (e *BuildError) Error() string { return fmt.Sprintf("%s %d: %v", e.What, e.Index, e.Err) }

// Unwrap returns the engine's or the decoder's error.
func (e *BuildError) Unwrap() error { return e.Err }

// keepAll is a retention longer than any simulated run.
const keepAll = 100 * 365 * 24 * time.Hour

// observe records a datapoint; the engine calls it outside its lock, so
// it takes the Sim's own.
func (s *Sim) observe(d ruledetect.Datapoint) {
	s.mu.Lock()
	s.datapoints = append(s.datapoints, d)
	s.mu.Unlock()
	for _, f := range s.observers {
		f(d)
	}
}

// Datapoints returns a copy of every judged datapoint so far, in
// evaluation order. It waits for the engine to deliver them.
func (s *Sim) Datapoints() []ruledetect.Datapoint {
	if err := s.Engine.Flush(context.Background()); err != nil {
		s.fail(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.datapoints)
}

// Err returns the first error of a Sim made by Build.
func (s *Sim) Err() error { return s.err }

// Period returns the evaluation period.
func (s *Sim) Period() time.Duration { return s.period }

// Now returns the simulated time the input helpers send at.
func (s *Sim) Now() time.Time { return s.now }

// At sets the simulated time to Start + d and returns s, so that
// s.At(10*time.Second).Sent("cam-1", "dt/t", 120) reads as one line. It
// does not advance the engine: the next input does.
func (s *Sim) At(d time.Duration) *Sim {
	s.now = Start.Add(d)
	return s
}

// Advance moves the clock d forward and advances the engine to it,
// closing every evaluation period that ended meanwhile.
func (s *Sim) Advance(d time.Duration) *Sim {
	ctx := context.Background()
	s.now = s.now.Add(d)
	s.Engine.Advance(ctx, s.now)
	return s
}

// AdvanceTo sets the clock to Start + d and advances the engine to it.
func (s *Sim) AdvanceTo(d time.Duration) *Sim {
	ctx := context.Background()
	s.now = Start.Add(d)
	s.Engine.Advance(ctx, s.now)
	return s
}

// AdvanceToTime sets the clock to t and advances the engine to it, for
// callers whose times are not relative to Start.
func (s *Sim) AdvanceToTime(t time.Time) *Sim {
	ctx := context.Background()
	s.now = t
	s.Engine.Advance(ctx, t)
	return s
}

// fail records or reports an input error.
func (s *Sim) fail(err error) {
	if err == nil {
		return
	}
	if s.tb != nil {
		s.tb.Helper()
		s.tb.Fatalf("detecttest: at %s: %v", s.now.Format(time.RFC3339), err)
	}
	if s.err == nil {
		s.err = err
	}
}

// ok reports whether inputs still go to the engine (no error kept).
func (s *Sim) ok() bool { return s.err == nil }

// Sent sends one message of the given size from thing on topic.
func (s *Sim) Sent(thing, topic string, bytes int64) *Sim {
	ctx := context.Background()
	if s.ok() {
		s.fail(s.Engine.IngestMessage(ctx, ruledetect.Message{Thing: thing, Time: s.now, Direction: ruledetect.Sent, Topic: topic, Bytes: bytes}))
	}
	return s
}

// Received delivers one message of the given size to thing on topic.
func (s *Sim) Received(thing, topic string, bytes int64) *Sim {
	ctx := context.Background()
	if s.ok() {
		s.fail(s.Engine.IngestMessage(ctx, ruledetect.Message{Thing: thing, Time: s.now, Direction: ruledetect.Received, Topic: topic, Bytes: bytes}))
	}
	return s
}

// AuthFailure records an authorization failure of thing on topic.
func (s *Sim) AuthFailure(thing, topic string) *Sim {
	ctx := context.Background()
	if s.ok() {
		s.fail(s.Engine.IngestAuthorizationFailure(ctx, ruledetect.AuthorizationFailure{Thing: thing, Time: s.now, Topic: topic}))
	}
	return s
}

// Connect records a connection attempt of thing from sourceIP ("" for
// none).
func (s *Sim) Connect(thing, sourceIP string) *Sim {
	ctx := context.Background()
	if !s.ok() {
		return s
	}
	var ip netip.Addr
	if sourceIP != "" {
		var err error
		if ip, err = netip.ParseAddr(sourceIP); err != nil {
			s.fail(err)
			return s
		}
	}
	s.fail(s.Engine.IngestConnect(ctx, ruledetect.Connect{Thing: thing, Time: s.now, SourceIP: ip}))
	return s
}

// Disconnect records a disconnection of thing.
func (s *Sim) Disconnect(thing string) *Sim {
	ctx := context.Background()
	if s.ok() {
		s.fail(s.Engine.IngestDisconnect(ctx, ruledetect.Disconnect{Thing: thing, Time: s.now}))
	}
	return s
}

// Report ingests a device metrics report (JSON) from thing.
func (s *Sim) Report(thing, reportJSON string) *Sim {
	ctx := context.Background()
	if s.ok() {
		_, err := s.Engine.IngestReport(ctx, thing, s.now, ruledetect.JSON, []byte(reportJSON))
		s.fail(err)
	}
	return s
}
