package criteria

import "fmt"

// Kind is the shape of datapoint a Criterion takes, and so which of its
// Compliant methods evaluates it. The zero Kind is not valid.
type Kind uint8

// The datapoint kinds.
const (
	KindNumber  Kind = iota + 1 // a count or number: CompliantNumber
	KindPorts                   // a list of ports: CompliantPorts
	KindAddrs                   // a list of IP addresses: CompliantAddrs
	KindStrings                 // a list of strings: CompliantStrings
	KindNumbers                 // a list of numbers: CompliantNumbers
)

var kindNames = [...]string{
	KindNumber:  "number",
	KindPorts:   "ports",
	KindAddrs:   "addresses",
	KindStrings: "strings",
	KindNumbers: "numbers",
}

// String returns a short lower-case name for k, or "Kind(N)" for an invalid one.
func (k Kind) String() string {
	if k >= KindNumber && k <= KindNumbers {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}
