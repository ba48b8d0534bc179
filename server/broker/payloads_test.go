package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return bytes.TrimSpace(data)
}

// The accepted reply is byte for byte the service's, as recorded in the
// Device Defender workshop.
func TestAcceptedReplyIsAWSs(t *testing.T) {
	r := acceptedReply("DefenderWorkshopThing", ruledetect.IngestResult{ReportID: 1542697506}, time.UnixMilli(1542697506269))
	got, err := r.encode(ruledetect.JSON)
	require.NoError(t, err)
	assert.Equal(t, string(readTestdata(t, "workshop-metrics-accepted-response.json")), string(got))
}

// The troubleshooting guide's malformed report, refused by a real engine,
// gets byte for byte the guide's rejected reply.
func TestRejectedReplyIsAWSs(t *testing.T) {
	ctx := context.Background()
	e, err := ruledetect.New()
	require.NoError(t, err)
	at := time.UnixMilli(1635802047699)
	_, ierr := e.IngestReport(ctx, "myThing", at, ruledetect.JSON, readTestdata(t, "devguide-troubleshoot-report-custom-number-not-array.input.json"))
	require.ErrorIs(t, ierr, ruledetect.ErrMalformedReport)
	got, err := rejectedReply("myThing", ierr, at).encode(ruledetect.JSON)
	require.NoError(t, err)
	assert.Equal(t, string(readTestdata(t, "devguide-troubleshoot-report-custom-number-not-array.rejected.json")), string(got))
}

func TestRejectedReplyByErrorKind(t *testing.T) {
	at := time.UnixMilli(1700000000000)
	for _, tc := range []struct {
		err        error
		code, text string
	}{
		{&ruledetect.Error{Op: "IngestReport", Kind: ruledetect.ErrMalformedReport, Message: "header: missing"}, "InvalidPayload", "Malformed metrics report"},
		{&ruledetect.Error{Op: "IngestReport", Kind: ruledetect.ErrInvalidRequest, Message: "thing name must not contain control characters"}, "InvalidPayload", "thing name must not contain control characters"},
		{&ruledetect.Error{Op: "IngestReport", Kind: ruledetect.ErrLateInput}, "InternalServerError", errorMessageNotEvaluated},
		{&ruledetect.Error{Op: "IngestReport", Kind: ruledetect.ErrClockJump}, "InternalServerError", errorMessageNotEvaluated},
	} {
		t.Run(fmt.Sprint(tc.err), func(t *testing.T) {
			r := rejectedReply("dev-1", tc.err, at)
			assert.Equal(t, reply{ThingName: "dev-1", Status: "REJECTED", StatusDetails: &statusDetails{ErrorCode: tc.code, ErrorMessage: tc.text}, Timestamp: 1700000000000}, r)
		})
	}
}

// A CBOR report is answered in CBOR with the same fields.
func TestReplyCBORMatchesJSON(t *testing.T) {
	for _, r := range []reply{
		acceptedReply("dev-1", ruledetect.IngestResult{ReportID: 1700000000}, time.UnixMilli(1700000000123)),
		rejectedReply("dev-1", &ruledetect.Error{Kind: ruledetect.ErrMalformedReport}, time.UnixMilli(1700000000123)),
	} {
		j, err := r.encode(ruledetect.JSON)
		require.NoError(t, err)
		c, err := r.encode(ruledetect.CBOR)
		require.NoError(t, err)
		var fromJSON, fromCBOR map[string]any
		require.NoError(t, json.Unmarshal(j, &fromJSON))
		dm, err := cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any{})}.DecMode()
		require.NoError(t, err)
		require.NoError(t, dm.Unmarshal(c, &fromCBOR))
		assert.Equal(t, normalize(t, fromJSON), normalize(t, fromCBOR))
	}
}

// normalize round-trips v through JSON so numbers and maps compare alike.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
