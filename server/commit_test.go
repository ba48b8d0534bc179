package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryOperationIsMutatingOrReading: a new operation must be classified,
// or it would change state without going through the log.
func TestEveryOperationIsMutatingOrReading(t *testing.T) {
	for _, op := range operations {
		assert.True(t, mutating[op.name] != reading[op.name], "%s must be in exactly one of mutating and reading", op.name)
	}
	assert.Len(t, operations, len(mutating)+len(reading))
}

// TestCommitThenApply: with Config.Commit, a state-changing request reaches
// the Engine only through Commit, whose Apply result is the response; a
// Commit failure with ErrUnavailable is a 503 and changes nothing.
func TestCommitThenApply(t *testing.T) {
	var calls []Call
	var s *Server
	fail := false
	s, err := New(Config{Credentials: map[string]string{"AKID": "secret"}, Commit: func(ctx context.Context, c Call) (any, error) {
		if fail {
			return nil, errors.Join(ErrUnavailable, errors.New("log down"))
		}
		calls = append(calls, c)
		return s.Apply(ctx, c)
	}})
	require.NoError(t, err)
	do := func(method, target, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		signRequest(r, []byte(body), "AKID", "secret", "us-east-1", time.Now())
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		return w
	}
	w := do("POST", "/dimensions/TopicFilterForAuthMessages", `{"type":"TOPIC_FILTER","stringValues":["device/+/auth"]}`)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"arn":"arn:aws:iot:us-east-1:123456789012:dimension/TopicFilterForAuthMessages"`)
	require.Len(t, calls, 1)
	assert.Equal(t, "CreateDimension", calls[0].Operation)
	assert.Equal(t, map[string]string{"name": "TopicFilterForAuthMessages"}, calls[0].PathValues)

	w = do("GET", "/dimensions/TopicFilterForAuthMessages", "")
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Len(t, calls, 1, "a read does not go through the log")

	// The engine's validation error is the response of the applied Call.
	w = do("DELETE", "/security-profiles/nope?expectedVersion=x", "")
	assert.Equal(t, 400, w.Code)
	assert.Len(t, calls, 2)

	fail = true
	w = do("DELETE", "/dimensions/TopicFilterForAuthMessages", "")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "ServiceUnavailableException", w.Header().Get("X-Amzn-ErrorType"))
	_, err = s.Engine().DescribeDimension(context.Background(), "TopicFilterForAuthMessages")
	assert.NoError(t, err, "a refused Call changed nothing")

	_, err = s.Apply(context.Background(), Call{Operation: "ListDimensions"})
	assert.Error(t, err, "Apply takes state-changing operations only")
}
