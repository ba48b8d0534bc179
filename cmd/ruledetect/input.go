package main

import (
	"github.com/ruledetect/ruledetect/detecttest"
	"github.com/ruledetect/ruledetect/internal/replay"
)

// recordInput converts a replay record to the test kit's Input (the report
// bytes are shared, not copied); detecttest.Ingest feeds it back through
// the same mapping as the record.
func recordInput(rec *replay.Record) detecttest.Input {
	return detecttest.Input{Time: rec.Time, Thing: rec.ThingName, Kind: rec.Kind.String(), Topic: rec.Topic,
		Bytes: rec.Bytes, SourceIP: rec.SourceIP, Failed: rec.Failed,
		Report: rec.Report, CBOR: rec.ReportFormat == replay.CBOR}
}
