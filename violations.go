package ruledetect

import (
	"context"
	"errors"
	"iter"

	"github.com/ruledetect/ruledetect/violation"
)

// violationKey names the subject of a violation: thing, profile, behavior.
type violationKey = violation.Key

// The violation listing shapes are the violation package's; they are
// aliased here so that code written against the AWS operations reads
// ruledetect.ListActiveViolationsInput.
type (
	// ViolationEvent is the model's ViolationEvent.
	ViolationEvent = violation.Event
	// ActiveViolation is the model's ActiveViolation.
	ActiveViolation = violation.ActiveViolation
	// ViolationFilter holds the filters both violation listings take.
	ViolationFilter = violation.Filter
	// ListActiveViolationsInput is the model's ListActiveViolationsRequest.
	ListActiveViolationsInput = violation.ListActiveViolationsInput
	// ListActiveViolationsOutput is the model's ListActiveViolationsResponse.
	ListActiveViolationsOutput = violation.ListActiveViolationsOutput
	// ListViolationEventsInput is the model's ListViolationEventsRequest.
	ListViolationEventsInput = violation.ListViolationEventsInput
	// ListViolationEventsOutput is the model's ListViolationEventsResponse.
	ListViolationEventsOutput = violation.ListViolationEventsOutput
	// VerificationState is the model's VerificationState enum.
	VerificationState = violation.VerificationState
)

// PutVerificationStateOnViolationInput is the model's
// PutVerificationStateOnViolationRequest.
type PutVerificationStateOnViolationInput struct {
	ViolationID                  string            `json:"violationId"`
	VerificationState            VerificationState `json:"verificationState"`
	VerificationStateDescription *string           `json:"verificationStateDescription,omitzero"`
}

// ListActiveViolations returns one page of the active violations that match
// in's filters, by violationStartTime. It waits for no ingest: it takes only
// the violation log's lock (after a period close that an input left to the
// background, whose results it shows). Errors match ErrInvalidRequest (a bad filter,
// maxResults outside 1..250, or a nextToken from another listing). A call
// whose ctx is already done returns ctx.Err().
func (e *Engine) ListActiveViolations(ctx context.Context, in ListActiveViolationsInput) (ListActiveViolationsOutput, error) {
	if err := ctx.Err(); err != nil {
		return ListActiveViolationsOutput{}, err
	}
	e.plane.AwaitClose()
	out, err := e.log.ListActiveViolations(in)
	return out, violationError("ListActiveViolations", err)
}

// ListViolationEvents returns one page of the violation events with
// startTime <= violationEventTime <= endTime that match in's filters, by
// time. Events older than the retention (30 days of event time by default)
// are gone. Errors, and ctx, are as for ListActiveViolations.
func (e *Engine) ListViolationEvents(ctx context.Context, in ListViolationEventsInput) (ListViolationEventsOutput, error) {
	if err := ctx.Err(); err != nil {
		return ListViolationEventsOutput{}, err
	}
	e.plane.AwaitClose()
	out, err := e.log.ListViolationEvents(in)
	return out, violationError("ListViolationEvents", err)
}

// ActiveViolations returns every active violation that matches in, walking
// ListActiveViolations's pages from in.NextToken on (in.MaxResults sets the
// page size). ctx is checked before each page: once it is done, ctx.Err()
// is yielded. An error is yielded once and ends the sequence.
func (e *Engine) ActiveViolations(ctx context.Context, in ListActiveViolationsInput) iter.Seq2[ActiveViolation, error] {
	return walk(ctx, in.NextToken, func(ctx context.Context, token string) ([]ActiveViolation, string, error) {
		in.NextToken = token
		out, err := e.ListActiveViolations(ctx, in)
		return out.ActiveViolations, out.NextToken, err
	})
}

// ViolationEvents returns every violation event that matches in, walking
// ListViolationEvents's pages as ActiveViolations does.
func (e *Engine) ViolationEvents(ctx context.Context, in ListViolationEventsInput) iter.Seq2[ViolationEvent, error] {
	return walk(ctx, in.NextToken, func(ctx context.Context, token string) ([]ViolationEvent, string, error) {
		in.NextToken = token
		out, err := e.ListViolationEvents(ctx, in)
		return out.ViolationEvents, out.NextToken, err
	})
}

// PutVerificationStateOnViolation sets the verification state (and its
// description) of a violation, on the active violation and on all its
// events, so that a listing of either shows the same state. A violation the
// engine does not hold is ErrResourceNotFound; a malformed id, state or
// description is ErrInvalidRequest; a call whose ctx is already done returns
// ctx.Err(). A rejected call changes nothing.
func (e *Engine) PutVerificationStateOnViolation(ctx context.Context, in PutVerificationStateOnViolationInput) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.plane.AwaitClose() // the violation may be one a background close is raising
	err := e.log.PutVerificationState(in.ViolationID, in.VerificationState, in.VerificationStateDescription)
	return violationError("PutVerificationStateOnViolation", err)
}

// violationError maps an error of the violation package onto the Engine's
// kinds, keeping it as the cause so its field and message stay reachable.
func violationError(op string, err error) error {
	if err == nil {
		return nil
	}
	kind := ErrInvalidRequest
	if errors.Is(err, violation.ErrNotFound) {
		kind = ErrResourceNotFound
	}
	var ve *violation.Error
	msg := err.Error()
	if errors.As(err, &ve) {
		msg = ve.Message
	}
	return &Error{Op: op, Kind: kind, Message: msg, Cause: err}
}
