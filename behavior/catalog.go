package behavior

// The catalog follows aws-semantics.md §2.1 (AWS's developer guide, the
// service model and ML Detect's list of supported metrics). Where AWS is
// silent the row records a decision: see the comments.

func counter(name string, side Side, dim bool) Metric {
	return Metric{Name: name, Side: side, Value: ValueCount, Operators: NumericOperators,
		Duration: DurationRequired, Statistical: true, ML: true, Dimension: dim}
}

func gauge(name string, side Side, dim bool) Metric {
	m := counter(name, side, dim)
	m.Duration = DurationOptional
	return m
}

func list(name string, side Side, v ValueType, ops OperatorSet, dim bool) Metric {
	return Metric{Name: name, Side: side, Value: v, Operators: ops, Duration: DurationForbidden, Dimension: dim}
}

// catalog lists the aws: metrics, cloud-side first, in the developer guide's order.
var catalog = [...]Metric{
	// aws:message-byte-size is per message without a duration, summed over
	// the window with one, and only when a message fell in it.
	gauge("aws:message-byte-size", SideCloud, true),
	counter("aws:num-messages-sent", SideCloud, true),
	counter("aws:num-messages-received", SideCloud, true),
	counter("aws:num-authorization-failures", SideCloud, true),
	// Dimensions on source IPs are "only available for Rules Detect".
	list("aws:source-ip-address", SideCloud, ValueCIDRs, CIDROperators, true),
	counter("aws:num-connection-attempts", SideCloud, false),
	counter("aws:num-disconnects", SideCloud, false),
	// aws:disconnect-duration: AWS documents it thinly (a blog post
	// announcing it; nothing on operators, units or windows). We model it as
	// a count compared with less-than or less-than-equals, with no duration,
	// statistic, ML or dimension, as a linter derived from the docs does.
	{Name: "aws:disconnect-duration", Side: SideCloud, Value: ValueCount, Operators: upperOperators, Duration: DurationForbidden},
	counter("aws:all-bytes-out", SideDevice, false),
	counter("aws:all-bytes-in", SideDevice, false),
	counter("aws:all-packets-out", SideDevice, false),
	counter("aws:all-packets-in", SideDevice, false),
	gauge("aws:num-listening-tcp-ports", SideDevice, false),
	gauge("aws:num-listening-udp-ports", SideDevice, false),
	gauge("aws:num-established-tcp-connections", SideDevice, false),
	list("aws:listening-tcp-ports", SideDevice, ValuePorts, PortOperators, false),
	list("aws:listening-udp-ports", SideDevice, ValuePorts, PortOperators, false),
	list("aws:destination-ip-addresses", SideDevice, ValueCIDRs, CIDROperators, false),
}

// LookupMetric returns the catalog row of an aws: metric. It reports false
// for any other name, custom metrics included: their row depends on their
// type (see [CustomMetricType.Metric]).
func LookupMetric(name string) (Metric, bool) {
	for i := range catalog {
		if catalog[i].Name == name {
			return catalog[i], true
		}
	}
	return Metric{}, false
}

// Metrics returns the catalog's 18 aws: metrics, cloud-side first. The
// slice is the caller's.
func Metrics() []Metric {
	return append([]Metric(nil), catalog[:]...)
}
