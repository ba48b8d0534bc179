package ruledetect

import (
	"math"
	"net/netip"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/dimension"
)

// Direction says whether a message went from the device to AWS IoT (Sent) or
// from AWS IoT to the device (Received).
type Direction uint8

// The message directions.
const (
	Sent     Direction = iota + 1 // aws:num-messages-sent, aws:message-byte-size
	Received                      // aws:num-messages-received
)

// String returns "sent" or "received".
func (d Direction) String() string {
	switch d {
	case Sent:
		return "sent"
	case Received:
		return "received"
	}
	return "invalid"
}

// Message is an MQTT message a thing published (Sent) or was delivered
// (Received), as the broker saw it.
type Message struct {
	Thing     string
	Time      time.Time
	Direction Direction
	Topic     string
	Bytes     int64
	// SourceIP, when valid, is the address the message came from. It feeds
	// aws:source-ip-address behaviors that have a dimension: with one, the
	// metric is the source of each sent message whose topic passes it.
	SourceIP netip.Addr
}

// AuthorizationFailure is an action of a thing that AWS IoT refused
// (aws:num-authorization-failures). Topic is the topic it tried to use.
type AuthorizationFailure struct {
	Thing string
	Time  time.Time
	Topic string
}

// Connect is a connection attempt, successful or not
// (aws:num-connection-attempts, aws:source-ip-address).
type Connect struct {
	Thing    string
	Time     time.Time
	SourceIP netip.Addr
	// Failed marks a connection attempt that did not succeed (bad
	// credentials, not authorized). AWS counts "successful and
	// unsuccessful attempts" in aws:num-connection-attempts, so a failed
	// attempt counts there and nowhere else: aws:source-ip-address is the
	// address a device connected from, and a failed attempt does not end
	// a disconnect duration.
	Failed bool
}

// Disconnect is a thing's disconnection (aws:num-disconnects,
// aws:disconnect-duration).
type Disconnect struct {
	Thing string
	Time  time.Time
}

// checkThing validates a thing name: 1..128 bytes of UTF-8 without
// control characters (behavior.ThingNameProblem).
func checkThing(op, name string) error {
	if msg := behavior.ThingNameProblem(name); msg != "" {
		return newError(op, ErrInvalidRequest, name, "thing name %s", msg)
	}
	return nil
}

// The engine keeps event time in Unix nanoseconds, which cover 1970 up to
// 2262-04-11; inputs outside are rejected rather than wrapped.
var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC().Truncate(time.Second)
)

func checkTime(op, thing string, t time.Time) error {
	if t.IsZero() {
		return newError(op, ErrInvalidRequest, thing, "time is required")
	}
	if t.Before(minTime) || t.After(maxTime) {
		return newError(op, ErrInvalidRequest, thing, "time %s is outside %s..%s", t.UTC().Format(time.RFC3339), minTime.Format(time.RFC3339), maxTime.Format(time.RFC3339))
	}
	return nil
}

func checkTopic(op, thing, topic string) error {
	if err := dimension.ValidateTopic(topic); err != nil {
		return &Error{Op: op, Kind: ErrInvalidRequest, Resource: thing, Message: err.Error(), Cause: err}
	}
	return nil
}

func (m *Message) check() error {
	const op = "IngestMessage"
	if err := checkTime(op, m.Thing, m.Time); err != nil {
		return err
	}
	if m.Direction != Sent && m.Direction != Received {
		return newError(op, ErrInvalidRequest, m.Thing, "direction must be Sent or Received")
	}
	if m.Bytes < 0 {
		return newError(op, ErrInvalidRequest, m.Thing, "bytes %d must not be negative", m.Bytes)
	}
	return checkTopic(op, m.Thing, m.Topic)
}
