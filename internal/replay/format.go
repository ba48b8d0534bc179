package replay

import "strconv"

// Format is the encoding of a record's metrics report. Records that are not
// reports have the zero Format.
type Format uint8

// The report encodings.
const (
	JSON Format = iota + 1 // Record.Report holds the report object's JSON text
	CBOR                   // Record.Report holds the decoded CBOR bytes
)

// String returns "json", "cbor", or Format(N) for any other value.
func (f Format) String() string {
	switch f {
	case JSON:
		return "json"
	case CBOR:
		return "cbor"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}
