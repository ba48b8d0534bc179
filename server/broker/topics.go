package broker

import (
	"strings"

	"github.com/ruledetect/ruledetect"
)

// The parts of Device Defender's reserved report topics,
// $aws/things/THING/defender/metrics/FORMAT.
const (
	reportTopicPrefix = "$aws/things/"
	reportTopicMiddle = "/defender/metrics/"
)

// reportTopic reports whether topic is a Device Defender report topic,
// $aws/things/THING/defender/metrics/json or …/cbor, and returns THING and
// the format. THING is one topic level; its validity as a thing name is the
// engine's to judge. The …/accepted and …/rejected reply topics are not
// report topics.
func reportTopic(topic string) (thing string, format ruledetect.ReportFormat, ok bool) {
	rest, ok := strings.CutPrefix(topic, reportTopicPrefix)
	if !ok {
		return "", 0, false
	}
	thing, rest, ok = strings.Cut(rest, "/")
	if !ok || thing == "" {
		return "", 0, false
	}
	switch rest {
	case reportTopicMiddle[1:] + "json":
		return thing, ruledetect.JSON, true
	case reportTopicMiddle[1:] + "cbor":
		return thing, ruledetect.CBOR, true
	}
	return "", 0, false
}

// replyTopic is the topic the service answers a report on: the report
// topic plus "/accepted" or "/rejected".
func replyTopic(reportTopic string, accepted bool) string {
	if accepted {
		return reportTopic + "/accepted"
	}
	return reportTopic + "/rejected"
}
