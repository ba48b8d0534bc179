package broker

import (
	"time"

	"github.com/ruledetect/ruledetect"
)

// Ingester receives the broker's inputs, each stamped at receipt.
// *ruledetect.Engine satisfies it; a durable log (package server/durable)
// implements it to append each input before it is applied. Every call
// names its thing in the input.
type Ingester interface {
	IngestMessage(ruledetect.Message) error
	IngestConnect(ruledetect.Connect) error
	IngestDisconnect(ruledetect.Disconnect) error
	IngestAuthorizationFailure(ruledetect.AuthorizationFailure) error
	IngestReport(thing string, at time.Time, format ruledetect.ReportFormat, data []byte) (ruledetect.IngestResult, error)
}

var _ Ingester = (*ruledetect.Engine)(nil)

// The hook's inputs go to Config.Ingester when set, else to the thing's
// handle (which skips the Engine's name lookup).

func (h *hook) message(c *conn, m ruledetect.Message) error {
	if h.in == nil {
		return c.thing.IngestMessage(m)
	}
	m.Thing = c.thing.Name()
	return h.in.IngestMessage(m)
}

func (h *hook) authorizationFailure(c *conn, f ruledetect.AuthorizationFailure) error {
	if h.in == nil {
		return c.thing.IngestAuthorizationFailure(f)
	}
	f.Thing = c.thing.Name()
	return h.in.IngestAuthorizationFailure(f)
}

func (h *hook) connect(c *conn, k ruledetect.Connect) error {
	if h.in == nil {
		return c.thing.IngestConnect(k)
	}
	k.Thing = c.thing.Name()
	return h.in.IngestConnect(k)
}

func (h *hook) disconnected(c *conn, d ruledetect.Disconnect) error {
	if h.in == nil {
		return c.thing.IngestDisconnect(d)
	}
	d.Thing = c.thing.Name()
	return h.in.IngestDisconnect(d)
}

// failedConnect applies a refused attempt, which has no handle.
func (h *hook) failedConnect(k ruledetect.Connect) error {
	if h.in == nil {
		return h.e.IngestConnect(k)
	}
	return h.in.IngestConnect(k)
}

func (h *hook) ingestReport(c *conn, thing string, at time.Time, format ruledetect.ReportFormat, data []byte) (ruledetect.IngestResult, error) {
	switch {
	case h.in != nil:
		return h.in.IngestReport(thing, at, format, data)
	case thing == c.thing.Name():
		return c.thing.IngestReport(at, format, data)
	default:
		return h.e.IngestReport(thing, at, format, data) // on behalf of another thing, as the ACL allowed
	}
}
