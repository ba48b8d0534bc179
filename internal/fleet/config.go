package fleet

import "time"

// Config describes a fleet run. Zero fields take their defaults.
type Config struct {
	Things   int           // number of things; default 5,000, at most MaxThings
	Start    time.Time     // first instant of the run; default 2026-01-01T00:00:00Z
	Duration time.Duration // length of the run; default 24h, whole minutes
	// ReportInterval is how often each thing sends a metrics report; default
	// 300 s. It is raised to 300 s, the agents' minimum period, and rounded
	// up to whole minutes.
	ReportInterval time.Duration
	Seed           uint64 // varies every random choice
	// Compromised is the number of things that misbehave from some point of
	// the run; default 5, a negative value means none. Runs shorter than 12
	// report intervals have none: an incident needs room to raise alarms.
	Compromised int
}

// Defaults of Config.
const (
	DefaultThings         = 5000
	DefaultDuration       = 24 * time.Hour
	DefaultReportInterval = 300 * time.Second
	DefaultCompromised    = 5
	MaxThings             = 1_000_000 // bounds New's memory (≈ 300 bytes a thing)
)

// defaultStart is the default Config.Start, 2026-01-01T00:00:00Z.
var defaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// normalized returns c with defaults and bounds applied.
func (c Config) normalized() Config {
	if c.Things <= 0 {
		c.Things = DefaultThings
	}
	c.Things = min(c.Things, MaxThings)
	if c.Start.IsZero() {
		c.Start = defaultStart
	}
	c.Start = c.Start.UTC().Truncate(time.Second)
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	c.Duration = c.Duration.Truncate(time.Minute)
	if c.Duration == 0 {
		c.Duration = time.Minute
	}
	if c.ReportInterval < DefaultReportInterval {
		c.ReportInterval = DefaultReportInterval
	}
	if r := c.ReportInterval % time.Minute; r != 0 {
		c.ReportInterval += time.Minute - r
	}
	switch {
	case c.Compromised == 0:
		c.Compromised = DefaultCompromised
	case c.Compromised < 0:
		c.Compromised = 0
	}
	if c.Duration < 12*c.ReportInterval {
		c.Compromised = 0
	}
	c.Compromised = min(c.Compromised, c.Things)
	return c
}
