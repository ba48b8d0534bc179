package ruledetect

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

var mvT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// mvEngine has one profile with a behavior of each kind of source, two
// metrics to retain and a metrics export configuration, and cam-1's inputs
// of two evaluation periods (closed at 00:10).
func mvEngine(t *testing.T, opts ...Option) *Engine {
	t.Helper()
	ctx := context.Background()
	e, err := New(opts...)
	require.NoError(t, err)
	_, err = e.CreateDimension(ctx, CreateDimensionInput{Name: "telemetry", Type: DimensionTypeTopicFilter, StringValues: []string{"dt/#"}})
	require.NoError(t, err)
	_, err = e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "temperature", MetricType: "number"})
	require.NoError(t, err)
	yes := ptr(true)
	count := func(n int64) *behavior.MetricValue { return &behavior.MetricValue{Count: ptr(n)} }
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{
		SecurityProfileName: "p",
		Behaviors: []behavior.Behavior{
			{Name: "msgs", Metric: "aws:num-messages-sent", MetricDimension: &behavior.MetricDimension{DimensionName: "telemetry"}, ExportMetric: yes,
				Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "less-than", Value: count(100), DurationSeconds: ptr(int64(600))}},
			{Name: "ports", Metric: "aws:listening-tcp-ports",
				Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "in-port-set", Value: &behavior.MetricValue{Ports: []int64{443}}}},
			{Name: "listening", Metric: "aws:num-listening-tcp-ports", ExportMetric: yes,
				Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "less-than", Value: count(5), DurationSeconds: ptr(int64(300))}},
			{Name: "temp", Metric: "temperature",
				Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "less-than", Value: &behavior.MetricValue{Number: ptr(50.0)}, DurationSeconds: ptr(int64(300))}},
		},
		AdditionalMetricsToRetainV2: []behavior.MetricToRetain{
			{Metric: "aws:num-authorization-failures", ExportMetric: yes},
			{Metric: "aws:all-bytes-out"},
		},
		MetricsExportConfig: &behavior.MetricsExportConfig{MQTTTopic: "$aws/rules/defender_export", RoleArn: "arn:aws:iam::123456789012:role/export"},
	})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))

	at := func(m, s int) time.Time { return mvT0.Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second) }
	msg := func(at time.Time, topic string) {
		require.NoError(t, e.IngestMessage(ctx, Message{Thing: "cam-1", Time: at, Direction: Sent, Topic: topic, Bytes: 10}))
	}
	report := func(at time.Time, id int, ports string, total, bytesOut int, temp float64) {
		r := fmt.Sprintf(`{"header":{"report_id":%d,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[%s],"total":%d},
		  "network_stats":{"bytes_in":1,"bytes_out":%d,"packets_in":1,"packets_out":1}},"custom_metrics":{"temperature":[{"number":%g}]}}`,
			id, ports, total, bytesOut, temp)
		_, err := e.IngestReport(ctx, "cam-1", at, JSON, []byte(r))
		require.NoError(t, err)
	}
	msg(at(1, 0), "dt/a")
	msg(at(1, 30), "dt/a")
	msg(at(2, 0), "other/x")
	report(at(3, 0), 1, `{"port":22},{"port":443}`, 2, 100, 20)
	require.NoError(t, e.IngestAuthorizationFailure(ctx, AuthorizationFailure{Thing: "cam-1", Time: at(4, 0), Topic: "cmd/x"}))
	msg(at(6, 0), "dt/b")
	report(at(7, 0), 2, `{"port":443}`, 1, 50, 30)
	e.Advance(ctx, at(10, 0))
	return e
}

// values lists a series as "MM:SS value-JSON".
func values(t *testing.T, e *Engine, in ListMetricValuesInput) []string {
	t.Helper()
	if in.StartTime.IsZero() {
		in.StartTime, in.EndTime = behavior.At(mvT0), behavior.At(mvT0.Add(time.Hour))
	}
	var out []string
	for d, err := range e.MetricValues(context.Background(), in) {
		require.NoError(t, err)
		j, err := json.Marshal(d.Value)
		require.NoError(t, err)
		out = append(out, d.Timestamp.Sub(mvT0).String()+" "+string(j))
	}
	return out
}

