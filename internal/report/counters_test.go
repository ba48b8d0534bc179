package report

import (
	"math"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func stats(bi, bo, pi, po int64) NetworkStats {
	return NetworkStats{Present: true, BytesIn: bi, BytesOut: bo, PacketsIn: pi, PacketsOut: po}
}

func TestCounterStateDelta(t *testing.T) {
	type step struct {
		cur  NetworkStats
		want NetworkStats
		ok   bool
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"first report gives no delta", []step{
			{stats(100, 200, 3, 4), NetworkStats{}, false},
		}},
		{"increasing counters give differences", []step{
			{stats(100, 200, 3, 4), NetworkStats{}, false},
			{stats(150, 200, 10, 5), stats(50, 0, 7, 1), true},
			{stats(1150, 201, 10, 6), stats(1000, 1, 0, 1), true},
		}},
		{"a report without network_stats changes nothing", []step{
			{stats(100, 100, 100, 100), NetworkStats{}, false},
			{NetworkStats{BytesIn: 5}, NetworkStats{}, false},
			{stats(110, 100, 100, 100), stats(10, 0, 0, 0), true},
		}},
		{"absent first, then counters", []step{
			{NetworkStats{}, NetworkStats{}, false},
			{stats(1, 1, 1, 1), NetworkStats{}, false},
			{stats(2, 2, 2, 2), stats(1, 1, 1, 1), true},
		}},
		{"reboot: counters that go down restart from the new value", []step{
			{stats(1932335905, 147230817, 1872689, 940337), NetworkStats{}, false},
			{stats(5000, 4000, 30, 20), stats(5000, 4000, 30, 20), true},
			{stats(6000, 4500, 31, 25), stats(1000, 500, 1, 5), true},
		}},
		{"a wrapped 32-bit byte counter is judged on its own", []step{
			{stats(math.MaxUint32-10, 100, 1000, 100), NetworkStats{}, false},
			{stats(20, 200, 1010, 150), stats(20, 100, 10, 50), true},
		}},
		{"zero counters are a real first report", []step{
			{stats(0, 0, 0, 0), NetworkStats{}, false},
			{stats(0, 0, 0, 0), stats(0, 0, 0, 0), true},
		}},
		{"largest counters", []step{
			{stats(math.MaxInt64-1, 0, 0, 0), NetworkStats{}, false},
			{stats(math.MaxInt64, math.MaxInt64, 0, 0), stats(1, math.MaxInt64, 0, 0), true},
		}},
		{"negative input is taken as zero", []step{
			{stats(-5, 1, 1, 1), NetworkStats{}, false},
			{stats(3, 1, 1, 1), stats(3, 0, 0, 0), true},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c CounterState
			for i, s := range tc.steps {
				got, ok := c.Delta(s.cur)
				assert.Equal(t, s.ok, ok, "step %d", i)
				assert.Equal(t, s.want, got, "step %d", i)
			}
		})
	}
}

func TestCounterStateReset(t *testing.T) {
	var c CounterState
	c.Delta(stats(10, 10, 10, 10))
	c.Reset()
	_, ok := c.Delta(stats(20, 20, 20, 20))
	assert.False(t, ok, "after Reset the next report is a first report")
}

func TestCounterStateSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(CounterState{}), uintptr(32))
}

func BenchmarkCounterStateDelta(b *testing.B) {
	var c CounterState
	cur := stats(1932335905, 147230817, 1872689, 940337)
	b.ReportAllocs()
	for b.Loop() {
		cur.BytesIn += 100
		if _, ok := c.Delta(cur); !ok && cur.BytesIn > 1932336005 {
			b.Fatal("no delta")
		}
	}
}

// Last and Restore carry the whole state: a restored state gives the same
// deltas as the original.
func TestCounterStateLastRestore(t *testing.T) {
	var c CounterState
	_, ok := c.Last()
	assert.False(t, ok)
	c.Delta(NetworkStats{Present: true, BytesIn: 100, BytesOut: 200, PacketsIn: 3, PacketsOut: 4})
	last, ok := c.Last()
	require.True(t, ok)
	assert.Equal(t, NetworkStats{Present: true, BytesIn: 100, BytesOut: 200, PacketsIn: 3, PacketsOut: 4}, last)
	var r CounterState
	r.Restore(last)
	next := NetworkStats{Present: true, BytesIn: 150, BytesOut: 10, PacketsIn: 5, PacketsOut: 9}
	want, _ := c.Delta(next)
	got, ok := r.Delta(next)
	require.True(t, ok)
	assert.Equal(t, want, got)
	r.Restore(NetworkStats{})
	_, ok = r.Last()
	assert.False(t, ok)
}
