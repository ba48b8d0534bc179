package server

// operation is one operation of the AWS IoT service model that the server
// serves: its name, and its HTTP binding exactly as the model's "http"
// member states it (method and requestUri; {label}s bind URI members).
type operation struct {
	name   string
	method string
	path   string
	handle func(s *Server, req *apiRequest) (any, error)
}

// operations is the route table: every Detect control-plane operation the
// Engine has, bound as in botocore's iot/2015-05-28/service-2.json. It is
// the one place a route is defined; routes_test.go checks it against the
// model's extract in testdata. ListMetricValues lists what the Engine
// retains (nothing unless it was built with ruledetect.WithMetricRetention).
var operations = []operation{
	{"CreateDimension", "POST", "/dimensions/{name}", createDimension},
	{"DescribeDimension", "GET", "/dimensions/{name}", describeDimension},
	{"UpdateDimension", "PATCH", "/dimensions/{name}", updateDimension},
	{"DeleteDimension", "DELETE", "/dimensions/{name}", deleteDimension},
	{"ListDimensions", "GET", "/dimensions", listDimensions},

	{"CreateCustomMetric", "POST", "/custom-metric/{metricName}", createCustomMetric},
	{"DescribeCustomMetric", "GET", "/custom-metric/{metricName}", describeCustomMetric},
	{"UpdateCustomMetric", "PATCH", "/custom-metric/{metricName}", updateCustomMetric},
	{"DeleteCustomMetric", "DELETE", "/custom-metric/{metricName}", deleteCustomMetric},
	{"ListCustomMetrics", "GET", "/custom-metrics", listCustomMetrics},

	{"CreateSecurityProfile", "POST", "/security-profiles/{securityProfileName}", createSecurityProfile},
	{"DescribeSecurityProfile", "GET", "/security-profiles/{securityProfileName}", describeSecurityProfile},
	{"UpdateSecurityProfile", "PATCH", "/security-profiles/{securityProfileName}", updateSecurityProfile},
	{"DeleteSecurityProfile", "DELETE", "/security-profiles/{securityProfileName}", deleteSecurityProfile},
	{"ListSecurityProfiles", "GET", "/security-profiles", listSecurityProfiles},
	{"ValidateSecurityProfileBehaviors", "POST", "/security-profile-behaviors/validate", validateSecurityProfileBehaviors},

	{"AttachSecurityProfile", "PUT", "/security-profiles/{securityProfileName}/targets", attachSecurityProfile},
	{"DetachSecurityProfile", "DELETE", "/security-profiles/{securityProfileName}/targets", detachSecurityProfile},
	{"ListTargetsForSecurityProfile", "GET", "/security-profiles/{securityProfileName}/targets", listTargetsForSecurityProfile},
	{"ListSecurityProfilesForTarget", "GET", "/security-profiles-for-target", listSecurityProfilesForTarget},

	{"ListActiveViolations", "GET", "/active-violations", listActiveViolations},
	{"ListViolationEvents", "GET", "/violation-events", listViolationEvents},
	{"PutVerificationStateOnViolation", "POST", "/violations/verification-state/{violationId}", putVerificationStateOnViolation},
	{"ListMetricValues", "GET", "/metric-values", listMetricValues},

	{"AddThingToThingGroup", "PUT", "/thing-groups/addThingToThingGroup", addThingToThingGroup},
	{"RemoveThingFromThingGroup", "PUT", "/thing-groups/removeThingFromThingGroup", removeThingFromThingGroup},
	{"UpdateThingGroupsForThing", "PUT", "/thing-groups/updateThingGroupsForThing", updateThingGroupsForThing},
}
