package violation

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The alarm-cleared alert of the Device Defender workshop, reproduced by a
// log fed the same transitions.
func TestSNSMessageMatchesServiceAlert(t *testing.T) {
	src := readTestdata(t, "workshop-sns-alert-alarm-cleared.json")
	var want map[string]any
	require.NoError(t, json.Unmarshal(src, &want))
	var b behavior.Behavior
	require.NoError(t, json.Unmarshal(mustJSON(t, want["behavior"]), &b))

	l := NewLog(LogOptions{})
	k := Key{"DefenderWorkshopThing", "NormalHTTPTraffic", "PacketsOut"}
	cleared := time.UnixMilli(int64(want["violationEventTime"].(float64)))
	raised := l.Raise(k, &b, cleared.Add(-10*time.Minute), count(3), false)
	ev, ok := l.Clear(k, cleared, count(29))
	require.True(t, ok)

	msg, err := SNSMessage(ev)
	require.NoError(t, err)
	want["violationId"] = raised.ViolationID // the service's IDs are random, ours are not
	assert.Equal(t, want, jsonAny(t, msg))
}

func TestSNSMessageShape(t *testing.T) {
	e := Event{ViolationID: "x", ThingName: "t", SecurityProfileName: "p", Behavior: *staticBehavior("b"),
		ViolationEventType: AlarmInvalidated, VerificationState: TruePositive, VerificationStateDescription: ptr("d"),
		ViolationEventTime: behavior.At(time.UnixMilli(1542682416515))}
	msg, err := SNSMessage(e)
	require.NoError(t, err)
	m := jsonAny(t, msg).(map[string]any)
	assert.Equal(t, float64(1542682416515), m["violationEventTime"], "epoch milliseconds")
	assert.NotContains(t, m, "metricValue", "invalidated alerts carry no value")
	assert.NotContains(t, m, "verificationState")
	assert.NotContains(t, m, "verificationStateDescription")

	e.MetricValue = &behavior.MetricValue{Number: ptr(math.NaN())}
	_, err = SNSMessage(e)
	assert.Error(t, err)
}
