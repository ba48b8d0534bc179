package behavior

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mustBehaviors decodes a JSON array of behaviors or fails the test.
func mustBehaviors(t testing.TB, js string) []Behavior {
	t.Helper()
	bs, err := ParseBehaviors([]byte(js))
	require.NoError(t, err, js)
	return bs
}

func messages(r ValidationResult) []string {
	out := make([]string, len(r.ValidationErrors))
	for i, e := range r.ValidationErrors {
		out[i] = e.ErrorMessage
	}
	return out
}

const allOps = "less-than, less-than-equals, greater-than, greater-than-equals, in-cidr-set, not-in-cidr-set, in-port-set, not-in-port-set, in-set, not-in-set"
const allStats = "p0, p0.01, p0.1, p1, p10, p50, p90, p99, p99.9, p99.99, p100"

// TestValidateBehaviorsInvalid has one invalid behavior (or list) per rule,
// each with every message validation must give, in order.
func TestValidateBehaviorsInvalid(t *testing.T) {
	long := strings.Repeat("a", 129)
	customs := ValidateOptions{CustomMetrics: map[string]CustomMetricType{
		"battery": CustomNumber, "ports": CustomNumberList, "ips": CustomIPAddressList, "bogus": "bogus"}}
	dims := ValidateOptions{DimensionExists: func(n string) bool { return n == "TopicFilterForAuthMessages" }}
	sent := func(criteria string) string {
		return `[{"name":"B","metric":"aws:num-messages-sent","criteria":` + criteria + `}]`
	}
	on := func(metric, criteria string) string {
		return `[{"name":"B","metric":"` + metric + `","criteria":` + criteria + `}]`
	}
	const ok300 = `{"comparisonOperator":"less-than","value":{"count":5},"durationSeconds":300}`
	B := "Behavior B is malformed. "
	tests := []struct {
		name string
		in   string
		opts ValidateOptions
		want []string
	}{
		// names
		{"name missing", `[{"metric":"aws:num-disconnects","criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{"Behavior behaviors[0] is malformed. name is required"}},
		{"name too long", `[{"name":"` + long + `","metric":"aws:num-disconnects","criteria":` + ok300 + `}]`, ValidateOptions{},
			// The name is echoed quoted and cut to 128 bytes, with its length.
			[]string{"Behavior \"" + long[:128] + "\"…(129 bytes) is malformed. name length 129 should be in range[1,128]"}},
		// Behavior names are searched for the pattern (see checkBehaviorName):
		// spaces pass, a name with no pattern character at all does not.
		{"name only spaces", `[{"name":"   ","metric":"aws:num-disconnects","criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{`Behavior     is malformed. name "   " should match pattern [a-zA-Z0-9:_-]+`}},
		{"name no ASCII", `[{"name":"ïé","metric":"aws:num-disconnects","criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{`Behavior ïé is malformed. name "ïé" should match pattern [a-zA-Z0-9:_-]+`}},
		{"name duplicated", `[{"name":"B","metric":"aws:num-disconnects","criteria":` + ok300 + `},{"name":"C","metric":"aws:num-disconnects","criteria":` + ok300 + `},{"name":"B","metric":"aws:num-disconnects","criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{B + "name B is used by more than one behavior"}},
		// metric
		{"metric missing", `[{"name":"B","criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{B + "metric is required"}},
		{"aws metric unknown", on("aws:num-messages", ok300), ValidateOptions{},
			[]string{B + "metric aws:num-messages is not supported"}},
		{"custom metric name pattern", on("battery level", `{"comparisonOperator":"less-than","value":{"number":5}}`), ValidateOptions{},
			[]string{B + `metric "battery level" should match pattern [a-zA-Z0-9:_-]+`}},
		{"custom metric name too long", on(long, `{"comparisonOperator":"less-than","value":{"number":5}}`), ValidateOptions{},
			[]string{B + "metric length 129 should be in range[1,128]"}},
		{"custom metric does not exist", on("temperature", `{"comparisonOperator":"less-than","value":{"number":5}}`), customs,
			[]string{B + "custom metric temperature does not exist"}},
		{"custom metric of unknown type", on("bogus", `{"comparisonOperator":"less-than","value":{"number":5}}`), customs,
			[]string{B + "custom metric bogus has unknown type bogus"}},
		// criteria
		{"criteria missing", `[{"name":"B","metric":"aws:num-disconnects"}]`, ValidateOptions{},
			[]string{B + "criteria is required; to retain a metric without a rule, use additionalMetricsToRetainV2"}},
		{"criteria empty", sent(`{"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "criteria should set exactly one of value, statisticalThreshold and mlDetectionConfig"}},
		{"value and statistic", sent(`{"comparisonOperator":"less-than","value":{"count":5},"statisticalThreshold":{"statistic":"p90"},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "criteria should set exactly one of value, statisticalThreshold and mlDetectionConfig, not value and statisticalThreshold"}},
		{"value and ML", sent(`{"value":{"count":5},"mlDetectionConfig":{"confidenceLevel":"LOW"}}`), ValidateOptions{},
			[]string{B + "criteria should set exactly one of value, statisticalThreshold and mlDetectionConfig, not value and mlDetectionConfig"}},
		{"all three", sent(`{"comparisonOperator":"less-than","value":{"count":5},"statisticalThreshold":{"statistic":"p90"},"mlDetectionConfig":{"confidenceLevel":"LOW"},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "criteria should set exactly one of value, statisticalThreshold and mlDetectionConfig, not value and statisticalThreshold and mlDetectionConfig"}},
		// operators and value fields
		{"operator missing", sent(`{"value":{"count":5},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "comparisonOperator is required"}},
		{"operator unknown", sent(`{"comparisonOperator":"between","value":{"count":5},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "comparisonOperator between should be one of " + allOps}},
		{"operator case", sent(`{"comparisonOperator":"LESS-THAN","value":{"count":5},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "comparisonOperator LESS-THAN should be one of " + allOps}},
		{"cidr operator on counter", sent(`{"comparisonOperator":"in-cidr-set","value":{"cidrs":["10.0.0.0/8"]},"durationSeconds":300}`), ValidateOptions{},
			[]string{
				B + "comparisonOperator in-cidr-set cannot be used with metric aws:num-messages-sent; use one of less-than, less-than-equals, greater-than, greater-than-equals",
				B + "value.count is required for metric aws:num-messages-sent",
				B + "value.cidrs cannot be used with metric aws:num-messages-sent; it takes value.count",
			}},
		{"greater-than with cidrs", sent(`{"comparisonOperator":"greater-than","value":{"cidrs":["10.0.0.0/8"]},"durationSeconds":300}`), ValidateOptions{},
			[]string{
				B + "value.count is required for metric aws:num-messages-sent",
				B + "value.cidrs cannot be used with metric aws:num-messages-sent; it takes value.count",
			}},
		{"in-port-set with count", on("aws:listening-tcp-ports", `{"comparisonOperator":"in-port-set","value":{"count":443}}`), ValidateOptions{},
			[]string{
				B + "value.ports is required for metric aws:listening-tcp-ports",
				B + "value.count cannot be used with metric aws:listening-tcp-ports; it takes value.ports",
			}},
		{"in-set on source ip", on("aws:source-ip-address", `{"comparisonOperator":"in-set","value":{"cidrs":["10.0.0.0/8"]}}`), ValidateOptions{},
			[]string{B + "comparisonOperator in-set cannot be used with metric aws:source-ip-address; use one of in-cidr-set, not-in-cidr-set"}},
		{"port operator on destination ips", on("aws:destination-ip-addresses", `{"comparisonOperator":"in-port-set","value":{"cidrs":["10.0.0.0/8"]}}`), ValidateOptions{},
			[]string{B + "comparisonOperator in-port-set cannot be used with metric aws:destination-ip-addresses; use one of in-cidr-set, not-in-cidr-set"}},
		{"less-than on udp ports", on("aws:listening-udp-ports", `{"comparisonOperator":"less-than","value":{"ports":[53]}}`), ValidateOptions{},
			[]string{B + "comparisonOperator less-than cannot be used with metric aws:listening-udp-ports; use one of in-port-set, not-in-port-set"}},
		{"greater-than on disconnect duration", on("aws:disconnect-duration", `{"comparisonOperator":"greater-than","value":{"count":5}}`), ValidateOptions{},
			[]string{B + "comparisonOperator greater-than cannot be used with metric aws:disconnect-duration; use one of less-than, less-than-equals"}},
		{"value empty", on("aws:num-disconnects", `{"comparisonOperator":"less-than","value":{},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "value.count is required for metric aws:num-disconnects"}},
		{"count and number", on("aws:num-disconnects", `{"comparisonOperator":"less-than","value":{"count":5,"number":5},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "value.number cannot be used with metric aws:num-disconnects; it takes value.count"}},
		{"strings on number-list metric", on("ports", `{"comparisonOperator":"in-set","value":{"strings":["a"]}}`), customs,
			[]string{
				B + "value.numbers is required for custom metric ports",
				B + "value.strings cannot be used with custom metric ports; it takes value.numbers",
			}},
		// value contents
		{"negative count", sent(`{"comparisonOperator":"less-than","value":{"count":-1},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "value.count -1 should not be negative"}},
		{"port too large", on("aws:listening-tcp-ports", `{"comparisonOperator":"in-port-set","value":{"ports":[443,65536]}}`), ValidateOptions{},
			[]string{B + "value.ports[1] 65536 should be in range[0,65535]"}},
		{"port negative", on("aws:listening-udp-ports", `{"comparisonOperator":"not-in-port-set","value":{"ports":[-1]}}`), ValidateOptions{},
			[]string{B + "value.ports[0] -1 should be in range[0,65535]"}},
		{"cidr prefix too long", on("aws:source-ip-address", `{"comparisonOperator":"in-cidr-set","value":{"cidrs":["10.0.0.0/33"]}}`), ValidateOptions{},
			[]string{B + `value.cidrs[0] "10.0.0.0/33" is not a valid CIDR`}},
		{"cidr too short", on("aws:source-ip-address", `{"comparisonOperator":"in-cidr-set","value":{"cidrs":["1"]}}`), ValidateOptions{},
			[]string{B + "value.cidrs[0] length 1 should be in range[2,43]"}},
		{"cidr too long", on("aws:destination-ip-addresses", `{"comparisonOperator":"in-cidr-set","value":{"cidrs":["10.0.0.0/8","`+strings.Repeat("0", 44)+`"]}}`), ValidateOptions{},
			[]string{B + "value.cidrs[1] length 44 should be in range[2,43]"}},
		{"cidr with zone", on("aws:destination-ip-addresses", `{"comparisonOperator":"not-in-cidr-set","value":{"cidrs":["fe80::1%eth0"]}}`), ValidateOptions{},
			[]string{B + `value.cidrs[0] "fe80::1%eth0" is not a valid CIDR`}},
		{"cidr not an address", on("ips", `{"comparisonOperator":"in-cidr-set","value":{"cidrs":["abc"]}}`), customs,
			[]string{B + `value.cidrs[0] "abc" is not a valid CIDR`}},
		// durations
		{"counter without duration", sent(`{"comparisonOperator":"less-than","value":{"count":5}}`), ValidateOptions{},
			[]string{B + "durationSeconds is required for metric aws:num-messages-sent"}},
		{"all-bytes without duration", on("aws:all-bytes-out", `{"comparisonOperator":"less-than","value":{"count":5}}`), ValidateOptions{},
			[]string{B + "durationSeconds is required for metric aws:all-bytes-out"}},
		{"duration on port list", on("aws:listening-tcp-ports", `{"comparisonOperator":"in-port-set","value":{"ports":[443]},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "durationSeconds cannot be used with metric aws:listening-tcp-ports"}},
		{"duration on source ip", on("aws:source-ip-address", `{"comparisonOperator":"in-cidr-set","value":{"cidrs":["10.0.0.0/8"]},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "durationSeconds cannot be used with metric aws:source-ip-address"}},
		{"duration on disconnect duration", on("aws:disconnect-duration", `{"comparisonOperator":"less-than","value":{"count":5},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "durationSeconds cannot be used with metric aws:disconnect-duration"}},
		{"duration on custom list", on("names", `{"comparisonOperator":"in-set","value":{"strings":["a"]},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "durationSeconds cannot be used with custom metric names"}},
		{"duration not whitelisted", sent(`{"comparisonOperator":"less-than","value":{"count":5},"durationSeconds":120}`), ValidateOptions{},
			[]string{B + "durationSeconds 120 should be one of 300, 600, 900, 1800, 3600"}},
		{"duration zero", sent(`{"comparisonOperator":"less-than","value":{"count":5},"durationSeconds":0}`), ValidateOptions{},
			[]string{B + "durationSeconds 0 should be one of 300, 600, 900, 1800, 3600"}},
		// consecutive datapoints
		{"to alarm zero", sent(`{"comparisonOperator":"less-than","value":{"count":5},"durationSeconds":300,"consecutiveDatapointsToAlarm":0}`), ValidateOptions{},
			[]string{B + "consecutiveDatapointsToAlarm 0 should be in range[1,10]"}},
		{"to clear eleven", sent(`{"comparisonOperator":"less-than","value":{"count":5},"durationSeconds":300,"consecutiveDatapointsToClear":11}`), ValidateOptions{},
			[]string{B + "consecutiveDatapointsToClear 11 should be in range[1,10]"}},
		{"to alarm AWS example", `[{"name":"Authorization","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"greater-than","value":{"count":12},"durationSeconds":300,"consecutiveDatapointsToAlarm":100000,"consecutiveDatapointsToClear":1}}]`, ValidateOptions{},
			[]string{"Behavior Authorization is malformed. consecutiveDatapointsToAlarm 100000 should be in range[1,10]"}},
		{"to clear on ML", sent(`{"mlDetectionConfig":{"confidenceLevel":"LOW"},"consecutiveDatapointsToClear":-3}`), ValidateOptions{},
			[]string{B + "consecutiveDatapointsToClear -3 should be in range[1,10]"}},
		// statistical thresholds
		{"statistic on port list", on("aws:listening-tcp-ports", `{"comparisonOperator":"less-than","statisticalThreshold":{"statistic":"p90"},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "statisticalThreshold cannot be used with metric aws:listening-tcp-ports"}},
		{"statistic on disconnect duration", on("aws:disconnect-duration", `{"comparisonOperator":"less-than","statisticalThreshold":{"statistic":"p90"},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "statisticalThreshold cannot be used with metric aws:disconnect-duration"}},
		{"statistic on custom list", on("ports", `{"comparisonOperator":"less-than","statisticalThreshold":{"statistic":"p90"},"durationSeconds":300}`), customs,
			[]string{B + "statisticalThreshold cannot be used with custom metric ports"}},
		{"statistic without operator", sent(`{"statisticalThreshold":{"statistic":"p90"},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "comparisonOperator is required"}},
		{"statistic with set operator", sent(`{"comparisonOperator":"in-set","statisticalThreshold":{"statistic":"p90"},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "comparisonOperator in-set cannot be used with statisticalThreshold; use one of less-than, less-than-equals, greater-than, greater-than-equals"}},
		{"statistic without duration", on("aws:message-byte-size", `{"comparisonOperator":"less-than","statisticalThreshold":{"statistic":"p90"}}`), ValidateOptions{},
			[]string{B + "durationSeconds is required with statisticalThreshold"}},
		{"statistic missing", sent(`{"comparisonOperator":"less-than","statisticalThreshold":{},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "statisticalThreshold.statistic is required"}},
		{"statistic unknown", sent(`{"comparisonOperator":"less-than","statisticalThreshold":{"statistic":"p95"},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "statistic p95 should be one of " + allStats}},
		{"statistic Average", sent(`{"comparisonOperator":"less-than","statisticalThreshold":{"statistic":"Average"},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "statistic Average is accepted only by CloudFormation's schema, not by the API; use one of " + allStats}},
		// ML Detect
		{"ML on source ip", on("aws:source-ip-address", `{"mlDetectionConfig":{"confidenceLevel":"HIGH"}}`), ValidateOptions{},
			[]string{B + "mlDetectionConfig cannot be used with metric aws:source-ip-address"}},
		{"ML on port list", on("aws:listening-tcp-ports", `{"mlDetectionConfig":{"confidenceLevel":"HIGH"}}`), ValidateOptions{},
			[]string{B + "mlDetectionConfig cannot be used with metric aws:listening-tcp-ports"}},
		{"ML on custom list", on("ips", `{"mlDetectionConfig":{"confidenceLevel":"HIGH"}}`), customs,
			[]string{B + "mlDetectionConfig cannot be used with custom metric ips"}},
		{"ML with operator", sent(`{"comparisonOperator":"less-than","mlDetectionConfig":{"confidenceLevel":"HIGH"}}`), ValidateOptions{},
			[]string{B + "comparisonOperator cannot be used with mlDetectionConfig"}},
		{"ML with duration", sent(`{"mlDetectionConfig":{"confidenceLevel":"HIGH"},"durationSeconds":300}`), ValidateOptions{},
			[]string{B + "durationSeconds cannot be used with mlDetectionConfig"}},
		{"ML confidence unknown", sent(`{"mlDetectionConfig":{"confidenceLevel":"VERY_HIGH"}}`), ValidateOptions{},
			[]string{B + "mlDetectionConfig.confidenceLevel VERY_HIGH should be one of LOW, MEDIUM, HIGH"}},
		{"ML confidence missing", sent(`{"mlDetectionConfig":{}}`), ValidateOptions{},
			[]string{B + "mlDetectionConfig.confidenceLevel is required"}},
		// dimensions
		{"dimension on disconnects", `[{"name":"B","metric":"aws:num-disconnects","metricDimension":{"dimensionName":"D"},"criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{B + "metricDimension cannot be used with metric aws:num-disconnects"}},
		{"dimension on device metric", `[{"name":"B","metric":"aws:all-bytes-out","metricDimension":{"dimensionName":"D"},"criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{B + "metricDimension cannot be used with metric aws:all-bytes-out"}},
		{"dimension on custom metric", `[{"name":"B","metric":"battery","metricDimension":{"dimensionName":"D"},"criteria":{"comparisonOperator":"less-than","value":{"number":5}}}]`, customs,
			[]string{B + "metricDimension cannot be used with custom metric battery"}},
		{"dimension operator unknown", `[{"name":"B","metric":"aws:num-messages-sent","metricDimension":{"dimensionName":"D","operator":"EQUALS"},"criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{B + `metricDimension.operator "EQUALS" should be IN or NOT_IN`}},
		{"dimension operator empty", `[{"name":"B","metric":"aws:num-messages-sent","metricDimension":{"dimensionName":"D","operator":""},"criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{B + `metricDimension.operator "" should be IN or NOT_IN`}},
		{"dimension name missing", `[{"name":"B","metric":"aws:num-messages-sent","metricDimension":{},"criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{B + "metricDimension.dimensionName is required"}},
		{"dimension name pattern", `[{"name":"B","metric":"aws:num-messages-sent","metricDimension":{"dimensionName":"my topics"},"criteria":` + ok300 + `}]`, ValidateOptions{},
			[]string{B + `metricDimension.dimensionName "my topics" should match pattern [a-zA-Z0-9:_-]+`}},
		{"dimension does not exist", `[{"name":"B","metric":"aws:num-messages-sent","metricDimension":{"dimensionName":"Other"},"criteria":` + ok300 + `}]`, dims,
			[]string{B + "dimension Other does not exist"}},
		// custom metrics whose type is inferred (no CustomMetrics given)
		{"custom with port operator", on("openPorts", `{"comparisonOperator":"in-port-set","value":{"ports":[22]}}`), ValidateOptions{},
			[]string{
				B + "comparisonOperator in-port-set cannot be used with custom metric openPorts; use one of less-than, less-than-equals, greater-than, greater-than-equals",
				B + "value.number is required for custom metric openPorts",
				B + "value.ports cannot be used with custom metric openPorts; it takes value.number",
			}},
		{"custom with count", on("battery", `{"comparisonOperator":"less-than","value":{"count":5}}`), ValidateOptions{},
			[]string{
				B + "value.number is required for custom metric battery",
				B + "value.count cannot be used with custom metric battery; it takes value.number",
			}},
		// unknown aws: metric: the operator still says which field is wanted
		{"unknown metric, field for operator", on("aws:foo", `{"comparisonOperator":"greater-than","value":{"ports":[1]}}`), ValidateOptions{},
			[]string{B + "metric aws:foo is not supported", B + "value.ports cannot be used with comparisonOperator greater-than"}},
		{"unknown metric, empty value", on("aws:foo", `{"comparisonOperator":"greater-than","value":{}}`), ValidateOptions{},
			[]string{B + "metric aws:foo is not supported", B + "value should set one of count, cidrs, ports, number, numbers, strings"}},
		{"unknown metric, two fields", on("aws:foo", `{"comparisonOperator":"less-than","value":{"count":1,"ports":[1]}}`), ValidateOptions{},
			[]string{B + "metric aws:foo is not supported", B + "value should set exactly one field, not count and ports", B + "value.ports cannot be used with comparisonOperator less-than"}},
		// every problem of one behavior at once
		{"many problems", `[{"name":"bad name","metric":"aws:num-disconnects","metricDimension":{"dimensionName":"D"},"criteria":{"comparisonOperator":"in-set","value":{"count":-5},"durationSeconds":30,"consecutiveDatapointsToAlarm":11,"consecutiveDatapointsToClear":0}}]`, ValidateOptions{},
			[]string{
				"Behavior bad name is malformed. metricDimension cannot be used with metric aws:num-disconnects",
				"Behavior bad name is malformed. consecutiveDatapointsToAlarm 11 should be in range[1,10]",
				"Behavior bad name is malformed. consecutiveDatapointsToClear 0 should be in range[1,10]",
				"Behavior bad name is malformed. durationSeconds 30 should be one of 300, 600, 900, 1800, 3600",
				"Behavior bad name is malformed. value.count -5 should not be negative",
				"Behavior bad name is malformed. comparisonOperator in-set cannot be used with metric aws:num-disconnects; use one of less-than, less-than-equals, greater-than, greater-than-equals",
			}},
	}
	require.GreaterOrEqual(t, len(tests), 60)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bs := mustBehaviors(t, tc.in)
			before := fmt.Sprintf("%#v", bs)
			r := ValidateBehaviors(bs, tc.opts)
			assert.False(t, r.Valid)
			assert.Equal(t, tc.want, messages(r))
			assert.Equal(t, before, fmt.Sprintf("%#v", bs), "validation must not change its input")
		})
	}
}

func TestValidateLimits(t *testing.T) {
	one := Behavior{Metric: "aws:listening-tcp-ports", Criteria: &BehaviorCriteria{ComparisonOperator: "in-port-set", Value: &MetricValue{Ports: make([]int64, 10)}}}
	many := func(n int) []Behavior {
		bs := make([]Behavior, n)
		for i := range bs {
			bs[i] = one
			bs[i].Name = fmt.Sprintf("b%d", i)
		}
		return bs
	}
	r := ValidateBehaviors(many(100), ValidateOptions{})
	assert.True(t, r.Valid, messages(r))
	r = ValidateBehaviors(many(101), ValidateOptions{})
	assert.Equal(t, []string{
		"behaviors has 101 behaviors; at most 100 are allowed in a security profile",
		"behaviors have 1010 metric value elements; at most 1000 are allowed in a security profile",
	}, messages(r))

	counts := many(2)
	counts[0].Criteria = &BehaviorCriteria{ComparisonOperator: "in-port-set", Value: &MetricValue{Ports: make([]int64, 1000)}}
	r = ValidateBehaviors(counts, ValidateOptions{})
	assert.Equal(t, []string{"behaviors have 1010 metric value elements; at most 1000 are allowed in a security profile"}, messages(r))
}

func TestValidateNonFiniteNumbers(t *testing.T) {
	bs := []Behavior{
		{Name: "n", Metric: "level", Criteria: &BehaviorCriteria{ComparisonOperator: "less-than", Value: &MetricValue{Number: ptr(math.NaN())}}},
		{Name: "ns", Metric: "levels", Criteria: &BehaviorCriteria{ComparisonOperator: "in-set", Value: &MetricValue{Numbers: []float64{1, math.Inf(-1)}}}},
	}
	r := ValidateBehaviors(bs, ValidateOptions{})
	assert.Equal(t, []string{
		"Behavior n is malformed. value.number NaN should be a finite number",
		"Behavior ns is malformed. value.numbers[1] -Inf should be a finite number",
	}, messages(r))
	assert.Equal(t, "behaviors[1].criteria.value.numbers[1]", r.ValidationErrors[1].Field)
	assert.Equal(t, "ns", r.ValidationErrors[1].Behavior)
}

func ptr[T any](v T) *T { return &v }

// validBehavior builds a valid static behavior for any catalog row.
func validBehavior(m Metric) Behavior {
	cr := &BehaviorCriteria{ComparisonOperator: m.Operators.Operators()[0].String(), Value: &MetricValue{}}
	switch m.Value {
	case ValueCount:
		cr.Value.Count = ptr[int64](5)
	case ValueCIDRs:
		cr.Value.CIDRs = []string{"10.0.0.0/8", "2001:db8::/32", "192.168.100.14/24", "203.0.113.9"}
	case ValuePorts:
		cr.Value.Ports = []int64{0, 443, 65535}
	case ValueNumber:
		cr.Value.Number = ptr(-2.5)
	case ValueNumbers:
		cr.Value.Numbers = []float64{1, 2.5}
	case ValueStrings:
		cr.Value.Strings = []string{"a", ""}
	}
	if m.Duration == DurationRequired {
		cr.DurationSeconds = ptr[int64](600)
	}
	return Behavior{Name: "ok", Metric: m.Name, Criteria: cr}
}

func TestValidateValidForEveryMetric(t *testing.T) {
	var rows []Metric
	rows = append(rows, Metrics()...)
	for _, ct := range CustomMetricTypes() {
		rows = append(rows, ct.Metric("my-"+string(ct)))
	}
	dims := ValidateOptions{DimensionExists: func(string) bool { return true }}
	for _, m := range rows {
		t.Run(m.Name, func(t *testing.T) {
			static := validBehavior(m)
			assert.Empty(t, messages(ValidateBehaviors([]Behavior{static}, ValidateOptions{})), "static, inferred custom type")
			if m.IsCustom() {
				opts := ValidateOptions{CustomMetrics: map[string]CustomMetricType{m.Name: m.CustomType}}
				assert.Empty(t, messages(ValidateBehaviors([]Behavior{static}, opts)), "static, declared custom type")
			}
			if m.Duration == DurationOptional {
				static.Criteria.DurationSeconds = ptr[int64](3600)
				assert.Empty(t, messages(ValidateBehaviors([]Behavior{static}, ValidateOptions{})), "optional duration")
			}
			if m.Statistical {
				b := Behavior{Name: "st", Metric: m.Name, Criteria: &BehaviorCriteria{ComparisonOperator: "greater-than-equals",
					StatisticalThreshold: &StatisticalThreshold{Statistic: ptr("p99.99")}, DurationSeconds: ptr[int64](1800)}}
				assert.Empty(t, messages(ValidateBehaviors([]Behavior{b}, ValidateOptions{})), "statistical")
			}
			if m.ML {
				b := Behavior{Name: "ml", Metric: m.Name, Criteria: &BehaviorCriteria{MLDetectionConfig: &MachineLearningDetectionConfig{ConfidenceLevel: "MEDIUM"}}}
				assert.Empty(t, messages(ValidateBehaviors([]Behavior{b}, ValidateOptions{})), "ML")
			}
			if m.Dimension {
				b := validBehavior(m)
				b.MetricDimension = &MetricDimension{DimensionName: "TopicFilterForAuthMessages", Operator: ptr("NOT_IN")}
				assert.Empty(t, messages(ValidateBehaviors([]Behavior{b}, dims)), "dimension")
			}
		})
	}
}

func TestValidationResultJSON(t *testing.T) {
	valid := ValidateBehaviors(nil, ValidateOptions{})
	out, err := json.Marshal(valid)
	require.NoError(t, err)
	assert.JSONEq(t, `{"valid":true,"validationErrors":[]}`, string(out))

	bad := ValidateBehaviors([]Behavior{{Name: "x"}}, ValidateOptions{})
	out, err = json.Marshal(bad)
	require.NoError(t, err)
	assert.JSONEq(t, `{"valid":false,"validationErrors":[{"errorMessage":"Behavior x is malformed. metric is required"},{"errorMessage":"Behavior x is malformed. criteria is required; to retain a metric without a rule, use additionalMetricsToRetainV2"}]}`, string(out))
	assert.Equal(t, "x", bad.ValidationErrors[0].Behavior)
	assert.Equal(t, "behaviors[0].metric", bad.ValidationErrors[0].Field)
	assert.Equal(t, bad.ValidationErrors[0].ErrorMessage, bad.ValidationErrors[0].Error())
}

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }
