//go:build amd64 || arm64

package prefetch

import "unsafe"

// Line starts loading the cache line that holds the byte at p into every
// level of the cache.
//
//go:noescape
func Line(p unsafe.Pointer)

// Span starts loading every cache line that holds a byte of [p, p+n): an
// object and what its allocation holds after it. Lines past p's object,
// if n reaches them, are only loaded, never read.
//
//go:noescape
func Span(p unsafe.Pointer, n uintptr)
