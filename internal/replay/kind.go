package replay

import "strconv"

// Kind is what a record carries: a device metrics report or one kind of
// cloud-side event. The zero Kind is not a valid record kind.
type Kind uint8

// The record kinds. The string form of each event kind is the value of the
// record's "type" key.
const (
	Report               Kind = iota + 1 // a device metrics report ("report" or "reportCbor")
	MessageSent                          // "message-sent": the thing published a message
	MessageReceived                      // "message-received": the thing was delivered a message
	AuthorizationFailure                 // "authorization-failure": a publish or subscribe was denied
	Connect                              // "connect": the thing connected from sourceIp
	Disconnect                           // "disconnect": the thing disconnected
)

var kindNames = [...]string{
	Report:               "report",
	MessageSent:          "message-sent",
	MessageReceived:      "message-received",
	AuthorizationFailure: "authorization-failure",
	Connect:              "connect",
	Disconnect:           "disconnect",
}

// String returns the record type as written in the "type" key ("report" for
// Report, which has no "type" key), or Kind(N) for an invalid kind.
func (k Kind) String() string {
	if k.valid() {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

func (k Kind) valid() bool { return k >= Report && k <= Disconnect }

// eventKind maps the unquoted value of a "type" key to its Kind. "report" is
// not a type value: reports are recognised by their "report" key.
func eventKind(b []byte) (Kind, bool) {
	for k := MessageSent; k <= Disconnect; k++ {
		if string(b) == kindNames[k] {
			return k, true
		}
	}
	return 0, false
}
