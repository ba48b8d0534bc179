package peers

import "github.com/bytedance/sonic"

// sonicImpl decodes with bytedance/sonic's default configuration into the
// struct goccy fills.
func sonicImpl() (func([]byte) error, func() summary) {
	var r structReport
	return func(b []byte) error { return sonic.Unmarshal(b, &r) }, r.summary
}
