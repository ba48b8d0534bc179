package report

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"
)

// seedFiles adds every testdata file with the extension ext.
func seedFiles(f *testing.F, ext string) [][]byte {
	names, err := filepath.Glob(filepath.Join("testdata", "*"+ext))
	require.NoError(f, err)
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		require.NoError(f, err)
		out = append(out, b)
	}
	return out
}

// requireSameOutcome decodes b twice (a warm and a fresh Decoder) and
// requires the same Report or the same error, an empty Report on error.
func requireSameOutcome(t *testing.T, b []byte, decode func(*Decoder, []byte, *Report) error, warm *Decoder) (Report, error) {
	var r1, r2 Report
	err1 := decode(warm, b, &r1)
	var fresh Decoder
	err2 := decode(&fresh, b, &r2)
	if err1 != nil {
		require.ErrorIs(t, err1, ErrMalformed)
		require.Error(t, err2)
		require.Equal(t, err1.Error(), err2.Error())
		require.Equal(t, Report{}, norm(&r1))
		var e *Error
		require.True(t, errors.As(err1, &e))
		return r1, err1
	}
	require.NoError(t, err2)
	require.Equal(t, norm(&r1), norm(&r2))
	require.Positive(t, r1.ReportID)
	return r1, nil
}

func jsonDecode(d *Decoder, b []byte, r *Report) error { return d.DecodeJSON(b, r) }
func cborDecode(d *Decoder, b []byte, r *Report) error { return d.DecodeCBOR(b, r) }

func FuzzDecodeJSON(f *testing.F) {
	for _, b := range seedFiles(f, ".json") {
		f.Add(b)
	}
	for _, tc := range malformedReports {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(`{` + hed + `,"met":{"kernel_metrics":{"x":[1,{"y":null}]},"tp":{"pts":[{"pt":0},{"pt":70000}]}},"cmet":{"s":[{"string_list":["a b"]}],"i":[{"ip_list":["::1","fe80::1%1"]}]}}`))
	f.Add([]byte(`{"hed":{"rid":1.7e+12,"v":"1.0"},"met":{"ns":{"bi":1.5e3,"bo":-0,"pi":1e400}}}`))
	var warm Decoder
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := requireSameOutcome(t, b, jsonDecode, &warm)

		// The same document as CBOR, token for token, has the same outcome.
		c, cerr := jsonToCBOR(b)
		if cerr != nil {
			require.Error(t, err, "the converter refused JSON the decoder accepted")
			return
		}
		var cr Report
		cerr = warm.DecodeCBOR(c, &cr)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Err == nil {
				var ce *Error
				require.ErrorAs(t, cerr, &ce, "JSON: %v", err)
				require.Equal(t, e.Path, ce.Path, "JSON: %v; CBOR: %v", err, cerr)
			}
			return
		}
		require.NoError(t, cerr)
		require.Equal(t, norm(&r), norm(&cr))

		// What was kept, written back by fxamacker/cbor, reads back the same.
		requireRoundTrip(t, &r)
	})
}

func FuzzDecodeCBOR(f *testing.F) {
	for _, b := range seedFiles(f, ".cbor") {
		f.Add(b)
	}
	for _, b := range seedFiles(f, ".json") {
		if c, err := jsonToCBOR(b); err == nil {
			f.Add(c)
		}
	}
	f.Add([]byte{0xd9, 0xd9, 0xf7, 0xa2, 0x63, 'h', 'e', 'd', 0xa2, 0x63, 'r', 'i', 'd', 0xf9, 0x3c, 0x00, 0x61, 'v', 0x7f, 0x61, '1', 0x62, '.', '0', 0xff,
		0x64, 'c', 'm', 'e', 't', 0xa1, 0x61, 'm', 0x81, 0xa1, 0x66, 'n', 'u', 'm', 'b', 'e', 'r', 0xfa, 0x3d, 0xcc, 0xcc, 0xcd})
	dm, err := cbor.DecOptions{
		MaxNestedLevels:  65535,
		MaxArrayElements: 1 << 30,
		MaxMapPairs:      1 << 30,
		IndefLength:      cbor.IndefLengthAllowed,
	}.DecMode()
	require.NoError(f, err)
	var warm Decoder
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := requireSameOutcome(t, b, cborDecode, &warm)
		if err != nil {
			return
		}
		// Never accept what a full CBOR implementation calls malformed.
		require.NoError(t, dm.Wellformed(b), "accepted %x", b)
		requireRoundTrip(t, &r)
	})
}
