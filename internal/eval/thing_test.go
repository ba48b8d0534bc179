package eval

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThingSize bounds a thing's fixed state (issue 11: at most 96 bytes
// fixed per thing): a fleet of millions keeps one per thing, and tailRooms
// sizes its tails so that the struct and its tail fill a size class. A
// field added here must find its bytes elsewhere, or revisit tailRooms.
func TestThingSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the sizes are a 64-bit platform's")
	}
	assert.LessOrEqual(t, unsafe.Sizeof(Thing{}), uintptr(96), "issue 11's bound")
	assert.Equal(t, uintptr(88), unsafe.Sizeof(Thing{}), "tailRooms assumes 88 bytes")
	assert.Equal(t, uintptr(16), unsafe.Sizeof(acc{}), "a windowed counter's period")
	assert.Equal(t, uintptr(1), unsafe.Sizeof(slot{}))
	for _, r := range tailRooms {
		ts, tail := r.alloc()
		assert.Equal(t, uintptr(unsafe.Pointer(ts))+unsafe.Sizeof(Thing{}), uintptr(tail), "%d words", r.words)
	}
}

// testCoverage returns a coverage of behaviors with the given window
// lengths (0: judged per input), ids from id on.
func testCoverage(slack int32, id uint64, periods ...int) *Coverage {
	cov := &Coverage{}
	for i, n := range periods {
		cov.behaviors = append(cov.behaviors, &Behavior{id: id + uint64(i), periods: n, eval: evalStatic})
	}
	cov.index(slack)
	return cov
}

// A new thing's slots and ring are in its own allocation, right after it,
// zeroed and of the coverage's lengths; writing all of them leaves the
// struct intact (and -race's checkptr verifies the bounds).
func TestNewThingTail(t *testing.T) {
	for _, tc := range []struct {
		slack   int32
		periods []int
		name    int
	}{
		{0, []int{1, 1, 1, 1, 1}, 11}, // the cloud benchmark's profile
		{0, []int{0}, 1},
		{1, []int{1, 0, 2}, 128},
		{2, []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, 20},
		{0, make([]int, 40), 3},
		{0, []int{30, 1}, 10}, // larger than every tail room: apart
	} {
		t.Run(fmt.Sprint(tc.slack, tc.periods), func(t *testing.T) {
			cov := testCoverage(tc.slack, 1, tc.periods...)
			name := strings.Repeat("x", tc.name)
			allocs := testing.AllocsPerRun(10, func() { newThing(cov, true, name) })
			ts := newThing(cov, true, name)
			require.Equal(t, name, ts.name)
			require.Len(t, ts.slots(), len(cov.behaviors))
			require.Len(t, ts.rings(), int(cov.ringLen))
			base := uintptr(unsafe.Pointer(ts)) + unsafe.Sizeof(Thing{})
			assert.Equal(t, uintptr(unsafe.Pointer(ts.slotp))+uintptr(len(cov.behaviors)), uintptr(unsafe.Pointer(unsafe.StringData(ts.name))), "the name follows the slots")
			if cov.ringLen > 0 {
				if tailWords(cov, true)+(tc.name+7)/8 <= tailRooms[len(tailRooms)-1].words {
					assert.Equal(t, 1.0, allocs)
					assert.Equal(t, base, uintptr(unsafe.Pointer(ts.ring)), "the ring follows the struct")
				} else {
					assert.Equal(t, 2.0, allocs)
				}
				assert.Equal(t, uintptr(unsafe.Pointer(ts.ring))+uintptr(cov.ringLen)*16, uintptr(unsafe.Pointer(ts.slotp)), "the slots follow the ring")
			}
			for i := range ts.slots() {
				assert.Zero(t, ts.slots()[i])
				ts.slots()[i].streak.Observe(true, 5, 1)
			}
			for i := range ts.rings() {
				assert.Zero(t, ts.rings()[i])
				ts.rings()[i] = acc{v: ^uint64(0), at: ^uint32(0), any: true}
			}
			assert.Same(t, cov, ts.cov)
			assert.Zero(t, ts.head)
			assert.False(t, ts.dropped)
			for i := range ts.slots() {
				assert.Equal(t, 1, ts.slots()[i].streak.Count())
			}
			assert.Equal(t, name, ts.name, "the windows end before the name")
		})
	}
}

// A realignment carries the streaks and windows of the behaviors that stay
// (same id, same window), in a tail of the new coverage's lengths; one to
// the same behaviors keeps the tail where it is.
func TestRealign(t *testing.T) {
	old := testCoverage(1, 1, 1, 0, 2) // ids 1, 2, 3
	ts := newThing(old, true, "a")
	for i := range ts.slots() {
		ts.slots()[i].streak.Observe(true, 5, 1)
		for range i {
			ts.slots()[i].streak.Observe(true, 5, 1)
		}
	}
	ts.head = 7
	for j := range ts.ringOf(2) {
		ts.ringOf(2)[j] = acc{v: uint64(10 + j), any: true}
	}
	ts.ringOf(0)[0] = acc{v: 99, any: true}

	same := testCoverage(1, 1, 1, 0, 2)
	slotp, ring := ts.slotp, ts.ring
	ts.realign(same)
	assert.Same(t, same, ts.cov)
	assert.Equal(t, slotp, ts.slotp)
	assert.Equal(t, ring, ts.ring)

	// ids 3 (same window), 4 (new), 1 with another window (a new id in
	// practice; here its window is dropped, its streak kept).
	next := &Coverage{behaviors: []*Behavior{same.behaviors[2], {id: 4, periods: 1, eval: evalStatic}, {id: 1, periods: 3, eval: evalStatic}}}
	next.index(1)
	ts.realign(next)
	require.Len(t, ts.slots(), 3)
	require.Len(t, ts.rings(), int(next.ringLen))
	assert.Equal(t, 3, ts.slots()[0].streak.Count())
	assert.Equal(t, 0, ts.slots()[1].streak.Count())
	assert.Equal(t, 1, ts.slots()[2].streak.Count())
	assert.Equal(t, []acc{{v: 10, any: true}, {v: 11, any: true}, {v: 12, any: true}}, ts.ringOf(0))
	assert.Equal(t, make([]acc, 2), ts.ringOf(1))
	assert.Equal(t, make([]acc, 4), ts.ringOf(2))
	assert.Equal(t, int64(7), ts.head)

	// A thing without a coverage (told its kind first) gets its slots and
	// ring together.
	fresh := newThing(nil, false, "b")
	fresh.realign(next)
	require.Len(t, fresh.slots(), 3)
	require.Len(t, fresh.rings(), int(next.ringLen))
	assert.Equal(t, uintptr(unsafe.Pointer(fresh.ring))+uintptr(next.ringLen)*16, uintptr(unsafe.Pointer(fresh.slotp)))
}
