package fleet

import (
	"strconv"
	"time"
)

// Attack is the way a compromised thing misbehaves.
type Attack uint8

// The attacks, each caught by the embedded profile.
const (
	BackdoorPort     Attack = iota + 1 // listens on TCP port 4444
	Exfiltration                       // connects to an outside address and sends hundreds of MB
	MessageFlood                       // publishes many large messages
	AuthFailureBurst                   // keeps being denied on other things' topics
	OutsideConnect                     // reconnects from an address outside the fleet's networks
	CPUPegged                          // reports cpu_usage near 100
)

const numAttacks = 6

var attackNames = [...]string{
	BackdoorPort: "backdoor-port", Exfiltration: "exfiltration", MessageFlood: "message-flood",
	AuthFailureBurst: "auth-failure-burst", OutsideConnect: "outside-connect", CPUPegged: "cpu-pegged",
}

// String returns the attack's name, such as "backdoor-port".
func (a Attack) String() string {
	if a >= BackdoorPort && a <= CPUPegged {
		return attackNames[a]
	}
	return "Attack(" + strconv.Itoa(int(a)) + ")"
}

// behaviors returns the profile behaviors the attack makes alarm.
func (a Attack) behaviors() []string {
	switch a {
	case BackdoorPort:
		return []string{BehaviorListeningTCPPorts}
	case Exfiltration:
		return []string{BehaviorDestinationIPs, BehaviorBytesOut}
	case MessageFlood:
		return []string{BehaviorMessagesSent, BehaviorMessageSize}
	case AuthFailureBurst:
		return []string{BehaviorAuthFailures}
	case OutsideConnect:
		return []string{BehaviorSourceIP}
	case CPUPegged:
		return []string{BehaviorCPUUsage}
	}
	return nil
}

// reportBased reports whether the attack shows only in metrics reports.
func (a Attack) reportBased() bool {
	return a == BackdoorPort || a == Exfiltration || a == CPUPegged
}

// Incident is the ground truth of one compromised thing.
type Incident struct {
	Thing     string
	Attack    Attack
	Behaviors []string  // the profile behaviors expected to alarm
	Start     time.Time // time of the first misbehaving record
}
