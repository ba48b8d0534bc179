package ruledetect_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
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
