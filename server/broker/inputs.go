package broker

import (
	"context"
	"time"

	"github.com/ruledetect/ruledetect"
)

// Ingester receives the broker's inputs, each stamped at receipt.
// *ruledetect.Engine satisfies it; a durable log (package server/durable)
// implements it to append each input before it is applied. Every call
// names its thing in the input.
type Ingester interface {
	IngestMessage(context.Context, ruledetect.Message) error
	IngestConnect(context.Context, ruledetect.Connect) error
	IngestDisconnect(context.Context, ruledetect.Disconnect) error
	IngestAuthorizationFailure(context.Context, ruledetect.AuthorizationFailure) error
	IngestReport(ctx context.Context, thing string, at time.Time, format ruledetect.ReportFormat, data []byte) (ruledetect.IngestResult, error)
}

var _ Ingester = (*ruledetect.Engine)(nil)

// inputCtx is the context of the hook's inputs. MQTT hooks carry none, and
// an input is applied as it arrives; its wait for room in the engine's
// delivery queue is bounded by the DeliveryPolicy's Wait.
var inputCtx = context.Background()

// The hook's inputs go to Config.Ingester when set, else to the thing's
// handle (which skips the Engine's name lookup).

func (h *hook) message(c *conn, m ruledetect.Message) error {
	if h.in == nil {
		return c.thing.IngestMessage(inputCtx, m)
	}
	m.Thing = c.thing.Name()
	return h.in.IngestMessage(inputCtx, m)
}

func (h *hook) authorizationFailure(c *conn, f ruledetect.AuthorizationFailure) error {
	if h.in == nil {
		return c.thing.IngestAuthorizationFailure(inputCtx, f)
	}
	f.Thing = c.thing.Name()
	return h.in.IngestAuthorizationFailure(inputCtx, f)
}

func (h *hook) connect(c *conn, k ruledetect.Connect) error {
	if h.in == nil {
		return c.thing.IngestConnect(inputCtx, k)
	}
	k.Thing = c.thing.Name()
	return h.in.IngestConnect(inputCtx, k)
}

func (h *hook) disconnected(c *conn, d ruledetect.Disconnect) error {
	if h.in == nil {
		return c.thing.IngestDisconnect(inputCtx, d)
	}
	d.Thing = c.thing.Name()
	return h.in.IngestDisconnect(inputCtx, d)
}

// failedConnect applies a refused attempt, which has no handle.
func (h *hook) failedConnect(k ruledetect.Connect) error {
	if h.in == nil {
		return h.e.IngestConnect(inputCtx, k)
	}
	return h.in.IngestConnect(inputCtx, k)
}

func (h *hook) ingestReport(c *conn, thing string, at time.Time, format ruledetect.ReportFormat, data []byte) (ruledetect.IngestResult, error) {
	switch {
	case h.in != nil:
		return h.in.IngestReport(inputCtx, thing, at, format, data)
	case thing == c.thing.Name():
		return c.thing.IngestReport(inputCtx, at, format, data)
	default:
		return h.e.IngestReport(inputCtx, thing, at, format, data) // on behalf of another thing, as the ACL allowed
	}
}
