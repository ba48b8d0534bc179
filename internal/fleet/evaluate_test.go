package fleet

import (
	"encoding/json"
	"net/netip"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/internal/replay"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A deliberately small evaluator of the embedded profile (DESIGN §3 rules 1,
// 2, 4, 5, 6 for the metrics the profile uses), independent of the engine, so
// the test ties the generator to its profile: normal things never violate,
// and each incident alarms exactly its expected behaviors, after its start.

type datapoint struct {
	at        time.Time
	violation bool
}

type evaluator struct {
	t         *testing.T
	profile   map[string]behavior
	points    map[string]map[string][]datapoint // thing → behavior → datapoints
	bytesOut  map[string]map[int64]int64        // thing → window end → sum
	sent      map[string]map[int64]int64
	failures  map[string]map[int64]int64
	tcpPorts  []int
	destCIDRs []netip.Prefix
	srcCIDRs  []netip.Prefix
}

func newEvaluator(t *testing.T) *evaluator {
	p := loadProfile(t)
	prefixes := func(name string) []netip.Prefix {
		var out []netip.Prefix
		for _, c := range p[name].Criteria.Value.Cidrs {
			out = append(out, netip.MustParsePrefix(c))
		}
		return out
	}
	return &evaluator{
		t: t, profile: p,
		points:    map[string]map[string][]datapoint{},
		bytesOut:  map[string]map[int64]int64{},
		sent:      map[string]map[int64]int64{},
		failures:  map[string]map[int64]int64{},
		tcpPorts:  p[BehaviorListeningTCPPorts].Criteria.Value.Ports,
		destCIDRs: prefixes(BehaviorDestinationIPs),
		srcCIDRs:  prefixes(BehaviorSourceIP),
	}
}

func (e *evaluator) count(name string) int64 { return int64(*e.profile[name].Criteria.Value.Count) }

func (e *evaluator) add(thing, name string, at time.Time, violation bool) {
	if e.points[thing] == nil {
		e.points[thing] = map[string][]datapoint{}
	}
	e.points[thing][name] = append(e.points[thing][name], datapoint{at, violation})
}

func windowEnd(t time.Time) int64 { return (t.Unix()/300 + 1) * 300 }

func bump(m map[string]map[int64]int64, thing string, w, n int64) {
	if m[thing] == nil {
		m[thing] = map[int64]int64{}
	}
	m[thing][w] += n
}

func inAny(a netip.Addr, set []netip.Prefix) bool {
	for _, p := range set {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

func (e *evaluator) record(r *replay.Record) {
	switch r.Kind {
	case replay.Report:
		e.report(r)
	case replay.MessageSent:
		bump(e.sent, r.ThingName, windowEnd(r.Time), 1)
		e.add(r.ThingName, BehaviorMessageSize, r.Time, r.Bytes > e.count(BehaviorMessageSize))
	case replay.AuthorizationFailure:
		bump(e.failures, r.ThingName, windowEnd(r.Time), 1)
	case replay.Connect:
		e.add(r.ThingName, BehaviorSourceIP, r.Time, !inAny(r.SourceIP, e.srcCIDRs))
	}
}

func field(m map[string]any, short, long string) any {
	if v, ok := m[short]; ok {
		return v
	}
	return m[long]
}

func (e *evaluator) report(r *replay.Record) {
	var doc map[string]any
	require.NoError(e.t, json.Unmarshal(r.Report, &doc))
	met := field(doc, "met", "metrics").(map[string]any)

	badPort := false
	tp := field(met, "tp", "listening_tcp_ports").(map[string]any)
	for _, p := range field(tp, "pts", "ports").([]any) {
		port := field(p.(map[string]any), "pt", "port").(float64)
		badPort = badPort || !slices.Contains(e.tcpPorts, int(port))
	}
	e.add(r.ThingName, BehaviorListeningTCPPorts, r.Time, badPort)

	ec := field(field(met, "tc", "tcp_connections").(map[string]any), "ec", "established_connections").(map[string]any)
	badDest := false
	for _, c := range field(ec, "cs", "connections").([]any) {
		ap, err := netip.ParseAddrPort(field(c.(map[string]any), "rad", "remote_addr").(string))
		require.NoError(e.t, err)
		badDest = badDest || !inAny(ap.Addr(), e.destCIDRs)
	}
	e.add(r.ThingName, BehaviorDestinationIPs, r.Time, badDest)
	total := int64(field(ec, "t", "total").(float64))
	e.add(r.ThingName, BehaviorEstablishedTCPConns, r.Time, total > e.count(BehaviorEstablishedTCPConns))

	if ns, ok := field(met, "ns", "network_stats").(map[string]any); ok {
		bump(e.bytesOut, r.ThingName, windowEnd(r.Time), int64(field(ns, "bo", "bytes_out").(float64)))
	}
	cm := field(doc, "cmet", "custom_metrics").(map[string]any)
	cpu := cm["cpu_usage"].([]any)[0].(map[string]any)["number"].(float64)
	e.add(r.ThingName, BehaviorCPUUsage, r.Time, cpu >= *e.profile[BehaviorCPUUsage].Criteria.Value.Number)
}

// finish turns the window sums into datapoints and sorts every series.
func (e *evaluator) finish() {
	windows := []struct {
		sums      map[string]map[int64]int64
		name      string
		violation func(int64) bool
	}{
		{e.bytesOut, BehaviorBytesOut, func(n int64) bool { return n > e.count(BehaviorBytesOut) }},
		{e.sent, BehaviorMessagesSent, func(n int64) bool { return n > e.count(BehaviorMessagesSent) }},
		{e.failures, BehaviorAuthFailures, func(n int64) bool { return n >= e.count(BehaviorAuthFailures) }},
	}
	for _, w := range windows {
		for thing, sums := range w.sums {
			for end, n := range sums {
				e.add(thing, w.name, time.Unix(end, 0).UTC(), w.violation(n))
			}
		}
	}
	for _, series := range e.points {
		for _, dps := range series {
			sort.Slice(dps, func(i, j int) bool { return dps[i].at.Before(dps[j].at) })
		}
	}
}

// alarmAt returns when the series first has the behavior's
// consecutiveDatapointsToAlarm violations in a row.
func (e *evaluator) alarmAt(name string, dps []datapoint) (time.Time, bool) {
	need := max(1, e.profile[name].Criteria.ConsecutiveDatapointsToAlarm)
	run := 0
	for _, dp := range dps {
		if !dp.violation {
			run = 0
			continue
		}
		if run++; run >= need {
			return dp.at, true
		}
	}
	return time.Time{}, false
}

func TestProfileCatchesExactlyTheIncidents(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		cfg := Config{Things: 100, Duration: 6 * time.Hour, Seed: seed, Compromised: 6}
		f := New(cfg)
		e := newEvaluator(t)
		for r := range f.Records() {
			e.record(r)
		}
		e.finish()
		incidents := map[string]Incident{}
		for _, in := range f.Compromised() {
			incidents[in.Thing] = in
		}
		require.Len(t, incidents, 6)
		for thing, series := range e.points {
			in, compromised := incidents[thing]
			for name, dps := range series {
				expected := compromised && slices.Contains(in.Behaviors, name)
				for _, dp := range dps {
					if dp.violation {
						require.True(t, expected, "seed %d: %s violates %s at %v (incident %+v)", seed, thing, name, dp.at, in)
						require.False(t, dp.at.Before(in.Start), "seed %d: %s violates %s at %v before its start %v", seed, thing, name, dp.at, in.Start)
					}
				}
			}
		}
		for thing, in := range incidents {
			for _, name := range in.Behaviors {
				at, ok := e.alarmAt(name, e.points[thing][name])
				assert.True(t, ok, "seed %d: %s (%s) never alarms %s", seed, thing, in.Attack, name)
				assert.False(t, at.Before(in.Start))
			}
		}
	}
}
