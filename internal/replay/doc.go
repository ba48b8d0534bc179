// Package replay reads and writes the JSON Lines input of `ruledetect replay`:
// one record per line, each a device metrics report or a cloud-side event of
// one thing at one time.
//
//	{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","report":{…}}
//	{"time":1767225900,"thingName":"cam-1","reportCbor":"<base64 of a CBOR report>"}
//	{"time":…,"thingName":"cam-1","type":"message-sent","topic":"dt/cam-1/telemetry","bytes":120}
//	{"time":…,"thingName":"cam-1","type":"message-received","topic":"cmd/cam-1","bytes":64}
//	{"time":…,"thingName":"cam-1","type":"authorization-failure","topic":"cmd/other"}
//	{"time":…,"thingName":"cam-1","type":"connect","sourceIp":"203.0.113.9"}
//	{"time":…,"thingName":"cam-1","type":"disconnect"}
//
// A message-sent record may also carry "sourceIp", and a connect record
// "success": false for a failed connection attempt. Validation is strict,
// because a replay that silently skips or guesses at a record gives a
// different verdict than the service would: unknown and duplicate keys, keys
// foreign to the record's type, out-of-range times and names the service
// rejects are all errors of type [*RecordError]. The metrics report itself is
// only delimited (a JSON object, a CBOR map) and handed on as it is, not
// tokenized: checking and decoding it, in one pass, is the engine's job, and
// a malformed report is the engine's rejection (ErrMalformedReport), as it
// is the service's.
package replay
