package detecttest

// TEMPORARY until ruledetect.Datapoint lands on main.

import (
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
)

type Datapoint struct {
	Thing, Profile, Behavior string
	Metric                   string
	Time                     time.Time
	Value                    behavior.MetricValue
	Statistical              bool
	Threshold                float64
	Violating                bool
}

func withDatapointObserver(f func(Datapoint)) ruledetect.Option {
	return ruledetect.WithRegion("us-east-1")
}
