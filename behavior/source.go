package behavior

// Source says which input gives a metric its datapoints: a cloud-side
// event, or a block of the device's metrics report. Every row of the
// catalog has one, so that a metric the catalog accepts is a metric the
// engine measures.
type Source uint8

// The sources of the metric catalog.
const (
	FromMessagesSent          Source = iota + 1 // each message the device published
	FromMessagesReceived                        // each message delivered to the device
	FromAuthorizationFailures                   // each refused publish or subscribe
	FromConnects                                // each connection attempt (and, for source IPs, its address)
	FromDisconnects                             // each disconnection
	FromBytesIn                                 // network_stats.bytes_in
	FromBytesOut                                // network_stats.bytes_out
	FromPacketsIn                               // network_stats.packets_in
	FromPacketsOut                              // network_stats.packets_out
	FromListeningTCPCount                       // listening_tcp_ports.total
	FromListeningUDPCount                       // listening_udp_ports.total
	FromEstablishedCount                        // tcp_connections.established_connections.total
	FromListeningTCPPorts                       // listening_tcp_ports.ports
	FromListeningUDPPorts                       // listening_udp_ports.ports
	FromDestinationIPs                          // the remote addresses of established connections
	FromCustom                                  // the report's custom_metrics block of the metric's name
)

// Aggregation says how a metric's inputs make the datapoint of a window
// (a behavior with durationSeconds).
type Aggregation uint8

// The aggregations of the metric catalog.
const (
	// PerInput: no window; each input is a datapoint (list metrics).
	PerInput Aggregation = iota + 1
	// CountInputs: the number of inputs in the window, zero included.
	CountInputs
	// SumValues: the sum of the window's values, only when it has one.
	SumValues
	// LastValue: the window's last value, only when it has one.
	LastValue
	// MinutesDisconnected: the minutes since the thing disconnected, at
	// every window end while it stays disconnected.
	MinutesDisconnected
)
