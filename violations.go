package ruledetect

import "github.com/ruledetect/ruledetect/violation"

// violationKey names the subject of a violation: thing, profile, behavior.
type violationKey = violation.Key
