package violation

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/stretchr/testify/require"
)

// t0 is an arbitrary event time, on a 300 s boundary.
var t0 = time.Unix(1767225600, 0).UTC()

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

func ptr[T any](v T) *T { return &v }

func count(n int64) behavior.MetricValue { return behavior.MetricValue{Count: &n} }

func staticBehavior(name string) *behavior.Behavior {
	return &behavior.Behavior{
		Name:   name,
		Metric: "aws:num-authorization-failures",
		Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator: "less-than",
			Value:              &behavior.MetricValue{Count: ptr[int64](10)},
			DurationSeconds:    ptr[int64](300),
		},
	}
}

func statisticalBehavior(name string) *behavior.Behavior {
	return &behavior.Behavior{
		Name:   name,
		Metric: "aws:message-byte-size",
		Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator:   "less-than-equals",
			StatisticalThreshold: &behavior.StatisticalThreshold{Statistic: ptr("p90")},
			DurationSeconds:      ptr[int64](300),
		},
	}
}

func mlBehavior(name string) *behavior.Behavior {
	return &behavior.Behavior{
		Name:     name,
		Metric:   "aws:num-messages-sent",
		Criteria: &behavior.BehaviorCriteria{MLDetectionConfig: &behavior.MachineLearningDetectionConfig{ConfidenceLevel: "HIGH"}},
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// jsonAny decodes b into the generic form, so documents compare regardless
// of key order and number spelling.
func jsonAny(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func allEvents(t testing.TB, l *Log, in ListViolationEventsInput) []Event {
	t.Helper()
	var out []Event
	for e, err := range l.Events(in) {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

// everything is a time range that holds every event of the tests.
func everything() ListViolationEventsInput {
	return ListViolationEventsInput{StartTime: behavior.At(time.Unix(0, 0)), EndTime: behavior.At(time.Unix(1<<40, 0))}
}

func errorsIsAny(err error, kinds ...error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
