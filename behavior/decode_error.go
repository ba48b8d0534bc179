package behavior

import (
	"errors"
	"fmt"
)

// Decoding errors. Every error the Parse functions return is a
// *[DecodeError]; errors.Is matches it with [ErrMalformed] and with the one
// of the more precise kinds below that applies.
var (
	// ErrMalformed matches every decoding error.
	ErrMalformed = errors.New("behavior: malformed document")
	// ErrMalformedJSON: the input is not JSON (syntax error, bad UTF-8,
	// duplicate member, trailing data, empty input).
	ErrMalformedJSON = errors.New("behavior: malformed JSON")
	// ErrUnknownField: an object has a member its shape does not define.
	ErrUnknownField = errors.New("behavior: unknown field")
	// ErrWrongType: a value has the wrong JSON type or is out of the Go
	// type's range (a string where a number belongs, 1.5 for a port).
	ErrWrongType = errors.New("behavior: wrong type")
	// ErrUnrecognized: the JSON is none of the documents ParseDocument
	// accepts (a number, a template without a security profile, …).
	ErrUnrecognized = errors.New("behavior: unrecognized document")
)

// DecodeError says what is wrong with an input document and where.
type DecodeError struct {
	// Kind is ErrMalformedJSON, ErrUnknownField, ErrWrongType or ErrUnrecognized.
	Kind error
	// Path is the offending value in the AWS CLI's notation,
	// "behaviors[3].criteria.value.ports[0]"; "" for the whole document.
	// Member names that are not plain words are quoted: metricDimension["dimensionName:"].
	Path string
	// Line and Column locate the error in the input, both from 1; Column
	// counts characters (runes), not bytes. Zero when unknown.
	Line, Column int
	// Msg says what is wrong, without the path or position.
	Msg string
}

// Error returns "PATH: MSG (line L, column C)".
func (e *DecodeError) Error() string {
	s := e.Msg
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d, column %d)", e.Line, e.Column)
	}
	return s
}

// Is reports whether target is ErrMalformed, which every decoding error
// matches; the kind is matched through Unwrap. Neither allocates, where a
// list of both ([]error) was made on every errors.Is.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }

// Unwrap returns the error's kind.
func (e *DecodeError) Unwrap() error { return e.Kind }
