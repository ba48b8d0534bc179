package report

import (
	"net/netip"
	"slices"
)

// Report is one decoded device metrics report: the header and every block the
// device sent, with values that break the service's value rules moved to
// Dropped.
//
// A Report is reusable: decoding into it truncates its slices and refills
// them in place, so a long-lived Report decodes without allocating. The slices
// of a Report (and of its CustomValues) are overwritten by the next decode
// into it; use Clone to keep a copy. After a failed decode the Report is
// Reset: a rejected report is never half-applied.
type Report struct {
	// ReportID is header.report_id: a positive integer, by convention the
	// epoch time in seconds (Python agent, docs) or milliseconds (aws-c-iot).
	ReportID int64
	// Version is header.version, "Major.Minor" (every agent sends "1.0").
	Version string

	// ListeningTCP is metrics.listening_tcp_ports.
	ListeningTCP PortList
	// ListeningUDP is metrics.listening_udp_ports.
	ListeningUDP PortList
	// Established is metrics.tcp_connections.established_connections.
	Established Connections
	// NetworkStats is metrics.network_stats, as sent (deltas per the
	// specification; see CounterState for agents that send cumulative counters).
	NetworkStats NetworkStats

	// Custom holds the custom_metrics entries in the order they appear,
	// without those that were dropped.
	Custom []CustomValue

	// Dropped lists what the decoder left out without rejecting the report:
	// values that break the value rules and keys it does not know inside
	// metrics, the first MaxListedDrops of them. Empty for a clean report.
	Dropped []Dropped
	// DroppedCount is how many things were dropped, listed or not:
	// DroppedCount − len(Dropped) more than Dropped lists.
	DroppedCount int
}

// MaxListedDrops is how many drops a Report lists in Dropped; the rest are
// only counted in DroppedCount. A report is bounded in size, not in how many
// bad values it packs, and listing each would cost far more than the report.
const MaxListedDrops = 100

// PortList is a listening_tcp_ports or listening_udp_ports block.
type PortList struct {
	// Present reports whether the block was in the report; a report without
	// it gives no datapoint for the port metrics.
	Present bool
	// Ports are the listed ports in report order, duplicates kept (the Python
	// agent repeats a port bound twice; set operators are unaffected). Ports
	// outside 1..65535 are dropped and recorded in Report.Dropped.
	Ports []uint16
	// Total is the block's `total` when present (it may exceed len(Ports):
	// the Python agent samples the list down to 50 but counts every port),
	// else len(Ports). It feeds aws:num-listening-*-ports.
	Total int64
}

// Connections is the tcp_connections.established_connections block.
type Connections struct {
	// Present reports whether established_connections was in the report.
	Present bool
	// RemoteAddrs are the IP parts of connections[].remote_addr in report
	// order (aws:destination-ip-addresses). Zones are stripped. Entries
	// without a parsable remote_addr are dropped and recorded.
	RemoteAddrs []netip.Addr
	// Total is the block's `total` when present, else len(RemoteAddrs). It
	// feeds aws:num-established-tcp-connections.
	Total int64
}

// NetworkStats is the network_stats block. A field the device left out is 0.
type NetworkStats struct {
	// Present reports whether network_stats was in the report (the Python
	// agent omits it from its first report, having no delta yet).
	Present bool
	// BytesIn, BytesOut, PacketsIn and PacketsOut feed aws:all-bytes-in,
	// aws:all-bytes-out, aws:all-packets-in and aws:all-packets-out.
	BytesIn, BytesOut, PacketsIn, PacketsOut int64
}

// Kind is the type of a custom metric value, named after the report key that
// carries it.
type Kind uint8

// The custom metric value kinds.
const (
	// Number is `number`: a single value in Number.
	Number Kind = iota + 1
	// NumberList is `number_list`: the values in Numbers.
	NumberList
	// StringList is `string_list`: the values in Strings.
	StringList
	// IPList is `ip_list`: the values in IPs.
	IPList
)

// String returns the report key of the kind ("number", "number_list", …).
func (k Kind) String() string {
	switch k {
	case Number:
		return "number"
	case NumberList:
		return "number_list"
	case StringList:
		return "string_list"
	case IPList:
		return "ip_list"
	}
	return "invalid"
}

// CustomValue is one entry of custom_metrics. Only the field matching Kind is
// set; the other value fields are zero or empty (their capacity is kept for
// reuse).
type CustomValue struct {
	// Name is the custom metric's name, the key in custom_metrics.
	Name string
	// Kind says which value field is set.
	Kind Kind
	// Number is the value of a Number metric.
	Number float64
	// Numbers are the values of a NumberList metric.
	Numbers []float64
	// Strings are the values of a StringList metric.
	Strings []string
	// IPs are the values of an IPList metric.
	IPs []netip.Addr
}

// Dropped records something the decoder left out of a report it accepted.
type Dropped struct {
	// Metric is the metric whose value was dropped: "aws:listening-tcp-ports",
	// "aws:listening-udp-ports", "aws:destination-ip-addresses" or a custom
	// metric's name; empty for an ignored unknown key.
	Metric string
	// Path locates the offending value in the report, in the report's own
	// key spelling, e.g. "met.tp.pts[2].pt".
	Path string
	// Reason says what rule the value broke.
	Reason string
}

// Reset empties the Report for reuse, keeping its slices' capacity.
func (r *Report) Reset() {
	*r = Report{
		ListeningTCP: PortList{Ports: r.ListeningTCP.Ports[:0]},
		ListeningUDP: PortList{Ports: r.ListeningUDP.Ports[:0]},
		Established:  Connections{RemoteAddrs: r.Established.RemoteAddrs[:0]},
		Custom:       r.Custom[:0],
		Dropped:      r.Dropped[:0],
	}
}

// Clone returns a deep copy of r that no later decode into r can change.
func (r *Report) Clone() Report {
	c := *r
	c.ListeningTCP.Ports = slices.Clone(r.ListeningTCP.Ports)
	c.ListeningUDP.Ports = slices.Clone(r.ListeningUDP.Ports)
	c.Established.RemoteAddrs = slices.Clone(r.Established.RemoteAddrs)
	c.Dropped = slices.Clone(r.Dropped)
	c.Custom = nil
	if r.Custom != nil {
		c.Custom = make([]CustomValue, len(r.Custom))
		for i, v := range r.Custom {
			c.Custom[i] = CustomValue{Name: v.Name, Kind: v.Kind}
			switch v.Kind {
			case Number:
				c.Custom[i].Number = v.Number
			case NumberList:
				c.Custom[i].Numbers = slices.Clone(v.Numbers)
			case StringList:
				c.Custom[i].Strings = slices.Clone(v.Strings)
			case IPList:
				c.Custom[i].IPs = slices.Clone(v.IPs)
			}
		}
	}
	return c
}

// CustomByName returns the custom value named name, if the report has it.
func (r *Report) CustomByName(name string) (*CustomValue, bool) {
	for i := range r.Custom {
		if r.Custom[i].Name == name {
			return &r.Custom[i], true
		}
	}
	return nil, false
}
