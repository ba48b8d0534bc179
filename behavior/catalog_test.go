package behavior

import (
	"testing"

	"github.com/ruledetect/ruledetect/criteria"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCatalog states aws-semantics.md §2.1 row by row, independently of
// catalog.go, and checks the catalog against it.
func TestCatalog(t *testing.T) {
	cmp, cidr, port := NumericOperators, CIDROperators, PortOperators
	req, opt, forb := DurationRequired, DurationOptional, DurationForbidden
	want := []struct {
		name            string
		side            Side
		value           string
		ops             OperatorSet
		dur             DurationRule
		stat, ml, dimOK bool
	}{
		{"aws:message-byte-size", SideCloud, "count", cmp, opt, true, true, true},
		{"aws:num-messages-sent", SideCloud, "count", cmp, req, true, true, true},
		{"aws:num-messages-received", SideCloud, "count", cmp, req, true, true, true},
		{"aws:num-authorization-failures", SideCloud, "count", cmp, req, true, true, true},
		{"aws:source-ip-address", SideCloud, "cidrs", cidr, forb, false, false, true},
		{"aws:num-connection-attempts", SideCloud, "count", cmp, req, true, true, false},
		{"aws:num-disconnects", SideCloud, "count", cmp, req, true, true, false},
		{"aws:disconnect-duration", SideCloud, "count", 1<<criteria.LessThan | 1<<criteria.LessThanEquals, forb, false, false, false},
		{"aws:all-bytes-out", SideDevice, "count", cmp, req, true, true, false},
		{"aws:all-bytes-in", SideDevice, "count", cmp, req, true, true, false},
		{"aws:all-packets-out", SideDevice, "count", cmp, req, true, true, false},
		{"aws:all-packets-in", SideDevice, "count", cmp, req, true, true, false},
		{"aws:num-listening-tcp-ports", SideDevice, "count", cmp, opt, true, true, false},
		{"aws:num-listening-udp-ports", SideDevice, "count", cmp, opt, true, true, false},
		{"aws:num-established-tcp-connections", SideDevice, "count", cmp, opt, true, true, false},
		{"aws:listening-tcp-ports", SideDevice, "ports", port, forb, false, false, false},
		{"aws:listening-udp-ports", SideDevice, "ports", port, forb, false, false, false},
		{"aws:destination-ip-addresses", SideDevice, "cidrs", cidr, forb, false, false, false},
	}
	all := Metrics()
	require.Len(t, all, len(want))
	for i, w := range want {
		m, ok := LookupMetric(w.name)
		require.True(t, ok, w.name)
		assert.Equal(t, m, all[i], "Metrics() order")
		assert.Equal(t, w.name, m.Name)
		assert.Equal(t, w.side, m.Side, w.name)
		assert.Equal(t, w.value, m.Value.Field(), w.name)
		assert.Equal(t, w.ops, m.Operators, "%s: %s", w.name, m.Operators)
		assert.Equal(t, w.dur, m.Duration, w.name)
		assert.Equal(t, w.stat, m.Statistical, w.name)
		assert.Equal(t, w.ml, m.ML, w.name)
		assert.Equal(t, w.dimOK, m.Dimension, w.name)
		assert.Empty(t, m.CustomType)
		assert.Equal(t, m.Value.IsList(), m.Duration == DurationForbidden && w.name != "aws:disconnect-duration", w.name)
	}
	all[0].Name = "changed"
	m, _ := LookupMetric("aws:message-byte-size")
	assert.Equal(t, "aws:message-byte-size", m.Name, "Metrics returns a copy")

	for _, name := range []string{"", "aws:", "AWS:num-messages-sent", "num-messages-sent", "batteryPercentage"} {
		m, ok := LookupMetric(name)
		assert.False(t, ok, name)
		assert.False(t, m.IsValid())
	}
}

func TestCustomMetricTypes(t *testing.T) {
	tests := []struct {
		typ   CustomMetricType
		value string
		ops   OperatorSet
		dur   DurationRule
		stat  bool
	}{
		{CustomNumber, "number", NumericOperators, DurationOptional, true},
		{CustomNumberList, "numbers", SetOperators, DurationForbidden, false},
		{CustomStringList, "strings", SetOperators, DurationForbidden, false},
		{CustomIPAddressList, "cidrs", CIDROperators, DurationForbidden, false},
	}
	require.Len(t, CustomMetricTypes(), len(tests))
	for i, tc := range tests {
		assert.Equal(t, tc.typ, CustomMetricTypes()[i])
		got, err := ParseCustomMetricType(string(tc.typ))
		require.NoError(t, err)
		assert.Equal(t, tc.typ, got)
		m := got.Metric("x")
		assert.Equal(t, "x", m.Name)
		assert.Equal(t, SideCustom, m.Side)
		assert.True(t, m.IsCustom())
		assert.Equal(t, tc.value, m.Value.Field())
		assert.Equal(t, tc.ops, m.Operators)
		assert.Equal(t, tc.dur, m.Duration)
		assert.Equal(t, tc.stat, m.Statistical)
		assert.Equal(t, tc.stat, m.ML, "ML supports only number")
		assert.False(t, m.Dimension)
		assert.Equal(t, tc.typ, m.CustomType)
	}
	for _, s := range []string{"", "Number", "numbers", "ip-list", "string_list"} {
		_, err := ParseCustomMetricType(s)
		assert.ErrorIs(t, err, ErrInvalidCustomMetricType, s)
		assert.False(t, CustomMetricType(s).Metric("x").IsValid())
	}
}

func TestOperatorSet(t *testing.T) {
	assert.Equal(t, "in-cidr-set, not-in-cidr-set", CIDROperators.String())
	assert.Equal(t, []criteria.Operator{criteria.InPortSet, criteria.NotInPortSet}, PortOperators.Operators())
	assert.False(t, NumericOperators.Has(0))
	assert.False(t, NumericOperators.Has(criteria.Operator(200)))
	assert.True(t, SetOperators.Has(criteria.NotInSet))
	assert.Equal(t, "cloud", SideCloud.String())
	assert.Equal(t, "optional", DurationOptional.String())
	assert.Empty(t, ValueType(0).Field())
}
