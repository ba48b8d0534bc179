package replay

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// AppendRecord appends rec as one JSON Lines record, line break included, and
// returns the extended buffer. Keys are written in a fixed order, the time in
// RFC 3339 with nanoseconds when it has them, a JSON report verbatim (line
// feeds in it turned into spaces, which keeps valid JSON valid) and a CBOR
// report in padded standard base64.
//
// AppendRecord does not validate: a record read by Reader.Next, or one that
// passes [Record.Validate], reads back equal; anything else may give a line
// the Reader rejects.
func AppendRecord(dst []byte, rec *Record) []byte {
	dst = append(dst, `{"time":"`...)
	dst = rec.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","thingName":`...)
	dst, _ = jsontext.AppendQuote(dst, rec.ThingName)
	if rec.Kind == Report {
		return appendReport(dst, rec)
	}
	dst = append(dst, `,"type":"`...)
	dst = append(dst, rec.Kind.String()...)
	dst = append(dst, '"')
	switch rec.Kind {
	case MessageSent, MessageReceived, AuthorizationFailure:
		dst = append(dst, `,"topic":`...)
		dst, _ = jsontext.AppendQuote(dst, rec.Topic)
	}
	if rec.Kind == MessageSent || rec.Kind == MessageReceived {
		dst = append(dst, `,"bytes":`...)
		dst = strconv.AppendInt(dst, rec.Bytes, 10)
	}
	if rec.SourceIP.IsValid() && (rec.Kind == Connect || rec.Kind == MessageSent) {
		dst = append(dst, `,"sourceIp":"`...)
		dst = rec.SourceIP.AppendTo(dst)
		dst = append(dst, '"')
	}
	if rec.Failed && rec.Kind == Connect {
		dst = append(dst, `,"success":false`...)
	}
	return append(dst, "}\n"...)
}

func appendReport(dst []byte, rec *Record) []byte {
	if rec.ReportFormat == CBOR {
		dst = append(dst, `,"reportCbor":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, rec.Report)
		return append(dst, "\"}\n"...)
	}
	dst = append(dst, `,"report":`...)
	if len(rec.Report) == 0 {
		dst = append(dst, "null"...)
	}
	n := len(dst)
	dst = append(dst, rec.Report...)
	// A raw line feed can only be whitespace between tokens in valid JSON
	// (strings must escape it), so a space is an equivalent that keeps the
	// record on one line. A lone '\r' does not end a line and is kept.
	for i, c := range dst[n:] {
		if c == '\n' {
			dst[n+i] = ' '
		}
	}
	return append(dst, "}\n"...)
}
