// Package prefetch asks the processor to start loading memory that an
// input will read soon, so that the loads of a run of inputs overlap
// instead of following one another.
//
// Go has no prefetch intrinsic for user code, and a plain load will not
// do: the memory ahead is a thing's state that other goroutines write
// under its shard's lock, so reading it without the lock is a data race,
// and a load holds up its goroutine's later work until its data comes. A
// prefetch instruction cannot fault and reads nothing the program sees,
// so it may name memory that another goroutine is writing or that no
// object holds any more: it is a hint, never a read, and the race
// detector rightly ignores it.
//
// On amd64 and arm64 the functions are a few instructions in assembly (a
// call of a few nanoseconds: assembly is never inlined); elsewhere they do
// nothing.
package prefetch