func TestListMetricValues(t *testing.T) {
	e := mvEngine(t, WithMetricRetention(MetricRetention{Duration: 24 * time.Hour}))
	tests := []struct {
		name string
		in   ListMetricValuesInput
		want []string
	}{
		{"a cloud-side count per period, not per window", ListMetricValuesInput{MetricName: "aws:num-messages-sent", DimensionName: "telemetry"},
			[]string{`5m0s {"count":2}`, `10m0s {"count":1}`}},
		{"the same with the operator said", ListMetricValuesInput{MetricName: "aws:num-messages-sent", DimensionName: "telemetry", DimensionValueOperator: "IN"},
			[]string{`5m0s {"count":2}`, `10m0s {"count":1}`}},
		{"not measured without the dimension", ListMetricValuesInput{MetricName: "aws:num-messages-sent"}, nil},
		{"not measured with NOT_IN", ListMetricValuesInput{MetricName: "aws:num-messages-sent", DimensionName: "telemetry", DimensionValueOperator: "NOT_IN"}, nil},
		{"a list, per report", ListMetricValuesInput{MetricName: "aws:listening-tcp-ports"},
			[]string{`3m0s {"ports":[22,443]}`, `7m0s {"ports":[443]}`}},
		{"a windowed gauge, as reported", ListMetricValuesInput{MetricName: "aws:num-listening-tcp-ports"},
			[]string{`3m0s {"count":2}`, `7m0s {"count":1}`}},
		{"a custom number, as reported", ListMetricValuesInput{MetricName: "temperature"},
			[]string{`3m0s {"number":20}`, `7m0s {"number":30}`}},
		{"a metric to retain, cloud-side", ListMetricValuesInput{MetricName: "aws:num-authorization-failures"},
			[]string{`5m0s {"count":1}`, `10m0s {"count":0}`}},
		{"a metric to retain, device-side", ListMetricValuesInput{MetricName: "aws:all-bytes-out"},
			[]string{`3m0s {"count":100}`, `7m0s {"count":50}`}},
		{"a closed time range", ListMetricValuesInput{MetricName: "temperature",
			StartTime: behavior.At(mvT0.Add(3 * time.Minute)), EndTime: behavior.At(mvT0.Add(3 * time.Minute))},
			[]string{`3m0s {"number":20}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.ThingName = "cam-1"
			assert.Equal(t, tc.want, values(t, e, tc.in))
		})
	}
	assert.Empty(t, values(t, e, ListMetricValuesInput{ThingName: "cam-2", MetricName: "temperature"}), "another thing")
}

func TestListMetricValuesPaging(t *testing.T) {
	ctx := context.Background()
	e := mvEngine(t, WithMetricRetention(MetricRetention{Duration: 24 * time.Hour}))
	in := ListMetricValuesInput{ThingName: "cam-1", MetricName: "aws:listening-tcp-ports", MaxResults: 1,
		StartTime: behavior.At(mvT0), EndTime: behavior.At(mvT0.Add(time.Hour))}
	p1, err := e.ListMetricValues(ctx, in)
	require.NoError(t, err)
	require.Len(t, p1.MetricDatumList, 1)
	require.NotEmpty(t, p1.NextToken)
	// A value added behind the cursor does not shift the next page.
	_, err = e.IngestReport(ctx, "cam-1", mvT0.Add(11*time.Minute), JSON, []byte(`{"header":{"report_id":3,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[]}}}`))
	require.NoError(t, err)
	in.NextToken = p1.NextToken
	p2, err := e.ListMetricValues(ctx, in)
	require.NoError(t, err)
	require.Len(t, p2.MetricDatumList, 1)
	assert.Equal(t, []int64{443}, p2.MetricDatumList[0].Value.Ports)
	in.NextToken = p2.NextToken
	p3, err := e.ListMetricValues(ctx, in)
	require.NoError(t, err)
	require.Len(t, p3.MetricDatumList, 1)
	assert.Empty(t, p3.NextToken)

	in.MetricName = "temperature" // a token is bound to its listing
	in.NextToken = p1.NextToken
	_, err = e.ListMetricValues(ctx, in)
	require.ErrorIs(t, err, ErrInvalidRequest)
}

func TestListMetricValuesErrors(t *testing.T) {
	ctx := context.Background()
	on := mvEngine(t, WithMetricRetention(MetricRetention{Duration: time.Hour}))
	off := mvEngine(t)
	span := func(in ListMetricValuesInput) ListMetricValuesInput {
		in.StartTime, in.EndTime = behavior.At(mvT0), behavior.At(mvT0.Add(time.Hour))
		return in
	}
	for _, tc := range []struct {
		name string
		e    *Engine
		in   ListMetricValuesInput
		msg  string
	}{
		{"retention off", off, span(ListMetricValuesInput{ThingName: "cam-1", MetricName: "temperature"}), "retains no metric values"},
		{"no thing", on, span(ListMetricValuesInput{MetricName: "temperature"}), "thing"},
		{"no metric", on, span(ListMetricValuesInput{ThingName: "cam-1"}), "metricName is required"},
		{"bad operator", on, span(ListMetricValuesInput{ThingName: "cam-1", MetricName: "m", DimensionName: "d", DimensionValueOperator: "EQ"}), "IN or NOT_IN"},
		{"operator alone", on, span(ListMetricValuesInput{ThingName: "cam-1", MetricName: "m", DimensionValueOperator: "IN"}), "without dimensionName"},
		{"no times", on, ListMetricValuesInput{ThingName: "cam-1", MetricName: "m"}, "required"},
		{"end before start", on, ListMetricValuesInput{ThingName: "cam-1", MetricName: "m", StartTime: behavior.At(mvT0.Add(time.Hour)), EndTime: behavior.At(mvT0)}, "before"},
		{"maxResults", on, span(ListMetricValuesInput{ThingName: "cam-1", MetricName: "m", MaxResults: 251}), "range"},
		{"token", on, span(ListMetricValuesInput{ThingName: "cam-1", MetricName: "m", NextToken: "garbage"}), "nextToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.e.ListMetricValues(ctx, tc.in)
			require.ErrorIs(t, err, ErrInvalidRequest)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// Retention keeps the last Duration and at most MaxValuesPerSeries of each
// series, and ages out the values of things gone quiet.
func TestMetricRetentionBounds(t *testing.T) {
	ctx := context.Background()
	e := mvEngine(t, WithMetricRetention(MetricRetention{Duration: time.Hour, MaxValuesPerSeries: 3}))
	for i := range 5 {
		at := mvT0.Add(time.Duration(11+i) * time.Minute)
		_, err := e.IngestReport(ctx, "cam-1", at, JSON, []byte(fmt.Sprintf(`{"header":{"report_id":%d,"version":"1.0"},"metrics":{},"custom_metrics":{"temperature":[{"number":%d}]}}`, 10+i, i)))
		require.NoError(t, err)
	}
	assert.Equal(t, []string{`13m0s {"number":2}`, `14m0s {"number":3}`, `15m0s {"number":4}`},
		values(t, e, ListMetricValuesInput{ThingName: "cam-1", MetricName: "temperature"}))
	series := func() []string {
		e.plane.Lock()
		defer e.plane.Unlock()
		var out []string
		for k := range e.metrics.series {
			out = append(out, k.Metric)
		}
		slices.Sort(out)
		return out
	}
	e.Advance(ctx, mvT0.Add(3*time.Hour))
	assert.Equal(t, []string{"aws:num-authorization-failures", "aws:num-messages-sent"}, series(),
		"the reported values aged out; the cloud-side counts go on (0) while the thing is within the horizon")
	assert.Len(t, values(t, e, ListMetricValuesInput{ThingName: "cam-1", MetricName: "aws:num-authorization-failures",
		StartTime: behavior.At(mvT0), EndTime: behavior.At(mvT0.Add(4 * time.Hour))}), 3, "the cap")
	e.Advance(ctx, mvT0.Add(52*time.Hour))
	assert.Empty(t, series(), "the thing expired at its last input + 48 h, and its values aged out an hour later")
	_, err := New(WithMetricRetention(MetricRetention{Duration: -time.Second}))
	require.Error(t, err)
}

// Metrics export: the values of the metrics marked exportMetric, batched at
// each period close, in the documented schema, to the profile's topic.
func TestMetricExport(t *testing.T) {
	var mu sync.Mutex
	var got []MetricExport
	e := mvEngine(t, WithMetricSink(MetricSinkFunc(func(_ context.Context, x MetricExport) error {
		mu.Lock()
		got = append(got, x)
		mu.Unlock()
		return nil
	})))
	require.NoError(t, e.Flush(context.Background()))
	require.Len(t, got, 2, "one batch per period close")
	var entries []string
	for _, x := range got {
		assert.Equal(t, "$aws/rules/defender_export", x.Topic)
		assert.Equal(t, "arn:aws:iam::123456789012:role/export", x.RoleArn)
		var p struct {
			Version string           `json:"version"`
			Metrics []map[string]any `json:"metrics"`
		}
		require.NoError(t, json.Unmarshal(x.Payload, &p))
		assert.Equal(t, "1.0", p.Version)
		for _, m := range p.Metrics {
			j, err := json.Marshal(m)
			require.NoError(t, err)
			entries = append(entries, string(j))
		}
		assertFollowsExportSchema(t, x.Payload)
	}
	ms := func(m int) int64 { return mvT0.Add(time.Duration(m) * time.Minute).UnixMilli() }
	want := []string{
		fmt.Sprintf(`{"name":"aws:num-listening-tcp-ports","thing":"cam-1","timestamp":%d,"value":{"count":2},"version":1}`, ms(3)),
		fmt.Sprintf(`{"dimension":{"name":"telemetry","operator":"IN"},"name":"aws:num-messages-sent","thing":"cam-1","timestamp":%d,"value":{"count":2},"version":1}`, ms(5)),
		fmt.Sprintf(`{"name":"aws:num-authorization-failures","thing":"cam-1","timestamp":%d,"value":{"count":1},"version":1}`, ms(5)),
		fmt.Sprintf(`{"name":"aws:num-listening-tcp-ports","thing":"cam-1","timestamp":%d,"value":{"count":1},"version":1}`, ms(7)),
		fmt.Sprintf(`{"dimension":{"name":"telemetry","operator":"IN"},"name":"aws:num-messages-sent","thing":"cam-1","timestamp":%d,"value":{"count":1},"version":1}`, ms(10)),
		fmt.Sprintf(`{"name":"aws:num-authorization-failures","thing":"cam-1","timestamp":%d,"value":{"count":0},"version":1}`, ms(10)),
	}
	slices.Sort(want)
	slices.Sort(entries)
	assert.Equal(t, want, entries, "exactly the metrics marked exportMetric: not ports, temperature or bytes out")
}

// assertFollowsExportSchema checks a payload against the schema the
// developer guide publishes (testdata/aws/devguide-metrics-export-schema.txt):
// every key the payload uses is one the schema has, at the same place, with
// a value of the schema's kind.
func assertFollowsExportSchema(t *testing.T, payload []byte) {
	t.Helper()
	raw, err := os.ReadFile("testdata/aws/devguide-metrics-export-schema.txt")
	require.NoError(t, err)
	var lines []string
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines = append(lines, l)
		}
	}
	schemaText := regexp.MustCompile(`\bnumber\b`).ReplaceAllString(strings.Join(lines, "\n"), "0")
	var schema, got any
	require.NoError(t, json.Unmarshal([]byte(schemaText), &schema), "the documented schema, comments removed")
	require.NoError(t, json.Unmarshal(payload, &got))
	var conforms func(path string, s, g any)
	conforms = func(path string, s, g any) {
		switch s := s.(type) {
		case map[string]any:
			gm, ok := g.(map[string]any)
			require.True(t, ok, "%s: want an object, got %T", path, g)
			for k, v := range gm {
				sv, ok := s[k]
				require.True(t, ok, "%s.%s is not in the documented schema", path, k)
				conforms(path+"."+k, sv, v)
			}
		case []any:
			ga, ok := g.([]any)
			require.True(t, ok, "%s: want an array, got %T", path, g)
			for i, v := range ga {
				conforms(fmt.Sprintf("%s[%d]", path, i), s[0], v)
			}
		case float64:
			_, ok := g.(float64)
			require.True(t, ok, "%s: want a number, got %T", path, g)
		case string:
			_, ok := g.(string)
			require.True(t, ok, "%s: want a string, got %T", path, g)
		}
	}
	conforms("$", schema, got)
}
