package ruledetect

import "fmt"

// WithRestoreMemoryLimit bounds what RestoreSnapshot may allocate for the
// windows of the things it restores, in bytes. A snapshot's counts and
// lengths are checked against its own size, but a thing's window state is
// 16 bytes per period of each windowed behavior it has input in, which a
// small snapshot can ask for many times over; past the limit, restore fails
// with ErrInvalidSnapshot before allocating. The default, 0, allows 256 MiB
// plus 64 bytes for every byte of the snapshot, more than a snapshot written
// by an engine with a few windowed behaviors per thing needs; an engine with
// many (a hundred one-hour behaviors per thing) may need more.
func WithRestoreMemoryLimit(n int64) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("restore memory limit %d must not be negative", n)
		}
		o.restoreMemoryLimit = n
		return nil
	}
}

// restoreLimit is the window memory a restore of a snapshot of size bytes
// may allocate.
func (e *Engine) restoreLimit(size int) int64 {
	if e.opts.restoreMemoryLimit > 0 {
		return e.opts.restoreMemoryLimit
	}
	return 256<<20 + 64*int64(size)
}
