package replay

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/ruledetect/ruledetect/internal/echo"
	"github.com/ruledetect/ruledetect/internal/intern"
)

// Parser parses single record lines. It is the part of a [Reader] that
// needs no input: several goroutines, each with its own Parser, can parse
// the lines one Reader split (a replay decodes on every core this way).
//
// The line is scanned once. A report's JSON object is not tokenized here:
// the Parser only finds where it ends, and hands its bytes on for the report
// decoder to check and decode in its one pass.
//
// The zero Parser is ready to use. A Parser is not safe for concurrent use.
type Parser struct {
	quoted []byte               // scratch for unquoting strings
	names  intern.Cache[string] // valid thing names
	topics intern.Cache[string] // valid topics
	addrs  intern.Cache[netip.Addr]
	// lastTime is the text of the last RFC 3339 time parsed and lastT its
	// value: records come in time order, many of them stamped alike.
	lastTime []byte
	lastT    time.Time
}

// Parse parses one record line (without its line break) into rec, replacing
// all of rec. An error is a *RecordError with Line 0, and leaves rec in no
// particular state.
//
// Parse copies nothing it need not: rec.Report of a JSON report is a slice
// of line, valid as long as line is; a CBOR report is decoded into a buffer
// rec owns and reuses. Thing names, topics and addresses are shared between
// records, so parsing allocates almost nothing in steady state.
func (p *Parser) Parse(line []byte, rec *Record) error {
	_, err := p.parse(line, rec, false)
	return err
}

// ParseDeferred is Parse for a caller that decodes every report it is
// given (a replay does, on the same goroutine): when a JSON report is the
// record's last member, as the replay format writes it, its end is not
// searched for. rec.Report is then all of the line up to the record's
// closing brace, and unchecked is true: that span is the report Parse
// would find if and only if it is one valid JSON object, which decoding it
// tells. When it is not, the caller calls Parse for the line's verdict (a
// *RecordError, or the report Parse delimits, for the decoder to reject
// again with its own message).
//
// Errors are those of Parse: a line ParseDeferred rejects, Parse rejects
// alike. Finding a report's end is most of the time Parse spends on a
// report record, and decoding the report checks it anyway.
func (p *Parser) ParseDeferred(line []byte, rec *Record) (unchecked bool, err error) {
	unchecked, err = p.parse(line, rec, true)
	if err != nil && unchecked {
		// The error may come from a guess gone wrong (a member after the
		// report, taken as part of it): the line's verdict is Parse's.
		return false, p.Parse(line, rec)
	}
	return unchecked, err
}

// parse is Parse, or with deferEnd ParseDeferred without its fallback.
func (p *Parser) parse(line []byte, rec *Record, deferEnd bool) (unchecked bool, err error) {
	*rec = Record{own: rec.own[:0]}
	s := scanner{b: line}
	s.space()
	if c, ok := s.peek(); !ok {
		return unchecked, s.endError()
	} else if c != '{' {
		if _, err := s.value(); err != nil {
			return false, err
		}
		return false, &RecordError{Msg: "a record must be a JSON object"}
	}
	s.i++
	var have field
	s.space()
	if c, ok := s.peek(); ok && c == '}' {
		s.i++
	} else {
		for {
			f, err := p.readKeyColon(&s, have)
			if err != nil {
				return unchecked, err
			}
			have |= f
			var v value
			if f == fReport && deferEnd {
				v, unchecked = s.lastMemberObject()
			}
			if !unchecked {
				if v, err = s.value(); err != nil {
					return false, err
				}
			}
			if err := p.setField(rec, f, v); err != nil {
				return unchecked, err
			}
			s.space()
			c, ok := s.peek()
			if !ok {
				return unchecked, s.endError()
			}
			s.i++
			if c == '}' {
				break
			}
			if c != ',' {
				s.i--
				return unchecked, s.charError("after an object value; want , or }")
			}
			s.space()
		}
	}
	s.space()
	if c, ok := s.peek(); ok {
		if isValueStart(c) {
			return unchecked, &RecordError{Msg: "more than one JSON value on the line"}
		}
		return unchecked, s.charError("after the record object")
	}
	return unchecked, checkKind(rec, have)
}

