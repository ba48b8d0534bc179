//go:build !amd64 && !arm64

package prefetch

import "unsafe"

// Line starts loading the cache line that holds the byte at p: a no-op on
// this architecture.
func Line(p unsafe.Pointer) {}

// Lines3 starts loading the three cache lines at p, p+64 and p+128: a
// no-op on this architecture.
func Lines3(p unsafe.Pointer) {}
