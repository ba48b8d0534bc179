package behavior

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// TestReferenceDocumentsValid: every AWS example document that holds a
// profile or behaviors decodes as the expected kind and validates.
func TestReferenceDocumentsValid(t *testing.T) {
	tests := []struct {
		file string
		kind DocumentKind
	}{
		{"cli-create-security-profile.input.json", CreateProfileDocument},
		{"cli-create-security-profile.output.json", DescribeProfileDocument},
		{"cli-describe-security-profile.output.json", DescribeProfileDocument},
		{"cli-update-security-profile.input.json", CreateProfileDocument}, // no delete*/expectedVersion: reads as create
		{"cli-update-security-profile.output.json", DescribeProfileDocument},
		{"cli-validate-security-profile-behaviors-valid.input.json", BehaviorsRequestDocument},
		{"devguide-custom-metrics-create-security-profile.input.json", CreateProfileDocument},
		{"devguide-custom-metrics-create-security-profile.output.json", DescribeProfileDocument},
		{"devguide-custom-metrics-update-security-profile.input.json", CreateProfileDocument},
		{"devguide-scoping-create-security-profile.input.json", CreateProfileDocument},
		{"devguide-scoping-create-security-profile.output.json", DescribeProfileDocument},
		{"devguide-scoping-update-security-profile.output.json", DescribeProfileDocument},
		{"devguide-ml-update-security-profile.output.json", DescribeProfileDocument},
		{"cfn-security-profile.json", CloudFormationDocument},
		{"cfn-contract-securityprofile-inputs_1_create.json", CloudFormationDocument},
		{"cfn-contract-securityprofile-inputs_1_update.json", CloudFormationDocument},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			d, err := ParseDocument(readTestdata(t, tc.file))
			require.NoError(t, err)
			assert.Equal(t, tc.kind, d.Kind)
			r := d.Validate(ValidateOptions{})
			assert.True(t, r.Valid, messages(r))
			assert.NotNil(t, r.ValidationErrors)
		})
	}
}

