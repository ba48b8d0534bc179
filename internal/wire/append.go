package wire

import "encoding/binary"

// AppendSection appends s as Reader.Section reads it: its length as a
// uvarint, then its bytes.
func AppendSection[S ~string | ~[]byte](b []byte, s S) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}
