package behavior

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecurityProfileValidate(t *testing.T) {
	const okBehavior = `{"name":"b","metric":"aws:num-disconnects","criteria":{"comparisonOperator":"less-than","value":{"count":1},"durationSeconds":300}}`
	manyTags := `[` + strings.TrimSuffix(strings.Repeat(`{"Key":"k","Value":"v"},`, 51), ",") + `]`
	tests := []struct {
		name string
		doc  string
		opts ValidateOptions
		want []string
	}{
		{"valid", `{"securityProfileName":"p","securityProfileDescription":"A valid security profile 1!@#$%^&*()","behaviors":[` + okBehavior + `],"alertTargets":{"SNS":{"alertTargetArn":"arn:aws:sns:us-east-1:123456789012:t","roleArn":"arn:aws:iam::123456789012:role/r"}},"additionalMetricsToRetain":["aws:num-messages-sent","battery"],"additionalMetricsToRetainV2":[{"metric":"aws:num-authorization-failures","metricDimension":{"dimensionName":"D","operator":"NOT_IN"},"exportMetric":true}],"metricsExportConfig":{"mqttTopic":"$aws/rules/export","roleArn":"arn:aws:iam::123456789012:role/r"},"tags":[{"Key":"Äpp name_1:/=+-@.","Value":""},{"Key":"k"}]}`, ValidateOptions{}, nil},
		{"name missing", `{"behaviors":[` + okBehavior + `]}`, ValidateOptions{}, []string{"securityProfileName is required"}},
		{"name too long", `{"securityProfileName":"` + strings.Repeat("p", 129) + `"}`, ValidateOptions{}, []string{"securityProfileName length 129 should be in range[1,128]"}},
		{"name pattern", `{"securityProfileName":"my profile"}`, ValidateOptions{}, []string{`securityProfileName "my profile" should match pattern [a-zA-Z0-9:_-]+`}},
		{"description too long", `{"securityProfileName":"p","securityProfileDescription":"` + strings.Repeat("d", 1001) + `"}`, ValidateOptions{}, []string{"securityProfileDescription length 1001 should be at most 1000"}},
		{"description control character", `{"securityProfileName":"p","securityProfileDescription":"line\nbreak"}`, ValidateOptions{},
			[]string{`securityProfileDescription should match pattern [\p{Graph}\x20]* (printable ASCII and spaces), not contain '\n' at character 5`}},
		{"description not ASCII", `{"securityProfileName":"p","securityProfileDescription":"Température"}`, ValidateOptions{},
			[]string{`securityProfileDescription should match pattern [\p{Graph}\x20]* (printable ASCII and spaces), not contain 'é' at character 5`}},
		{"alert target key", `{"securityProfileName":"p","alertTargets":{"EMAIL":{"alertTargetArn":"a","roleArn":"arn:aws:iam::123456789012:role/r"}}}`, ValidateOptions{}, []string{`alertTargets key "EMAIL" should be SNS`}},
		{"alert target ARNs missing", `{"securityProfileName":"p","alertTargets":{"SNS":{}}}`, ValidateOptions{},
			[]string{"alertTargets.SNS.alertTargetArn is required", "alertTargets.SNS.roleArn is required"}},
		{"alert role too short", `{"securityProfileName":"p","alertTargets":{"SNS":{"alertTargetArn":"a","roleArn":"arn:r"}}}`, ValidateOptions{},
			[]string{"alertTargets.SNS.roleArn length 5 should be in range[20,2048]"}},
		{"retained metric unknown", `{"securityProfileName":"p","additionalMetricsToRetain":["aws:nope",""]}`, ValidateOptions{},
			[]string{"additionalMetricsToRetain[0] metric aws:nope is not supported", "additionalMetricsToRetain[1].metric is required"}},
		{"retained custom metric missing", `{"securityProfileName":"p","additionalMetricsToRetainV2":[{"metric":"battery"}]}`, ValidateOptions{CustomMetrics: map[string]CustomMetricType{}},
			[]string{"additionalMetricsToRetainV2[0] custom metric battery does not exist"}},
		{"retained dimension not allowed", `{"securityProfileName":"p","additionalMetricsToRetainV2":[{"metric":"aws:all-bytes-in","metricDimension":{"dimensionName":"D"}},{"metric":"battery","metricDimension":{"dimensionName":"D","operator":"OUT"}}]}`, ValidateOptions{},
			[]string{"additionalMetricsToRetainV2[0].metricDimension cannot be used with metric aws:all-bytes-in",
				"additionalMetricsToRetainV2[1].metricDimension cannot be used with metric battery",
				`additionalMetricsToRetainV2[1]: metricDimension.operator "OUT" should be IN or NOT_IN`}},
		{"retained dimension missing", `{"securityProfileName":"p","additionalMetricsToRetainV2":[{"metric":"aws:num-messages-sent","metricDimension":{"dimensionName":"Gone"}}]}`,
			ValidateOptions{DimensionExists: func(string) bool { return false }}, []string{"additionalMetricsToRetainV2[0]: dimension Gone does not exist"}},
		{"export config", `{"securityProfileName":"p","metricsExportConfig":{"mqttTopic":"","roleArn":"short"}}`, ValidateOptions{},
			[]string{"metricsExportConfig.mqttTopic is required", "metricsExportConfig.roleArn length 5 should be in range[20,2048]"}},
		{"too many tags", `{"securityProfileName":"p","tags":` + manyTags + `}`, ValidateOptions{}, []string{"tags has 51 tags; at most 50 are allowed"}},
		{"tag key", `{"securityProfileName":"p","tags":[{"Key":""},{"Key":"a*b"},{"Key":"k","Value":"` + strings.Repeat("v", 257) + `"}]}`, ValidateOptions{},
			[]string{"tags[0].Key is required", `tags[1].Key "a*b" should match pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`, "tags[2].Value length 257 should be in range[0,256]"}},
		{"behavior problems are included", `{"securityProfileName":"p","behaviors":[{"name":"b"}]}`, ValidateOptions{},
			[]string{"Behavior b is malformed. metric is required", "Behavior b is malformed. criteria is required; to retain a metric without a rule, use additionalMetricsToRetainV2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := ParseSecurityProfile([]byte(tc.doc))
			require.NoError(t, err)
			r := sp.Validate(tc.opts)
			assert.Equal(t, tc.want == nil, r.Valid)
			if tc.want == nil {
				tc.want = []string{}
			}
			assert.Equal(t, tc.want, messages(r))
		})
	}
}

