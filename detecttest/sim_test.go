package detecttest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/detecttest"
)

// A wrong expectation's diff names the behavior, the thing and the times,
// one whole event a line, and lists the datapoints that decided them,
// marking those at the events' times.
func TestDiffEventsNamesBehaviorAndDatapoints(t *testing.T) {
	s := detecttest.New(t, msgRate)
	s.Series(map[string]string{"cam-1 message-sent dt/cam-1/t": "3 1 3 3 3"})
	d := s.DiffEvents(detecttest.Event{Time: detecttest.T(20 * time.Minute), Type: "in-alarm",
		Thing: "cam-1", Behavior: "messages-sent", Value: `{"count":3}`})
	assert.Equal(t, `violation events differ (-want +got):
- 2026-01-01T00:20:00Z in-alarm cam-1 msg-rate/messages-sent {"count":3}
+ 2026-01-01T00:25:00Z in-alarm cam-1 msg-rate/messages-sent {"count":3}
datapoints of thing cam-1, behavior msg-rate/messages-sent (aws:num-messages-sent) from 2025-12-31T23:30:00Z to 2026-01-01T00:30:00Z:
    2026-01-01T00:05:00Z  {"count":3}  violating
    2026-01-01T00:10:00Z  {"count":1}  compliant
    2026-01-01T00:15:00Z  {"count":3}  violating
  > 2026-01-01T00:20:00Z  {"count":3}  violating
  > 2026-01-01T00:25:00Z  {"count":3}  violating
`, d)
}

// A statistical datapoint shows the fleet threshold it was judged against.
func TestDiffEventsStatistical(t *testing.T) {
	s := detecttest.New(t, `{"securityProfileName":"fleet","behaviors":[{"name":"p50","metric":"aws:num-messages-sent",
	  "criteria":{"comparisonOperator":"less-than-equals","statisticalThreshold":{"statistic":"p50"},"durationSeconds":300}}]}`)
	s.Series(map[string]string{"a message-sent t": "1", "b message-sent t": "2", "c message-sent t": "10"})
	d := s.DiffEvents()
	assert.Contains(t, d, "+ 2026-01-01T00:05:00Z in-alarm c fleet/p50 {\"count\":10}\n")
	assert.Contains(t, d, "  > 2026-01-01T00:05:00Z  {\"count\":10}  violating (fleet threshold 2)\n")
}

// Build reports a rejected document by kind and position, with the
// engine's error kind; a Sim from Build keeps its first input error and
// sends nothing after it.
func TestBuildErrors(t *testing.T) {
	_, err := detecttest.Build(msgRate, detecttest.WithProfile(`{"securityProfileName":"x","behaviors":[{"name":"b","metric":"aws:nope"}]}`))
	var be *detecttest.BuildError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, "profile", be.What)
	assert.Equal(t, 2, be.Index)

	_, err = detecttest.Build(msgRate, detecttest.WithDimension(`{"name":"d","type":"TOPIC_FILTER","stringValues":[]}`))
	require.ErrorAs(t, err, &be)
	assert.Equal(t, "dimension", be.What)
	assert.ErrorIs(t, err, ruledetect.ErrInvalidRequest)

	_, err = detecttest.Build("")
	assert.Error(t, err, "no profile")

	s, err := detecttest.Build(msgRate)
	require.NoError(t, err)
	s.At(10*time.Minute).Sent("cam-1", "t", 1)
	s.At(time.Minute).Sent("cam-1", "t", 1) // late
	require.ErrorIs(t, s.Err(), ruledetect.ErrLateInput)
	s.At(11*time.Minute).Sent("cam-1", "t", 1)
	assert.True(t, errors.Is(s.Err(), ruledetect.ErrLateInput), "the first error is kept")
	assert.Equal(t, uint64(1), s.Engine.Stats().Late, "nothing was sent after it")
}

// A diff from a Sim of Build is its error when asserted.
func TestAssertWithoutTest(t *testing.T) {
	s, err := detecttest.Build(msgRate)
	require.NoError(t, err)
	s.Series(map[string]string{"cam-1 message-sent t": "3 3 3"})
	s.AssertEvents()
	require.Error(t, s.Err())
	assert.True(t, strings.HasPrefix(s.Err().Error(), "violation events differ"))
}
