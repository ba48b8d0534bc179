package testfile

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/detecttest"
)

const good = `# a test file
profiles:
  - profile.json
  - {securityProfileName: inline, behaviors: [{name: b, metric: "aws:num-messages-sent",
      criteria: {comparisonOperator: less-than, value: {count: 5}, durationSeconds: 300}}]}
dimensions: [dim.json]
custom_metrics: [/abs/metric.json]
thing_groups: {cam-1: [cams, outdoor]}
targets: [thinggroup/cams]
period: 60
cumulative_network_stats: true
tests:
  - name: one
    input: in.jsonl
    input_series:
      "cam-1 message-sent dt/t": "0+10x2 _"
    skip_bad: true
    until: 1h
    expected_events:
      - {time: 25m, type: in-alarm, thing: cam-1, behavior: b, value: {count: 3}}
      - {time: "2026-01-01T00:30:00Z", type: alarm-invalidated, thing: cam-1, profile: p, behavior: b}
      - {time: 1767227400, type: alarm-cleared, thing: cam-1, behavior: b, value: {strings: [eth0]}}
    expected_active:
      - at: 30m
        violations: [{thing: cam-1, behavior: b, since: 25m, value: {number: 1.5}}]
      - at: 40m
        violations: []
start: 2026-01-01T00:00:00Z
`

func TestParse(t *testing.T) {
	f, err := Parse("dir/t.yaml", []byte(good))
	require.NoError(t, err)
	require.Len(t, f.Profiles, 2)
	assert.Equal(t, filepath.Join("dir", "profile.json"), f.Profiles[0].Path)
	assert.Equal(t, Pos{3, 5}, f.Profiles[0].Pos)
	assert.JSONEq(t, `{"securityProfileName":"inline","behaviors":[{"name":"b","metric":"aws:num-messages-sent",
	  "criteria":{"comparisonOperator":"less-than","value":{"count":5},"durationSeconds":300}}]}`, string(f.Profiles[1].JSON))
	assert.Equal(t, filepath.Join("dir", "dim.json"), f.Dimensions[0].Path)
	assert.Equal(t, "/abs/metric.json", f.CustomMetrics[0].Path)
	assert.Equal(t, []ThingGroups{{"cam-1", []string{"cams", "outdoor"}}}, f.ThingGroups)
	assert.Equal(t, []string{"thinggroup/cams"}, f.Targets)
	assert.Equal(t, time.Minute, f.Period)
	assert.True(t, f.Cumulative)
	require.Len(t, f.Tests, 1)
	c := f.Tests[0]
	assert.Equal(t, "one", c.Name)
	assert.Equal(t, filepath.Join("dir", "in.jsonl"), c.Input)
	assert.Equal(t, []Series{{Pos{16, 34}, "cam-1 message-sent dt/t", "0+10x2 _"}}, c.Series)
	assert.True(t, c.SkipBad)
	assert.Equal(t, detecttest.T(time.Hour), c.Until)
	require.Len(t, c.Events, 3)
	assert.Equal(t, detecttest.Event{Time: detecttest.T(25 * time.Minute), Type: "in-alarm", Thing: "cam-1", Behavior: "b", Value: `{"count":3}`}, c.Events[0].Event)
	assert.Equal(t, detecttest.Event{Time: detecttest.T(30 * time.Minute), Type: "alarm-invalidated", Thing: "cam-1", Profile: "p", Behavior: "b"}, c.Events[1].Event)
	assert.Equal(t, detecttest.T(30*time.Minute), c.Events[2].Event.Time)
	assert.Equal(t, `{"strings":["eth0"]}`, c.Events[2].Event.Value)
	assert.Equal(t, Pos{20, 9}, c.Events[0].Pos)
	require.Len(t, c.Active, 2)
	assert.Equal(t, []detecttest.Active{{Thing: "cam-1", Behavior: "b", Since: detecttest.T(25 * time.Minute), Value: `{"number":1.5}`}}, c.Active[0].Violations)
	assert.Equal(t, []detecttest.Active{}, c.Active[1].Violations)
}

