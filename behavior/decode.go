package behavior

import (
	"bytes"
	"errors"
	"github.com/ruledetect/ruledetect/internal/echo"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// checkSyntax reports the first syntax error in data, which must hold
// exactly one JSON value. It runs before typed decoding so that a syntax
// error is reported as such even when a type error comes earlier in the text.
func checkSyntax(data []byte) error {
	if jsontext.Value(data).IsValid() { // pooled decoder: the common case allocates nothing
		return nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	if _, err := dec.ReadValue(); err != nil {
		return syntaxError(data, dec, err)
	}
	end := int(dec.InputOffset())
	if _, err := dec.ReadToken(); err != io.EOF {
		if err != nil {
			return syntaxError(data, dec, err)
		}
		rest := bytes.TrimLeft(data[end:], " \t\r\n")
		return positioned(data, &DecodeError{Kind: ErrMalformedJSON, Msg: "unexpected data after the top-level value"}, len(data)-len(rest))
	}
	return nil
}

func syntaxError(data []byte, dec *jsontext.Decoder, err error) error {
	var serr *jsontext.SyntacticError
	if errors.As(err, &serr) {
		return positioned(data, &DecodeError{Kind: ErrMalformedJSON, Path: heuristicPath(serr.JSONPointer), Msg: serr.Err.Error()}, int(serr.ByteOffset))
	}
	msg := "unexpected end of input"
	if len(bytes.TrimSpace(data)) == 0 {
		msg = "empty input"
	}
	return positioned(data, &DecodeError{Kind: ErrMalformedJSON, Msg: msg}, len(data))
}

// positioned sets e's line and column from a byte offset into data.
func positioned(data []byte, e *DecodeError, off int) *DecodeError {
	off = min(max(off, 0), len(data))
	before := data[:off]
	e.Line = 1 + bytes.Count(before, []byte{'\n'})
	e.Column = 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return e
}

// decodeAt decodes full[start:end] into v, rejecting unknown members, and
// turns a failure into a *DecodeError whose path starts with prefix and
// whose position is in full.
func decodeAt(full []byte, start, end int, prefix string, v any) error {
	return decodeRange(full, start, end, prefix, v, true)
}

// decodeRange is decodeAt with unknown members rejected only when strict.
func decodeRange(full []byte, start, end int, prefix string, v any, strict bool) error {
	sub := full[start:end]
	err := json.Unmarshal(sub, v, json.RejectUnknownMembers(strict))
	if err == nil {
		return nil
	}
	var serr *json.SemanticError
	if !errors.As(err, &serr) {
		return syntaxOrOther(full, start, prefix, err)
	}
	e := &DecodeError{Kind: ErrWrongType, Path: joinPath(prefix, valuePath(sub, serr.JSONPointer))}
	switch {
	case serr.Err == json.ErrUnknownName:
		e.Kind = ErrUnknownField
		e.Msg = "unknown field " + echo.Quote(serr.JSONPointer.LastToken())
		if names := memberNames(serr.GoType); len(names) > 0 {
			e.Msg += "; want one of " + strings.Join(names, ", ")
		}
	default:
		e.Msg = wrongTypeMessage(serr)
	}
	return positioned(full, e, start+int(serr.ByteOffset))
}

func syntaxOrOther(full []byte, start int, prefix string, err error) error {
	var serr *jsontext.SyntacticError
	if errors.As(err, &serr) {
		e := &DecodeError{Kind: ErrMalformedJSON, Path: joinPath(prefix, heuristicPath(serr.JSONPointer)), Msg: serr.Err.Error()}
		return positioned(full, e, start+int(serr.ByteOffset))
	}
	return positioned(full, &DecodeError{Kind: ErrMalformedJSON, Path: prefix, Msg: err.Error()}, start)
}

// valueError is returned by the UnmarshalJSON methods of this package; its
// text is the whole message.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

func wrongTypeMessage(serr *json.SemanticError) string {
	var verr *valueError
	if errors.As(serr.Err, &verr) {
		return verr.msg
	}
	got := kindName(serr.JSONKind)
	if len(serr.JSONValue) > 0 && len(serr.JSONValue) <= 64 {
		got += " " + string(serr.JSONValue)
	}
	msg := "got " + got
	if serr.GoType != nil {
		msg += ", want " + goTypeName(serr.GoType)
	}
	if serr.Err != nil && !errors.Is(serr.Err, json.ErrUnknownName) {
		if s := serr.Err.Error(); strings.Contains(s, "out of range") {
			msg += " (out of range)"
		}
	}
	return msg
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{', '}':
		return "object"
	case '[', ']':
		return "array"
	}
	return "value"
}

var timestampType = reflect.TypeFor[Timestamp]()

func goTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timestampType {
		return "a timestamp (epoch seconds or an RFC 3339 string)"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return t.String()
}

// memberNames lists the JSON member names of a struct type.
func memberNames(t reflect.Type) []string {
	if t == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// valuePath renders a JSON pointer into data in the AWS CLI's notation,
// using the document to tell array indexes from member names.
func valuePath(data []byte, ptr jsontext.Pointer) string {
	var root any
	if json.Unmarshal(data, &root) != nil {
		return heuristicPath(ptr)
	}
	var b strings.Builder
	cur := root
	for tok := range ptr.Tokens() {
		switch c := cur.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				appendMember(&b, tok)
				cur = nil
				continue
			}
			b.WriteString("[" + tok + "]")
			cur = c[i]
		case map[string]any:
			appendMember(&b, tok)
			cur = c[tok]
		default:
			appendMember(&b, tok)
			cur = nil
		}
	}
	return b.String()
}

