//go:build amd64 || arm64

package prefetch

import "unsafe"

// Line starts loading the cache line that holds the byte at p into every
// level of the cache.
//
//go:noescape
func Line(p unsafe.Pointer)

// Lines3 starts loading the three cache lines at p, p+64 and p+128: a
// small object and what its allocation holds right after it. The lines
// past p's object, if any, are only loaded, never read.
//
//go:noescape
func Lines3(p unsafe.Pointer)
