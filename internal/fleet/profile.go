package fleet

import (
	_ "embed"
	"slices"
)

var (
	//go:embed profile.json
	profileJSON []byte
	//go:embed custom-metric-cpu_usage.json
	cpuMetricJSON []byte
	//go:embed custom-metric-interfaces.json
	interfacesMetricJSON []byte
)

// ProfileName is the name of the security profile Profile returns.
const ProfileName = "demo-fleet"

// The behavior names of the embedded profile, as Incident.Behaviors lists them.
const (
	BehaviorListeningTCPPorts   = "ListeningTcpPorts"
	BehaviorDestinationIPs      = "DestinationIps"
	BehaviorBytesOut            = "BytesOut"
	BehaviorEstablishedTCPConns = "EstablishedTcpConnections"
	BehaviorMessagesSent        = "MessagesSent"
	BehaviorMessageSize         = "MessageSize"
	BehaviorAuthFailures        = "AuthorizationFailures"
	BehaviorSourceIP            = "SourceIp"
	BehaviorCPUUsage            = "CpuUsage"
)

// Profile returns the CreateSecurityProfile request JSON of the "demo-fleet"
// profile: the fleet's normal behavior, which only compromised things
// violate. It uses the custom metrics of CustomMetrics. The slice is a copy.
func Profile() []byte { return slices.Clone(profileJSON) }

// CustomMetrics returns the CreateCustomMetric request JSON of the custom
// metrics the fleet's reports carry: cpu_usage (number) and interfaces
// (string-list). The slices are copies.
func CustomMetrics() [][]byte {
	return [][]byte{slices.Clone(cpuMetricJSON), slices.Clone(interfacesMetricJSON)}
}
