package replay

import (
	"errors"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/dimension"
)

// field is a bit set of the keys a record line may carry.
type field uint16

const (
	fTime field = 1 << iota
	fThingName
	fReport
	fReportCBOR
	fType
	fTopic
	fBytes
	fSourceIP
	fSuccess
)

// The record keys, in the order AppendRecord writes them.
const (
	keyTime       = "time"
	keyThingName  = "thingName"
	keyReport     = "report"
	keyReportCBOR = "reportCbor"
	keyType       = "type"
	keyTopic      = "topic"
	keyBytes      = "bytes"
	keySourceIP   = "sourceIp"
	keySuccess    = "success"
)

var fieldKeys = [...]struct {
	f   field
	key string
}{
	{fTime, keyTime}, {fThingName, keyThingName}, {fReport, keyReport},
	{fReportCBOR, keyReportCBOR}, {fType, keyType}, {fTopic, keyTopic},
	{fBytes, keyBytes}, {fSourceIP, keySourceIP}, {fSuccess, keySuccess},
}

// fieldOf returns the field named by an unquoted key, or 0 for an unknown key.
func fieldOf(name []byte) field {
	for _, fk := range fieldKeys {
		if string(name) == fk.key {
			return fk.f
		}
	}
	return 0
}

// keyColon matches the start of b against the keys as the replay format
// writes them, `"time":` and so on, and returns the field and the length
// matched, or 0, 0: the fast path of every key of every line, which picks
// the one key to compare by its first letters. A key written otherwise
// (escaped, spaced) is left to the general path (fieldOf). Both agree with
// fieldKeys (TestKeyColon, TestFieldOf).
func keyColon(b []byte) (field, int) {
	if len(b) < 7 || b[0] != '"' { // `"type":` is the shortest
		return 0, 0
	}
	var f field
	var k string
	switch b[1] {
	case 't':
		switch b[2] {
		case 'i':
			f, k = fTime, `"time":`
		case 'h':
			f, k = fThingName, `"thingName":`
		case 'y':
			f, k = fType, `"type":`
		case 'o':
			f, k = fTopic, `"topic":`
		}
	case 'r':
		f, k = fReport, `"report":`
		if len(b) > 8 && b[7] == 'C' {
			f, k = fReportCBOR, `"reportCbor":`
		}
	case 'b':
		f, k = fBytes, `"bytes":`
	case 's':
		f, k = fSourceIP, `"sourceIp":`
		if b[2] == 'u' {
			f, k = fSuccess, `"success":`
		}
	}
	if f == 0 || len(b) < len(k) || string(b[:len(k)]) != k {
		return 0, 0
	}
	return f, len(k)
}

func (f field) key() string {
	for _, fk := range fieldKeys {
		if fk.f == f {
			return fk.key
		}
	}
	return ""
}

// fieldsFor returns the keys a record of kind k must have and may have.
func fieldsFor(k Kind) (need, allow field) {
	base := fTime | fThingName
	switch k {
	case Report:
		return base, base | fReport | fReportCBOR
	case MessageSent:
		need = base | fType | fTopic | fBytes
		return need, need | fSourceIP
	case MessageReceived:
		need = base | fType | fTopic | fBytes
	case AuthorizationFailure:
		need = base | fType | fTopic
	case Connect:
		need = base | fType | fSourceIP
		return need, need | fSuccess
	case Disconnect:
		need = base | fType
	}
	return need, need
}

// checkFieldSet reports the first foreign key, then the first missing one, in
// the order of fieldKeys so the error does not depend on the line's key order.
func checkFieldSet(have, need, allow field, k Kind) error {
	if have&^allow == 0 && need&^have == 0 {
		return nil
	}
	for _, fk := range fieldKeys {
		if have&fk.f != 0 && allow&fk.f == 0 {
			return &RecordError{Field: fk.key, Msg: "not allowed " + kindPhrase(k)}
		}
	}
	for _, fk := range fieldKeys {
		if need&fk.f != 0 && have&fk.f == 0 {
			return &RecordError{Field: fk.key, Msg: "required " + kindPhrase(k)}
		}
	}
	return nil
}

func kindPhrase(k Kind) string {
	if k == Report {
		return "in a report record"
	}
	return `for type "` + k.String() + `"`
}

// thingNameProblem returns why s is not a thing name, or "": the engine's
// one rule (behavior.ThingNameProblem), so that a replay refuses exactly
// the names live ingest refuses.
func thingNameProblem(s string) string { return behavior.ThingNameProblem(s) }

// topicProblem returns why s is not a valid MQTT topic name, or "": the
// dimension package's rule (dimension.ValidateTopic), the engine's.
func topicProblem(s string) string {
	var te *dimension.TopicError
	if err := dimension.ValidateTopic(s); errors.As(err, &te) {
		return te.Reason
	}
	return ""
}
