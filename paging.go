package ruledetect

import (
	"regexp"
	"slices"

	"github.com/ruledetect/ruledetect/internal/echo"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/pagetoken"
	"github.com/ruledetect/ruledetect/violation"
)

// DefaultMaxResults is the page size of a listing called without maxResults.
// The service model documents no default; 250, its maximum, makes an unpaged
// call return as much as one page can.
const DefaultMaxResults = violation.DefaultMaxResults

// checkName validates a resource name of the service's Name shapes: 1..128
// characters of [a-zA-Z0-9:_-].
func checkName(op, field, name string) error {
	if !behavior.ValidName(name) {
		return newError(op, ErrInvalidRequest, name, "%s %s must be 1..128 characters of [a-zA-Z0-9:_-]", field, echo.Quote(name))
	}
	return nil
}

// clientTokenPattern is the model's ClientRequestToken pattern.
var clientTokenPattern = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)

func checkClientToken(op, resource, token string) error {
	if token == "" {
		return nil // the SDKs fill it in; without one, a create is not idempotent
	}
	if len(token) > 64 || !clientTokenPattern.MatchString(token) {
		return newError(op, ErrInvalidRequest, resource, "clientRequestToken must be 1..64 characters of [a-zA-Z0-9-_]")
	}
	return nil
}

// checkMaxResults validates maxResults (0 means the default).
func checkMaxResults(op string, n int) (int, error) {
	switch {
	case n == 0:
		return DefaultMaxResults, nil
	case n < 1 || n > violation.MaxResults:
		return 0, newError(op, ErrInvalidRequest, "", "maxResults %d should be in range[1,250]", n)
	}
	return n, nil
}

// pageNames returns one page of sorted, distinct names after the position
// in token, and the token of the next page ("" on the last). A keyset cursor
// (the last name returned) keeps paging stable while names are added or
// removed: every name present for the whole listing is returned exactly once.
func pageNames(op string, names []string, token string, maxResults int, filters ...string) ([]string, string, error) {
	max, err := checkMaxResults(op, maxResults)
	if err != nil {
		return nil, "", err
	}
	scope := pagetoken.NewScope(op, filters...)
	start := 0
	if token != "" {
		c, err := pagetoken.Decode(token, scope)
		if err != nil {
			return nil, "", &Error{Op: op, Kind: ErrInvalidRequest, Message: err.Error(), Cause: err}
		}
		start, _ = slices.BinarySearch(names, c.Key)
		if start < len(names) && names[start] == c.Key {
			start++
		}
	}
	end := min(start+max, len(names))
	page := names[start:end]
	if end == len(names) {
		return page, "", nil
	}
	next, err := pagetoken.Encode(scope, pagetoken.Cursor{Key: page[len(page)-1]})
	if err != nil {
		return nil, "", &Error{Op: op, Kind: ErrInvalidRequest, Message: err.Error(), Cause: err}
	}
	return page, next, nil
}

// errNotFound is a ResourceNotFound error for a named resource.
func errNotFound(op, kind, name string) error {
	return newError(op, ErrResourceNotFound, name, "%s %s does not exist", kind, echo.Name(name))
}
