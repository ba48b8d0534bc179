package ruledetect_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A caller that streams violation events writes those before the newest
// closed boundary: nothing the engine produces later comes before them.
func ExampleEngine_ClosedBoundary() {
	ctx := context.Background()
	e, _ := ruledetect.New()
	profile, _ := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"cams","behaviors":[
	  {"name":"small","metric":"aws:message-byte-size",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":100}}}]}`))
	e.CreateSecurityProfile(ctx, *profile)
	e.AttachSecurityProfile(ctx, "cams", e.Arn("all/things"))

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	send := func(at time.Duration, bytes int64) {
		e.IngestMessage(ctx, ruledetect.Message{Thing: "cam-1", Time: t0.Add(at), Direction: ruledetect.Sent, Topic: "dt/a", Bytes: bytes})
		b, _ := e.ClosedBoundary()
		fmt.Println("after", at, "events before", b.Format(time.TimeOnly), "are final")
	}
	send(10*time.Second, 500) // in alarm at 00:00:10, not final yet
	send(6*time.Minute, 50)   // closes 00:05:00: the alarm is final
	// Output:
	// after 10s events before 00:00:00 are final
	// after 6m0s events before 00:05:00 are final
}

func TestClosedBoundary(t *testing.T) {
	ctx := context.Background()
	e, err := ruledetect.New(ruledetect.WithEvaluationPeriod(60 * time.Second))
	require.NoError(t, err)
	_, ok := e.ClosedBoundary()
	assert.False(t, ok, "no boundary before the first input")

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	msg := func(at time.Duration) error {
		return e.IngestMessage(ctx, ruledetect.Message{Thing: "a", Time: t0.Add(at), Direction: ruledetect.Sent, Topic: "x", Bytes: 1})
	}
	tests := []struct {
		at   time.Duration
		want time.Duration // the closed boundary after the input
	}{
		{90 * time.Second, 60 * time.Second}, // the first input's own period start
		{119 * time.Second, 60 * time.Second},
		{120 * time.Second, 120 * time.Second}, // reaching a boundary closes it
		{10 * time.Minute, 10 * time.Minute},
	}
	for _, tc := range tests {
		require.NoError(t, msg(tc.at))
		b, ok := e.ClosedBoundary()
		require.True(t, ok)
		assert.Equal(t, t0.Add(tc.want), b, "after an input at +%v", tc.at)
	}
	// An input before the boundary is late, and changes nothing.
	err = msg(10*time.Minute - time.Nanosecond)
	assert.True(t, errors.Is(err, ruledetect.ErrLateInput), "%v", err)
	b, _ := e.ClosedBoundary()
	assert.Equal(t, t0.Add(10*time.Minute), b)
	// Advance closes boundaries too.
	e.Advance(ctx, t0.Add(15*time.Minute+30*time.Second))
	b, _ = e.ClosedBoundary()
	assert.Equal(t, t0.Add(15*time.Minute), b)
}

// The events before ClosedBoundary are final also while inputs of several
// goroutines cross boundaries and closes run in the background: whatever
// the engine produces afterwards, the events before a boundary it gave are
// exactly those listed right after it gave it. ClosedBoundary reads the
// mark without the engine's lock while no close is under way; this is the
// guarantee a streaming replay builds on.
func TestClosedBoundaryEventsAreFinalUnderConcurrentCloses(t *testing.T) {
	defer func(n int) { eval.ParallelClose = n }(eval.ParallelClose)
	eval.ParallelClose = 1 // closes run in the background, over the shards in parallel
	ctx := context.Background()
	e, err := ruledetect.New() // 5-minute periods
	require.NoError(t, err)
	profile, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p","behaviors":[
	  {"name":"small","metric":"aws:message-byte-size",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":100}}},
	  {"name":"few","metric":"aws:num-messages-sent",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":3},"durationSeconds":300}}]}`))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, *profile)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const writers, things, periods = 4, 50, 30
	key := func(ev ruledetect.ViolationEvent) string {
		return fmt.Sprint(ev.ViolationEventTime.UnixNano(), ev.ThingName, ev.Behavior.Name, ev.ViolationEventType, ev.ViolationID)
	}
	// listBefore runs on the reader goroutine too, where a failure must not
	// stop the test (t.FailNow belongs to the test's goroutine): assert.
	listBefore := func(b time.Time) []string {
		var keys []string
		for ev, err := range e.ViolationEvents(ctx, ruledetect.ListViolationEventsInput{
			StartTime: behavior.At(t0.Add(-time.Hour)), EndTime: behavior.At(b.Add(-time.Nanosecond)),
		}) {
			if !assert.NoError(t, err) {
				break
			}
			keys = append(keys, key(ev))
		}
		sort.Strings(keys)
		return keys
	}

	done := make(chan struct{})
	seen := map[time.Time][]string{}
	var reader sync.WaitGroup
	reader.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if b, ok := e.ClosedBoundary(); ok {
				if _, had := seen[b]; !had {
					seen[b] = listBefore(b)
				}
			}
		}
	})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for p := range periods {
				for th := range things {
					for k := range 1 + (th+p)%5 { // 1..5 messages: "few" goes in and out of alarm
						// Every third step jumps two boundaries, which the input
						// that crosses them closes itself, holding the lock; one
						// boundary at a time closes in the background.
						at := t0.Add(time.Duration(p+p/3)*5*time.Minute + time.Duration(th*1000+k)*time.Millisecond)
						bytes := int64(50)
						if (th+p)%3 == 0 {
							bytes = 500 // "small" goes in and out of alarm
						}
						err := e.IngestMessage(ctx, ruledetect.Message{Thing: fmt.Sprintf("w%d-t%d", w, th), Time: at, Direction: ruledetect.Sent, Topic: "dt/x", Bytes: bytes})
						if err != nil && !errors.Is(err, ruledetect.ErrLateInput) {
							t.Error(err)
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
	close(done)
	reader.Wait()
	require.NoError(t, e.Advance(ctx, t0.Add(2*periods*5*time.Minute+time.Hour)))

	require.NotEmpty(t, seen)
	events := 0
	for b, want := range seen {
		got := listBefore(b)
		assert.Equal(t, want, got, "events before %v changed after ClosedBoundary gave it", b)
		events += len(got)
	}
	assert.Positive(t, events, "the profile raises events before the boundaries seen")
}
