package replay

import (
	"net/netip"
	"time"
)

// Record is one line of replay input.
//
// Fields that do not apply to the Kind are zero: Report and ReportFormat are
// set only for Report, Topic only for message and authorization-failure
// records, Bytes only for messages, SourceIP only for Connect (required) and
// MessageSent (optional).
type Record struct {
	Time      time.Time // event time, in UTC
	ThingName string    // 1..128 bytes of UTF-8 without control characters
	Kind      Kind

	// Report is the report object's JSON text as written (ReportFormat JSON)
	// or the base64-decoded CBOR bytes (ReportFormat CBOR). The Reader only
	// delimits it (a JSON object, a CBOR map): decoding, and rejecting a
	// malformed report, is the engine's job. Reader.Next copies it into a
	// buffer the Record owns, so passing the same Record to every call
	// reuses it.
	Report       []byte
	ReportFormat Format

	Topic    string     // MQTT topic name of the message or denied request
	Bytes    int64      // message payload size in bytes, ≥ 0
	SourceIP netip.Addr // client address; IPv4-mapped IPv6 is kept as written
	// Failed marks a Connect that was a failed attempt ("success": false):
	// it counts toward aws:num-connection-attempts only.
	Failed bool

	own []byte // the buffer Report is read into, reused from record to record
}

// Clone returns a copy of r that shares nothing with it that a later read
// into r changes (its Report has its own bytes).
func (r *Record) Clone() Record {
	c := *r
	c.own = nil
	if r.Report != nil {
		c.Report = append([]byte(nil), r.Report...)
	}
	return c
}

// Validate checks a record built in code against the rules Reader.Next
// applies to a line, so that [AppendRecord] writes a line that reads back. The
// error is a [*RecordError] with Line 0.
func (r *Record) Validate() error {
	if err := checkTime(r.Time); err != nil {
		return err
	}
	if msg := thingNameProblem(r.ThingName); msg != "" {
		return &RecordError{Field: keyThingName, Msg: msg}
	}
	if !r.Kind.valid() {
		return &RecordError{Field: keyType, Msg: "invalid kind " + r.Kind.String()}
	}
	if err := r.checkReport(); err != nil {
		return err
	}
	return r.checkEventFields()
}

func checkTime(t time.Time) error {
	if s := t.Unix(); s < minUnix || s > maxUnix {
		return &RecordError{Field: keyTime, Msg: "time outside the years 0000 to 9999"}
	}
	return nil
}

func (r *Record) checkReport() error {
	if r.Kind != Report {
		if len(r.Report) != 0 || r.ReportFormat != 0 {
			return &RecordError{Field: keyReport, Msg: "report given on a " + r.Kind.String() + " record"}
		}
		return nil
	}
	switch r.ReportFormat {
	case JSON:
		if msg := jsonReportProblem(r.Report); msg != "" {
			return &RecordError{Field: keyReport, Msg: msg}
		}
	case CBOR:
		if msg := cborReportProblem(r.Report); msg != "" {
			return &RecordError{Field: keyReportCBOR, Msg: msg}
		}
	default:
		return &RecordError{Field: keyReport, Msg: "invalid report format " + r.ReportFormat.String()}
	}
	return nil
}

// checkEventFields applies the per-kind field rules of fieldsFor to a Record.
func (r *Record) checkEventFields() error {
	var have field
	if r.Topic != "" {
		have |= fTopic
	}
	if r.Bytes != 0 {
		have |= fBytes
	}
	if r.SourceIP.IsValid() {
		have |= fSourceIP
	}
	if r.Failed {
		have |= fSuccess
	}
	need, allow := fieldsFor(r.Kind)
	need &^= fTime | fThingName | fType | fReport | fBytes // Bytes 0 is a valid size
	if err := checkFieldSet(have, need, allow, r.Kind); err != nil {
		return err
	}
	if have&fTopic != 0 {
		if msg := topicProblem(r.Topic); msg != "" {
			return &RecordError{Field: keyTopic, Msg: msg}
		}
	}
	if r.Bytes < 0 {
		return &RecordError{Field: keyBytes, Msg: "must be a non-negative integer"}
	}
	if r.SourceIP.Zone() != "" {
		return &RecordError{Field: keySourceIP, Msg: "an IP address must not have a zone"}
	}
	return nil
}
