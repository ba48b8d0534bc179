package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// profileEvents is an output's events as "TIME THING PROFILE BEHAVIOR TYPE".
func profileEvents(t *testing.T, stdout string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if l == "" {
			continue
		}
		var ev replayEvent
		require.NoError(t, json.Unmarshal([]byte(l), &ev), l)
		out = append(out, strings.Join([]string{
			time.Unix(int64(*ev.ViolationEventTime), 0).UTC().Format("15:04:05"),
			ev.ThingName, ev.SecurityProfileName, ev.Behavior.Name, ev.ViolationEventType,
		}, " "))
	}
	return out
}

// formsInput exercises the reference profiles: message sizes 500, 3 and 4
// bytes and one authorization failure.
var formsInput = lines(
	`{"time":"2026-01-01T00:00:10Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":500}`,
	`{"time":"2026-01-01T00:00:20Z","thingName":"cam-2","type":"message-sent","topic":"dt/a","bytes":3}`,
	`{"time":"2026-01-01T00:01:00Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":4}`,
	`{"time":"2026-01-01T00:06:00Z","thingName":"cam-2","type":"authorization-failure","topic":"x"}`,
)

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	return p
}

// TestReplayProfileForms replays the AWS reference documents unchanged.
// Expected events, by hand:
//   - describe-security-profile (PossibleIssue): CellularBandwidth expects
//     message sizes greater than 128, so 3 (cam-2, 00:00:20) and 4 (cam-1,
//     00:01:00) alarm and 500 does not; Authorization expects more than 10
//     failures per 5 minutes, so both things' 0 at the 00:05:00 boundary
//     alarm (cam-2's one failure makes 1 at 00:10:00, still in alarm).
//   - the CloudFormation sample (ProfileForConnectedDevices, YAML and JSON
//     alike): MaxMessageSize expects at most 5 bytes, so 500 alarms at
//     00:00:10 and 4 clears it at 00:01:00; 1 message per 5 minutes is
//     within OutboundMessageCount's 50; AuthFailuresStatThreshold compares
//     each thing's failures with the fleet's nearest-rank p90, 0 of {0, 0}
//     at 00:05:00 and 1 of {0, 1} at 00:10:00, and no count exceeds it.
func TestReplayProfileForms(t *testing.T) {
	describe := []string{
		"00:00:20 cam-2 PossibleIssue CellularBandwidth in-alarm",
		"00:01:00 cam-1 PossibleIssue CellularBandwidth in-alarm",
		"00:05:00 cam-1 PossibleIssue Authorization in-alarm",
		"00:05:00 cam-2 PossibleIssue Authorization in-alarm",
	}
	cfn := []string{
		"00:00:10 cam-1 ProfileForConnectedDevices MaxMessageSize in-alarm",
		"00:01:00 cam-1 ProfileForConnectedDevices MaxMessageSize alarm-cleared",
	}
	behaviors := []string{"00:00:10 cam-1 big Big in-alarm", "00:01:00 cam-1 big Big alarm-cleared"}
	bigBehavior := `{"name":"Big","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than","value":{"count":100}}}`
	tests := []struct {
		name    string
		profile string
		want    []string
	}{
		{"describe-security-profile output", filepath.Join("testdata", "cli-describe-security-profile.output.json"), describe},
		{"CloudFormation YAML template", filepath.Join("testdata", "cfn-security-profile.yaml"), cfn},
		{"CloudFormation JSON template", filepath.Join("testdata", "cfn-security-profile.json"), cfn},
		{"behaviors array, named after its file", writeFile(t, "big.json", "["+bigBehavior+"]"), behaviors},
		{"ValidateSecurityProfileBehaviors request", writeFile(t, "big.json", `{"behaviors":[`+bigBehavior+`]}`), behaviors},
		{"one behavior", writeFile(t, "big.json", bigBehavior), behaviors},
		{"CreateSecurityProfile request in YAML", writeFile(t, "p.yaml", "securityProfileName: big\nbehaviors:\n  - name: Big\n    metric: aws:message-byte-size\n    criteria: {comparisonOperator: less-than, value: {count: 100}}\n"), behaviors},
		{"bare CloudFormation resource, named after its file", writeFile(t, "big.yml", "Type: AWS::IoT::SecurityProfile\nProperties:\n  Behaviors:\n    - Name: Big\n      Metric: aws:message-byte-size\n      Criteria: {ComparisonOperator: less-than, Value: {Count: '100'}}\n"), behaviors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(formsInput, "replay", "--profile", tc.profile)
			require.Equal(t, 0, code, stderr)
			assert.Equal(t, tc.want, profileEvents(t, stdout))

			code, stdout, stderr = runCLI("", "validate", tc.profile)
			assert.Equal(t, 0, code, stderr)
			assert.Equal(t, `{"valid":true,"validationErrors":[]}`+"\n", stdout)
		})
	}
}