// TestReferenceDocumentsWithKnownMetrics validates the profiles against the
// custom metrics and dimensions their own guides create.
func TestReferenceDocumentsWithKnownMetrics(t *testing.T) {
	opts := ValidateOptions{
		CustomMetrics:   map[string]CustomMetricType{"batteryPercentage": CustomNumber},
		DimensionExists: func(n string) bool { return n == "TopicFilterForAuthMessages" },
	}
	for _, f := range []string{"devguide-custom-metrics-create-security-profile.input.json", "devguide-scoping-create-security-profile.input.json"} {
		d, err := ParseDocument(readTestdata(t, f))
		require.NoError(t, err)
		r := d.Validate(opts)
		assert.True(t, r.Valid, "%s: %v", f, messages(r))
	}
	opts.CustomMetrics = map[string]CustomMetricType{}
	d, err := ParseDocument(readTestdata(t, "devguide-custom-metrics-create-security-profile.input.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"Behavior great-than-75 is malformed. custom metric batteryPercentage does not exist"}, messages(d.Validate(opts)))
}

// TestValidateAWSInvalidExample reproduces the ValidateSecurityProfileBehaviors
// output of the AWS CLI example byte for byte (compact JSON on both sides).
func TestValidateAWSInvalidExample(t *testing.T) {
	for _, name := range []string{"invalid", "valid"} {
		t.Run(name, func(t *testing.T) {
			bs, err := ParseBehaviors(readTestdata(t, "cli-validate-security-profile-behaviors-"+name+".input.json"))
			require.NoError(t, err)
			got, err := json.Marshal(ValidateBehaviors(bs, ValidateOptions{}))
			require.NoError(t, err)
			want := jsontext.Value(readTestdata(t, "cli-validate-security-profile-behaviors-"+name+".output.json"))
			require.NoError(t, want.Compact())
			assert.Equal(t, string(want), string(got))
		})
	}
}

type devguideExample struct {
	Page, Section, Label, Kind string
	Behavior                   jsontext.Value
}

// TestDevguideBehaviorExamples validates the developer guide's 43 examples
// one by one (several share a name, so they are not one profile).
//
// Doc bugs, handled deliberately:
//   - 41 of the 43 names contain spaces ("Max Message Size"). That is not
//     a bug: the model's BehaviorName pattern [a-zA-Z0-9:_-]+ is unanchored
//     (see checkBehaviorName), so they are valid as written.
//   - "Destination IPs" (device side) carries aws:source-ip-address and
//     "Max UPD Port ML behavior" carries aws:num-listening-tcp-ports: the
//     wrong metric for their section, but valid behaviors.
func TestDevguideBehaviorExamples(t *testing.T) {
	var examples []devguideExample
	require.NoError(t, json.Unmarshal(readTestdata(t, "devguide-behavior-examples.json"), &examples, json.MatchCaseInsensitiveNames(true)))
	require.Len(t, examples, 43)
	spaced := 0
	for _, ex := range examples {
		t.Run(ex.Section+"/"+ex.Label, func(t *testing.T) {
			d, err := ParseDocument(ex.Behavior)
			require.NoError(t, err)
			require.Equal(t, BehaviorDocument, d.Kind)
			b := d.Behaviors[0]
			r := d.Validate(ValidateOptions{})
			if strings.Contains(b.Name, " ") {
				spaced++
			}
			assert.True(t, r.Valid, messages(r))
			wantCriteria := map[string]bool{"static": b.Criteria.Value != nil, "statistical": b.Criteria.StatisticalThreshold != nil, "ml": b.Criteria.MLDetectionConfig != nil}
			assert.True(t, wantCriteria[ex.Kind], "kind %s", ex.Kind)
		})
	}
	assert.Equal(t, 41, spaced)
	assert.Equal(t, "aws:source-ip-address", behaviorOf(t, examples[37]).Metric, "Destination IPs doc bug")
	assert.Contains(t, examples[37].Section, "destination-ip-addresses")
	assert.Equal(t, "aws:num-listening-tcp-ports", behaviorOf(t, examples[30]).Metric, "Max UPD Port ML behavior doc bug")
	assert.Contains(t, examples[30].Section, "udp")
}

func behaviorOf(t *testing.T, ex devguideExample) Behavior {
	var b Behavior
	require.NoError(t, json.Unmarshal(ex.Behavior, &b))
	return b
}

// TestReferenceBehaviorsInOutputs validates the behaviors the service
// returned inside violation events and an SNS alert.
func TestReferenceBehaviorsInOutputs(t *testing.T) {
	for _, f := range []string{"cli-list-violation-events.output.json", "cli-list-active-violations.output.json", "devguide-ml-list-violation-events.output.json", "workshop-sns-alert-alarm-cleared.json"} {
		var doc struct {
			ViolationEvents  []struct{ Behavior jsontext.Value } `json:"violationEvents"`
			ActiveViolations []struct{ Behavior jsontext.Value } `json:"activeViolations"`
			Behavior         jsontext.Value                      `json:"behavior"`
		}
		require.NoError(t, json.Unmarshal(readTestdata(t, f), &doc, json.MatchCaseInsensitiveNames(true)), f)
		raw := []jsontext.Value{doc.Behavior}
		for _, e := range doc.ViolationEvents {
			raw = append(raw, e.Behavior)
		}
		for _, e := range doc.ActiveViolations {
			raw = append(raw, e.Behavior)
		}
		n := 0
		for _, r := range raw {
			if r == nil {
				continue
			}
			d, err := ParseDocument(r)
			require.NoError(t, err, f)
			res := d.Validate(ValidateOptions{})
			assert.True(t, res.Valid, "%s: %v", f, messages(res))
			n++
		}
		assert.Positive(t, n, f)
	}
}

// TestDevguideScopingTypo: the guide's expanded behavior has the key
// "dimensionName:" (a colon inside the key), which strict decoding rejects
// with its path and position.
func TestDevguideScopingTypo(t *testing.T) {
	_, err := ParseDocument(readTestdata(t, "devguide-scoping-behavior-expanded.json"))
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, ErrUnknownField)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, `[0].metricDimension["dimensionName:"]`, de.Path)
	assert.Equal(t, 13, de.Line)
	assert.Equal(t, `unknown field "dimensionName:"; want one of dimensionName, operator`, de.Msg)
}

