package ruledetect

import "fmt"

// DefaultMaxReportSize is the default largest device metrics report an Engine
// accepts: 128 KiB, the largest MQTT payload AWS IoT Core accepts, so every
// report the service could have received fits, and a report can cost the
// engine no more than a bounded amount of decoding.
const DefaultMaxReportSize = 128 << 10

// WithMaxReportSize sets the largest device metrics report, in bytes, that
// IngestReport accepts (default DefaultMaxReportSize). A larger report is
// rejected with ErrReportTooLarge before it is decoded, and counted in
// Stats.Rejected.
func WithMaxReportSize(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("maximum report size %d must be at least 1 byte", n)
		}
		o.maxReportSize = n
		return nil
	}
}
