package behavior

// UpdateSecurityProfileInput is the UpdateSecurityProfile request. Absent
// fields leave the profile's value as it is; a Delete* flag removes the
// field's value and may not be sent together with a new one.
// ExpectedVersion travels as a query parameter in the HTTP API; in JSON
// (the CLI's --cli-input-json) it is a member like the others.
type UpdateSecurityProfileInput struct {
	SecurityProfileName             string                 `json:"securityProfileName,omitzero"`
	SecurityProfileDescription      *string                `json:"securityProfileDescription,omitzero"`
	Behaviors                       []Behavior             `json:"behaviors,omitzero"`
	AlertTargets                    map[string]AlertTarget `json:"alertTargets,omitzero"`
	AdditionalMetricsToRetain       []string               `json:"additionalMetricsToRetain,omitzero"`
	AdditionalMetricsToRetainV2     []MetricToRetain       `json:"additionalMetricsToRetainV2,omitzero"`
	DeleteBehaviors                 bool                   `json:"deleteBehaviors,omitzero"`
	DeleteAlertTargets              bool                   `json:"deleteAlertTargets,omitzero"`
	DeleteAdditionalMetricsToRetain bool                   `json:"deleteAdditionalMetricsToRetain,omitzero"`
	ExpectedVersion                 *int64                 `json:"expectedVersion,omitzero"`
	MetricsExportConfig             *MetricsExportConfig   `json:"metricsExportConfig,omitzero"`
	DeleteMetricsExportConfig       bool                   `json:"deleteMetricsExportConfig,omitzero"`
}
