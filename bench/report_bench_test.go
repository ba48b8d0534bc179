// Package bench holds the library's hot-path benchmarks.
package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ruledetect/ruledetect/internal/report"
)

// BenchmarkReportDecode decodes the agents' reports with a warm Decoder, as
// the engine's ingest path does: one Decoder and one Report per goroutine.
// The inputs are the report package's own test data (provenance in its
// testdata/SOURCES.md).
func BenchmarkReportDecode(b *testing.B) {
	cases := []struct{ name, file string }{
		{"format=json/agent=python-long", "agent-report-python-long.json"},
		{"format=json/agent=python-short", "agent-report-python-short.json"},
		{"format=json/agent=embeddedc-short", "agent-report-embeddedc-reportbuilder-short.json"},
		{"format=cbor/agent=python-long", "agent-report-python-long.cbor"},
		{"format=cbor/agent=python-short", "agent-report-python-short.cbor"},
	}
	for _, c := range cases {
		in, err := os.ReadFile(filepath.Join("..", "internal", "report", "testdata", c.file))
		if err != nil {
			b.Fatal(err)
		}
		decode := (*report.Decoder).DecodeJSON
		if filepath.Ext(c.file) == ".cbor" {
			decode = (*report.Decoder).DecodeCBOR
		}
		b.Run(c.name, func(b *testing.B) {
			var d report.Decoder
			var r report.Report
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := decode(&d, in, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReportDecodeParallel is the throughput on every core, in
// reports per second (reports/s), with a Decoder per goroutine.
func BenchmarkReportDecodeParallel(b *testing.B) {
	in, err := os.ReadFile(filepath.Join("..", "internal", "report", "testdata", "agent-report-python-long.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var d report.Decoder
		var r report.Report
		for pb.Next() {
			if err := d.DecodeJSON(in, &r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}
