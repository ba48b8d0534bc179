// Package fleet generates a deterministic synthetic fleet of cameras and
// sensors for `ruledetect demo` and the hot-path benchmarks: a simulated day
// of device metrics reports, encoded as the AWS agents encode them, and of
// cloud-side events (messages, connects, disconnects, authorization
// failures), in time order, with a few compromised devices whose misbehavior
// the embedded security profile catches.
//
// Everything follows from the Config: the same Config gives the same records
// byte for byte. Records are generated on the fly from hashes of (seed,
// thing, minute), so the generator keeps no per-event state and allocates
// nothing per record.
package fleet