func TestCloudFormationExamples(t *testing.T) {
	ps, err := ParseCloudFormation(readTestdata(t, "cfn-security-profile.json"))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	p := ps[0]
	assert.Equal(t, "MySecurityProfile", p.LogicalID)
	assert.Equal(t, []string{"arn:aws:iot:us-east-1:123456789012:all/things"}, p.TargetArns)
	assert.Equal(t, "ProfileForConnectedDevices", p.Profile.SecurityProfileName)
	require.Len(t, p.Profile.Behaviors, 3)
	assert.Equal(t, int64(5), *p.Profile.Behaviors[0].Criteria.Value.Count, "a JSON number Count is accepted")
	assert.Equal(t, "p90", *p.Profile.Behaviors[2].Criteria.StatisticalThreshold.Statistic)
	assert.Equal(t, AlertTarget{AlertTargetArn: "arn:aws:sns:us-east-1:123456789012:DeviceDefenderDetectAlerts", RoleArn: "arn:aws:iam::123456789012:role/RoleForDefenderAlerts"}, p.Profile.AlertTargets["SNS"])
	assert.Equal(t, []MetricToRetain{{Metric: "aws:num-messages-received"}, {Metric: "aws:num-disconnects"}}, p.Profile.AdditionalMetricsToRetainV2)
	assert.Equal(t, "SmartHome", *p.Profile.Tags[0].Value)

	ps, err = ParseCloudFormation(readTestdata(t, "cfn-contract-securityprofile-inputs_1_update.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"192.168.100.14/24"}, ps[0].Profile.Behaviors[0].Criteria.Value.CIDRs)
	assert.Equal(t, int64(2), *ps[0].Profile.Behaviors[0].Criteria.ConsecutiveDatapointsToAlarm)

	// The contract test's "invalid" input sets the read-only ARN.
	d, err := ParseDocument(readTestdata(t, "cfn-contract-securityprofile-inputs_1_invalid.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"SecurityProfileArn is a read-only property and cannot be set"}, messages(d.Validate(ValidateOptions{})))
}

func TestCloudFormationForms(t *testing.T) {
	props := `{"SecurityProfileName":"P","Behaviors":[{"Name":"b","Metric":"aws:num-disconnects","Criteria":{"ComparisonOperator":"less-than","Value":{"Count":"7"},"DurationSeconds":300}}],"TargetArns":["arn:aws:iot:us-east-1:123456789012:all/things"]}`
	forms := map[string]string{
		"properties": props,
		"resource":   `{"Type":"AWS::IoT::SecurityProfile","Properties":` + props + `}`,
		"template":   `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"Other":{"Type":"AWS::SNS::Topic","Properties":{"X":1}},"Prof":{"Type":"AWS::IoT::SecurityProfile","DependsOn":"Other","Properties":` + props + `}}}`,
	}
	for name, doc := range forms {
		t.Run(name, func(t *testing.T) {
			ps, err := ParseCloudFormation([]byte(doc))
			require.NoError(t, err)
			require.Len(t, ps, 1)
			assert.Equal(t, int64(7), *ps[0].Profile.Behaviors[0].Criteria.Value.Count)
			assert.Equal(t, "P", ps[0].Profile.SecurityProfileName)
			assert.True(t, ps[0].Validate(ValidateOptions{}).Valid)
		})
	}
}

func TestCloudFormationInvalid(t *testing.T) {
	tests := []struct {
		name, doc string
		kind      error
		path      string
		want      []string // validation messages when decoding succeeds
	}{
		{"Average statistic", `{"Behaviors":[{"Name":"b","Metric":"aws:num-disconnects","Criteria":{"ComparisonOperator":"less-than","StatisticalThreshold":{"Statistic":"Average"},"DurationSeconds":300}}]}`, nil, "",
			[]string{"Behavior b is malformed. statistic Average is accepted only by CloudFormation's schema, not by the API; use one of " + allStats}},
		{"duplicate target", `{"TargetArns":["arn:a","arn:a"]}`, nil, "", []string{"TargetArns[1] arn:a is listed more than once"}},
		{"count not an integer", `{"Behaviors":[{"Name":"b","Criteria":{"Value":{"Count":"5.5"}}}]}`, ErrWrongType, "Behaviors[0].Criteria.Value.Count", nil},
		{"camelCase inside", `{"Behaviors":[{"Name":"b","criteria":{}}]}`, ErrUnknownField, `Behaviors[0].criteria`, nil},
		{"template key path", `{"Resources":{"My-Prof":{"Type":"AWS::IoT::SecurityProfile","Properties":{"Tags":[{"Key":"k","Value":1}]}}}}`, ErrWrongType, `Resources["My-Prof"].Properties.Tags[0].Value`, nil},
		{"template without profile", `{"Resources":{"T":{"Type":"AWS::SNS::Topic"}}}`, ErrUnrecognized, "Resources", nil},
		{"resource of another type", `{"Type":"AWS::IoT::Dimension","Properties":{}}`, ErrUnrecognized, "Type", nil},
		{"intrinsic function", `{"Behaviors":[{"Name":{"Ref":"N"}}]}`, ErrWrongType, "Behaviors[0].Name", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDocument([]byte(tc.doc))
			if tc.kind != nil {
				var de *DecodeError
				require.ErrorAs(t, err, &de)
				assert.ErrorIs(t, err, tc.kind)
				assert.Equal(t, tc.path, de.Path)
				assert.Nil(t, d)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, messages(d.Validate(ValidateOptions{})))
		})
	}
}

// TestCloudFormationSchemaMirror checks that the adapter knows every
// property of AWS's resource schema (it also knows the newer
// MetricsExportConfig and ExportMetric, which this schema copy predates).
func TestCloudFormationSchemaMirror(t *testing.T) {
	var schema struct {
		Properties  map[string]jsontext.Value `json:"properties"`
		Definitions map[string]struct {
			Properties map[string]jsontext.Value `json:"properties"`
		} `json:"definitions"`
	}
	require.NoError(t, json.Unmarshal(readTestdata(t, "cfn-schema-aws-iot-securityprofile.json"), &schema))
	mirrors := map[string]any{
		"": cfnProperties{}, "Behavior": cfnBehavior{}, "MetricDimension": cfnMetricDimension{}, "BehaviorCriteria": cfnCriteria{},
		"MetricValue": cfnValue{}, "StatisticalThreshold": cfnStatistical{}, "MachineLearningDetectionConfig": cfnML{},
		"AlertTarget": cfnAlertTarget{}, "MetricToRetain": cfnMetricToRetain{}, "Tag": Tag{},
	}
	extras := map[string]bool{"MetricsExportConfig": true, "ExportMetric": true}
	for def, mirror := range mirrors {
		props := schema.Properties
		if def != "" {
			props = schema.Definitions[def].Properties
		}
		require.NotEmpty(t, props, def)
		ours := memberNames(reflectTypeOf(mirror))
		for name := range props {
			assert.Contains(t, ours, name, "definition %q", def)
		}
		for _, name := range ours {
			if _, ok := props[name]; !ok {
				assert.True(t, extras[name], "definition %q: %s is not in the schema", def, name)
			}
		}
	}
}
