package server

import (
	"errors"
	"net/http"

	"github.com/ruledetect/ruledetect"
)

// apiError is an error as the AWS REST-JSON protocol carries it: an HTTP
// status, the error shape's name in the x-amzn-ErrorType header (the SDKs
// map it to their exception classes) and a body {"message": "…"}.
type apiError struct {
	status     int
	code       string // the model's error shape name, e.g. "ResourceNotFoundException"
	message    string
	resourceID string // ResourceAlreadyExistsException's resourceId, when known
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// errorKinds maps the Engine's error kinds onto the IoT model's error
// shapes; each status is the shape's httpStatusCode in service-2.json
// (routes_test.go checks them against the model).
var errorKinds = []struct {
	kind   error
	code   string
	status int
}{
	{ruledetect.ErrInvalidRequest, "InvalidRequestException", http.StatusBadRequest},
	{ruledetect.ErrResourceNotFound, "ResourceNotFoundException", http.StatusNotFound},
	{ruledetect.ErrResourceAlreadyExists, "ResourceAlreadyExistsException", http.StatusConflict},
	{ruledetect.ErrVersionConflict, "VersionConflictException", http.StatusConflict},
	{ruledetect.ErrLimitExceeded, "LimitExceededException", http.StatusGone},
}

// internalFailure is the model's InternalFailureException (HTTP 500).
const internalFailure = "InternalFailureException"

// toAPIError turns an error of the Engine into the model's error shape. An
// error of no known kind is an InternalFailureException whose message does
// not leak internals; the caller logs the original.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	msg := err.Error()
	var ee *ruledetect.Error
	if errors.As(err, &ee) && ee.Message != "" {
		msg = ee.Message
	}
	if errors.Is(err, ErrUnavailable) {
		// The IoT model's ServiceUnavailableException (503): retryable.
		return &apiError{status: http.StatusServiceUnavailable, code: "ServiceUnavailableException", message: msg}
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.kind) {
			out := &apiError{status: k.status, code: k.code, message: msg}
			if k.code == "ResourceAlreadyExistsException" && ee != nil {
				out.resourceID = ee.Resource
			}
			return out
		}
	}
	return &apiError{status: http.StatusInternalServerError, code: internalFailure, message: "An unexpected error has occurred."}
}

// invalidRequest is an InvalidRequestException for a malformed HTTP request
// (a bad query parameter or body) that never reached the Engine.
func invalidRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidRequestException", message: msg}
}

// The authentication errors, as AWS's front end returns them: every one is
// HTTP 403 so that no detail of a key's existence leaks through the status.
func authError(status int, code, msg string) *apiError {
	return &apiError{status: status, code: code, message: msg}
}

func errMissingToken() *apiError {
	return authError(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
}

func errUnrecognizedClient() *apiError {
	return authError(http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
}

func errSignatureMismatch() *apiError {
	return authError(http.StatusForbidden, "InvalidSignatureException",
		"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

func errIncomplete(msg string) *apiError {
	return authError(http.StatusForbidden, "IncompleteSignatureException", msg)
}

// errorBody is the JSON body of an error response.
type errorBody struct {
	Message    string `json:"message"`
	ResourceID string `json:"resourceId,omitzero"`
}
