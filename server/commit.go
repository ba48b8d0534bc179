package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Call is one control-plane operation that changes state, as the server
// received it once authenticated: the operation's name, its URI members,
// its raw query string and its body. A durable log (Config.Commit) stores
// Calls and gives them back to Apply, in order, when it replays.
type Call struct {
	// Operation is the IoT model's operation name (CreateSecurityProfile).
	Operation string `json:"op"`
	// PathValues are the URI members of the operation's path ({name} → value).
	PathValues map[string]string `json:"path,omitempty"`
	// Query is the raw query string (expectedVersion=3).
	Query string `json:"query,omitempty"`
	// Body is the request body as received.
	Body []byte `json:"body,omitempty"`
}

// ErrUnavailable is what Config.Commit wraps when the log cannot take a
// Call (not yet recovered, or failed): the request is answered with the
// model's ServiceUnavailableException (HTTP 503) and nothing changed, so
// the client may retry.
var ErrUnavailable = errors.New("service unavailable")

// mutating lists the operations that change the Engine's state: with
// Config.Commit set, these go through the log before they are applied; the
// others (Describe, List, Validate) read the Engine directly. Every
// operation of the route table is in exactly one of mutating and reading
// (commit_test.go checks it), so a new operation cannot bypass the log
// unnoticed.
var mutating = map[string]bool{
	"CreateDimension": true, "UpdateDimension": true, "DeleteDimension": true,
	"CreateCustomMetric": true, "UpdateCustomMetric": true, "DeleteCustomMetric": true,
	"CreateSecurityProfile": true, "UpdateSecurityProfile": true, "DeleteSecurityProfile": true,
	"AttachSecurityProfile": true, "DetachSecurityProfile": true,
	"PutVerificationStateOnViolation": true,
	"AddThingToThingGroup":            true, "RemoveThingFromThingGroup": true, "UpdateThingGroupsForThing": true,
}

// reading lists the operations that only read the Engine.
var reading = map[string]bool{
	"DescribeDimension": true, "ListDimensions": true,
	"DescribeCustomMetric": true, "ListCustomMetrics": true,
	"DescribeSecurityProfile": true, "ListSecurityProfiles": true, "ValidateSecurityProfileBehaviors": true,
	"ListTargetsForSecurityProfile": true, "ListSecurityProfilesForTarget": true,
	"ListActiveViolations": true, "ListViolationEvents": true, "ListMetricValues": true,
}

// operationByName indexes the route table.
var operationByName = func() map[string]operation {
	m := make(map[string]operation, len(operations))
	for _, op := range operations {
		m[op.name] = op
	}
	return m
}()

// pathLabels returns the {label} names of a route path.
func pathLabels(path string) []string {
	var labels []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			labels = append(labels, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
		}
	}
	return labels
}

// callOf is the Call of an authenticated request for op.
func callOf(op operation, q *apiRequest) Call {
	c := Call{Operation: op.name, Query: q.r.URL.RawQuery, Body: q.body}
	for _, l := range pathLabels(op.path) {
		if c.PathValues == nil {
			c.PathValues = map[string]string{}
		}
		c.PathValues[l] = q.r.PathValue(l)
	}
	return c
}

// Apply runs a Call against the Engine and returns the operation's response
// (or its error, in the shape the HTTP API writes). It is what Config.Commit
// calls once the Call is durable, and what a replay calls for each logged
// Call; the caller must apply Calls one at a time, in the log's order.
func (s *Server) Apply(ctx context.Context, c Call) (any, error) {
	op, ok := operationByName[c.Operation]
	if !ok || !mutating[c.Operation] {
		return nil, invalidRequest(fmt.Sprintf("operation %q is not a state-changing operation of the server", c.Operation))
	}
	query, err := url.ParseQuery(c.Query)
	if err != nil {
		return nil, invalidRequest(fmt.Sprintf("query %q: %v", c.Query, err))
	}
	r, err := http.NewRequestWithContext(ctx, op.method, "/", nil)
	if err != nil {
		return nil, err
	}
	r.URL.RawQuery = c.Query
	for _, l := range pathLabels(op.path) {
		r.SetPathValue(l, c.PathValues[l])
	}
	return op.handle(s, &apiRequest{r: r, query: query, body: c.Body})
}

// run runs op for an authenticated request: through Config.Commit when the
// operation changes state and a log is configured, directly otherwise.
func (s *Server) run(op operation, q *apiRequest) (any, error) {
	if s.cfg.Commit == nil || !mutating[op.name] {
		return op.handle(s, q)
	}
	return s.cfg.Commit(q.r.Context(), callOf(op, q))
}
