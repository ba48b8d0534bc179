package ruledetect

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mvSection encodes a metric values section of one series of thing dev-00's
// aws:num-messages-sent with one value of kind, whose encoded value is v.
func mvSection(kind eval.ValueKind, v []byte) []byte {
	b := binary.AppendUvarint(nil, 1)
	for _, s := range []string{"dev-00", "aws:num-messages-sent", "", ""} {
		b = append(binary.AppendUvarint(b, uint64(len(s))), s...)
	}
	b = binary.AppendUvarint(b, 1) // the series' sequence number
	b = binary.AppendUvarint(b, 1) // one value
	b = binary.AppendVarint(b, 0)  // at the watermark
	b = binary.AppendUvarint(b, 1) // its sequence number
	return append(append(b, byte(kind)), v...)
}

func TestRestoreMetricValuesSection(t *testing.T) {
	number := binary.LittleEndian.AppendUint64(nil, 0x4045000000000000) // 42
	tests := []struct {
		name string
		data []byte
		msg  string // empty: restores
	}{
		{"count", mvSection(eval.ValueCount, []byte{7}), ""},
		{"number", mvSection(eval.ValueNumber, number), ""},
		{"numbers", mvSection(eval.ValueNumbers, append([]byte{1}, number...)), ""},
		{"ports", mvSection(eval.ValuePorts, []byte{2, 0xbb, 0x03, 22}), ""},
		// Regression: a number cut short read the 8 bytes of a nil slice,
		// which panicked instead of refusing the snapshot.
		{"truncated number panicked", mvSection(eval.ValueNumber, []byte{1}), "truncated: 8 bytes wanted, 1 left"},
		{"list number cut short", mvSection(eval.ValueNumbers, append([]byte{1}, number[:7]...)), "numbers count 1 exceeds the remaining input"},
		{"port out of range", mvSection(eval.ValuePorts, []byte{1, 0x80, 0x80, 0x04}), "port 65536 out of range"},
		{"unknown kind", mvSection(99, []byte{0, 0, 0, 0}), "metric value kind 99"},
		{"trailing", append(mvSection(eval.ValueCount, []byte{7}), 0), "1 bytes after the metric values"},
		{"too many series", append([]byte{0xff, 0xff, 0x03}, mvSection(eval.ValueCount, []byte{7})[1:]...), "metric series count 65535 exceeds the remaining input"},
		{"truncated key", mvSection(eval.ValueCount, []byte{7})[:9], "metric count 21 exceeds the remaining input"},
		// Regression: a non-minimal varint (7 in two bytes) was accepted,
		// so one state had many encodings.
		{"non-minimal count", mvSection(eval.ValueCount, []byte{0x87, 0x00}), "truncated or malformed number: wire: non-minimal varint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(WithMetricRetention(MetricRetention{Duration: time.Hour}))
			require.NoError(t, err)
			err = e.restoreMetricValues(tt.data)
			if tt.msg == "" {
				require.NoError(t, err)
				assert.Len(t, e.metrics.keys, 1)
				return
			}
			require.ErrorIs(t, err, ErrInvalidSnapshot)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}
