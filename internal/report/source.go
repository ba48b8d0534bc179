package report

// source is the token-level view of one encoded report that the walker reads.
// The JSON and CBOR implementations make the two formats decode through the
// same walker, so they accept, reject and drop exactly the same things.
//
// Byte slices returned by key and str are valid only until the next call.
type source interface {
	// beginObject consumes the start of an object (a CBOR map).
	beginObject() error
	// key returns the next member name of the current object, or ok=false
	// after consuming the end of the object or with an error.
	key() (name []byte, ok bool, err error)
	// beginArray consumes the start of an array.
	beginArray() error
	// more reports whether the current array has another element, consuming
	// the end of the array when it has not.
	more() (bool, error)
	// integer reads a number with an integral value that fits in int64.
	integer() (int64, error)
	// number reads any number and the count of significant digits in its
	// text (significantDigits); out-of-range JSON numbers come back as ±Inf
	// so the value rules can drop them.
	number() (float64, int, error)
	// str reads a string.
	str() ([]byte, error)
	// skip consumes the next value, whatever it is.
	skip() error
}
