package violation

import (
	"cmp"
	"encoding/json"
	"slices"
	"testing"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The service's outputs decode into this package's shapes and encode back to
// the same JSON.
func TestShapesRoundTrip(t *testing.T) {
	tests := []struct {
		file string
		into any
	}{
		{"cli-list-active-violations.output.json", &ListActiveViolationsOutput{}},
		{"cli-list-violation-events.output.json", &ListViolationEventsOutput{}},
		{"devguide-ml-list-violation-events.output.json", &ListViolationEventsOutput{}},
		{"cli-list-violation-events.input.json", &ListViolationEventsInput{}},
		{"devguide-ml-list-violation-events.input.json", &ListViolationEventsInput{}},
		{"cli-list-active-violations.input.json", &ListActiveViolationsInput{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src := readTestdata(t, tt.file)
			require.NoError(t, json.Unmarshal(src, tt.into))
			assert.Equal(t, jsonAny(t, src), jsonAny(t, mustJSON(t, tt.into)))
		})
	}
}

// byThingBehavior orders listed items the same way whatever their IDs.
func byThingBehavior(a, b map[string]any) int {
	return cmp.Or(cmp.Compare(a["thingName"].(string), b["thingName"].(string)),
		cmp.Compare(a["behavior"].(map[string]any)["name"].(string), b["behavior"].(map[string]any)["name"].(string)))
}

// items returns the listed objects of a document, sorted, with their
// violationId replaced by what rename returns.
func items(t *testing.T, doc []byte, key string, rename func(map[string]any) string) []map[string]any {
	var m map[string][]map[string]any
	require.NoError(t, json.Unmarshal(doc, &m))
	list := m[key]
	for _, it := range list {
		it["violationId"] = rename(it)
	}
	slices.SortFunc(list, byThingBehavior)
	return list
}

// The log, fed the transitions behind the service's example outputs, lists
// the same documents; only the violation IDs differ (ours are
// deterministic, DESIGN rule 9).
func TestLogReproducesServiceOutputs(t *testing.T) {
	ourID := func(it map[string]any, startKey string) string {
		var ts behavior.Timestamp
		require.NoError(t, json.Unmarshal(mustJSON(t, it[startKey]), &ts))
		return ID(it["thingName"].(string), it["securityProfileName"].(string), it["behavior"].(map[string]any)["name"].(string), ts.Time)
	}

	t.Run("active violations", func(t *testing.T) {
		var want ListActiveViolationsOutput
		src := readTestdata(t, "cli-list-active-violations.output.json")
		require.NoError(t, json.Unmarshal(src, &want))
		l := NewLog(LogOptions{})
		for _, a := range want.ActiveViolations {
			k := Key{a.ThingName, a.SecurityProfileName, a.Behavior.Name}
			l.Raise(k, &a.Behavior, a.ViolationStartTime.Time, count(99), false)
			l.Violate(k, a.LastViolationTime.Time, *a.LastViolationValue)
		}
		var in ListActiveViolationsInput
		require.NoError(t, json.Unmarshal(readTestdata(t, "cli-list-active-violations.input.json"), &in))
		got, err := l.ListActiveViolations(in)
		require.NoError(t, err)
		assert.Empty(t, got.NextToken)
		start := func(it map[string]any) string { return ourID(it, "violationStartTime") }
		assert.Equal(t, items(t, src, "activeViolations", start), items(t, mustJSON(t, got), "activeViolations", start))
	})

	t.Run("violation events", func(t *testing.T) {
		var want ListViolationEventsOutput
		src := readTestdata(t, "cli-list-violation-events.output.json")
		require.NoError(t, json.Unmarshal(src, &want))
		l := NewLog(LogOptions{})
		for _, e := range want.ViolationEvents {
			l.Raise(Key{e.ThingName, e.SecurityProfileName, e.Behavior.Name}, &e.Behavior, e.ViolationEventTime.Time, *e.MetricValue, false)
		}
		var in ListViolationEventsInput
		require.NoError(t, json.Unmarshal(readTestdata(t, "cli-list-violation-events.input.json"), &in))
		got, err := l.ListViolationEvents(in)
		require.NoError(t, err)
		evt := func(it map[string]any) string { return ourID(it, "violationEventTime") }
		assert.Equal(t, items(t, src, "violationEvents", evt), items(t, mustJSON(t, got), "violationEvents", evt))
	})

	t.Run("invalidated ML events, paged", func(t *testing.T) {
		var want ListViolationEventsOutput
		src := readTestdata(t, "devguide-ml-list-violation-events.output.json")
		require.NoError(t, json.Unmarshal(src, &want))
		var in ListViolationEventsInput
		require.NoError(t, json.Unmarshal(readTestdata(t, "devguide-ml-list-violation-events.input.json"), &in))
		l := NewLog(LogOptions{})
		ids := map[string]string{}
		for i, e := range want.ViolationEvents {
			k := Key{e.ThingName, e.SecurityProfileName, e.Behavior.Name}
			raised := l.Raise(k, &e.Behavior, in.StartTime.Add(-1e9), count(int64(i)), *e.Behavior.SuppressAlerts)
			ids[e.ThingName] = raised.ViolationID
			_, ok := l.Invalidate(k, e.ViolationEventTime.Time)
			require.True(t, ok)
		}
		// A third matching event after the two, so the page has a nextToken
		// as the service's did.
		k3 := Key{"lightbulb-3", "security-profile-for-smart-lights", "LowConfidence_MladBehavior_MessagesSent"}
		l.Raise(k3, &want.ViolationEvents[0].Behavior, want.ViolationEvents[0].ViolationEventTime.Time.Add(1e9), count(1), true)

		in.BehaviorCriteriaType = MachineLearning
		got, err := l.ListViolationEvents(in)
		require.NoError(t, err)
		require.NotEmpty(t, got.NextToken)
		var wantDoc map[string]any
		require.NoError(t, json.Unmarshal(src, &wantDoc))
		delete(wantDoc, "nextToken")
		for _, e := range wantDoc["violationEvents"].([]any) {
			m := e.(map[string]any)
			m["violationId"] = ids[m["thingName"].(string)]
		}
		gotDoc := jsonAny(t, mustJSON(t, got)).(map[string]any)
		delete(gotDoc, "nextToken")
		// The service listed them newest first; we list by time.
		slices.Reverse(wantDoc["violationEvents"].([]any))
		assert.Equal(t, wantDoc, gotDoc)
	})
}

func TestCriteriaTypeOf(t *testing.T) {
	tests := []struct {
		b    *behavior.Behavior
		want CriteriaType
	}{
		{nil, ""},
		{&behavior.Behavior{Name: "retain-only", Metric: "aws:num-disconnects"}, ""},
		{staticBehavior("s"), Static},
		{statisticalBehavior("st"), Statistical},
		{mlBehavior("ml"), MachineLearning},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, CriteriaTypeOf(tt.b))
		if tt.want != "" {
			assert.True(t, tt.want.Valid())
		}
	}
	assert.False(t, CriteriaType("COMPLEX_VALUE").Valid())
}

