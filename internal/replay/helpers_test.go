package replay

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// readAll reads every record and error of input, copying each record.
func readAll(t testing.TB, input string) ([]Record, []error) {
	t.Helper()
	r := NewReader(strings.NewReader(input))
	var recs []Record
	var errs []error
	for rec, err := range r.All() {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec.Clone())
	}
	return recs, errs
}

// readOne reads the single record of line, or its error.
func readOne(t testing.TB, line string) (Record, error) {
	t.Helper()
	var rec Record
	err := NewReader(strings.NewReader(line)).Next(&rec)
	return rec, err
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// equalRecords compares records treating a nil and an empty Report alike.
func equalRecords(a, b *Record) bool {
	return a.Time.Equal(b.Time) && a.ThingName == b.ThingName && a.Kind == b.Kind &&
		bytes.Equal(a.Report, b.Report) && a.ReportFormat == b.ReportFormat &&
		a.Topic == b.Topic && a.Bytes == b.Bytes && a.SourceIP == b.SourceIP
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

var addr = netip.MustParseAddr
