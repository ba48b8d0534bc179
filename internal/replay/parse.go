package replay

import (
	"errors"
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// parse decodes and validates the line in r.buf into r.tmp.
func (r *Reader) parse() error {
	r.tmp.reset()
	r.dec.Reset(&r.buf, r.opts...)
	tok, err := r.dec.ReadToken()
	if err != nil {
		return syntaxError(err)
	}
	if tok.Kind() != '{' {
		return &RecordError{Msg: "a record must be a JSON object"}
	}
	var have field
	for r.dec.PeekKind() != '}' {
		f, err := r.readKey(have)
		if err != nil {
			return err
		}
		have |= f
		v, err := r.dec.ReadValue()
		if err != nil {
			return syntaxError(err)
		}
		if err := r.setField(f, v); err != nil {
			return err
		}
	}
	if _, err := r.dec.ReadToken(); err != nil {
		return syntaxError(err)
	}
	if _, err := r.dec.ReadToken(); !errors.Is(err, io.EOF) {
		if err == nil {
			return &RecordError{Msg: "more than one JSON value on the line"}
		}
		return syntaxError(err)
	}
	return r.checkKind(have)
}

// readKey reads an object key and returns its field, rejecting unknown and
// repeated keys.
func (r *Reader) readKey(have field) (field, error) {
	name, err := r.dec.ReadValue()
	if err != nil {
		return 0, syntaxError(err)
	}
	raw, err := r.unquote(name)
	if err != nil {
		return 0, syntaxError(err)
	}
	f := fieldOf(raw)
	switch {
	case f == 0:
		return 0, &RecordError{Field: string(raw), Msg: "unknown key; want time, thingName, report, reportCbor, type, topic, bytes, sourceIp or success"}
	case have&f != 0:
		return 0, &RecordError{Field: f.key(), Msg: "duplicate key"}
	}
	return f, nil
}

// unquote returns the contents of a JSON string value, unescaping into
// scratch space only when the value has escapes.
func (r *Reader) unquote(v jsontext.Value) ([]byte, error) {
	if strings.IndexByte(string(v), '\\') < 0 {
		return v[1 : len(v)-1], nil
	}
	var err error
	r.quoted, err = jsontext.AppendUnquote(r.quoted[:0], v)
	return r.quoted, err
}

func (r *Reader) setField(f field, v jsontext.Value) error {
	switch f {
	case fTime:
		return r.setTime(v)
	case fThingName:
		return setString(v, keyThingName, thingNameProblem, &r.tmp.ThingName, r.names, r)
	case fReport:
		if v.Kind() != '{' {
			return &RecordError{Field: keyReport, Msg: "must be a JSON object"}
		}
		r.tmp.Report = append(r.tmp.Report[:0], v...)
		r.tmp.ReportFormat = JSON
	case fReportCBOR:
		return r.setCBOR(v)
	case fType:
		return r.setType(v)
	case fTopic:
		return setString(v, keyTopic, topicProblem, &r.tmp.Topic, r.topics, r)
	case fBytes:
		n, ok := parseCount(v)
		if !ok || v.Kind() != '0' {
			return &RecordError{Field: keyBytes, Msg: "must be a non-negative integer (at most 2^63-1), got " + echoValue(v)}
		}
		r.tmp.Bytes = n
	case fSourceIP:
		return r.setSourceIP(v)
	case fSuccess:
		if v.Kind() != 't' && v.Kind() != 'f' {
			return &RecordError{Field: keySuccess, Msg: "must be true or false, got " + echoValue(v)}
		}
		r.tmp.Failed = v.Kind() == 'f'
	}
	return nil
}

func (r *Reader) setTime(v jsontext.Value) error {
	switch v.Kind() {
	case '"':
		s, err := r.unquote(v)
		if err != nil {
			return syntaxError(err)
		}
		var t time.Time
		if err := t.UnmarshalText(s); err != nil {
			return &RecordError{Field: keyTime, Msg: "not an RFC 3339 time: " + echoValue(v)}
		}
		r.tmp.Time = t.UTC()
	case '0':
		t, ok := parseUnixSeconds(v)
		if !ok {
			return &RecordError{Field: keyTime, Msg: "Unix seconds outside the years 0000 to 9999: " + echoValue(v)}
		}
		r.tmp.Time = t
	default:
		return &RecordError{Field: keyTime, Msg: "must be an RFC 3339 string or Unix seconds, got " + echoValue(v)}
	}
	return checkTime(r.tmp.Time)
}

// setString validates a string value and stores it interned in cache (which
// holds only values that passed problem), so the same thing name or topic on
// every line costs no allocation.
func setString(v jsontext.Value, key string, problem func(string) string, dst *string, cache map[string]string, r *Reader) error {
	if v.Kind() != '"' {
		return &RecordError{Field: key, Msg: "must be a string, got " + echoValue(v)}
	}
	s, err := r.unquote(v)
	if err != nil {
		return syntaxError(err)
	}
	if interned, ok := cache[string(s)]; ok {
		*dst = interned
		return nil
	}
	str := string(s)
	if msg := problem(str); msg != "" {
		return &RecordError{Field: key, Msg: msg}
	}
	if len(cache) >= internLimit {
		clear(cache)
	}
	cache[str] = str
	*dst = str
	return nil
}

func (r *Reader) setCBOR(v jsontext.Value) error {
	if v.Kind() != '"' {
		return &RecordError{Field: keyReportCBOR, Msg: "must be a base64 string, got " + echoValue(v)}
	}
	s, err := r.unquote(v)
	if err != nil {
		return syntaxError(err)
	}
	var ok bool
	if r.tmp.Report, ok = decodeBase64(r.tmp.Report[:0], s); !ok {
		return &RecordError{Field: keyReportCBOR, Msg: "not padded standard base64"}
	}
	if msg := cborReportProblem(r.tmp.Report); msg != "" {
		return &RecordError{Field: keyReportCBOR, Msg: msg}
	}
	r.tmp.ReportFormat = CBOR
	return nil
}

func (r *Reader) setType(v jsontext.Value) error {
	if v.Kind() == '"' {
		s, err := r.unquote(v)
		if err != nil {
			return syntaxError(err)
		}
		if k, ok := eventKind(s); ok {
			r.tmp.Kind = k
			return nil
		}
	}
	return &RecordError{Field: keyType, Msg: "want message-sent, message-received, authorization-failure, connect or disconnect, got " + echoValue(v)}
}

func (r *Reader) setSourceIP(v jsontext.Value) error {
	if v.Kind() != '"' {
		return &RecordError{Field: keySourceIP, Msg: "must be an IP address string, got " + echoValue(v)}
	}
	s, err := r.unquote(v)
	if err != nil {
		return syntaxError(err)
	}
	if a, ok := r.addrs[string(s)]; ok {
		r.tmp.SourceIP = a
		return nil
	}
	a, err := netip.ParseAddr(string(s))
	if err != nil || a.Zone() != "" {
		return &RecordError{Field: keySourceIP, Msg: "not an IP address: " + echoValue(v)}
	}
	if len(r.addrs) >= internLimit {
		clear(r.addrs)
	}
	r.addrs[string(s)] = a
	r.tmp.SourceIP = a
	return nil
}

// checkKind settles the record's kind from the keys present and checks that
// it has exactly the keys its kind needs.
func (r *Reader) checkKind(have field) error {
	kinds := have & (fReport | fReportCBOR | fType)
	switch {
	case kinds == 0:
		return &RecordError{Field: keyType, Msg: "one of report, reportCbor or type is required"}
	case kinds&(kinds-1) != 0:
		second := kinds &^ (kinds & -kinds) // the later of the two in key order
		second &= -second
		return &RecordError{Field: second.key(), Msg: "only one of report, reportCbor and type may be given"}
	case kinds != fType:
		r.tmp.Kind = Report
	}
	need, allow := fieldsFor(r.tmp.Kind)
	if r.tmp.Kind == Report {
		need |= kinds
	}
	return checkFieldSet(have, need, allow, r.tmp.Kind)
}

// syntaxError turns a JSON decoding error into a RecordError with the column.
func syntaxError(err error) error {
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		msg := strings.TrimPrefix(se.Err.Error(), "jsontext: ")
		return &RecordError{Msg: fmt.Sprintf("invalid JSON at column %d: %s", se.ByteOffset+1, msg)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &RecordError{Msg: "invalid JSON: unexpected end of line"}
	}
	return &RecordError{Msg: "invalid JSON: " + err.Error()}
}

// echoValue renders a JSON value for an error message: a string's text
// (still JSON-escaped) or the literal, through echo, so that a 1 MiB value
// does not make a 1 MiB message.
func echoValue(v jsontext.Value) string {
	if len(v) >= 2 && v[0] == '"' {
		return echo.Quote(v[1 : len(v)-1])
	}
	return echo.Name(v)
}
