package ruledetect

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// concurrencyProfile is the profile the concurrency test keeps updating: a
// dimensioned message count whose limit is the version's number, and an
// undimensioned authorization-failure count that never changes (so its
// alarms must survive every update).
func concurrencyProfile(limit int64) []behavior.Behavior {
	return []behavior.Behavior{
		{Name: "msgs", Metric: "aws:num-messages-sent",
			MetricDimension: &behavior.MetricDimension{DimensionName: "telemetry"},
			Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "less-than-equals",
				Value: &behavior.MetricValue{Count: ptr(limit)}, DurationSeconds: ptr(int64(300))}},
		authBehavior("auth", 2),
	}
}

// TestConcurrentIngestAndControlPlane updates the profile and the dimension
// while 8 goroutines ingest and another lists, under -race. Every event must
// have been judged by the behavior it carries: an in-alarm datapoint violates
// the event's criteria, an alarm-cleared one satisfies them (a stale compiled
// behavior paired with a new behavior copy, or the reverse, would break this).
func TestConcurrentIngestAndControlPlane(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	_, err = e.CreateDimension(ctx, CreateDimensionInput{Name: "telemetry", Type: DimensionTypeTopicFilter, StringValues: []string{"dt/+/telemetry"}})
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: concurrencyProfile(3)})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))

	t0 := time.Unix(1767225600, 0)
	const workers, periods, things = 8, 24, 16
	var (
		wg       sync.WaitGroup
		late     atomic.Int64
		applied  atomic.Int64
		stop     = make(chan struct{})
		failures = make(chan error, workers*periods)
	)
	// Workers ingest period by period, with a barrier between periods, so that
	// most inputs are on time; within a period they race freely.
	ingest := func() {
		for p := range periods {
			base := t0.Add(time.Duration(p) * 300 * time.Second)
			for w := range workers {
				wg.Go(func() {
					for th := range things {
						thing := fmt.Sprintf("w%d-t%d", w, th)
						// Counts vary by thing and period, around the limits 2..6.
						n := (w + th + p) % 8
						for i := range n {
							at := base.Add(time.Duration(i*7+th) * time.Second)
							err := e.IngestMessage(ctx, Message{Thing: thing, Time: at, Direction: Sent, Topic: "dt/" + thing + "/telemetry", Bytes: 10})
							if err == nil {
								err = e.IngestAuthorizationFailure(ctx, AuthorizationFailure{Thing: thing, Time: at, Topic: "cmd/other"})
							}
							switch {
							case errors.Is(err, ErrLateInput):
								late.Add(1)
							case err != nil:
								failures <- err
								return
							default:
								applied.Add(1)
							}
						}
					}
				})
			}
			wg.Wait()
		}
	}
	// The control plane: bump the limit and swap the dimension's filters.
	var cp sync.WaitGroup
	cp.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", Behaviors: concurrencyProfile(int64(2 + i%5))})
			assert.NoError(t, err)
			values := []string{"dt/+/telemetry"}
			if i%2 == 1 {
				values = []string{"dt/#"}
			}
			_, err = e.UpdateDimension(ctx, UpdateDimensionInput{Name: "telemetry", StringValues: values})
			assert.NoError(t, err)
			time.Sleep(200 * time.Microsecond)
		}
	})
	// A reader that lists while everything else runs.
	cp.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, err := range e.ActiveViolations(ctx, ListActiveViolationsInput{MaxResults: 7}) {
				assert.NoError(t, err)
			}
		}
	})
	ingest()
	close(stop)
	cp.Wait()
	close(failures)
	for err := range failures {
		require.NoError(t, err)
	}
	e.Advance(ctx, t0.Add((periods+1)*300*time.Second))

	require.Positive(t, applied.Load())
	t.Logf("applied %d inputs, %d late", applied.Load(), late.Load())
	assert.Equal(t, late.Load(), int64(e.Stats().Late), "every late input is counted")

	types := map[string]int{}
	for ev, err := range e.ViolationEvents(ctx, ListViolationEventsInput{StartTime: behavior.At(t0), EndTime: behavior.At(t0.Add(48 * time.Hour))}) {
		require.NoError(t, err)
		types[string(ev.ViolationEventType)]++
		if ev.ViolationEventType == "alarm-invalidated" {
			assert.Nil(t, ev.MetricValue)
			assert.Equal(t, "msgs", ev.Behavior.Name, "auth never changes, so no update may invalidate its alarms")
			continue
		}
		require.NotNil(t, ev.MetricValue, "%s event of %s", ev.ViolationEventType, ev.ThingName)
		got, limit := *ev.MetricValue.Count, *ev.Behavior.Criteria.Value.Count
		op := ev.Behavior.Criteria.ComparisonOperator
		compliant := op == "less-than-equals" && got <= limit || op == "less-than" && got < limit
		switch ev.ViolationEventType {
		case "in-alarm":
			assert.False(t, compliant, "in-alarm %s/%s at %v: %d %s %d holds", ev.ThingName, ev.Behavior.Name, ev.ViolationEventTime, got, op, limit)
		case "alarm-cleared":
			assert.True(t, compliant, "alarm-cleared %s/%s at %v: %d %s %d fails", ev.ThingName, ev.Behavior.Name, ev.ViolationEventTime, got, op, limit)
		}
	}
	t.Logf("events: %v", types)
	assert.Positive(t, types["in-alarm"])
	assert.Positive(t, types["alarm-cleared"])
}
