package prefetch

import (
	"testing"
	"unsafe"
)

// A prefetch reads nothing and cannot fault: any address and length,
// memory of no object included, is only a hint.
func TestPrefetchNeverFaults(t *testing.T) {
	buf := make([]byte, 4096)
	for _, c := range []struct {
		p unsafe.Pointer
		n uintptr
	}{
		{nil, 0}, {nil, 1}, {nil, 4096},
		{unsafe.Pointer(&buf[0]), 0}, {unsafe.Pointer(&buf[0]), 1},
		{unsafe.Pointer(&buf[1]), 64}, {unsafe.Pointer(&buf[63]), 2},
		{unsafe.Pointer(&buf[0]), uintptr(len(buf))},
		{unsafe.Pointer(&buf[len(buf)-1]), 320}, // past the object
	} {
		Line(c.p)
		Span(c.p, c.n)
	}
}

// Line and Span do not allocate; they are called once per input.
func TestPrefetchAllocatesNothing(t *testing.T) {
	x := new([8]uint64)
	if n := testing.AllocsPerRun(100, func() {
		Line(unsafe.Pointer(x))
		Span(unsafe.Pointer(x), 320)
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