func TestReplayProfileFormErrors(t *testing.T) {
	tests := []struct {
		name, file, data, want string
	}{
		{"update request", "u.json", `{"securityProfileName":"p","expectedVersion":1,"behaviors":[]}`, "UpdateSecurityProfile request changes an existing profile"},
		{"behaviors without a usable name", "my profile.json", `[]`, `the file's name "my profile" is not one`},
		{"YAML syntax", "bad.yaml", "Resources:\n  - a\n b: c\n", "YAML: "},
		{"YAML misspelt property, at its YAML line", "bad.yaml", "Resources:\n  P:\n    Type: AWS::IoT::SecurityProfile\n    Properties:\n      Behaviours: []\n", "Behaviours"},
		{"unresolved intrinsic function", "ref.yaml", "Resources:\n  P:\n    Type: AWS::IoT::SecurityProfile\n    Properties:\n      SecurityProfileName: !Ref Name\n", "SecurityProfileName"},
		{"target ARN that is not one", "t.yaml", "Type: AWS::IoT::SecurityProfile\nProperties:\n  SecurityProfileName: p\n  TargetArns: [things]\n", `"things" is not an AWS IoT ARN`},
		{"target the engine does not know", "t.yaml", "Type: AWS::IoT::SecurityProfile\nProperties:\n  SecurityProfileName: p\n  TargetArns: ['arn:aws:iot:us-east-1:123456789012:all/devices']\n", "AttachSecurityProfile"},
		{"template dimension with a misspelt property", "d.yaml", "Resources:\n  D:\n    Type: AWS::IoT::Dimension\n    Properties: {Name: d, Type: TOPIC_FILTER, StringValue: [a]}\n  P:\n    Type: AWS::IoT::SecurityProfile\n    Properties: {SecurityProfileName: p}\n", "Resources.D.Properties"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(formsInput, "replay", "--profile", writeFile(t, tc.file, tc.data))
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want)
		})
	}

	// A YAML decoding error is told at the YAML's line and column.
	_, err := parseProfileDocument([]byte("Resources:\n  P:\n    Type: AWS::IoT::SecurityProfile\n    Properties:\n      Behaviours: []\n"))
	var de *behavior.DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, [2]int{5, 7}, [2]int{de.Line, de.Column}, err.Error())
}

