// Package behavior holds the AWS IoT Device Defender security-profile model as Go
// types (field names, JSON names and optionality exactly as in the service model),
// the metric catalog, validation with the service's messages, and compilation of a
// behavior into an evaluator.
//
// Pointers and nil slices mean "absent": the service distinguishes an absent
// field from a zero one (a missing consecutiveDatapointsToAlarm defaults to 1, an
// empty ports list is a value), and JSON written back must say the same thing.
package behavior

// SecurityProfile is a security profile as CreateSecurityProfile takes it and
// DescribeSecurityProfile returns it. Output-only fields (ARN, version, dates)
// are zero on input.
type SecurityProfile struct {
	SecurityProfileName         string                 `json:"securityProfileName,omitzero"`
	SecurityProfileArn          string                 `json:"securityProfileArn,omitzero"`
	SecurityProfileDescription  *string                `json:"securityProfileDescription,omitzero"`
	Behaviors                   []Behavior             `json:"behaviors,omitzero"`
	AlertTargets                map[string]AlertTarget `json:"alertTargets,omitzero"`
	AdditionalMetricsToRetain   []string               `json:"additionalMetricsToRetain,omitzero"`
	AdditionalMetricsToRetainV2 []MetricToRetain       `json:"additionalMetricsToRetainV2,omitzero"`
	Tags                        []Tag                  `json:"tags,omitzero"`
	MetricsExportConfig         *MetricsExportConfig   `json:"metricsExportConfig,omitzero"`
	Version                     int64                  `json:"version,omitzero"`
	CreationDate                *Timestamp             `json:"creationDate,omitzero"`
	LastModifiedDate            *Timestamp             `json:"lastModifiedDate,omitzero"`
}

// Behavior is one rule of a security profile: a metric and the criteria under
// which its datapoints are normal. Name is the only field the service requires
// at the shape level; Validate enforces the rest.
type Behavior struct {
	Name            string            `json:"name"`
	Metric          string            `json:"metric,omitzero"`
	MetricDimension *MetricDimension  `json:"metricDimension,omitzero"`
	Criteria        *BehaviorCriteria `json:"criteria,omitzero"`
	SuppressAlerts  *bool             `json:"suppressAlerts,omitzero"`
	ExportMetric    *bool             `json:"exportMetric,omitzero"`
}

// BehaviorCriteria says what a normal datapoint is: exactly one of Value,
// StatisticalThreshold and MLDetectionConfig, with the operator that compares
// the datapoint to it, and the consecutive counts that raise and clear alarms.
type BehaviorCriteria struct {
	ComparisonOperator           string                          `json:"comparisonOperator,omitzero"`
	Value                        *MetricValue                    `json:"value,omitzero"`
	DurationSeconds              *int64                          `json:"durationSeconds,omitzero"`
	ConsecutiveDatapointsToAlarm *int64                          `json:"consecutiveDatapointsToAlarm,omitzero"`
	ConsecutiveDatapointsToClear *int64                          `json:"consecutiveDatapointsToClear,omitzero"`
	StatisticalThreshold         *StatisticalThreshold           `json:"statisticalThreshold,omitzero"`
	MLDetectionConfig            *MachineLearningDetectionConfig `json:"mlDetectionConfig,omitzero"`
}

// MetricValue is a configured value in criteria, or a measured one in a
// violation event. Exactly one field is set in a well-formed value.
type MetricValue struct {
	Count   *int64    `json:"count,omitzero"`
	CIDRs   []string  `json:"cidrs,omitzero"`
	Ports   []int64   `json:"ports,omitzero"`
	Number  *float64  `json:"number,omitzero"`
	Numbers []float64 `json:"numbers,omitzero"`
	Strings []string  `json:"strings,omitzero"`
}

// MetricDimension scopes a cloud-side metric to the messages whose topic
// passes a TOPIC_FILTER dimension. An absent Operator means IN.
type MetricDimension struct {
	DimensionName string  `json:"dimensionName"`
	Operator      *string `json:"operator,omitzero"`
}

// StatisticalThreshold compares each device's datapoint with a percentile of
// the fleet's datapoints for the same window.
type StatisticalThreshold struct {
	Statistic *string `json:"statistic,omitzero"`
}

// MachineLearningDetectionConfig is ML Detect's configuration. ruledetect
// validates it and keeps it, but does not train models: ML behaviors produce
// no datapoints.
type MachineLearningDetectionConfig struct {
	ConfidenceLevel string `json:"confidenceLevel"`
}

// MetricToRetain is an entry of additionalMetricsToRetainV2.
type MetricToRetain struct {
	Metric          string           `json:"metric"`
	MetricDimension *MetricDimension `json:"metricDimension,omitzero"`
	ExportMetric    *bool            `json:"exportMetric,omitzero"`
}

// AlertTarget is where the service would publish alerts (SNS only).
type AlertTarget struct {
	AlertTargetArn string `json:"alertTargetArn"`
	RoleArn        string `json:"roleArn"`
}

// MetricsExportConfig is the profile-level metrics export destination.
type MetricsExportConfig struct {
	MQTTTopic string `json:"mqttTopic"`
	RoleArn   string `json:"roleArn"`
}

// Tag is a resource tag. The service model spells its members Key and Value.
type Tag struct {
	Key   string  `json:"Key"`
	Value *string `json:"Value,omitzero"`
}
