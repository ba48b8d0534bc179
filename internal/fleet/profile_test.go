package fleet

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The AWS JSON model's shapes (CreateSecurityProfileRequest, Behavior,
// BehaviorCriteria, MetricValue, CreateCustomMetricRequest), decoded strictly
// so that a field outside the model fails the test.
type (
	profileRequest struct {
		SecurityProfileName        string     `json:"securityProfileName"`
		SecurityProfileDescription string     `json:"securityProfileDescription"`
		Behaviors                  []behavior `json:"behaviors"`
	}
	behavior struct {
		Name     string   `json:"name"`
		Metric   string   `json:"metric"`
		Criteria criteria `json:"criteria"`
	}
	criteria struct {
		ComparisonOperator           string      `json:"comparisonOperator"`
		Value                        metricValue `json:"value"`
		DurationSeconds              int         `json:"durationSeconds"`
		ConsecutiveDatapointsToAlarm int         `json:"consecutiveDatapointsToAlarm"`
		ConsecutiveDatapointsToClear int         `json:"consecutiveDatapointsToClear"`
	}
	metricValue struct {
		Count   *uint64   `json:"count"`
		Cidrs   []string  `json:"cidrs"`
		Ports   []int     `json:"ports"`
		Number  *float64  `json:"number"`
		Numbers []float64 `json:"numbers"`
		Strings []string  `json:"strings"`
	}
	customMetricRequest struct {
		MetricName         string `json:"metricName"`
		DisplayName        string `json:"displayName"`
		MetricType         string `json:"metricType"`
		ClientRequestToken string `json:"clientRequestToken"`
	}
)

func strictDecode(t testing.TB, b []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	require.NoError(t, d.Decode(v))
}

func loadProfile(t testing.TB) map[string]behavior {
	var p profileRequest
	strictDecode(t, Profile(), &p)
	require.Equal(t, ProfileName, p.SecurityProfileName)
	out := make(map[string]behavior)
	for _, b := range p.Behaviors {
		out[b.Name] = b
	}
	require.Len(t, out, len(p.Behaviors), "behavior names are unique")
	return out
}

func TestProfileShape(t *testing.T) {
	behaviors := loadProfile(t)
	want := map[string]string{
		BehaviorListeningTCPPorts:   "aws:listening-tcp-ports/in-port-set",
		BehaviorDestinationIPs:      "aws:destination-ip-addresses/in-cidr-set",
		BehaviorBytesOut:            "aws:all-bytes-out/less-than-equals",
		BehaviorEstablishedTCPConns: "aws:num-established-tcp-connections/less-than-equals",
		BehaviorMessagesSent:        "aws:num-messages-sent/less-than-equals",
		BehaviorMessageSize:         "aws:message-byte-size/less-than-equals",
		BehaviorAuthFailures:        "aws:num-authorization-failures/less-than",
		BehaviorSourceIP:            "aws:source-ip-address/in-cidr-set",
		BehaviorCPUUsage:            "cpu_usage/less-than",
	}
	require.Len(t, behaviors, len(want))
	for name, metricOp := range want {
		b, ok := behaviors[name]
		require.True(t, ok, name)
		assert.Equal(t, metricOp, b.Metric+"/"+b.Criteria.ComparisonOperator, name)
		c := b.Criteria
		for _, n := range []int{c.ConsecutiveDatapointsToAlarm, c.ConsecutiveDatapointsToClear} {
			assert.True(t, n == 0 || (n >= 1 && n <= 10), name)
		}
		for _, cidr := range c.Value.Cidrs {
			_, err := netip.ParsePrefix(cidr)
			assert.NoError(t, err, name)
		}
	}
	for _, name := range []string{BehaviorBytesOut, BehaviorMessagesSent, BehaviorAuthFailures} {
		assert.Equal(t, 300, behaviors[name].Criteria.DurationSeconds, name)
	}
	assert.NotNil(t, behaviors[BehaviorCPUUsage].Criteria.Value.Number, "custom number metric uses value.number")

	types := map[string]string{}
	for _, b := range CustomMetrics() {
		var m customMetricRequest
		strictDecode(t, b, &m)
		types[m.MetricName] = m.MetricType
		assert.NotEmpty(t, m.ClientRequestToken)
	}
	assert.Equal(t, map[string]string{"cpu_usage": "number", "interfaces": "string-list"}, types)
}

func TestProfileReturnsCopies(t *testing.T) {
	p := Profile()
	p[0] = 'X'
	assert.Equal(t, byte('{'), Profile()[0])
	m := CustomMetrics()
	m[0][0] = 'X'
	assert.Equal(t, byte('{'), CustomMetrics()[0][0])
}
