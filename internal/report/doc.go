// Package report decodes AWS IoT Device Defender device metrics reports, JSON
// or CBOR, with long keys, short keys or any mix of the two (the Python
// agent writes "pts":[{"port":…}]), into a reusable Report.
//
// Both formats go through one walker, so they accept, reject and drop the
// same things, and a Decoder that is reused allocates nothing once warm.
//
// # What is rejected, what is dropped
//
// The service answers a structurally malformed report with "Malformed metrics
// report" and keeps none of it (its troubleshooting guide shows a custom
// `number` sent as an object instead of a one-element array). Decoding does
// the same: every error matches ErrMalformed, says where (an Error's Path, in
// the report's own key spelling) and leaves the Report empty. Rejected are:
// syntax errors, invalid UTF-8, data after the report, a missing header,
// report_id or version, a report with neither metrics nor custom_metrics, a
// known key twice (also once long and once short), a known key whose value
// has the wrong type, a custom metric that is not a one-element array of an
// object with exactly one of number, number_list, string_list, ip_list.
//
// The service keeps a report whose values break the value rules but "will not
// show/retain the data" (AWS device SDK documentation). Such values are
// dropped and listed in Report.Dropped: a port outside 1..65535, a
// remote_addr that is not an address, a custom value with more than 15
// significant digits or not finite, a string_list element outside
// A-Z a-z 0-9 : _ - / . and an ip_list element that is not an address.
// Report.Dropped lists the first MaxListedDrops of them and
// Report.DroppedCount counts them all, so the cost of a report of a million
// bad values is a count, not a million entries.
//
// # Unknown keys (decision)
//
// AWS does not document unknown keys. AWS's own agents put extra keys inside
// metrics (the legacy FreeRTOS defender library serializes a kernel_metrics
// block next to tcp_connections), so inside metrics, at any depth, an
// unknown key is skipped and recorded in Report.Dropped with an empty Metric
// and the reason "unknown key ignored". At the top level, in
// the header and in a custom metric's value object an unknown key is
// rejected: there a misspelt key would silently lose a whole block or value,
// and the one documented rejection is exactly such a structural mistake.
package report
