package eval

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// The behavior package's catalog decides which aws: metrics validate and,
// by its Source and Aggregation columns, where their datapoints come from.
// It used to be two tables, and a name in the first and not the second
// compiled silently as a custom metric, validated, and never fired. The
// table below restates, independently, where each metric's datapoints
// come from (aws-semantics.md §2.1).
func TestEveryCatalogMetricHasASource(t *testing.T) {
	type src struct {
		in       input
		field    field
		windowed agg // with durationSeconds; aggPerInput for list metrics
	}
	want := map[string]src{
		"aws:num-messages-sent":               {inMessageSent, fieldNone, aggCount},
		"aws:num-messages-received":           {inMessageReceived, fieldNone, aggCount},
		"aws:num-authorization-failures":      {inAuthFailure, fieldNone, aggCount},
		"aws:num-connection-attempts":         {inConnect, fieldNone, aggCount},
		"aws:num-disconnects":                 {inDisconnect, fieldNone, aggCount},
		"aws:message-byte-size":               {inMessageSent, fieldNone, aggSumIfAny},
		"aws:source-ip-address":               {inConnect, fieldNone, aggPerInput},
		"aws:disconnect-duration":             {inDisconnect, fieldNone, aggDisconnected},
		"aws:all-bytes-in":                    {inReport, fieldBytesIn, aggSumIfAny},
		"aws:all-bytes-out":                   {inReport, fieldBytesOut, aggSumIfAny},
		"aws:all-packets-in":                  {inReport, fieldPacketsIn, aggSumIfAny},
		"aws:all-packets-out":                 {inReport, fieldPacketsOut, aggSumIfAny},
		"aws:num-listening-tcp-ports":         {inReport, fieldListeningTCPCount, aggLast},
		"aws:num-listening-udp-ports":         {inReport, fieldListeningUDPCount, aggLast},
		"aws:num-established-tcp-connections": {inReport, fieldEstablishedCount, aggLast},
		"aws:listening-tcp-ports":             {inReport, fieldListeningTCPPorts, aggPerInput},
		"aws:listening-udp-ports":             {inReport, fieldListeningUDPPorts, aggPerInput},
		"aws:destination-ip-addresses":        {inReport, fieldDestinationIPs, aggPerInput},
	}
	var names []string
	for _, m := range behavior.Metrics() {
		names = append(names, m.Name)
		_, err := compile("p", behavior.Behavior{Name: "b", Metric: m.Name}, Env{Period: 300 * time.Second})
		require.NoError(t, err, m.Name)
		cb := &Behavior{b: behavior.Behavior{Name: "b", Metric: m.Name}}
		require.NoError(t, cb.compileMetric(m), m.Name)
		assert.Equal(t, want[m.Name], src{cb.in, cb.field, cb.agg}, m.Name)
		assert.NotEqual(t, fieldCustom, cb.field, "%s compiles as a custom metric", m.Name)
		assert.Empty(t, cb.custom, m.Name)
		assert.Equal(t, m.Name == "aws:source-ip-address", cb.sourceIP, m.Name)
	}
	assert.ElementsMatch(t, names, slices.Collect(func(yield func(string) bool) {
		for n := range want {
			if !yield(n) {
				return
			}
		}
	}), "the catalog lists the metrics this test states")
}

func TestCustomMetricsCompileByType(t *testing.T) {
	for _, tc := range []struct {
		typ   string
		agg   agg
		float bool
	}{
		{"number", aggLast, true},
		{"number-list", aggPerInput, false},
		{"string-list", aggPerInput, false},
		{"ip-address-list", aggPerInput, false},
		{"", aggPerInput, false}, // unknown to the control plane
	} {
		env := Env{Period: 300 * time.Second, MetricType: func(string) (string, bool) { return tc.typ, tc.typ != "" }}
		cb := &Behavior{b: behavior.Behavior{Name: "b", Metric: "temperature"}}
		require.NoError(t, cb.compileMetric(env.metric("temperature")), tc.typ)
		assert.Equal(t, []any{inReport, fieldCustom, "temperature", tc.agg, tc.float, false},
			[]any{cb.in, cb.field, cb.custom, cb.agg, cb.float, cb.sourceIP}, tc.typ)
	}
}

func TestAWSMetricWithoutASourceIsRefused(t *testing.T) {
	m, ok := behavior.LookupMetric("aws:num-messages-sent")
	require.True(t, ok)
	cb := &Behavior{b: behavior.Behavior{Name: "b", Metric: m.Name}}
	require.NoError(t, cb.compileMetric(m))
	m.Source = 0 // a row added to the catalog without saying where it comes from
	require.ErrorContains(t, cb.compileMetric(m), "has no source")
	m.Source, m.Aggregation = behavior.FromMessagesSent, 0
	require.ErrorContains(t, cb.compileMetric(m), "has no source")
}
