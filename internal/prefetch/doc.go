// Package prefetch asks the processor to start loading memory that an
// input will read soon, so that the loads of a run of inputs overlap
// instead of following one another.
//
// Go has no prefetch intrinsic for user code. A plain load would do the
// same only if nothing ordered it: an input takes a lock, a full barrier
// on amd64 that a later load cannot pass, so the next input's loads never
// start before this one's lock. A prefetch instruction is not ordered by
// barriers, cannot fault, and reads nothing the program sees, so it may
// name memory that another goroutine is writing or that was freed: it is
// a hint, never a read, and the race detector rightly ignores it.
//
// On amd64 and arm64 the functions are one or three instructions in
// assembly (a call of a few nanoseconds: assembly is never inlined);
// elsewhere they do nothing.
package prefetch
