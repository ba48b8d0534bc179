package behavior

import (
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
)

// CloudFormationResourceType is the CloudFormation type of a security profile.
const CloudFormationResourceType = "AWS::IoT::SecurityProfile"

// CloudFormationProfile is an AWS::IoT::SecurityProfile resource decoded
// into the API's types.
//
// The adapter maps each PascalCase property to the API member of the same
// name in camelCase (Behaviors[].Criteria.MlDetectionConfig is
// behaviors[].criteria.mlDetectionConfig, and so on), with two differences
// the CloudFormation schema makes: MetricValue.Count is a string there
// ("5"; a JSON number is accepted too, as CloudFormation coerces it), and
// TargetArns, which the API sets with AttachSecurityProfile, is kept beside
// the profile. SecurityProfileArn is a read-only property: a template that
// sets it decodes, and Validate reports it. SecurityProfileName is
// optional (CloudFormation generates one).
type CloudFormationProfile struct {
	// LogicalID is the resource's logical ID in a template; "" when the
	// input was one resource or its bare Properties.
	LogicalID string
	// Profile is the security profile the resource describes.
	Profile SecurityProfile
	// TargetArns are the targets the profile is attached to.
	TargetArns []string
}

// ParseCloudFormation decodes the AWS::IoT::SecurityProfile resources of a
// CloudFormation document in JSON: a whole template (every resource of that
// type under Resources, in logical-ID order; other resources are ignored),
// one resource ({"Type": …, "Properties": …}) or bare Properties. Unknown
// properties and wrong types are errors naming their path
// ("Resources.MyProfile.Properties.Behaviors[0].Criteria.Value.Count").
// Intrinsic functions (Ref, Fn::GetAtt, …) are not resolved: they are
// objects where the schema wants a string, so they are type errors.
func ParseCloudFormation(data []byte) ([]CloudFormationProfile, error) {
	if err := checkSyntax(data); err != nil {
		return nil, err
	}
	kind, names := topLevel(data)
	if kind != '{' {
		return nil, positioned(data, &DecodeError{Kind: ErrUnrecognized, Msg: "a CloudFormation document must be a JSON object"}, 0)
	}
	switch {
	case slices.Contains(names, "Resources"):
		return parseTemplate(data)
	case slices.Contains(names, "Type") && slices.Contains(names, "Properties"):
		p, err := parseResource(data, "", nil)
		if err != nil {
			return nil, err
		}
		return []CloudFormationProfile{p}, nil
	}
	p, err := parseProperties(data, 0, len(data), "", "")
	if err != nil {
		return nil, err
	}
	return []CloudFormationProfile{p}, nil
}

