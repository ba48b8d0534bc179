package ruledetect

import (
	"errors"
	"fmt"

	"github.com/ruledetect/ruledetect/internal/echo"
)

// The error kinds of the service model. Every error the Engine returns wraps
// exactly one of them, so callers branch with errors.Is.
var (
	// ErrInvalidRequest: the input is malformed or breaks a rule of the model.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrResourceNotFound: the named dimension, custom metric, profile or
	// violation does not exist.
	ErrResourceNotFound = errors.New("resource not found")
	// ErrResourceAlreadyExists: a create names an existing resource with
	// different parameters (or a dimension with another clientRequestToken).
	ErrResourceAlreadyExists = errors.New("resource already exists")
	// ErrVersionConflict: expectedVersion does not match the current version.
	ErrVersionConflict = errors.New("version conflict")
	// ErrLimitExceeded: a service quota (10 dimensions, 100 custom metrics,
	// 5 profiles per target, …) would be exceeded.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrLateInput: an input is older than the end of the newest closed
	// evaluation period: that period's datapoints are already judged, and
	// evaluation runs on event time only. It is counted, never applied.
	ErrLateInput = errors.New("input older than the newest closed evaluation period")
	// ErrClockJump: an input is further ahead of the watermark than the
	// engine allows (WithMaxClockJump). It is counted, never applied.
	ErrClockJump = errors.New("input too far ahead of the watermark")
	// ErrMalformedReport: a device metrics report is structurally malformed;
	// the service answers "Malformed metrics report". Nothing of it is applied.
	ErrMalformedReport = errors.New("Malformed metrics report")
	// ErrReportTooLarge: a device metrics report is larger than the
	// engine's maximum report size (WithMaxReportSize). It is rejected
	// before it is decoded, and counted; nothing of it is applied.
	ErrReportTooLarge = errors.New("report too large")
	// ErrInvalidSnapshot: data given to RestoreSnapshot is not a snapshot
	// WriteSnapshot wrote in this format version, or it is truncated,
	// corrupt or inconsistent. Nothing of it is used.
	ErrInvalidSnapshot = errors.New("invalid engine snapshot")
)

// Error is the error the Engine returns: the operation, the kind (one of the
// Err* values above), the resource it concerns and a message in the service's
// words. Cause, when set, is the underlying error (a decode or validation error).
type Error struct {
	Op       string // the AWS operation name, e.g. "UpdateSecurityProfile"
	Kind     error  // ErrInvalidRequest, ErrResourceNotFound, …
	Resource string // the resource name or ARN, when there is one
	Message  string
	Cause    error
}

// Error returns "Op: Message (resource R)". R is the resource as given when
// it is a plain name, else quoted with control characters escaped and cut to
// 128 bytes, so that no input makes an error text long or multi-line.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Kind != nil {
		msg = e.Kind.Error()
	}
	if e.Resource != "" {
		return fmt.Sprintf("%s: %s (resource %s)", e.Op, msg, echo.Name(e.Resource))
	}
	return fmt.Sprintf("%s: %s", e.Op, msg)
}

// Is reports whether target is the error's kind, so that errors.Is
// matches ErrInvalidRequest, say; the cause is matched through Unwrap.
// Neither allocates: a refused input, which a device with a broken clock
// sends again and again, costs no more than it must.
func (e *Error) Is(target error) bool { return e.Kind != nil && errors.Is(e.Kind, target) }

// Unwrap returns the cause, when set, so that errors.Is and errors.As
// match it too (behavior.ErrMalformed, say).
func (e *Error) Unwrap() error { return e.Cause }

func newError(op string, kind error, resource, format string, args ...any) *Error {
	return &Error{Op: op, Kind: kind, Resource: resource, Message: fmt.Sprintf(format, args...)}
}
