package dimension

import (
	"errors"
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"strconv"
)

// Operator is a MetricDimension operator: whether a message counts when its
// topic matches one of the dimension's filters (In) or when it matches none
// (NotIn). The zero value is In, because the service reads an absent operator
// as IN.
type Operator uint8

// The operators of the service model's DimensionValueOperator enum.
const (
	In    Operator = iota // "IN": the topic matches at least one filter
	NotIn                 // "NOT_IN": the topic matches no filter
)

// ErrInvalidOperator is returned by [ParseOperator] for a string that is not
// a DimensionValueOperator.
var ErrInvalidOperator = errors.New("dimension: invalid operator")

// ParseOperator parses the service's spelling of an operator: "IN" or
// "NOT_IN", case-sensitive as in the service model. The empty string, an
// absent operator, is In.
func ParseOperator(s string) (Operator, error) {
	switch s {
	case "", "IN":
		return In, nil
	case "NOT_IN":
		return NotIn, nil
	}
	return In, fmt.Errorf("%w %s: want IN or NOT_IN", ErrInvalidOperator, echo.Quote(s))
}

// String returns "IN" or "NOT_IN", or "Operator(N)" for a value that is
// neither.
func (o Operator) String() string {
	switch o {
	case In:
		return "IN"
	case NotIn:
		return "NOT_IN"
	}
	return "Operator(" + strconv.Itoa(int(o)) + ")"
}

// Admits reports whether a topic whose Match result is match passes a
// dimension with operator o: IN admits matching topics, NOT_IN the others.
func (o Operator) Admits(match bool) bool {
	switch o {
	case In:
		return match
	case NotIn:
		return !match
	}
	return false
}
