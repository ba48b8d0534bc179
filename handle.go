package ruledetect

import (
	"context"
	"time"

	"github.com/ruledetect/ruledetect/internal/eval"
)

// Thing is a handle on one thing of an Engine: its name, checked once, and
// its state, found once. Ingesting through a handle skips the name lookup,
// which in a fleet of millions is a random probe into a table far larger
// than the CPU caches and the dominant cost of a cloud-side event. A broker
// integration makes the handle when a client connects and uses it for every
// message of the connection.
//
// A handle stays valid for the Engine's life: if the engine drops the
// thing's state (it went idle for the invalidation horizon), the next input
// through the handle finds or creates the state again. A Thing is safe for
// concurrent use; every method behaves exactly as the Engine method of the
// same name called with the handle's thing name.
type Thing struct {
	e *Engine
	// h is held by value: an input through the handle then reaches the
	// thing's state from this struct, one cache miss fewer in a fleet far
	// larger than the caches.
	h eval.Handle
}

// Thing returns a handle on the thing named name. It checks the name
// (1..128 bytes of UTF-8 without control characters; ErrInvalidRequest
// otherwise) and does not create any state until the first input.
func (e *Engine) Thing(name string) (*Thing, error) {
	if err := checkThing("Thing", name); err != nil {
		return nil, err
	}
	t := &Thing{e: e}
	e.plane.InitHandle(&t.h, name)
	return t, nil
}

// Name returns the thing's name.
func (t *Thing) Name() string { return t.h.Name() }

// IngestMessage is Engine.IngestMessage for this thing; m.Thing is ignored.
func (t *Thing) IngestMessage(ctx context.Context, m Message) error {
	m.Thing = t.h.Name()
	return t.e.ingestMessage(ctx, &t.h, &m)
}

// IngestAuthorizationFailure is Engine.IngestAuthorizationFailure for this
// thing; f.Thing is ignored.
func (t *Thing) IngestAuthorizationFailure(ctx context.Context, f AuthorizationFailure) error {
	f.Thing = t.h.Name()
	return t.e.ingestAuthorizationFailure(ctx, &t.h, &f)
}

// IngestConnect is Engine.IngestConnect for this thing; c.Thing is ignored.
func (t *Thing) IngestConnect(ctx context.Context, c Connect) error {
	c.Thing = t.h.Name()
	return t.e.ingestConnect(ctx, &t.h, &c)
}

// IngestDisconnect is Engine.IngestDisconnect for this thing; d.Thing is
// ignored.
func (t *Thing) IngestDisconnect(ctx context.Context, d Disconnect) error {
	d.Thing = t.h.Name()
	return t.e.ingestDisconnect(ctx, &t.h, &d)
}

// IngestReport is Engine.IngestReport for this thing.
func (t *Thing) IngestReport(ctx context.Context, at time.Time, format ReportFormat, data []byte) (IngestResult, error) {
	return t.e.ingestReport(ctx, &t.h, t.h.Name(), at, format, data)
}