func parseTemplate(data []byte) ([]CloudFormationProfile, error) {
	var t struct {
		Resources map[string]struct {
			Type string `json:"Type"`
		} `json:"Resources"`
	}
	if err := decodeRange(data, 0, len(data), "", &t, false); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(t.Resources))
	for id, r := range t.Resources {
		if r.Type == CloudFormationResourceType {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, positioned(data, &DecodeError{Kind: ErrUnrecognized, Path: "Resources", Msg: "the template has no " + CloudFormationResourceType + " resource"}, 0)
	}
	slices.Sort(ids)
	out := make([]CloudFormationProfile, 0, len(ids))
	for _, id := range ids {
		p, err := parseResource(data, id, []string{"Resources", id})
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// parseResource decodes the resource at member path at in data.
func parseResource(data []byte, id string, at []string) (CloudFormationProfile, error) {
	prefix := strings.Join(quotePath(at), "")
	start, end, _ := locate(data, at...)
	var r struct {
		Type string `json:"Type"`
	}
	if err := decodeRange(data, start, end, prefix, &r, false); err != nil {
		return CloudFormationProfile{}, err
	}
	if r.Type != CloudFormationResourceType {
		return CloudFormationProfile{}, positioned(data, &DecodeError{Kind: ErrUnrecognized, Path: joinPath(prefix, "Type"),
			Msg: "resource type " + strconv.Quote(r.Type) + " is not " + CloudFormationResourceType}, start)
	}
	pstart, pend, ok := locate(data, append(slices.Clone(at), "Properties")...)
	if !ok {
		return CloudFormationProfile{}, positioned(data, &DecodeError{Kind: ErrUnrecognized, Path: prefix, Msg: "the resource has no Properties"}, start)
	}
	return parseProperties(data, pstart, pend, joinPath(prefix, "Properties"), id)
}

func quotePath(names []string) []string {
	var b strings.Builder
	for _, n := range names {
		appendMember(&b, n)
	}
	return []string{b.String()}
}

func parseProperties(data []byte, start, end int, prefix, id string) (CloudFormationProfile, error) {
	var p cfnProperties
	if err := decodeAt(data, start, end, prefix, &p); err != nil {
		return CloudFormationProfile{}, err
	}
	return CloudFormationProfile{LogicalID: id, Profile: p.profile(), TargetArns: p.TargetArns}, nil
}

// cfnProperties mirrors the AWS::IoT::SecurityProfile resource schema.
type cfnProperties struct {
	SecurityProfileName         string                    `json:"SecurityProfileName,omitzero"`
	SecurityProfileDescription  *string                   `json:"SecurityProfileDescription,omitzero"`
	Behaviors                   []cfnBehavior             `json:"Behaviors,omitzero"`
	AlertTargets                map[string]cfnAlertTarget `json:"AlertTargets,omitzero"`
	AdditionalMetricsToRetainV2 []cfnMetricToRetain       `json:"AdditionalMetricsToRetainV2,omitzero"`
	MetricsExportConfig         *cfnMetricsExportConfig   `json:"MetricsExportConfig,omitzero"`
	Tags                        []Tag                     `json:"Tags,omitzero"`
	TargetArns                  []string                  `json:"TargetArns,omitzero"`
	SecurityProfileArn          string                    `json:"SecurityProfileArn,omitzero"`
}

type cfnBehavior struct {
	Name            string              `json:"Name"`
	Metric          string              `json:"Metric,omitzero"`
	MetricDimension *cfnMetricDimension `json:"MetricDimension,omitzero"`
	Criteria        *cfnCriteria        `json:"Criteria,omitzero"`
	SuppressAlerts  *bool               `json:"SuppressAlerts,omitzero"`
	ExportMetric    *bool               `json:"ExportMetric,omitzero"`
}

type cfnMetricDimension struct {
	DimensionName string  `json:"DimensionName"`
	Operator      *string `json:"Operator,omitzero"`
}

type cfnCriteria struct {
	ComparisonOperator           string          `json:"ComparisonOperator,omitzero"`
	Value                        *cfnValue       `json:"Value,omitzero"`
	DurationSeconds              *int64          `json:"DurationSeconds,omitzero"`
	ConsecutiveDatapointsToAlarm *int64          `json:"ConsecutiveDatapointsToAlarm,omitzero"`
	ConsecutiveDatapointsToClear *int64          `json:"ConsecutiveDatapointsToClear,omitzero"`
	StatisticalThreshold         *cfnStatistical `json:"StatisticalThreshold,omitzero"`
	MlDetectionConfig            *cfnML          `json:"MlDetectionConfig,omitzero"`
}

type cfnValue struct {
	Count   *cfnCount `json:"Count,omitzero"`
	Cidrs   []string  `json:"Cidrs,omitzero"`
	Ports   []int64   `json:"Ports,omitzero"`
	Number  *float64  `json:"Number,omitzero"`
	Numbers []float64 `json:"Numbers,omitzero"`
	Strings []string  `json:"Strings,omitzero"`
}

type cfnStatistical struct {
	Statistic *string `json:"Statistic,omitzero"`
}

type cfnML struct {
	ConfidenceLevel string `json:"ConfidenceLevel"`
}

type cfnAlertTarget struct {
	AlertTargetArn string `json:"AlertTargetArn"`
	RoleArn        string `json:"RoleArn"`
}

type cfnMetricToRetain struct {
	Metric          string              `json:"Metric"`
	MetricDimension *cfnMetricDimension `json:"MetricDimension,omitzero"`
	ExportMetric    *bool               `json:"ExportMetric,omitzero"`
}

type cfnMetricsExportConfig struct {
	MqttTopic string `json:"MqttTopic"`
	RoleArn   string `json:"RoleArn"`
}

// cfnCount is MetricValue.Count as CloudFormation's schema types it: a
// string holding an integer; a JSON number is accepted too.
type cfnCount int64

// UnmarshalJSON reads "5" or 5.
func (c *cfnCount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return &valueError{"got " + string(b) + ", want an integer as a string or a number"}
	}
	*c = cfnCount(n)
	return nil
}

// MarshalJSON writes the count as a string, as the schema types it.
func (c cfnCount) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatInt(int64(c), 10)), nil
}
