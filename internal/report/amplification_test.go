package report

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocatedBy returns the bytes f allocates.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Failure 6 of issue 9: a 10.5 MB report of invalid ports allocated ~420 MB
// and kept 120 MB in the list of drops. Now the first MaxListedDrops are
// listed, the rest counted, and decoding allocates nothing per port.
func TestReportOfAMillionInvalidPortsListsAHundred(t *testing.T) {
	const n = 1_000_000
	var b bytes.Buffer
	b.WriteString(`{"hed":{"rid":1,"v":"1.0"},"met":{"tp":{"pts":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"pt":0}`)
	}
	b.WriteString(`]}}}`)
	in := b.Bytes()
	var d Decoder
	var r Report
	require.NoError(t, d.DecodeJSON(in, &r)) // warm: the decoder's buffers grow to the input
	alloc := allocatedBy(func() { require.NoError(t, d.DecodeJSON(in, &r)) })
	assert.Less(t, alloc, uint64(64<<10), "a warm decoder allocates for the listed drops only")
	assert.Len(t, r.Dropped, MaxListedDrops)
	assert.Equal(t, n, r.DroppedCount)
	assert.Equal(t, Dropped{metricTCPPorts, "met.tp.pts[99].pt", "port 0 outside 1..65535"}, r.Dropped[99])
	assert.True(t, r.ListeningTCP.Present)
	assert.Empty(t, r.ListeningTCP.Ports)
}

// Failure 6 of issue 9: a CBOR report with 10^6 unknown keys allocated
// 560 MB. Unknown keys are skipped without allocating.
func TestCBORReportOfAMillionUnknownKeysAllocatesNothingPerKey(t *testing.T) {
	const n = 1_000_000
	b := []byte{0xa2, 0x63, 'h', 'e', 'd', 0xa2, 0x63, 'r', 'i', 'd', 0x01, 0x61, 'v', 0x63, '1', '.', '0',
		0x63, 'm', 'e', 't', 0xba} // metrics: a map of n entries (32-bit length)
	b = binary.BigEndian.AppendUint32(b, n)
	for i := range n {
		k := "k" + strconv.Itoa(i)
		b = append(b, 0x60|byte(len(k)))
		b = append(b, k...)
		b = append(b, 0x00)
	}
	var d Decoder
	var r Report
	require.NoError(t, d.DecodeCBOR(b, &r))
	alloc := allocatedBy(func() { require.NoError(t, d.DecodeCBOR(b, &r)) })
	assert.Less(t, alloc, uint64(64<<10), "a warm decoder allocates for the listed drops only")
	assert.Len(t, r.Dropped, MaxListedDrops)
	assert.Equal(t, n, r.DroppedCount)
	assert.Equal(t, Dropped{"", "met.k0", "unknown key ignored"}, r.Dropped[0])

	// The same in JSON.
	var j bytes.Buffer
	j.WriteString(`{"hed":{"rid":1,"v":"1.0"},"met":{`)
	for i := range n {
		if i > 0 {
			j.WriteByte(',')
		}
		j.WriteString(`"k` + strconv.Itoa(i) + `":0`)
	}
	j.WriteString(`}}`)
	require.NoError(t, d.DecodeJSON(j.Bytes(), &r))
	alloc = allocatedBy(func() { require.NoError(t, d.DecodeJSON(j.Bytes(), &r)) })
	assert.Less(t, alloc, uint64(64<<10))
	assert.Equal(t, n, r.DroppedCount)
}

// Failure 6 of issue 9: raw newlines and terminal escapes from a report
// reached the paths of drops and errors, and a long key was echoed whole.
func TestReportPathsEchoKeysQuotedAndCut(t *testing.T) {
	key := "x\n\x1b[31m" + strings.Repeat("k", 1<<20)
	in := `{"hed":{"rid":1,"v":"1.0"},"met":{"` + strings.ReplaceAll(strings.ReplaceAll(key, "\n", `\n`), "\x1b", `\u001b`) + `":1}}`
	var d Decoder
	var r Report
	require.NoError(t, d.DecodeJSON([]byte(in), &r))
	require.Len(t, r.Dropped, 1)
	p := r.Dropped[0].Path
	assert.Less(t, len(p), 300)
	assert.NotContains(t, p, "\n")
	assert.NotContains(t, p, "\x1b")
	assert.True(t, strings.HasPrefix(p, `met."x\n\x1b[31mkkk`), p)
	assert.True(t, strings.HasSuffix(p, `…(1048583 bytes)`), p)

	// A rejected report: the unknown top-level key is in the error's path.
	err := d.DecodeJSON([]byte(`{"`+strings.ReplaceAll(strings.ReplaceAll(key, "\n", `\n`), "\x1b", `\u001b`)+`":1}`), &r)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Less(t, len(err.Error()), 400)
	assert.NotContains(t, err.Error(), "\n")
	assert.NotContains(t, err.Error(), "\x1b")
}

// An integer literal of a megabyte is echoed cut in the error.
func TestReportHugeIntegerEchoedCut(t *testing.T) {
	var d Decoder
	var r Report
	err := d.DecodeJSON([]byte(`{"hed":{"rid":`+strings.Repeat("9", 1<<20)+`,"v":"1.0"},"met":{}}`), &r)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Less(t, len(err.Error()), 300, err.Error())
	assert.Contains(t, err.Error(), "…(1048576 bytes)")
}
