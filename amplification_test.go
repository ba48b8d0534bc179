package ruledetect

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
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

// portsReport returns a JSON report listing n listening TCP ports, all port 0.
func portsReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"port":0}`)
	}
	b.WriteString(`]}}}`)
	return b.Bytes()
}

// Failure 6 of issue 9: a 10.5 MB report of invalid ports allocated ~420 MB
// and kept 120 MB in IngestResult.Dropped. The result lists 100 drops and
// counts the rest; decoding costs about the report's own size.
func TestReportOfTenMegabytesOfInvalidPortsListsAHundred(t *testing.T) {
	ctx := context.Background()
	in := portsReport(1_000_000)
	require.Greater(t, len(in), 10<<20)
	e, err := New(WithMaxReportSize(16 << 20))
	require.NoError(t, err)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var res IngestResult
	alloc := allocatedBy(func() {
		res, err = e.IngestReport(ctx, "dev-1", at, JSON, in)
	})
	require.NoError(t, err)
	assert.Less(t, alloc, uint64(3*len(in)), "decoding allocates about the report's size (the decoder's copy of it, grown by doubling), not per port")
	assert.Len(t, res.Dropped, 100)
	assert.Equal(t, 1_000_000, res.DroppedCount)
	assert.Equal(t, DroppedValue{Metric: "aws:listening-tcp-ports", Path: "metrics.listening_tcp_ports.ports[0].port", Reason: "port 0 outside 1..65535"}, res.Dropped[0])
}

// A report over the maximum size is rejected before decoding, counted, and
// changes nothing.
func TestReportLargerThanMaxReportSizeRejected(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := portsReport(11_908) // just over 128 KiB
	require.Equal(t, DefaultMaxReportSize+4, len(in))
	_, err = e.IngestReport(ctx, "dev-1", at, JSON, in)
	require.ErrorIs(t, err, ErrReportTooLarge)
	assert.EqualError(t, err, "IngestReport: report of 131076 bytes is larger than the maximum of 131072 bytes (resource dev-1)")
	assert.Equal(t, Stats{Rejected: 1}, e.Stats())
	_, err = e.IngestReport(ctx, "dev-1", at, CBOR, make([]byte, DefaultMaxReportSize+1))
	require.ErrorIs(t, err, ErrReportTooLarge)

	small := portsReport(11_907)
	require.LessOrEqual(t, len(small), DefaultMaxReportSize)
	res, err := e.IngestReport(ctx, "dev-1", at, JSON, small)
	require.NoError(t, err)
	assert.Equal(t, 11_907, res.DroppedCount)

	e, err = New(WithMaxReportSize(len(small) - 1))
	require.NoError(t, err)
	_, err = e.IngestReport(ctx, "dev-1", at, JSON, small)
	require.ErrorIs(t, err, ErrReportTooLarge)
	_, err = New(WithMaxReportSize(0))
	require.Error(t, err)
}

// Failure 6 of issue 9: an error for a 10 MB name echoed 10 MB, and raw
// newlines and ANSI escapes from input reached error text. Every error an
// Engine returns for such input is one bounded line.
func TestErrorsEchoTenMegabyteInputBounded(t *testing.T) {
	ctx := context.Background()
	evil := "a\nb\x1b[31m\u202e" + strings.Repeat("x", 10<<20)
	e, err := New()
	require.NoError(t, err)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p","behaviors":[
	  {"name":"n","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"less-than","value":{"count":2},"durationSeconds":300}}]}`))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, *sp)
	require.NoError(t, err)
	_, cmErr := e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "m", MetricType: evil})
	_, dimErr := e.CreateDimension(ctx, CreateDimensionInput{Name: "d", Type: DimensionTypeTopicFilter, StringValues: []string{evil + "#"}})
	_, dimTypeErr := e.CreateDimension(ctx, CreateDimensionInput{Name: "d", Type: evil, StringValues: []string{"a"}})
	_, descErr := e.DescribeSecurityProfile(ctx, evil)
	_, reportErr := e.IngestReport(ctx, evil, at, JSON, []byte(`{}`))
	_, badReportErr := e.IngestReport(ctx, "dev-1", at, JSON, []byte(`{"header":{"report_id":1,"version":"1.0"},"`+strings.ReplaceAll(evil[:1000], "\n", `\n`)+`":{}}`))
	badProfile := *sp
	badProfile.SecurityProfileName = "q"
	badProfile.Behaviors = []behavior.Behavior{sp.Behaviors[0]}
	badProfile.Behaviors[0].Name = evil[:120] // within 128 characters, with control characters
	badProfile.Behaviors[0].Criteria = &behavior.BehaviorCriteria{ComparisonOperator: "less-than"}
	_, profileErr := e.CreateSecurityProfile(ctx, badProfile)
	errs := map[string]error{
		"custom metric type": cmErr,
		"dimension filter":   dimErr,
		"dimension type":     dimTypeErr,
		"describe":           descErr,
		"attach":             e.AttachSecurityProfile(ctx, "p", evil),
		"detach":             e.DetachSecurityProfile(ctx, evil, e.Arn("all/things")),
		"thing groups":       e.SetThingGroups(ctx, evil, nil),
		"thing group":        e.SetThingGroups(ctx, "dev-1", []string{evil}),
		"message thing":      e.IngestMessage(ctx, Message{Thing: evil, Time: at, Direction: Sent, Topic: "t", Bytes: 1}),
		"message topic":      e.IngestMessage(ctx, Message{Thing: "dev-1", Time: at, Direction: Sent, Topic: evil + "#", Bytes: 1}),
		"report thing":       reportErr,
		"report key":         badReportErr,
		"behavior name":      profileErr,
		"auth topic":         e.IngestAuthorizationFailure(ctx, AuthorizationFailure{Thing: "dev-1", Time: at, Topic: evil + "+"}),
		"verification":       e.PutVerificationStateOnViolation(ctx, PutVerificationStateOnViolationInput{ViolationID: evil, VerificationState: "TRUE_POSITIVE"}),
	}
	for name, err := range errs {
		t.Run(name, func(t *testing.T) {
			require.Error(t, err)
			msg := err.Error()
			assert.Less(t, len(msg), 1000, msg)
			for _, bad := range []string{"\n", "\x1b", "\u202e"} {
				assert.NotContains(t, msg, bad)
			}
		})
	}
}

