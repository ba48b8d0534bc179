package durable

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
)

// TestRecordRoundTrip: every kind of record decodes to what was encoded.
func TestRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 123456789, time.UTC)
	for _, r := range []Record{
		messageRecord(ruledetect.Message{Thing: "a", Time: at, Direction: ruledetect.Received, Topic: "x/y", Bytes: 5, SourceIP: netip.MustParseAddr("10.0.0.1")}),
		connectRecord(ruledetect.Connect{Thing: "a", Time: at, SourceIP: netip.MustParseAddr("::1"), Failed: true}),
		disconnectRecord(ruledetect.Disconnect{Thing: "a", Time: at}),
		authorizationFailureRecord(ruledetect.AuthorizationFailure{Thing: "a", Time: at, Topic: "z"}),
		reportRecord("a", at, ruledetect.CBOR, []byte{0xa1, 0x00, 0xff}),
		advanceRecord(at),
		controlRecord(server.Call{Operation: "DeleteSecurityProfile", PathValues: map[string]string{"securityProfileName": "p"}, Query: "expectedVersion=2"}, at),
	} {
		data, err := r.Encode()
		require.NoError(t, err)
		got, err := Decode(data)
		require.NoError(t, err, "%s", data)
		assert.Equal(t, r, got)
		assert.Equal(t, at.UnixNano(), got.time().UnixNano(), "%s", r.Kind) // the exact nanosecond survives
	}
}

// TestDecodeRefuses: what is not one Engine call is an ErrRecord naming why.
func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{`, "invalid log record"},
		{`{"kind":"nope"}`, `unknown kind "nope"`},
		{`{"kind":"message","direction":3}`, "direction 3"},
		{`{"kind":"report","format":0}`, "format 0"},
		{`{"kind":"advance","thing":"a"}`, "an advance has no thing"},
		{`{"kind":"control"}`, "no call"},
		{`{"kind":"control","call":{"op":"X"},"thing":"a"}`, "a control record has no thing"},
		{`{"kind":"disconnect","call":{"op":"X"}}`, "only a control record has a call"},
		{`{"kind":"advance","extra":1}`, "invalid log record"},
	} {
		_, err := Decode([]byte(tc.in))
		assert.ErrorIs(t, err, ErrRecord, tc.in)
		assert.ErrorContains(t, err, tc.want, tc.in)
	}
}

// TestDecodeEmptyPathAndBodyAreAbsent is the regression test of a record
// FuzzDecode found: `"path":{}` decoded as an empty map, which Encode
// omits, so the record decoded again had no map, and a record did not
// survive its own round trip. An empty path or body is now absent, as
// Encode writes it.
func TestDecodeEmptyPathAndBodyAreAbsent(t *testing.T) {
	for _, in := range []string{
		`{"kind":"control","call":{"op":"000000000000000","path":{}}}`,
		`{"kind":"control","call":{"op":"X","body":""}}`,
		`{"kind":"control","call":{"op":"X","path":{},"body":""}}`,
	} {
		r, err := Decode([]byte(in))
		require.NoError(t, err, in)
		assert.Nil(t, r.Call.PathValues, in)
		assert.Nil(t, r.Call.Body, in)
		again, err := r.Encode()
		require.NoError(t, err, in)
		r2, err := Decode(again)
		require.NoError(t, err, "%s", again)
		assert.Equal(t, r, r2, in)
	}
}

// FuzzDecode: Decode never panics, and what it accepts encodes and decodes
// to the same record.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"kind":"message","thing":"a","time":1,"direction":1,"topic":"t","bytes":3,"sourceIp":"10.0.0.1"}`))
	f.Add([]byte(`{"kind":"report","thing":"a","time":5,"format":2,"payload":"oQA="}`))
	f.Add([]byte(`{"kind":"control","call":{"op":"CreateDimension","path":{"name":"d"},"query":"a=1","body":"e30="}}`))
	f.Add([]byte(`{"kind":"advance","time":-5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			return
		}
		again, err := r.Encode()
		require.NoError(t, err)
		r2, err := Decode(again)
		require.NoError(t, err, "%s", again)
		assert.Equal(t, r, r2)
	})
}
