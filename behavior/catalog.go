package behavior

// The catalog follows aws-semantics.md §2.1 (AWS's developer guide, the
// service model and ML Detect's list of supported metrics). Where AWS is
// silent the row records a decision: see the comments.

func counter(name string, side Side, src Source, agg Aggregation, dim bool) Metric {
	return Metric{Name: name, Side: side, Value: ValueCount, Operators: NumericOperators,
		Duration: DurationRequired, Statistical: true, ML: true, Dimension: dim, Source: src, Aggregation: agg}
}

func gauge(name string, side Side, src Source, agg Aggregation, dim bool) Metric {
	m := counter(name, side, src, agg, dim)
	m.Duration = DurationOptional
	return m
}

func list(name string, side Side, src Source, v ValueType, ops OperatorSet, dim bool) Metric {
	return Metric{Name: name, Side: side, Value: v, Operators: ops, Duration: DurationForbidden, Dimension: dim,
		Source: src, Aggregation: PerInput}
}

// catalog lists the aws: metrics, cloud-side first, in the developer guide's order.
var catalog = [...]Metric{
	// aws:message-byte-size is per message without a duration, summed over
	// the window with one, and only when a message fell in it.
	gauge("aws:message-byte-size", SideCloud, FromMessagesSent, SumValues, true),
	counter("aws:num-messages-sent", SideCloud, FromMessagesSent, CountInputs, true),
	counter("aws:num-messages-received", SideCloud, FromMessagesReceived, CountInputs, true),
	counter("aws:num-authorization-failures", SideCloud, FromAuthorizationFailures, CountInputs, true),
	// Dimensions on source IPs are "only available for Rules Detect".
	list("aws:source-ip-address", SideCloud, FromConnects, ValueCIDRs, CIDROperators, true),
	counter("aws:num-connection-attempts", SideCloud, FromConnects, CountInputs, false),
	counter("aws:num-disconnects", SideCloud, FromDisconnects, CountInputs, false),
	// aws:disconnect-duration: AWS documents it thinly (a blog post
	// announcing it; nothing on operators, units or windows). We model it as
	// a count compared with less-than or less-than-equals, with no duration,
	// statistic, ML or dimension, as a linter derived from the docs does.
	{Name: "aws:disconnect-duration", Side: SideCloud, Value: ValueCount, Operators: upperOperators, Duration: DurationForbidden,
		Source: FromDisconnects, Aggregation: MinutesDisconnected},
	counter("aws:all-bytes-out", SideDevice, FromBytesOut, SumValues, false),
	counter("aws:all-bytes-in", SideDevice, FromBytesIn, SumValues, false),
	counter("aws:all-packets-out", SideDevice, FromPacketsOut, SumValues, false),
	counter("aws:all-packets-in", SideDevice, FromPacketsIn, SumValues, false),
	gauge("aws:num-listening-tcp-ports", SideDevice, FromListeningTCPCount, LastValue, false),
	gauge("aws:num-listening-udp-ports", SideDevice, FromListeningUDPCount, LastValue, false),
	gauge("aws:num-established-tcp-connections", SideDevice, FromEstablishedCount, LastValue, false),
	list("aws:listening-tcp-ports", SideDevice, FromListeningTCPPorts, ValuePorts, PortOperators, false),
	list("aws:listening-udp-ports", SideDevice, FromListeningUDPPorts, ValuePorts, PortOperators, false),
	list("aws:destination-ip-addresses", SideDevice, FromDestinationIPs, ValueCIDRs, CIDROperators, false),
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
