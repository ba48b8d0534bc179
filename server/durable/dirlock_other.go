//go:build !unix

package durable

import "os"

// tryLock reports errNoLock: this platform's build does not guard the data
// directory.
func tryLock(*os.File) error { return errNoLock }
