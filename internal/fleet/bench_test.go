package fleet

import (
	"io"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/internal/replay"
)

// BenchmarkRecords measures generation alone: one op is one record.
func BenchmarkRecords(b *testing.B) {
	f := New(Config{Things: 5000, Duration: 24 * time.Hour})
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for n < b.N {
		for range f.Records() {
			if n++; n == b.N {
				break
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReports measures the report encoder: one op is one report.
func BenchmarkReports(b *testing.B) {
	f := New(Config{Things: 5000, Duration: 24 * time.Hour})
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for n < b.N {
		for r := range f.Records() {
			if r.Kind != replay.Report {
				continue
			}
			if n++; n == b.N {
				break
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// BenchmarkWriteJSONL measures a whole small run written as JSON Lines; one
// op is one record.
func BenchmarkWriteJSONL(b *testing.B) {
	f := New(Config{Things: 500, Duration: 6 * time.Hour})
	records := 0
	for range f.Records() {
		records++
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N / records {
		if err := f.WriteJSONL(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N/records*records)/b.Elapsed().Seconds(), "records/s")
}
