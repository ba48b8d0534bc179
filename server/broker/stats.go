package broker

import (
	"errors"
	"sync/atomic"

	"github.com/ruledetect/ruledetect"
)

// Stats is a snapshot of a Broker's counters since New. Its fields carry no
// thing names, so a service can export them as metrics as they are.
type Stats struct {
	// Inputs counts the inputs the engine applied, by kind.
	Inputs Inputs
	// Rejected counts the inputs the engine refused, by reason.
	Rejected Rejected
	// FailedConnects counts the connection attempts the broker refused, by
	// reason.
	FailedConnects FailedConnects
	// Denied counts the actions the ACL refused (each is also an
	// authorization-failure input).
	Denied Denied
	// ReplyErrors counts report replies the broker could not publish.
	ReplyErrors uint64
}

// Inputs counts applied inputs by kind.
type Inputs struct {
	Connects uint64
	// FailedConnects are refused connection attempts of valid client ids,
	// ingested as failed connects (aws:num-connection-attempts only).
	FailedConnects        uint64
	Disconnects           uint64
	MessagesSent          uint64 // PUBLISH packets from a device
	MessagesReceived      uint64 // PUBLISH packets written to a device
	AuthorizationFailures uint64
	Reports               uint64 // metrics reports, each answered on …/accepted
}

// Rejected counts refused inputs by the engine's reason.
type Rejected struct {
	// MalformedReport counts reports refused as malformed (answered on
	// …/rejected with "Malformed metrics report").
	MalformedReport uint64
	// Late and ClockJump count inputs outside the engine's time bounds
	// (ruledetect.ErrLateInput, ruledetect.ErrClockJump).
	Late      uint64
	ClockJump uint64
	// Invalid counts other invalid inputs (ruledetect.ErrInvalidRequest):
	// a report for a thing name the service refuses, or an authorization
	// failure on a wildcard filter, which the engine does not take.
	Invalid uint64
	// Other counts rejections of any other kind.
	Other uint64
}

// FailedConnects counts refused connection attempts by reason.
type FailedConnects struct {
	// BadCredentials: an unknown thing or a wrong password.
	BadCredentials uint64
	// WrongUsername: a username that is not the client id, that is, an
	// attempt to use one thing's credentials for another.
	WrongUsername uint64
	// InvalidClientID: an empty client id, one that is not a valid thing
	// name, or one with '/', '+' or '#'.
	InvalidClientID uint64
	// WillDenied: a will message on a topic the ACL does not let the
	// thing publish to (also counted in Denied.Publish).
	WillDenied uint64
}

// Denied counts authorization failures by action.
type Denied struct {
	Publish   uint64
	Subscribe uint64 // subscriptions and deliveries the ACL refused
}

// counters are the live, atomic form of Stats.
type counters struct {
	connects, failedConnects, disconnects, sent, received, authFailures, reports atomic.Uint64
	malformed, late, clockJump, invalid, other                                   atomic.Uint64
	badCredentials, wrongUsername, invalidClientID, willDenied                   atomic.Uint64
	deniedPublish, deniedSubscribe                                               atomic.Uint64
	replyErrors                                                                  atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Inputs: Inputs{
			Connects: c.connects.Load(), FailedConnects: c.failedConnects.Load(), Disconnects: c.disconnects.Load(),
			MessagesSent: c.sent.Load(), MessagesReceived: c.received.Load(),
			AuthorizationFailures: c.authFailures.Load(), Reports: c.reports.Load(),
		},
		Rejected: Rejected{
			MalformedReport: c.malformed.Load(), Late: c.late.Load(), ClockJump: c.clockJump.Load(),
			Invalid: c.invalid.Load(), Other: c.other.Load(),
		},
		FailedConnects: FailedConnects{
			BadCredentials: c.badCredentials.Load(), WrongUsername: c.wrongUsername.Load(),
			InvalidClientID: c.invalidClientID.Load(), WillDenied: c.willDenied.Load(),
		},
		Denied:      Denied{Publish: c.deniedPublish.Load(), Subscribe: c.deniedSubscribe.Load()},
		ReplyErrors: c.replyErrors.Load(),
	}
}

// count adds one to applied when err is nil, else to the rejection counter
// of err's kind.
func (c *counters) count(applied *atomic.Uint64, err error) {
	switch {
	case err == nil:
		applied.Add(1)
	case errors.Is(err, ruledetect.ErrMalformedReport):
		c.malformed.Add(1)
	case errors.Is(err, ruledetect.ErrLateInput):
		c.late.Add(1)
	case errors.Is(err, ruledetect.ErrClockJump):
		c.clockJump.Add(1)
	case errors.Is(err, ruledetect.ErrInvalidRequest):
		c.invalid.Add(1)
	default:
		c.other.Add(1)
	}
}