// readKeyColon reads an object key and the colon after it, and returns the
// key's field, rejecting unknown and repeated keys.
func (p *Parser) readKeyColon(s *scanner, have field) (field, error) {
	// A key as the replay format writes it, quoted, unescaped and followed
	// by its colon, is matched as it stands.
	if f, n := keyColon(s.b[s.i:]); f != 0 {
		if have&f != 0 {
			return 0, &RecordError{Field: f.key(), Msg: "duplicate key"}
		}
		s.i += n
		s.space()
		return f, nil
	}
	f, err := p.readKey(s, have)
	if err != nil {
		return 0, err
	}
	return f, s.colon()
}

// readKey reads an object key and returns its field, rejecting unknown and
// repeated keys.
func (p *Parser) readKey(s *scanner, have field) (field, error) {
	if c, ok := s.peek(); !ok {
		return 0, s.endError()
	} else if c != '"' {
		return 0, s.charError("where an object key belongs")
	}
	at := s.i
	name, esc, err := s.str()
	if err != nil {
		return 0, err
	}
	raw, err := p.unquote(value{raw: name, at: at, esc: esc})
	if err != nil {
		return 0, err
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

// unquote returns the contents of a string value, unescaping into scratch
// space only when the value has escapes.
func (p *Parser) unquote(v value) ([]byte, error) {
	if !v.esc {
		return v.raw[1 : len(v.raw)-1], nil
	}
	var err error
	p.quoted, err = jsontext.AppendUnquote(p.quoted[:0], v.raw)
	if err != nil {
		return nil, &RecordError{Msg: fmt.Sprintf("invalid JSON at column %d: invalid string %s", v.at+1, echoValue(v.raw))}
	}
	return p.quoted, nil
}

func (p *Parser) setField(rec *Record, f field, v value) error {
	switch f {
	case fTime:
		return p.setTime(rec, v)
	case fThingName:
		return setString(p, v, keyThingName, thingNameProblem, &rec.ThingName, &p.names)
	case fReport:
		if v.kind() != '{' {
			return &RecordError{Field: keyReport, Msg: "must be a JSON object"}
		}
		rec.Report = v.raw
		rec.ReportFormat = JSON
	case fReportCBOR:
		return p.setCBOR(rec, v)
	case fType:
		return p.setType(rec, v)
	case fTopic:
		return setString(p, v, keyTopic, topicProblem, &rec.Topic, &p.topics)
	case fBytes:
		n, ok := parseCount(v.raw)
		if !ok || v.kind() != '0' {
			return &RecordError{Field: keyBytes, Msg: "must be a non-negative integer (at most 2^63-1), got " + echoValue(v.raw)}
		}
		rec.Bytes = n
	case fSourceIP:
		return p.setSourceIP(rec, v)
	case fSuccess:
		if v.kind() != 't' && v.kind() != 'f' {
			return &RecordError{Field: keySuccess, Msg: "must be true or false, got " + echoValue(v.raw)}
		}
		rec.Failed = v.kind() == 'f'
	}
	return nil
}

func (p *Parser) setTime(rec *Record, v value) error {
	switch v.kind() {
	case '"':
		s, err := p.unquote(v)
		if err != nil {
			return err
		}
		if string(s) == string(p.lastTime) && p.lastTime != nil {
			rec.Time = p.lastT // checked when it was parsed
			return nil
		}
		var t time.Time
		if err := t.UnmarshalText(s); err != nil {
			return &RecordError{Field: keyTime, Msg: "not an RFC 3339 time: " + echoValue(v.raw)}
		}
		rec.Time = t.UTC()
		if err := checkTime(rec.Time); err != nil {
			return err
		}
		p.lastTime, p.lastT = append(p.lastTime[:0], s...), rec.Time
		return nil
	case '0':
		t, ok := parseUnixSeconds(v.raw)
		if !ok {
			return &RecordError{Field: keyTime, Msg: "Unix seconds outside the years 0000 to 9999: " + echoValue(v.raw)}
		}
		rec.Time = t
	default:
		return &RecordError{Field: keyTime, Msg: "must be an RFC 3339 string or Unix seconds, got " + echoValue(v.raw)}
	}
	return checkTime(rec.Time)
}

// setString validates a string value and stores it interned in cache (which
// holds only values that passed problem), so the same thing name or topic on
// every line costs no allocation.
func setString(p *Parser, v value, key string, problem func(string) string, dst *string, cache *intern.Cache[string]) error {
	if v.kind() != '"' {
		return &RecordError{Field: key, Msg: "must be a string, got " + echoValue(v.raw)}
	}
	s, err := p.unquote(v)
	if err != nil {
		return err
	}
	if interned, ok := cache.Get(s); ok {
		*dst = interned
		return nil
	}
	str := string(s)
	if msg := problem(str); msg != "" {
		return &RecordError{Field: key, Msg: msg}
	}
	cache.Put(str, str)
	*dst = str
	return nil
}

func (p *Parser) setCBOR(rec *Record, v value) error {
	if v.kind() != '"' {
		return &RecordError{Field: keyReportCBOR, Msg: "must be a base64 string, got " + echoValue(v.raw)}
	}
	s, err := p.unquote(v)
	if err != nil {
		return err
	}
	var ok bool
	if rec.own, ok = decodeBase64(rec.own[:0], s); !ok {
		return &RecordError{Field: keyReportCBOR, Msg: "not padded standard base64"}
	}
	rec.Report = rec.own
	if msg := cborReportProblem(rec.Report); msg != "" {
		return &RecordError{Field: keyReportCBOR, Msg: msg}
	}
	rec.ReportFormat = CBOR
	return nil
}

func (p *Parser) setType(rec *Record, v value) error {
	if v.kind() == '"' {
		s, err := p.unquote(v)
		if err != nil {
			return err
		}
		if k, ok := eventKind(s); ok {
			rec.Kind = k
			return nil
		}
	}
	return &RecordError{Field: keyType, Msg: "want message-sent, message-received, authorization-failure, connect or disconnect, got " + echoValue(v.raw)}
}

func (p *Parser) setSourceIP(rec *Record, v value) error {
	if v.kind() != '"' {
		return &RecordError{Field: keySourceIP, Msg: "must be an IP address string, got " + echoValue(v.raw)}
	}
	s, err := p.unquote(v)
	if err != nil {
		return err
	}
	if a, ok := p.addrs.Get(s); ok {
		rec.SourceIP = a
		return nil
	}
	a, err := netip.ParseAddr(string(s))
	if err != nil || a.Zone() != "" {
		return &RecordError{Field: keySourceIP, Msg: "not an IP address: " + echoValue(v.raw)}
	}
	p.addrs.Put(string(s), a)
	rec.SourceIP = a
	return nil
}

// checkKind settles the record's kind from the keys present and checks that
// it has exactly the keys its kind needs.
func checkKind(rec *Record, have field) error {
	kinds := have & (fReport | fReportCBOR | fType)
	switch {
	case kinds == 0:
		return &RecordError{Field: keyType, Msg: "one of report, reportCbor or type is required"}
	case kinds&(kinds-1) != 0:
		second := kinds &^ (kinds & -kinds) // the later of the two in key order
		second &= -second
		return &RecordError{Field: second.key(), Msg: "only one of report, reportCbor and type may be given"}
	case kinds != fType:
		rec.Kind = Report
	}
	need, allow := fieldsFor(rec.Kind)
	if rec.Kind == Report {
		need |= kinds
	}
	return checkFieldSet(have, need, allow, rec.Kind)
}

// echoValue renders a JSON value for an error message: a string's text
// (still JSON-escaped) or the literal, through echo, so that a 1 MiB value
// does not make a 1 MiB message.
func echoValue(v []byte) string {
	if len(v) >= 2 && v[0] == '"' {
		return echo.Quote(v[1 : len(v)-1])
	}
	return echo.Name(v)
}