func TestEnums(t *testing.T) {
	for _, s := range []VerificationState{FalsePositive, BenignPositive, TruePositive, Unknown} {
		assert.True(t, s.Valid(), s)
		assert.Equal(t, s, s.Effective())
	}
	assert.False(t, VerificationState("").Valid())
	assert.Equal(t, Unknown, VerificationState("").Effective())
	assert.False(t, VerificationState("unknown").Valid())
	for _, e := range []EventType{InAlarm, AlarmCleared, AlarmInvalidated} {
		assert.True(t, e.Valid())
	}
	assert.False(t, EventType("in_alarm").Valid())
}

// The verification state is omitted until put, then written, even UNKNOWN.
func TestEventVerificationStateJSON(t *testing.T) {
	e := Event{ViolationID: "x", ViolationEventType: InAlarm}
	assert.NotContains(t, string(mustJSON(t, e)), "verificationState")
	e.VerificationState = Unknown
	assert.Contains(t, string(mustJSON(t, e)), `"verificationState":"UNKNOWN"`)
	assert.NotContains(t, string(mustJSON(t, e)), "Suppressed")
}

func TestCloneBehaviorIsDeep(t *testing.T) {
	b := staticBehavior("deep")
	b.MetricDimension = &behavior.MetricDimension{DimensionName: "d", Operator: ptr("IN")}
	b.Criteria.ConsecutiveDatapointsToAlarm = ptr[int64](2)
	b.Criteria.ConsecutiveDatapointsToClear = ptr[int64](3)
	b.Criteria.StatisticalThreshold = &behavior.StatisticalThreshold{Statistic: ptr("p50")}
	b.Criteria.MLDetectionConfig = &behavior.MachineLearningDetectionConfig{ConfidenceLevel: "LOW"}
	b.Criteria.Value.Ports = []int64{22}
	b.SuppressAlerts = ptr(true)
	b.ExportMetric = ptr(false)
	want := mustJSON(t, b)
	c := cloneBehavior(b)
	assert.Equal(t, b, c)
	// Scribble over every pointed-to value of the original.
	*b.MetricDimension.Operator = "NOT_IN"
	b.MetricDimension.DimensionName = "e"
	*b.Criteria.Value.Count = 1
	b.Criteria.Value.Ports[0] = 23
	*b.Criteria.DurationSeconds = 1
	*b.Criteria.ConsecutiveDatapointsToAlarm = 9
	*b.Criteria.ConsecutiveDatapointsToClear = 9
	*b.Criteria.StatisticalThreshold.Statistic = "p0"
	b.Criteria.MLDetectionConfig.ConfidenceLevel = "HIGH"
	b.Criteria.ComparisonOperator = "greater-than"
	*b.SuppressAlerts = false
	*b.ExportMetric = true
	assert.JSONEq(t, string(want), string(mustJSON(t, c)))
}

func TestValueCopies(t *testing.T) {
	v := behavior.MetricValue{Count: ptr[int64](1), CIDRs: []string{"10.0.0.0/8"}, Ports: []int64{}, Number: ptr(1.5),
		Numbers: []float64{2}, Strings: []string{"a"}}
	c := cloneValue(v)
	assert.Equal(t, v, c)
	assert.NotNil(t, c.Ports, "an empty list stays a value")
	*v.Count, v.CIDRs[0], *v.Number, v.Numbers[0], v.Strings[0] = 2, "x", 9, 9, "b"
	assert.Equal(t, int64(1), *c.Count)
	assert.Equal(t, "10.0.0.0/8", c.CIDRs[0])
	assert.Equal(t, 1.5, *c.Number)

	var dst behavior.MetricValue
	assignValue(&dst, c)
	assert.Equal(t, c, dst)
	assignValue(&dst, behavior.MetricValue{Ports: []int64{}})
	assert.Equal(t, behavior.MetricValue{Ports: []int64{}}, dst)
}
