package violation

import "github.com/ruledetect/ruledetect/behavior"

// Alert is what an AlertSink receives: a violation event and the routing the
// service would give it, its security profile's alertTargets when the event
// was made, by target type ("SNS" is the only type the service has).
type Alert struct {
	Event
	// Targets is nil when the profile has no alert targets, or no longer
	// exists (an alarm invalidated because its profile was deleted).
	Targets map[string]behavior.AlertTarget
}

// SNSPublication is what the service publishes for an alert to an SNS alert
// target: the topic, the role it assumes to publish, and the message.
type SNSPublication struct {
	TopicArn string
	RoleArn  string
	Message  []byte
}

// SNS returns the publication of a to its profile's SNS alert target, and
// false when the profile has none. The error is SNSMessage's.
func (a Alert) SNS() (SNSPublication, bool, error) {
	t, ok := a.Targets["SNS"]
	if !ok {
		return SNSPublication{}, false, nil
	}
	msg, err := SNSMessage(a.Event)
	if err != nil {
		return SNSPublication{}, true, err
	}
	return SNSPublication{TopicArn: t.AlertTargetArn, RoleArn: t.RoleArn, Message: msg}, true, nil
}