// heuristicPath renders a pointer without the document: numeric tokens
// are taken as array indexes.
func heuristicPath(ptr jsontext.Pointer) string {
	var b strings.Builder
	for tok := range ptr.Tokens() {
		if _, err := strconv.ParseUint(tok, 10, 31); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		appendMember(&b, tok)
	}
	return b.String()
}

func appendMember(b *strings.Builder, name string) {
	if name == "" || len(name) > echo.Limit || strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		b.WriteString("[" + echo.Quote(name) + "]")
		return
	}
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.WriteString(name)
}

func joinPath(prefix, rest string) string {
	switch {
	case prefix == "":
		return rest
	case rest == "" || rest[0] == '[':
		return prefix + rest
	}
	return prefix + "." + rest
}

// locate returns the byte range of the value at the member path names in
// data, which must be valid JSON.
func locate(data []byte, names ...string) (start, end int, ok bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	for _, name := range names {
		if !enterMember(dec, name) {
			return 0, 0, false
		}
	}
	v, err := dec.ReadValue()
	if err != nil {
		return 0, 0, false
	}
	end = int(dec.InputOffset())
	return end - len(v), end, true
}

// enterMember positions dec just before the value of member name of the
// object that comes next.
func enterMember(dec *jsontext.Decoder, name string) bool {
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	for {
		tok, err := dec.ReadToken()
		if err != nil || tok.Kind() != '"' {
			return false
		}
		if tok.String() == name {
			return true
		}
		if dec.SkipValue() != nil {
			return false
		}
	}
}

// topLevel returns the kind of data's top-level value and, for an object,
// its member names.
func topLevel(data []byte) (jsontext.Kind, []string) {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	tok, err := dec.ReadToken()
	if err != nil {
		return 0, nil
	}
	if tok.Kind() != '{' {
		return tok.Kind(), nil
	}
	var names []string
	for {
		tok, err := dec.ReadToken()
		if err != nil || tok.Kind() != '"' {
			return '{', names
		}
		names = append(names, tok.String())
		if dec.SkipValue() != nil {
			return '{', names
		}
	}
}

func hasAny(names []string, want ...string) bool {
	for _, w := range want {
		if slices.Contains(names, w) {
			return true
		}
	}
	return false
}
