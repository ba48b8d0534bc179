package eval

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSnapshotCounters(t *testing.T) {
	for _, v := range [][4]uint64{{0, 0, 0, 0}, {1, 2, 3, 4}, {1 << 62, 0, 1<<63 - 1, 7}} {
		got, ok := counterValues(counterState(v))
		assert.True(t, ok)
		assert.Equal(t, v, got)
	}
	_, ok := counterValues(nil)
	assert.False(t, ok)
}
