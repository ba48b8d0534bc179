package behavior

import (
	"errors"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		kind      error
		path      string
		line, col int
		msg       string
	}{
		{"port not an integer", "{\"behaviors\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"},\n{\"name\":\"d\",\"criteria\":{\"value\":{\"ports\":[1.5]}}}]}",
			ErrWrongType, "behaviors[3].criteria.value.ports[0]", 2, 43, "got number 1.5, want integer"},
		{"count as string", `[{"name":"a","criteria":{"value":{"count":"5"}}}]`, ErrWrongType, "[0].criteria.value.count", 1, 43, "got string, want integer"},
		{"name as number", `[{"name": 5}]`, ErrWrongType, "[0].name", 1, 11, "got number, want string"},
		{"count overflow", `[{"name":"x","criteria":{"value":{"count":1e99}}}]`, ErrWrongType, "[0].criteria.value.count", 1, 43, "got number 1e99, want integer"},
		{"bool as string", `{"securityProfileName":"p","behaviors":[{"name":"x","suppressAlerts":"yes"}]}`, ErrWrongType, "behaviors[0].suppressAlerts", 1, 70, "got string, want boolean"},
		{"bad timestamp", `{"securityProfileName":"x","creationDate":"yesterday"}`, ErrWrongType, "creationDate", 1, 43, "got string, want a timestamp (epoch seconds or an RFC 3339 string)"},
		{"unknown member", `{"securityProfileName":"p","behaviors":[{"name":"x","criteria":{"valu":{}}}]}`, ErrUnknownField, "behaviors[0].criteria.valu", 1, 65,
			`unknown field "valu"; want one of comparisonOperator, value, durationSeconds, consecutiveDatapointsToAlarm, consecutiveDatapointsToClear, statisticalThreshold, mlDetectionConfig`},
		{"case matters", `[{"Name":"x"}]`, ErrUnknownField, "[0].Name", 1, 3, `unknown field "Name"; want one of name, metric, metricDimension, criteria, suppressAlerts, exportMetric`},
		{"unknown alert target member", `{"securityProfileName":"p","alertTargets":{"SNS":{"alertTargetArn":"a","roleArn":"r","x":1}}}`, ErrUnknownField, "alertTargets.SNS.x", 1, 86,
			`unknown field "x"; want one of alertTargetArn, roleArn`},
		{"syntax error", "[\n  {\"name\": \"a\",}\n]", ErrMalformedJSON, "[0]", 2, 16, "invalid character '}' at start of string (expecting '\"')"},
		{"truncated", `{"behaviors":[`, ErrMalformedJSON, "behaviors", 1, 15, "unexpected EOF"},
		{"empty", "  \n", ErrMalformedJSON, "", 2, 1, "empty input"},
		{"trailing data", `[] []`, ErrMalformedJSON, "", 1, 4, "unexpected data after the top-level value"},
		{"duplicate member", `{"behaviors":[],"behaviors":[]}`, ErrMalformedJSON, "behaviors", 1, 17, "duplicate object member name"},
		{"invalid UTF-8", "[{\"name\":\"\xff\"}]", ErrMalformedJSON, "[0].name", 1, 11, "invalid UTF-8"},
		{"not an object", `42`, ErrUnrecognized, "", 1, 1, "got number, want a behaviors array, a security profile or a CloudFormation document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDocument([]byte(tc.doc))
			assert.Nil(t, d)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			assert.True(t, errors.Is(err, tc.kind), "kind %v", de.Kind)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.Equal(t, tc.path, de.Path)
			assert.Equal(t, tc.line, de.Line, "line")
			assert.Equal(t, tc.col, de.Column, "column")
			assert.Equal(t, tc.msg, de.Msg)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestParseBehaviorsForms(t *testing.T) {
	want := []Behavior{{Name: "a", Metric: "aws:num-disconnects"}}
	for _, doc := range []string{`[{"name":"a","metric":"aws:num-disconnects"}]`, `{"behaviors":[{"name":"a","metric":"aws:num-disconnects"}]}`} {
		bs, err := ParseBehaviors([]byte(doc))
		require.NoError(t, err)
		assert.Equal(t, want, bs)
	}
	_, err := ParseBehaviors([]byte(`{"behaviors":[],"securityProfileName":"x"}`))
	assert.ErrorIs(t, err, ErrUnknownField)
}

func TestParseUpdateSecurityProfile(t *testing.T) {
	in, err := ParseUpdateSecurityProfile([]byte(`{"securityProfileName":"p","deleteBehaviors":true,"deleteAlertTargets":true,"deleteAdditionalMetricsToRetain":true,"deleteMetricsExportConfig":true,"expectedVersion":3}`))
	require.NoError(t, err)
	assert.Equal(t, &UpdateSecurityProfileInput{SecurityProfileName: "p", DeleteBehaviors: true, DeleteAlertTargets: true,
		DeleteAdditionalMetricsToRetain: true, DeleteMetricsExportConfig: true, ExpectedVersion: ptr[int64](3)}, in)

	d, err := ParseDocument([]byte(`{"securityProfileName":"p","expectedVersion":3,"behaviors":[]}`))
	require.NoError(t, err)
	assert.Equal(t, UpdateProfileDocument, d.Kind)
	assert.NotNil(t, d.Update.Behaviors, "an empty list is a value, not an absence")

	_, err = ParseUpdateSecurityProfile([]byte(`[]`))
	assert.ErrorIs(t, err, ErrWrongType)
	_, err = ParseSecurityProfile([]byte(`{"securityProfileName":"p","deleteBehaviors":true}`))
	assert.ErrorIs(t, err, ErrUnknownField)
}

// TestRoundTrip: decode → encode → decode of every reference document that
// holds these shapes gives the same JSON, compared as decoded values.
func TestRoundTrip(t *testing.T) {
	files := []string{
		"cli-create-security-profile.input.json", "cli-create-security-profile.output.json",
		"cli-describe-security-profile.output.json", "cli-update-security-profile.input.json",
		"cli-update-security-profile.output.json", "cli-validate-security-profile-behaviors-valid.input.json",
		"cli-validate-security-profile-behaviors-invalid.input.json",
		"devguide-custom-metrics-create-security-profile.input.json", "devguide-custom-metrics-create-security-profile.output.json",
		"devguide-custom-metrics-update-security-profile.input.json", "devguide-scoping-create-security-profile.input.json",
		"devguide-scoping-create-security-profile.output.json", "devguide-scoping-update-security-profile.output.json",
		"devguide-ml-update-security-profile.output.json", "devguide-troubleshoot-listening-tcp-ports-behavior.json",
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data := readTestdata(t, f)
			d, err := ParseDocument(data)
			require.NoError(t, err)
			out, err := json.Marshal(d)
			require.NoError(t, err)
			assertSameJSON(t, data, out)
		})
	}
	var examples []devguideExample
	require.NoError(t, json.Unmarshal(readTestdata(t, "devguide-behavior-examples.json"), &examples, json.MatchCaseInsensitiveNames(true)))
	for _, ex := range examples {
		var b Behavior
		require.NoError(t, json.Unmarshal(ex.Behavior, &b, json.RejectUnknownMembers(true)))
		out, err := json.Marshal(b)
		require.NoError(t, err)
		assertSameJSON(t, ex.Behavior, out)
	}
}

func assertSameJSON(t *testing.T, want, got []byte) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal(want, &w))
	require.NoError(t, json.Unmarshal(got, &g))
	assert.Equal(t, w, g)
}

// TestCloudFormationRoundTrip: a CloudFormation document re-encodes as a
// template whose properties decode to the same values.
func TestCloudFormationRoundTrip(t *testing.T) {
	for _, f := range []string{"cfn-security-profile.json", "cfn-contract-securityprofile-inputs_1_create.json", "cfn-contract-securityprofile-inputs_1_update.json", "cfn-contract-securityprofile-inputs_1_invalid.json"} {
		d, err := ParseDocument(readTestdata(t, f))
		require.NoError(t, err, f)
		out, err := json.Marshal(d)
		require.NoError(t, err)
		again, err := ParseDocument(out)
		require.NoError(t, err, string(out))
		require.Len(t, again.CloudFormation, len(d.CloudFormation))
		for i := range d.CloudFormation {
			assert.Equal(t, d.CloudFormation[i].Profile, again.CloudFormation[i].Profile, f)
			assert.Equal(t, d.CloudFormation[i].TargetArns, again.CloudFormation[i].TargetArns, f)
		}
	}
}