func TestUpdateValidate(t *testing.T) {
	in, err := ParseUpdateSecurityProfile([]byte(`{"securityProfileName":"p","behaviors":[],"deleteBehaviors":true,"alertTargets":{},"deleteAlertTargets":true,"additionalMetricsToRetainV2":[],"deleteAdditionalMetricsToRetain":true,"metricsExportConfig":{"mqttTopic":"t","roleArn":"arn:aws:iam::123456789012:role/r"},"deleteMetricsExportConfig":true}`))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"deleteBehaviors cannot be set together with behaviors",
		"deleteAlertTargets cannot be set together with alertTargets",
		"deleteAdditionalMetricsToRetain cannot be set together with additionalMetricsToRetain or additionalMetricsToRetainV2",
		"deleteMetricsExportConfig cannot be set together with metricsExportConfig",
	}, messages(in.Validate(ValidateOptions{})))

	in, err = ParseUpdateSecurityProfile([]byte(`{"securityProfileName":"p","expectedVersion":2,"deleteBehaviors":true,"securityProfileDescription":"x"}`))
	require.NoError(t, err)
	assert.True(t, in.Validate(ValidateOptions{}).Valid)

	in, err = ParseUpdateSecurityProfile([]byte(`{"expectedVersion":2,"behaviors":[{"name":"b","metric":"aws:num-disconnects","criteria":{"comparisonOperator":"less-than","value":{"count":1}}}]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"securityProfileName is required", "Behavior b is malformed. durationSeconds is required for metric aws:num-disconnects"}, messages(in.Validate(ValidateOptions{})))
}
