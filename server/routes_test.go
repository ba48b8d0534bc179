package server

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// detectModel is testdata/iot-detect-model.json, extracted from botocore's
// AWS IoT service model by testdata/extract_model.py.
type detectModel struct {
	Operations map[string]struct {
		Method     string            `json:"method"`
		RequestURI string            `json:"requestUri"`
		Input      map[string]string `json:"input"`
		Errors     []string          `json:"errors"`
	} `json:"operations"`
	Errors map[string]int `json:"errors"`
}

func loadModel(t *testing.T) detectModel {
	t.Helper()
	data, err := os.ReadFile("testdata/iot-detect-model.json")
	require.NoError(t, err)
	var m detectModel
	require.NoError(t, json.Unmarshal(data, &m))
	require.NotEmpty(t, m.Operations)
	return m
}

// TestRoutesMatchModel: the route table binds every Detect operation of
// the model, once, with the model's method and request URI.
func TestRoutesMatchModel(t *testing.T) {
	m := loadModel(t)
	seen := map[string]bool{}
	for _, op := range operations {
		assert.False(t, seen[op.name], "%s routed twice", op.name)
		seen[op.name] = true
		want, ok := m.Operations[op.name]
		if !assert.True(t, ok, "%s is not a Detect operation of the model", op.name) {
			continue
		}
		assert.Equal(t, want.Method, op.method, op.name)
		assert.Equal(t, want.RequestURI, op.path, op.name)
	}
	for name := range m.Operations {
		assert.True(t, seen[name], "model operation %s has no route", name)
	}
}

// TestHandlersBindEveryMember: each URI and querystring member of each
// operation is read by the handlers (a forgotten filter would otherwise be
// silently ignored).
func TestHandlersBindEveryMember(t *testing.T) {
	m := loadModel(t)
	src, err := os.ReadFile("awsapi.go")
	require.NoError(t, err)
	for name, op := range m.Operations {
		for member, loc := range op.Input {
			where, locName, ok := strings.Cut(loc, ":")
			if !ok {
				continue // a body member: the Engine's input types carry its JSON name
			}
			re := regexp.MustCompile(`q\.(path|str|int|int64Ptr|boolPtr|time|required)\("` + regexp.QuoteMeta(locName) + `"\)`)
			assert.True(t, re.Match(src), "%s: %s member %s (%s) is never read", name, where, member, locName)
		}
	}
}

// TestErrorStatusesMatchModel: the HTTP status of each error shape the
// server writes is the model's.
func TestErrorStatusesMatchModel(t *testing.T) {
	m := loadModel(t)
	for _, k := range errorKinds {
		status, ok := m.Errors[k.code]
		require.True(t, ok, k.code)
		assert.Equal(t, status, k.status, k.code)
	}
	assert.Equal(t, 500, m.Errors[internalFailure])
}
