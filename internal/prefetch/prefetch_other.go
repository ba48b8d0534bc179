//go:build !amd64 && !arm64

package prefetch

import "unsafe"

// Line starts loading the cache line that holds the byte at p: a no-op on
// this architecture.
func Line(p unsafe.Pointer) {}

// Span starts loading every cache line that holds a byte of [p, p+n): a
// no-op on this architecture.
func Span(p unsafe.Pointer, n uintptr) {}
