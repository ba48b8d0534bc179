package violation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Vectors computed independently with Python's hashlib:
// sha256("\n".join([thing, profile, behavior, str(seconds)])).hexdigest()[:32].
func TestIDVectors(t *testing.T) {
	tests := []struct {
		thing, profile, behavior string
		start                    time.Time
		want                     string
	}{
		{"iotconsole-1560269126751-1", "Testprofile", "Authorization", time.Unix(1560279000, 0), "1280d82ce46b2bbebcc48f15d8bbc90b"},
		{"TvnQoEoU", "Testprofile", "CellularBandwidth", time.Unix(1560276600, 0), "a219cd4b88ce8c20172c802bbe898c4a"},
		// Sub-second parts do not count: 1542682416515 ms is second 1542682416.
		{"DefenderWorkshopThing", "NormalHTTPTraffic", "PacketsOut", time.UnixMilli(1542682416515), "fec491e26524a4fb1b4635d59e9283a9"},
		// Before the epoch, seconds round down (time.Time.Unix).
		{"cam-1", "p", "b", time.Unix(-1, 5e8), "b7d82730c5fbb9dd90656f92813946ea"},
		{"", "", "", time.Unix(0, 0), "d3fa5c326ac11c1dc039da1c9d91c2e3"},
		// Longer than AppendID's stack buffer.
		{strings.Repeat("x", 300), "P", "B", time.Unix(1767225600, 0), "5bd0a8c9a8a1eb91bb2b9a2859787f6f"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := ID(tt.thing, tt.profile, tt.behavior, tt.start)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want, ID(tt.thing, tt.profile, tt.behavior, tt.start.In(time.FixedZone("X", 3600))), "zone does not matter")
			assert.Equal(t, "pre-"+tt.want, string(AppendID([]byte("pre-"), tt.thing, tt.profile, tt.behavior, tt.start)))
		})
	}
}

func TestIDShape(t *testing.T) {
	for i := range 100 {
		id := ID(fmt.Sprint("thing-", i), "p", "b", time.Unix(int64(i), 0))
		require.Len(t, id, IDLen)
		require.Equal(t, strings.ToLower(id), id)
		_, err := hex.DecodeString(id)
		require.NoError(t, err)
		require.NoError(t, checkViolationID("", id), "a log ID is a valid model ViolationId")
		sum := sha256.Sum256(fmt.Appendf(nil, "thing-%d\np\nb\n%d", i, i))
		require.Equal(t, hex.EncodeToString(sum[:16]), id)
	}
}

func TestAppendIDAllocs(t *testing.T) {
	buf := make([]byte, 0, IDLen)
	start := time.Unix(1560279000, 0)
	n := testing.AllocsPerRun(100, func() {
		buf = AppendID(buf[:0], "iotconsole-1560269126751-1", "Testprofile", "Authorization", start)
	})
	assert.Zero(t, n)
}

func BenchmarkID(b *testing.B) {
	b.ReportAllocs()
	start := time.Unix(1560279000, 0)
	for b.Loop() {
		_ = ID("iotconsole-1560269126751-1", "Testprofile", "Authorization", start)
	}
}
