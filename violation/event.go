package violation

import (
	"slices"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
)

// EventType is a ViolationEvent's violationEventType.
type EventType string

// The event types of the service model.
const (
	InAlarm          EventType = "in-alarm"
	AlarmCleared     EventType = "alarm-cleared"
	AlarmInvalidated EventType = "alarm-invalidated"
)

// Valid reports whether t is one of the model's event types.
func (t EventType) Valid() bool {
	return t == InAlarm || t == AlarmCleared || t == AlarmInvalidated
}

// VerificationState is what a user said about a violation through
// PutVerificationStateOnViolation.
//
// The empty value means "never set"; the service documents that the default
// is UNKNOWN, and Effective returns that. The JSON of an event or active
// violation whose state was never set omits verificationState, as every real
// service output we have does (cli-list-*.output.json); once a state has been
// put, even UNKNOWN, it is written. Filtering by UNKNOWN matches both.
type VerificationState string

// The verification states of the service model.
const (
	FalsePositive  VerificationState = "FALSE_POSITIVE"
	BenignPositive VerificationState = "BENIGN_POSITIVE"
	TruePositive   VerificationState = "TRUE_POSITIVE"
	Unknown        VerificationState = "UNKNOWN"
)

// Valid reports whether s is one of the model's states (the empty value is
// not: it means "never set").
func (s VerificationState) Valid() bool {
	switch s {
	case FalsePositive, BenignPositive, TruePositive, Unknown:
		return true
	}
	return false
}

// Effective returns s, or Unknown when s was never set.
func (s VerificationState) Effective() VerificationState {
	if s == "" {
		return Unknown
	}
	return s
}

// CriteriaType is the model's BehaviorCriteriaType, the kind of criteria a
// behavior has; ListActiveViolations and ListViolationEvents filter on it.
type CriteriaType string

// The criteria types of the service model. (COMPLEX_VALUE, which some
// summaries list, has never been in the model.)
const (
	Static          CriteriaType = "STATIC"
	Statistical     CriteriaType = "STATISTICAL"
	MachineLearning CriteriaType = "MACHINE_LEARNING"
)

// Valid reports whether c is one of the model's criteria types.
func (c CriteriaType) Valid() bool {
	return c == Static || c == Statistical || c == MachineLearning
}

// CriteriaTypeOf returns the criteria type of b: MACHINE_LEARNING when it has
// mlDetectionConfig, STATISTICAL when it has statisticalThreshold, STATIC when
// it has value, and "" when it has none (a behavior kept only to retain a
// metric) or b is nil. A validated behavior has at most one of the three; for
// one that has several, the order above decides.
func CriteriaTypeOf(b *behavior.Behavior) CriteriaType {
	if b == nil || b.Criteria == nil {
		return ""
	}
	switch c := b.Criteria; {
	case c.MLDetectionConfig != nil:
		return MachineLearning
	case c.StatisticalThreshold != nil:
		return Statistical
	case c.Value != nil:
		return Static
	}
	return ""
}

// AdditionalInfo is the model's ViolationEventAdditionalInfo. Only ML Detect
// violations carry it; ruledetect does not train models, so its own events
// never do, but it is kept for the shape (and for decoding service output).
type AdditionalInfo struct {
	ConfidenceLevel string `json:"confidenceLevel,omitzero"` // LOW | MEDIUM | HIGH
}

// Key names the subject of a violation: a thing, one of the security profiles
// that covers it, and one behavior of that profile. There is at most one
// active violation per Key.
type Key struct {
	Thing    string
	Profile  string
	Behavior string
}

// Event is the model's ViolationEvent: one transition of a violation.
//
// Events returned by the Log share the data their Behavior, MetricValue and
// VerificationStateDescription point to with the log, which never changes
// it (a new verification state replaces the description's pointer); treat
// it as read-only. Copying it on every listing would make a page of 250
// cost 250 deep copies.
type Event struct {
	ViolationID         string            `json:"violationId"`
	ThingName           string            `json:"thingName"`
	SecurityProfileName string            `json:"securityProfileName"`
	Behavior            behavior.Behavior `json:"behavior"`
	// MetricValue is the triggering datapoint's value; absent for
	// alarm-invalidated.
	MetricValue                  *behavior.MetricValue `json:"metricValue,omitzero"`
	ViolationEventAdditionalInfo *AdditionalInfo       `json:"violationEventAdditionalInfo,omitzero"`
	ViolationEventType           EventType             `json:"violationEventType"`
	VerificationState            VerificationState     `json:"verificationState,omitzero"`
	VerificationStateDescription *string               `json:"verificationStateDescription,omitzero"`
	ViolationEventTime           behavior.Timestamp    `json:"violationEventTime,omitzero"`
	// Suppressed reports that the behavior had suppressAlerts set when the
	// alarm was raised: the event is logged and listed but not sent to the
	// AlertSink. It is not part of the service's JSON.
	Suppressed bool `json:"-"`
}

