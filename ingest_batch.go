package ruledetect

import (
	"context"
	"unsafe"

	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/internal/prefetch"
)

// IngestMessages applies msgs in order, each exactly as IngestMessage
// would, and returns how many it applied. It stops at the first message
// it refuses: then n < len(msgs), msgs[:n] are applied, msgs[n] is
// refused with err, the error IngestMessage returns for it, and nothing
// after it is applied, so a caller that means to skip a refused message
// (a late one, say) calls again with msgs[n+1:]. A call whose ctx is
// already done applies nothing and returns ctx.Err(); otherwise ctx bounds
// only the wait for room in the delivery queue, once, at the end.
//
// A run of messages is applied faster than the same messages one call at
// a time when the fleet is far larger than the processor's caches: while
// it applies one message, it asks for the memory of the messages a few
// places ahead (their things' index entries and state), so that the
// random accesses of a run overlap instead of following one another. A
// broker integration that reads messages in batches, or a consumer of a
// queue, gains most; a single message gains nothing.
func (e *Engine) IngestMessages(ctx context.Context, msgs []Message) (n int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err = eval.ApplyAhead(e.plane.PrefetchPays(), len(msgs),
		func(j int) { e.plane.PrefetchIndex(msgs[j].Thing) },
		func(j int) { e.plane.PrefetchThing(msgs[j].Thing, nil) },
		func(i int) error { return e.applyMessage(nil, &msgs[i]) })
	e.waitForRoom(ctx)
	return n, err
}

// ThingMessage is a message of the thing of a handle, for
// Engine.IngestThingMessages.
type ThingMessage struct {
	// Thing is the handle of the thing that sent or received the message;
	// it must be one of the engine's.
	Thing *Thing
	// Message is the message; its Thing field is ignored.
	Message Message
}

// IngestThingMessages is IngestMessages for messages of things known by
// their handles, as a broker integration holds them: each is applied as
// Thing.IngestMessage would apply it. A message whose Thing is nil or a
// handle of another engine is refused with ErrInvalidRequest.
func (e *Engine) IngestThingMessages(ctx context.Context, msgs []ThingMessage) (n int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err = eval.ApplyAhead(e.plane.PrefetchPays(), len(msgs),
		func(j int) {
			if msgs[j].Thing != nil {
				prefetch.Line(unsafe.Pointer(msgs[j].Thing))
			}
		},
		func(j int) {
			if t := msgs[j].Thing; t != nil && t.e == e {
				e.plane.PrefetchThing("", &t.h)
			}
		},
		func(i int) error {
			tm := &msgs[i]
			if tm.Thing == nil {
				return e.reject(newError("IngestMessage", ErrInvalidRequest, "", "message %d of the batch has no handle", i))
			}
			if tm.Thing.e != e {
				return e.reject(newError("IngestMessage", ErrInvalidRequest, tm.Thing.h.Name(), "message %d of the batch has a handle of another engine", i))
			}
			m := tm.Message // the caller's batch is only read
			m.Thing = tm.Thing.h.Name()
			return e.applyMessage(&tm.Thing.h, &m)
		})
	e.waitForRoom(ctx)
	return n, err
}
