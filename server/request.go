package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
)

// apiRequest is an authenticated request on its way to an operation: the
// HTTP request, its query and the body already read (it was hashed for the
// signature).
type apiRequest struct {
	r     *http.Request
	query url.Values
	body  []byte
}

// path returns the URI member bound to {name}, percent-decoded.
func (q *apiRequest) path(name string) string { return q.r.PathValue(name) }

// str returns a querystring member ("" when absent).
func (q *apiRequest) str(name string) string { return q.query.Get(name) }

// required returns a querystring member the model requires.
func (q *apiRequest) required(name string) (string, error) {
	v := q.query.Get(name)
	if v == "" {
		return "", invalidRequest(fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name))
	}
	return v, nil
}

// int returns an integer querystring member (0 when absent).
func (q *apiRequest) int(name string) (int, error) {
	v := q.query.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalidRequest(fmt.Sprintf("%s: %q is not an integer", name, v))
	}
	return n, nil
}

// int64Ptr returns a long querystring member, nil when absent.
func (q *apiRequest) int64Ptr(name string) (*int64, error) {
	v := q.query.Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, invalidRequest(fmt.Sprintf("%s: %q is not an integer", name, v))
	}
	return &n, nil
}

// boolPtr returns a boolean querystring member, nil when absent.
func (q *apiRequest) boolPtr(name string) (*bool, error) {
	v := q.query.Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, invalidRequest(fmt.Sprintf("%s: %q is not a boolean", name, v))
	}
	return &b, nil
}

// time returns a timestamp querystring member. REST-JSON sends ISO 8601
// (botocore: 2015-08-30T12:36:00Z, with fractional seconds when there
// are any); epoch seconds are accepted too.
func (q *apiRequest) time(name string) (time.Time, error) {
	v, err := q.required(name)
	if err != nil {
		return time.Time{}, err
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, invalidRequest(fmt.Sprintf("%s: %q is not an ISO 8601 timestamp", name, v))
}

// decode reads the JSON body into v, refusing unknown members. An empty
// body is an empty object.
func (q *apiRequest) decode(v any) error {
	body := q.body
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v, json.RejectUnknownMembers(true)); err != nil {
		return invalidRequest("request body: " + err.Error())
	}
	return nil
}

// bodyOrEmpty is the body, or {} when there is none.
func (q *apiRequest) bodyOrEmpty() []byte {
	if len(q.body) == 0 {
		return []byte("{}")
	}
	return q.body
}
