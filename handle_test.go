package ruledetect

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// Ingesting through a handle gives exactly the events ingesting by name
// gives, also across the thing's state being dropped after 48 h idle.
func TestThingHandleMatchesByName(t *testing.T) {
	ctx := context.Background()
	profile := []behavior.Behavior{authBehavior("auth", 2), msgBehavior("msgs", 3), {
		Name: "ip", Metric: "aws:source-ip-address",
		Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "in-cidr-set", Value: &behavior.MetricValue{CIDRs: []string{"10.0.0.0/8"}}},
	}}
	newEngine := func() *Engine {
		e, err := New()
		require.NoError(t, err)
		_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: profile})
		require.NoError(t, err)
		require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
		return e
	}
	byName, byHandle := newEngine(), newEngine()
	h, err := byHandle.Thing("cam-1")
	require.NoError(t, err)
	assert.Equal(t, "cam-1", h.Name())

	// Busy, then idle for three days (state dropped), then busy again.
	for _, start := range []time.Time{lifeT0, lifeT0.Add(72 * time.Hour)} {
		for i := range 5 {
			at := start.Add(time.Duration(i) * 61 * time.Second)
			m := Message{Thing: "cam-1", Time: at, Direction: Sent, Topic: "dt/cam-1", Bytes: 10}
			f := AuthorizationFailure{Thing: "cam-1", Time: at, Topic: "cmd/x"}
			c := Connect{Thing: "cam-1", Time: at, SourceIP: netip.MustParseAddr("203.0.113.9")}
			require.NoError(t, byName.IngestMessage(ctx, m))
			require.NoError(t, byName.IngestAuthorizationFailure(ctx, f))
			require.NoError(t, byName.IngestConnect(ctx, c))
			require.NoError(t, byName.IngestDisconnect(ctx, Disconnect{Thing: "cam-1", Time: at}))
			m.Thing, f.Thing, c.Thing = "ignored", "ignored", "ignored"
			require.NoError(t, h.IngestMessage(ctx, m))
			require.NoError(t, h.IngestAuthorizationFailure(ctx, f))
			require.NoError(t, h.IngestConnect(ctx, c))
			require.NoError(t, h.IngestDisconnect(ctx, Disconnect{Time: at}))
		}
		byName.Advance(ctx, start.Add(time.Hour))
		byHandle.Advance(ctx, start.Add(time.Hour))
	}
	want, got := eventTypes(t, byName, "cam-1"), eventTypes(t, byHandle, "cam-1")
	assert.Contains(t, want, "alarm-invalidated", "the idle gap must drop the state")
	assert.Equal(t, want, got)
	assert.Empty(t, eventTypes(t, byHandle, "ignored"))
	assert.Equal(t, byName.Stats().Things, byHandle.Stats().Things)

	_, err = byHandle.Thing("bad\x00name")
	require.ErrorIs(t, err, ErrInvalidRequest)
	_, err = h.IngestReport(ctx, lifeT0.Add(80*time.Hour), JSON, []byte(`{"header":{"report_id":1,"version":"1.0"},"metrics":{}}`))
	require.NoError(t, err)
}

// Handles are safe for concurrent use, also when shared.
func TestThingHandleConcurrent(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{msgBehavior("msgs", 1000)}})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	h, err := e.Thing("shared")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 200 {
				assert.NoError(t, h.IngestMessage(ctx, Message{Time: lifeT0.Add(time.Duration(i) * time.Second), Direction: Sent, Topic: "t", Bytes: 1}))
			}
		})
	}
	wg.Wait()
	e.Advance(ctx, lifeT0.Add(300*time.Second))
	assert.Equal(t, uint64(800), e.Stats().Inputs)
}

// Regression: the engine accepted a thing name with a C1 control character
// (U+0085) that the replay reader refused, so a fleet's replay and its live
// ingest disagreed on which things exist. Both now follow one rule,
// behavior.ThingNameProblem.
func TestThingNameC1ControlRefused(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range []string{"cam\u0085x", "cam\u009fx", "cam\x7fx", "cam\x01x", "", strings.Repeat("a", 129), "cam\xffx"} {
		_, err := e.Thing(name)
		require.ErrorIs(t, err, ErrInvalidRequest, "%q", name)
		require.ErrorIs(t, e.IngestDisconnect(ctx, Disconnect{Thing: name, Time: at}), ErrInvalidRequest, "%q", name)
		assert.NotEmpty(t, behavior.ThingNameProblem(name), "%q", name)
	}
	for _, name := range []string{"cam\u00a0x", "caméra-7", strings.Repeat("a", 128), "a b/c:d"} {
		_, err := e.Thing(name)
		require.NoError(t, err, "%q", name)
		require.NoError(t, e.IngestDisconnect(ctx, Disconnect{Thing: name, Time: at}), "%q", name)
	}
}
