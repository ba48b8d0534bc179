package ruledetect_test

// Lifecycle tests written with the detecttest kit (an external test
// package, since detecttest imports ruledetect).

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/detecttest"
)

// lifecycleProfile has behaviors auth (authorization failures < 2) and
// msgs (messages sent < msgs) over 300 s.
func lifecycleProfile(msgs int) string {
	return `{"securityProfileName":"p","behaviors":[
	  {"name":"auth","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"less-than","value":{"count":2},"durationSeconds":300}},
	  {"name":"msgs","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"less-than","value":{"count":` +
		itoa(msgs) + `},"durationSeconds":300}}]}`
}

func itoa(n int) string { return strconv.Itoa(n) }

// An alarm kept across an update goes on with its streak: one compliant
// datapoint clears it (consecutiveDatapointsToClear 1), with the same
// violation id.
func TestKeptAlarmClearsWithItsID(t *testing.T) {
	ctx := context.Background()
	s := detecttest.New(t, lifecycleProfile(100))
	s.Series(map[string]string{"a authorization-failure cmd/x": "3"})
	inAlarm := detecttest.Event{Time: detecttest.T(5 * time.Minute), Type: "in-alarm", Thing: "a", Behavior: "auth", Value: `{"count":3}`}
	s.AssertEvents(inAlarm)

	sp, err := behavior.ParseSecurityProfile([]byte(lifecycleProfile(10)))
	require.NoError(t, err)
	_, err = s.Engine.UpdateSecurityProfile(context.Background(), ruledetect.UpdateSecurityProfileInput{
		SecurityProfileName: "p", Behaviors: sp.Behaviors})
	require.NoError(t, err)
	s.At(400*time.Second).Sent("a", "t", 1).AdvanceTo(600 * time.Second)
	s.AssertEvents(inAlarm, detecttest.Event{Time: detecttest.T(10 * time.Minute), Type: "alarm-cleared",
		Thing: "a", Behavior: "auth", Value: `{"count":0}`})

	ids := map[string]bool{}
	for ev, err := range s.Engine.ViolationEvents(ctx, ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(detecttest.Start), EndTime: behavior.At(detecttest.T(time.Hour))}) {
		require.NoError(t, err)
		ids[ev.ViolationID] = true
	}
	assert.Len(t, ids, 1, "the clear carries the alarm's violation id")
}

// A thing with no input for 48 h has its alarms invalidated at its last
// input + 48 h. The behavior is a per-input one (source IP per connect), so
// no zero datapoint can clear the alarm meanwhile.
func TestIdleInvalidation(t *testing.T) {
	s := detecttest.New(t, `{"securityProfileName":"p","behaviors":[{"name":"ip","metric":"aws:source-ip-address",
	  "criteria":{"comparisonOperator":"in-cidr-set","value":{"cidrs":["10.0.0.0/8"]}}}]}`)
	last := 17 * time.Second
	s.At(last).Connect("a", "203.0.113.9")
	s.At(last+time.Hour).Connect("b", "10.1.2.3")
	inAlarm := detecttest.Event{Time: detecttest.T(last), Type: "in-alarm", Thing: "a", Behavior: "ip", Value: `{"cidrs":["203.0.113.9"]}`}
	s.AdvanceTo(last + 48*time.Hour - time.Second)
	s.AssertEvents(inAlarm)
	s.AssertActive(detecttest.Active{Thing: "a", Behavior: "ip", Since: detecttest.T(last)})
	s.AdvanceTo(last + 48*time.Hour)
	s.AssertEvents(inAlarm, detecttest.Event{Time: detecttest.T(last + 48*time.Hour), Type: "alarm-invalidated", Thing: "a", Behavior: "ip"})
	s.AssertActive()
}