// ActiveViolation is the model's ActiveViolation: an alarm that has been
// raised and neither cleared nor invalidated. LastViolationValue is the
// caller's own copy.
type ActiveViolation struct {
	ViolationID                  string                `json:"violationId"`
	ThingName                    string                `json:"thingName"`
	SecurityProfileName          string                `json:"securityProfileName"`
	Behavior                     behavior.Behavior     `json:"behavior"`
	LastViolationValue           *behavior.MetricValue `json:"lastViolationValue,omitzero"`
	ViolationEventAdditionalInfo *AdditionalInfo       `json:"violationEventAdditionalInfo,omitzero"`
	VerificationState            VerificationState     `json:"verificationState,omitzero"`
	VerificationStateDescription *string               `json:"verificationStateDescription,omitzero"`
	LastViolationTime            behavior.Timestamp    `json:"lastViolationTime,omitzero"`
	ViolationStartTime           behavior.Timestamp    `json:"violationStartTime,omitzero"`
	// Suppressed: see Event.Suppressed.
	Suppressed bool `json:"-"`
}

// normTime drops the monotonic reading and the location: the log compares
// and stores instants, and its JSON is in UTC anyway.
func normTime(t time.Time) time.Time { return t.Round(0).UTC() }

// cloneBehavior deep-copies the fields of b that the model defines. It starts
// from a shallow copy so that a field added to the model later is at least
// carried over.
func cloneBehavior(b *behavior.Behavior) *behavior.Behavior {
	c := *b
	if d := b.MetricDimension; d != nil {
		dc := *d
		dc.Operator = clonePtr(d.Operator)
		c.MetricDimension = &dc
	}
	if cr := b.Criteria; cr != nil {
		cc := *cr
		if cr.Value != nil {
			v := cloneValue(*cr.Value)
			cc.Value = &v
		}
		cc.DurationSeconds = clonePtr(cr.DurationSeconds)
		cc.ConsecutiveDatapointsToAlarm = clonePtr(cr.ConsecutiveDatapointsToAlarm)
		cc.ConsecutiveDatapointsToClear = clonePtr(cr.ConsecutiveDatapointsToClear)
		if st := cr.StatisticalThreshold; st != nil {
			stc := *st
			stc.Statistic = clonePtr(st.Statistic)
			cc.StatisticalThreshold = &stc
		}
		cc.MLDetectionConfig = clonePtr(cr.MLDetectionConfig)
		c.Criteria = &cc
	}
	c.SuppressAlerts = clonePtr(b.SuppressAlerts)
	c.ExportMetric = clonePtr(b.ExportMetric)
	return &c
}

// cloneValue deep-copies v, keeping nil and empty lists apart (an empty
// measured list is a value, and its JSON is []).
func cloneValue(v behavior.MetricValue) behavior.MetricValue {
	c := v
	c.Count = clonePtr(v.Count)
	c.CIDRs = slices.Clone(v.CIDRs)
	c.Ports = slices.Clone(v.Ports)
	c.Number = clonePtr(v.Number)
	c.Numbers = slices.Clone(v.Numbers)
	c.Strings = slices.Clone(v.Strings)
	return c
}

// assignValue copies src into dst reusing dst's storage, so that updating an
// active violation on every violating datapoint allocates nothing once the
// shapes have been seen.
func assignValue(dst *behavior.MetricValue, src behavior.MetricValue) {
	dst.Count = assignPtr(dst.Count, src.Count)
	dst.CIDRs = assignSlice(dst.CIDRs, src.CIDRs)
	dst.Ports = assignSlice(dst.Ports, src.Ports)
	dst.Number = assignPtr(dst.Number, src.Number)
	dst.Numbers = assignSlice(dst.Numbers, src.Numbers)
	dst.Strings = assignSlice(dst.Strings, src.Strings)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func assignPtr[T any](dst, src *T) *T {
	if src == nil {
		return nil
	}
	if dst == nil {
		return clonePtr(src)
	}
	*dst = *src
	return dst
}

func assignSlice[T any](dst, src []T) []T {
	if src == nil {
		return nil
	}
	if dst == nil {
		dst = make([]T, 0, len(src))
	}
	return append(dst[:0], src...)
}