// Failure 6 of issue 9 (restore): a snapshot that claims counts and lengths
// its bytes cannot hold is refused before anything of that size is
// allocated.
func TestSnapshotClaimingHugeCountsAllocatesLittle(t *testing.T) {
	data := snapshotOf(t, 5)
	ctl, log, things := snapSections(t, data)
	rest := func(b []byte) []byte { // things without their count
		_, n := binary.Uvarint(b)
		return b[n:]
	}
	tests := map[string][]byte{
		"thing count": snapAssemble(t, ctl, log, append(binary.AppendUvarint(nil, 1<<40), rest(things)...)),
		"thing name length": snapAssemble(t, ctl, log, append(binary.AppendUvarint(binary.AppendUvarint(nil, 1), 1<<40),
			rest(rest(things))...)),
		"section length": withCRC(append(append([]byte(snapshotMagic), snapshotVersion), append(binary.AppendUvarint(nil, 1<<62), 0, 0, 0, 0)...)),
		"max uvarint":    snapAssemble(t, ctl, log, append(binary.AppendUvarint(nil, 1<<63), rest(things)...)),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			var err error
			alloc := allocatedBy(func() { _, err = restoreBytes(b) })
			require.ErrorIs(t, err, ErrInvalidSnapshot)
			assert.Contains(t, err.Error(), "exceeds the remaining input")
			assert.Less(t, alloc, uint64(4*len(data)+(1<<20)), "allocation bounded by the input")
		})
	}
}

// Failure 6 of issue 9 (restore): a small snapshot restored into gigabytes,
// because every thing it lists gets its window rings, 16 bytes per period of
// each windowed behavior. Rings are now allocated only for things with input
// in a window, within a budget (WithRestoreMemoryLimit): a crafted snapshot
// listing thousands of such things is refused after allocating at most the
// budget, and the same snapshot with a few restores.
func TestSnapshotRestoreWithinMemoryLimit(t *testing.T) {
	ctx := context.Background()
	opts := []Option{WithEvaluationPeriod(time.Second)}
	e, err := New(opts...)
	require.NoError(t, err)
	var bs []behavior.Behavior
	for i := range 10 {
		bs = append(bs, behavior.Behavior{Name: fmt.Sprint("hour-", i), Metric: "aws:num-messages-sent", Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: ptr(int64(1000))}, DurationSeconds: ptr(int64(3600))}})
	}
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: bs})
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn("all/things")))
	require.NoError(t, e.IngestMessage(ctx, Message{Thing: "t0000", Time: time.Unix(1767225600, 0), Direction: Sent, Topic: "x", Bytes: 1}))
	var buf bytes.Buffer
	require.NoError(t, e.WriteSnapshot(ctx, &buf))
	ctl, log, things := snapSections(t, buf.Bytes())

	// Copy the one thing's record n times under other names of the same
	// length: each copy has input in its windows, 10 × 3,600 periods × 16 B
	// = 576 KB of rings.
	record := func(b []byte) []byte { _, n := binary.Uvarint(b); return b[n:] }(things) // after the count
	_, n := binary.Uvarint(record)
	rest := record[n+len("t0000"):]
	craft := func(copies int) []byte {
		b := binary.AppendUvarint(nil, uint64(copies))
		for i := range copies {
			b = binary.AppendUvarint(b, 5)
			b = append(b, fmt.Sprintf("t%04d", i)...)
			b = append(b, rest...)
		}
		return snapAssemble(t, ctl, log, b)
	}

	const limit = 32 << 20
	big := craft(2000) // 1.15 GB of rings from a snapshot of tens of KB
	var rerr error
	alloc := allocatedBy(func() { _, rerr = restoreBytes(big, append(opts, WithRestoreMemoryLimit(limit))...) })
	require.ErrorIs(t, rerr, ErrInvalidSnapshot)
	assert.Contains(t, rerr.Error(), "restore memory limit")
	assert.Less(t, alloc, uint64(2*limit), "allocated %d bytes for a %d-byte snapshot", alloc, len(big))

	small, err := restoreBytes(craft(10), append(opts, WithRestoreMemoryLimit(limit))...)
	require.NoError(t, err)
	assert.Equal(t, 10, small.Stats().Things)
}
