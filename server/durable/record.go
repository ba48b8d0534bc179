package durable

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
)

// Kind says which Engine call a Record is.
type Kind string

// The record kinds: one per Engine input, the clock, and the control plane.
const (
	KindMessage              Kind = "message"               // Engine.IngestMessage
	KindConnect              Kind = "connect"               // Engine.IngestConnect (Failed included)
	KindDisconnect           Kind = "disconnect"            // Engine.IngestDisconnect
	KindAuthorizationFailure Kind = "authorization-failure" // Engine.IngestAuthorizationFailure
	KindReport               Kind = "report"                // Engine.IngestReport
	KindAdvance              Kind = "advance"               // Engine.Advance
	KindControl              Kind = "control"               // a state-changing API operation (server.Server.Apply)
)

// Record is one entry of the log: exactly one Engine call with its
// arguments, the time included (inputs are stamped at receipt before they
// are logged, so a replay applies them at the same times). It is the one
// home of the log's encoding: JSON of this struct.
type Record struct {
	Kind  Kind   `json:"kind"`
	Thing string `json:"thing,omitzero"`
	// Time is the input's receipt time (the Advance time; a control-plane
	// call's receipt time, which its creationDate or lastModifiedDate
	// records), in Unix nanoseconds: exactly the Engine's own resolution.
	Time      int64        `json:"time,omitzero"`
	Direction uint8        `json:"direction,omitzero"` // ruledetect.Direction of a message
	Topic     string       `json:"topic,omitzero"`
	Bytes     int64        `json:"bytes,omitzero"`
	SourceIP  netip.Addr   `json:"sourceIp,omitzero"`
	Failed    bool         `json:"failed,omitzero"`  // a failed connection attempt
	Format    uint8        `json:"format,omitzero"`  // ruledetect.ReportFormat of a report
	Payload   []byte       `json:"payload,omitzero"` // a report as published
	Call      *server.Call `json:"call,omitzero"`    // a control-plane operation
}

// ErrRecord is what Decode's errors match: bytes that are not a record.
var ErrRecord = errors.New("durable: invalid log record")

// Encode returns the record's bytes in the log.
func (r *Record) Encode() ([]byte, error) { return json.Marshal(r) }

// Decode parses a record of the log and checks that it is one Engine call
// with what that call needs. Unknown members are refused: a record written
// by a newer version is not applied half-understood.
func Decode(data []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r, json.RejectUnknownMembers(true)); err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrRecord, err)
	}
	if err := r.check(); err != nil {
		return Record{}, fmt.Errorf("%w: %s record: %s", ErrRecord, r.Kind, err)
	}
	if c := r.Call; c != nil {
		// An empty path or body is absent, as Encode writes it (the
		// members are omitempty), so that a record decodes the same
		// before and after a round trip.
		if len(c.PathValues) == 0 {
			c.PathValues = nil
		}
		if len(c.Body) == 0 {
			c.Body = nil
		}
	}
	return r, nil
}

// check validates the members a kind needs and refuses those it has not:
// what the Engine validates itself (thing names, topics) is left to it.
func (r *Record) check() error {
	switch r.Kind {
	case KindMessage:
		if r.Direction != uint8(ruledetect.Sent) && r.Direction != uint8(ruledetect.Received) {
			return fmt.Errorf("direction %d is neither sent (1) nor received (2)", r.Direction)
		}
	case KindConnect, KindDisconnect, KindAuthorizationFailure:
	case KindReport:
		if r.Format != uint8(ruledetect.JSON) && r.Format != uint8(ruledetect.CBOR) {
			return fmt.Errorf("format %d is neither json (1) nor cbor (2)", r.Format)
		}
	case KindAdvance:
		if r.Thing != "" {
			return errors.New("an advance has no thing")
		}
	case KindControl:
		if r.Call == nil || r.Call.Operation == "" {
			return errors.New("no call")
		}
		if r.Thing != "" {
			return errors.New("a control record has no thing")
		}
		return nil
	default:
		return fmt.Errorf("unknown kind %q", r.Kind)
	}
	if r.Call != nil {
		return errors.New("only a control record has a call")
	}
	return nil
}

// time is the record's time.
func (r *Record) time() time.Time { return time.Unix(0, r.Time) }

// The records of each Engine call.

func messageRecord(m ruledetect.Message) Record {
	return Record{Kind: KindMessage, Thing: m.Thing, Time: m.Time.UnixNano(), Direction: uint8(m.Direction),
		Topic: m.Topic, Bytes: m.Bytes, SourceIP: m.SourceIP}
}

func connectRecord(c ruledetect.Connect) Record {
	return Record{Kind: KindConnect, Thing: c.Thing, Time: c.Time.UnixNano(), SourceIP: c.SourceIP, Failed: c.Failed}
}

func disconnectRecord(d ruledetect.Disconnect) Record {
	return Record{Kind: KindDisconnect, Thing: d.Thing, Time: d.Time.UnixNano()}
}

func authorizationFailureRecord(f ruledetect.AuthorizationFailure) Record {
	return Record{Kind: KindAuthorizationFailure, Thing: f.Thing, Time: f.Time.UnixNano(), Topic: f.Topic}
}

func reportRecord(thing string, at time.Time, format ruledetect.ReportFormat, data []byte) Record {
	return Record{Kind: KindReport, Thing: thing, Time: at.UnixNano(), Format: uint8(format), Payload: data}
}

func advanceRecord(t time.Time) Record { return Record{Kind: KindAdvance, Time: t.UnixNano()} }

func controlRecord(c server.Call, at time.Time) Record {
	return Record{Kind: KindControl, Time: at.UnixNano(), Call: &c}
}