// TestReplayTargets: a template's profiles go to their TargetArns (the
// engine's own region and account), thing groups come from --thing-groups,
// and the template's dimension and custom metric are created.
func TestReplayTargets(t *testing.T) {
	template := `
AWSTemplateFormatVersion: 2010-09-09
Resources:
  Telemetry:
    Type: AWS::IoT::Dimension
    Properties:
      Type: TOPIC_FILTER
      StringValues: [dt/#]
  Battery:
    Type: AWS::IoT::CustomMetric
    Properties:
      MetricName: battery
      MetricType: number
  CamerasOnly:
    Type: AWS::IoT::SecurityProfile
    Properties:
      SecurityProfileName: cameras
      Behaviors:
        - Name: Size
          Metric: aws:message-byte-size
          MetricDimension: {DimensionName: Telemetry}
          Criteria: {ComparisonOperator: less-than, Value: {Count: 100}}
      TargetArns:
        - arn:aws:iot:eu-west-1:111122223333:thinggroup/cams
  Everyone:
    Type: AWS::IoT::SecurityProfile
    Properties:
      Behaviors:
        - Name: Battery
          Metric: battery
          Criteria: {ComparisonOperator: greater-than, Value: {Number: 10}}
`
	groups := writeFile(t, "groups.json", `{"cam-1":["cams"],"sensor-1":["sensors"]}`)
	input := lines(
		`{"time":"2026-01-01T00:00:10Z","thingName":"cam-1","type":"message-sent","topic":"dt/a","bytes":500}`,
		`{"time":"2026-01-01T00:00:10Z","thingName":"cam-2","type":"message-sent","topic":"dt/a","bytes":500}`,
		`{"time":"2026-01-01T00:00:10Z","thingName":"sensor-1","type":"message-sent","topic":"dt/a","bytes":500}`,
		`{"time":"2026-01-01T00:00:20Z","thingName":"cam-1","type":"message-sent","topic":"cmd/a","bytes":500}`,
		`{"time":"2026-01-01T00:00:30Z","thingName":"sensor-1","report":{"header":{"report_id":1,"version":"1.0"},"metrics":{},"custom_metrics":{"battery":[{"number":5}]}}}`,
	)
	code, stdout, stderr := runCLI(input, "replay", "--thing-groups", groups, "--profile", writeFile(t, "t.yaml", template))
	require.Equal(t, 0, code, stderr)
	// Only cam-1 is in cams; cmd/a is outside the dimension; Everyone (the
	// logical ID names it) has no targets, so it covers all things.
	assert.Equal(t, []string{
		"00:00:10 cam-1 cameras Size in-alarm",
		"00:00:30 sensor-1 Everyone Battery in-alarm",
	}, profileEvents(t, stdout))

	code, _, stderr = runCLI(input, "replay", "--thing-groups", writeFile(t, "g.json", `{"cam-1":"cams"}`), "--profile", writeFile(t, "t.yaml", template))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "g.json: want a JSON object mapping thing names to arrays of thing group names")
	code, _, stderr = runCLI(input, "replay", "--thing-groups", writeFile(t, "g.json", `{"cam-1":["bad group!"]}`), "--profile", writeFile(t, "t.yaml", template))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--thing-groups: SetThingGroups")
}

func TestParseProfileDocumentKinds(t *testing.T) {
	tests := []struct {
		name, data string
		kind       behavior.DocumentKind
	}{
		{"JSON array", ` [{"name":"a"}]`, behavior.BehaviorListDocument},
		{"JSON object", "\n{\"behaviors\":[]}", behavior.BehaviorsRequestDocument},
		{"YAML request", "securityProfileName: p\n", behavior.CreateProfileDocument},
		{"YAML description", "securityProfileName: p\nversion: 1\n", behavior.DescribeProfileDocument},
		{"YAML sequence", "- name: a\n", behavior.BehaviorListDocument},
		{"YAML template", "Resources:\n  P:\n    Type: AWS::IoT::SecurityProfile\n    Properties: {}\n", behavior.CloudFormationDocument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseProfileDocument([]byte(tc.data))
			require.NoError(t, err)
			assert.Equal(t, tc.kind, d.Kind)
		})
	}
	// Malformed JSON stays a JSON error, with its position.
	_, err := parseProfileDocument([]byte(`{"behaviors": [}`))
	assert.ErrorIs(t, err, behavior.ErrMalformedJSON)
}

// TestTemplateResources reads the CloudFormation samples of a dimension and
// a custom metric as the requests replay makes of them.
func TestTemplateResources(t *testing.T) {
	tests := []struct {
		file string
		want profileSetup
	}{
		{"cfn-dimension.yaml", profileSetup{dims: []ruledetect.CreateDimensionInput{{
			Name: "TopicFilterForAuthMessages", Type: "TOPIC_FILTER", StringValues: []string{"device/+/auth"},
			Tags: []behavior.Tag{{Key: "Application", Value: new("SmartHome")}},
		}}}},
		{"cfn-dimension.json", profileSetup{dims: []ruledetect.CreateDimensionInput{{
			Name: "TopicFilterForAuthMessages", Type: "TOPIC_FILTER", StringValues: []string{"device/+/auth"},
			Tags: []behavior.Tag{{Key: "Application", Value: new("SmartHome")}},
		}}}},
		{"cfn-custom-metric.yaml", profileSetup{metrics: []ruledetect.CreateCustomMetricInput{{
			MetricName: "batteryPercentage", DisplayName: "Remaining battery percentage", MetricType: "number",
		}}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			require.NoError(t, err)
			if filepath.Ext(tc.file) == ".yaml" {
				data, _, err = yamlToJSON(data)
				require.NoError(t, err)
			}
			var got profileSetup
			require.NoError(t, templateResources(data, &got))
			assert.Equal(t, tc.want, got)
		})
	}
}
