// Package wire reads the primitives of ruledetect's binary encodings (the
// engine snapshot's sections, sketches and populations, page tokens):
// varints, fixed-width integers, counts and length-prefixed byte strings.
//
// Every binary decoder of the module reads through a Reader, so every format
// refuses the same malformed input in the same way: data that ends inside a
// field, a varint longer than its shortest form or beyond 64 bits, a count
// or length above its limit or above what the remaining bytes can hold.
// Refusing non-minimal varints gives each value exactly one encoding, so an
// accepted input re-encodes to itself byte for byte and cannot smuggle bytes
// past a checksum-free comparison.
//
// A Reader never panics on its input and allocates nothing: byte strings are
// sub-slices of the input. The first error sticks: later reads return zero
// values, so a decoder may read several fields and check Err once, where it
// does not need to name the field that failed.
package wire
