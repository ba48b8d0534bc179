package main

import (
	"github.com/ruledetect/ruledetect/detecttest"
	"github.com/ruledetect/ruledetect/internal/replay"
)

// recordInput converts a replay record to the test kit's Input (the report
// bytes are shared, not copied).
func recordInput(rec *replay.Record) detecttest.Input {
	in := detecttest.Input{Time: rec.Time, Thing: rec.ThingName, Topic: rec.Topic, Bytes: rec.Bytes, SourceIP: rec.SourceIP}
	switch rec.Kind {
	case replay.Report:
		in.Kind, in.Report, in.CBOR = detecttest.KindReport, rec.Report, rec.ReportFormat == replay.CBOR
	case replay.MessageSent:
		in.Kind = detecttest.KindMessageSent
	case replay.MessageReceived:
		in.Kind = detecttest.KindMessageReceived
	case replay.AuthorizationFailure:
		in.Kind = detecttest.KindAuthorizationFailure
	case replay.Connect:
		in.Kind = detecttest.KindConnect
	case replay.Disconnect:
		in.Kind = detecttest.KindDisconnect
	default:
		in.Kind = rec.Kind.String()
	}
	return in
}