// The start given anywhere in the file applies to every relative time.
func TestParseStartFirst(t *testing.T) {
	f, err := Parse("t.json", []byte(`{"tests":[{"name":"x","input":"i","until":"5m"}],"profiles":["p.json"],"start":"2030-01-01T00:00:00Z"}`))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2030, 1, 1, 0, 5, 0, 0, time.UTC), f.Tests[0].Until)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "t.yaml: empty test file"},
		{"syntax", "profiles: [a\ntests: x", "t.yaml:1:1: did not find expected ',' or ']'"},
		{"not a mapping", "[1]", "t.yaml:1:1: test file: want a mapping"},
		{"unknown key", "profiles: [p]\nprofile: x", `t.yaml:2:1: test file: unknown key "profile"`},
		{"twice", "period: 60\nperiod: 60", `t.yaml:2:1: test file: key "period" given twice`},
		{"period", "period: 7", `t.yaml:1:9: period: "7": want a number of seconds dividing 300`},
		{"alias", "profiles: &a [p]\ntests: *a", "t.yaml:1:11: anchors and aliases are not supported"},
		{"two docs", "profiles: [p]\n---\nx: 1", "t.yaml:2:1: a second document: a test file is one document"},
		{"no name", "tests: [{input: x}]", "t.yaml:1:9: test: name is required"},
		{"no input", "tests: [{name: x}]", `t.yaml:1:9: test "x": give input or input_series`},
		{"series", "tests:\n  - name: x\n    input_series: {\"c message-sent t\": \"1 2 q\"}", `t.yaml:3:40: series "c message-sent t": series term "q" at offset 4: "q" is not a finite number`},
		{"series key", "tests:\n  - name: x\n    input_series: {\"c teleport\": \"1\"}", `t.yaml:3:34: series "c teleport": kind "teleport": want message-sent, message-received, authorization-failure, connect, disconnect or report`},
		{"time", "tests:\n  - name: x\n    input: i\n    until: soon", `t.yaml:4:12: until: "soon" is neither an RFC 3339 time, Unix seconds, nor a duration such as 25m after start`},
		{"event type", "tests:\n  - name: x\n    input: i\n    expected_events: [{time: 5m, type: alarm, thing: a, behavior: b}]", `t.yaml:4:40: type "alarm": want in-alarm, alarm-cleared or alarm-invalidated`},
		{"event no value", "tests:\n  - name: x\n    input: i\n    expected_events: [{time: 5m, type: in-alarm, thing: a, behavior: b}]", "t.yaml:4:23: expected event: in-alarm needs the value that triggered it"},
		{"event missing", "tests:\n  - name: x\n    input: i\n    expected_events: [{time: 5m, type: in-alarm}]", "t.yaml:4:23: expected event: time, type, thing and behavior are required"},
		{"value key", "tests:\n  - name: x\n    input: i\n    expected_events: [{time: 5m, type: in-alarm, thing: a, behavior: b, value: {cnt: 1}}]", `t.yaml:4:81: value: unknown key "cnt": want one of count, cidrs, ports, number, numbers, strings`},
		{"value two", "tests:\n  - name: x\n    input: i\n    expected_events: [{time: 5m, type: in-alarm, thing: a, behavior: b, value: {count: 1, number: 2}}]", "t.yaml:4:80: value: want exactly one of count, cidrs, ports, number, numbers, strings"},
		{"active", "tests:\n  - name: x\n    input: i\n    expected_active: [{at: 5m}]", "t.yaml:4:23: expected_active: at and violations are required (violations: [] for none)"},
		{"active since", "tests:\n  - name: x\n    input: i\n    expected_active: [{at: 5m, violations: [{thing: a, behavior: b}]}]", "t.yaml:4:45: active violation: thing, behavior and since are required"},
		{"no profiles", "profiles: []", "t.yaml:1:11: profiles: at least one is needed"},
		{"bool", "cumulative_network_stats: yes", "t.yaml:1:27: cumulative_network_stats: want true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.in))
			require.ErrorIs(t, err, ErrBadFile)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`{"profiles":["p"],"tests":[{"name":"x","input":"i"}]}`))
	f.Add([]byte("a: &x [*x]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("t.yaml", data)
		if err != nil {
			require.ErrorIs(t, err, ErrBadFile)
			return
		}
		for _, c := range file.Tests {
			require.NotEmpty(t, c.Name)
			for _, e := range c.Events {
				require.Positive(t, e.Pos.Line)
			}
		}
	})
}

// JSON test files, tab-indented as JSON often is, parse as YAML does,
// with positions.
func TestParseJSONWithTabs(t *testing.T) {
	f, err := Parse("t.json", []byte("{\n\t\"profiles\": [\"p.json\"],\n\t\"tests\": [\n\t\t{\"name\": \"x\", \"input\": \"i.jsonl\",\n\t\t \"expected_events\": [{\"time\": \"5m\", \"type\": \"in-alarm\", \"thing\": \"a\", \"behavior\": \"b\", \"value\": {\"count\": 3}}]}\n\t]\n}\n"))
	require.NoError(t, err)
	require.Len(t, f.Tests, 1)
	assert.Equal(t, Pos{4, 3}, f.Tests[0].Pos)
	assert.Equal(t, `{"count":3}`, f.Tests[0].Events[0].Event.Value)
	_, err = Parse("t.json", []byte("{\n\t\"profiles\": [\"p.json\"],\n\t\"tests\": 7\n}"))
	require.ErrorIs(t, err, ErrBadFile)
	assert.Equal(t, "t.json:3:11: tests: want a list", err.Error())
}
