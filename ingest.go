package ruledetect

import (
	"context"
	"time"

	"github.com/ruledetect/ruledetect/internal/eval"
)

// IngestMessage applies a message a thing sent or received.
//
// The context of every ingest call and of Advance works the same way. A call
// whose ctx is already done is rejected with ctx.Err() and changes nothing
// (not even the counters of Stats). Otherwise the input is applied, and ctx
// bounds only what may follow: when the delivery queue is over its bound
// (DeliveryPolicy), the call waits for the sinks to catch up until the
// policy's Wait passes or ctx ends, whichever is first. A wait cut short by
// ctx ends as one that timed out: the input stays applied, the call returns
// nil, and the queue's overflow is counted in Stats().Delivery.Spilled.
func (e *Engine) IngestMessage(ctx context.Context, m Message) error {
	return e.ingestMessage(ctx, nil, &m)
}

// ingestMessage applies m; h, when not nil, is the handle of m.Thing,
// whose name was checked when it was made.
func (e *Engine) ingestMessage(ctx context.Context, h *eval.Handle, m *Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.applyMessage(h, m); err != nil {
		return err
	}
	e.waitForRoom(ctx)
	return nil
}

// applyMessage checks and applies m, as ingestMessage does, without the
// context and the wait for room in the delivery queue: a batch waits once.
func (e *Engine) applyMessage(h *eval.Handle, m *Message) error {
	const op = "IngestMessage"
	if err := firstErr(checkThingUnless(h, op, m.Thing), m.check()); err != nil {
		return e.reject(err)
	}
	return e.refused(op, m.Thing, e.plane.Message(h, m.Thing, m.Time, m.Direction == Sent, m.Topic, m.Bytes, m.SourceIP))
}

// IngestAuthorizationFailure applies an authorization failure; ctx is as
// for IngestMessage.
func (e *Engine) IngestAuthorizationFailure(ctx context.Context, f AuthorizationFailure) error {
	return e.ingestAuthorizationFailure(ctx, nil, &f)
}

func (e *Engine) ingestAuthorizationFailure(ctx context.Context, h *eval.Handle, f *AuthorizationFailure) error {
	const op = "IngestAuthorizationFailure"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := firstErr(checkThingUnless(h, op, f.Thing), checkTime(op, f.Thing, f.Time), checkTopic(op, f.Thing, f.Topic)); err != nil {
		return e.reject(err)
	}
	return e.applied(ctx, op, f.Thing, e.plane.AuthFailure(h, f.Thing, f.Time, f.Topic))
}

// IngestConnect applies a connection attempt; ctx is as for IngestMessage.
func (e *Engine) IngestConnect(ctx context.Context, c Connect) error {
	return e.ingestConnect(ctx, nil, &c)
}

func (e *Engine) ingestConnect(ctx context.Context, h *eval.Handle, c *Connect) error {
	const op = "IngestConnect"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := firstErr(checkThingUnless(h, op, c.Thing), checkTime(op, c.Thing, c.Time)); err != nil {
		return e.reject(err)
	}
	return e.applied(ctx, op, c.Thing, e.plane.Connect(h, c.Thing, c.Time, c.Failed, c.SourceIP))
}

// IngestDisconnect applies a disconnection; ctx is as for IngestMessage.
func (e *Engine) IngestDisconnect(ctx context.Context, d Disconnect) error {
	return e.ingestDisconnect(ctx, nil, &d)
}

func (e *Engine) ingestDisconnect(ctx context.Context, h *eval.Handle, d *Disconnect) error {
	const op = "IngestDisconnect"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := firstErr(checkThingUnless(h, op, d.Thing), checkTime(op, d.Thing, d.Time)); err != nil {
		return e.reject(err)
	}
	return e.applied(ctx, op, d.Thing, e.plane.Disconnect(h, d.Thing, d.Time))
}

// applied ends an input the plane applied or refused: a refusal by the
// clock becomes ErrLateInput or ErrClockJump, naming the operation and
// the thing; an applied input waits for room in the delivery queue, no
// longer than ctx.
func (e *Engine) applied(ctx context.Context, op, thing string, err error) error {
	if err != nil {
		return e.refused(op, thing, err)
	}
	e.waitForRoom(ctx)
	return nil
}

// refused returns the error of an input the plane refused (err), nil when
// it applied it: a refusal by the clock becomes ErrLateInput or
// ErrClockJump, naming the operation and the thing.
func (e *Engine) refused(op, thing string, err error) error {
	if err == nil {
		return nil
	}
	// The plane returns its refusals unwrapped; errors.As would allocate
	// on every refused input.
	if ie, ok := err.(*eval.InputError); ok {
		kind := ErrClockJump
		if ie.Late {
			kind = ErrLateInput
		}
		return &Error{Op: op, Kind: kind, Resource: thing, Message: ie.Message}
	}
	return err
}

// Advance moves the watermark to t without an input: it closes every
// evaluation period up to t, producing their datapoints, emits the
// invalidations due by t and drops violation events past retention. Use it
// at the end of a replay, or on a timer in a live system, so that windows
// close even when the fleet goes quiet. Advancing to a time before the
// watermark does nothing. ctx is as for IngestMessage: an Advance whose ctx
// is already done returns ctx.Err() and moves nothing; otherwise it returns
// nil, and ctx bounds only its wait for room in the delivery queue.
func (e *Engine) Advance(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.Before(minTime) {
		return nil
	}
	if t.After(maxTime) {
		t = maxTime // beyond it, Unix nanoseconds wrap
	}
	e.plane.Advance(t)
	e.waitForRoom(ctx)
	return nil
}

// ClosedBoundary returns the newest evaluation period boundary the engine
// has closed, and false before its first input or Advance.
//
// Every input older than that boundary is rejected as late, and every
// violation event the engine has still to produce has a time at or after
// it: windowed datapoints fall on later boundaries, inputs are not older
// than it, and an invalidation due before it was made when the boundary
// closed. So a violation event with a time before ClosedBoundary is final:
// no event the engine produces later sorts before it, which lets a caller
// stream events in time order while ingesting.
func (e *Engine) ClosedBoundary() (time.Time, bool) {
	return e.plane.ClosedBoundary()
}

// checkThingUnless checks a thing name unless it comes with a handle, whose
// name was checked when the handle was made.
func checkThingUnless(h *eval.Handle, op, name string) error {
	if h != nil {
		return nil
	}
	return checkThing(op, name)
}

// reject counts an input refused before it reached the engine's state.
func (e *Engine) reject(err error) error {
	e.stats.rejected.Add(1)
	return err
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
