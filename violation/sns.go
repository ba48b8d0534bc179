package violation

import (
	"encoding/json"
	"fmt"

	"github.com/ruledetect/ruledetect/behavior"
)

// snsMessage is the alert the service publishes to an SNS alert target.
// Unlike the API's ViolationEvent, its violationEventTime is in epoch
// milliseconds and it carries no verification state (the real payload in
// workshop-sns-alert-alarm-cleared.json).
type snsMessage struct {
	ViolationEventTime           int64                 `json:"violationEventTime"`
	ThingName                    string                `json:"thingName"`
	Behavior                     behavior.Behavior     `json:"behavior"`
	ViolationEventType           EventType             `json:"violationEventType"`
	MetricValue                  *behavior.MetricValue `json:"metricValue,omitzero"`
	ViolationID                  string                `json:"violationId"`
	SecurityProfileName          string                `json:"securityProfileName"`
	ViolationEventAdditionalInfo *AdditionalInfo       `json:"violationEventAdditionalInfo,omitzero"`
}

// SNSMessage returns e as the JSON message the service sends to an SNS alert
// target, so that consumers of Device Defender alerts (the Security Hub and
// Splunk integrations, for example) can take ruledetect's unchanged. It fails
// only when e holds a number JSON cannot carry (NaN or ±Inf).
func SNSMessage(e Event) ([]byte, error) {
	b, err := json.Marshal(snsMessage{
		ViolationEventTime:           e.ViolationEventTime.UnixMilli(),
		ThingName:                    e.ThingName,
		Behavior:                     e.Behavior,
		ViolationEventType:           e.ViolationEventType,
		MetricValue:                  e.MetricValue,
		ViolationID:                  e.ViolationID,
		SecurityProfileName:          e.SecurityProfileName,
		ViolationEventAdditionalInfo: e.ViolationEventAdditionalInfo,
	})
	if err != nil {
		return nil, fmt.Errorf("violation: SNS message of %s: %w", e.ViolationID, err)
	}
	return b, nil
}
