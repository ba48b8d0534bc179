package criteria

import (
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
)

// Statistic is a percentile allowed in a statistical threshold: one of the 11
// values of the service model's EvaluationStatistic pattern. The zero
// Statistic is not valid.
type Statistic uint8

// The statistics, in ascending order of percentile.
const (
	P0 Statistic = iota + 1
	P0_01
	P0_1
	P1
	P10
	P50
	P90
	P99
	P99_9
	P99_99
	P100
)

var statistics = [...]struct {
	name string
	q    float64
}{
	P0:     {"p0", 0},
	P0_01:  {"p0.01", 0.0001},
	P0_1:   {"p0.1", 0.001},
	P1:     {"p1", 0.01},
	P10:    {"p10", 0.1},
	P50:    {"p50", 0.5},
	P90:    {"p90", 0.9},
	P99:    {"p99", 0.99},
	P99_9:  {"p99.9", 0.999},
	P99_99: {"p99.99", 0.9999},
	P100:   {"p100", 1},
}

// Statistics lists every valid statistic in ascending order.
var Statistics = [...]Statistic{P0, P0_01, P0_1, P1, P10, P50, P90, P99, P99_9, P99_99, P100}

// ParseStatistic returns the statistic spelled s ("p90", "p99.99", …). The
// CloudFormation-only "Average" is not a statistic the API accepts.
func ParseStatistic(s string) (Statistic, error) {
	for st, v := range statistics {
		if v.name != "" && v.name == s {
			return Statistic(st), nil
		}
	}
	return 0, fmt.Errorf("unknown statistic %s: want one of p0, p0.01, p0.1, p1, p10, p50, p90, p99, p99.9, p99.99, p100", echo.Quote(s))
}

// String returns the statistic's JSON spelling.
func (s Statistic) String() string {
	if s.IsValid() {
		return statistics[s].name
	}
	return fmt.Sprintf("Statistic(%d)", uint8(s))
}

// IsValid reports whether s is one of the 11 statistics.
func (s Statistic) IsValid() bool { return s >= P0 && s <= P100 }

// Quantile returns s as a fraction in [0, 1]: p99.9 is 0.999.
func (s Statistic) Quantile() float64 {
	if !s.IsValid() {
		return 0
	}
	return statistics[s].q
}
