package behavior

import (
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
)

// Service limits enforced by validation (aws-semantics.md §10).
const (
	MaxBehaviors     = 100  // behaviors per security profile
	MaxValueElements = 1000 // value elements (each count or number, each list element) per profile
	MaxTags          = 50   // tags per resource
)

// ValidationResult is the ValidateSecurityProfileBehaviors response: Valid,
// and every problem found, in input order. ValidationErrors is an empty
// array, not null, when the input is valid.
type ValidationResult struct {
	Valid            bool              `json:"valid"`
	ValidationErrors []ValidationError `json:"validationErrors"`
}

// ValidationError is one problem, in the service's words. A message about
// one behavior starts "Behavior NAME is malformed. " (a behavior without a
// name is called by its position, "behaviors[3]"); profile-level messages
// name the member.
type ValidationError struct {
	ErrorMessage string `json:"errorMessage"`
	// Behavior is the name of the behavior at fault; "" for profile-level problems.
	Behavior string `json:"-"`
	// Field is the path of the member at fault in the API's JSON,
	// "behaviors[1].criteria.consecutiveDatapointsToAlarm".
	Field string `json:"-"`
}

// Error returns the message, so a ValidationError can travel as an error.
func (e ValidationError) Error() string { return e.ErrorMessage }

// ValidateOptions tells validation what exists beside the behaviors.
type ValidateOptions struct {
	// CustomMetrics maps the name of every custom metric that exists to its
	// type. When nil, a metric name without the aws: prefix is accepted if
	// the behavior is valid for a custom metric of some type (the type its
	// value or operator implies); when non-nil, other names are errors.
	CustomMetrics map[string]CustomMetricType
	// DimensionExists reports whether a dimension exists. When nil,
	// dimension names are checked for form only.
	DimensionExists func(name string) bool
}

func newResult(errs []ValidationError) ValidationResult {
	if errs == nil {
		errs = []ValidationError{}
	}
	return ValidationResult{Valid: len(errs) == 0, ValidationErrors: errs}
}

// validator collects every problem of one validation.
type validator struct {
	opts ValidateOptions
	errs []ValidationError
}

// fail records a profile-level problem.
func (v *validator) fail(field, format string, args ...any) {
	v.errs = append(v.errs, ValidationError{ErrorMessage: fmt.Sprintf(format, args...), Field: field})
}

// ValidateBehaviors validates behaviors as ValidateSecurityProfileBehaviors
// does: each behavior on its own (name, metric, dimension, criteria), and
// the list as a profile holds it (unique names, at most MaxBehaviors
// behaviors and MaxValueElements value elements). It reports every problem.
//
// A behavior must have criteria (D: the model makes them optional, but a
// behavior without criteria has nothing to evaluate; to keep a metric
// without a rule, use additionalMetricsToRetainV2). The criteria set
// exactly one of value, statisticalThreshold and mlDetectionConfig.
func ValidateBehaviors(bs []Behavior, opts ValidateOptions) ValidationResult {
	v := validator{opts: opts}
	v.behaviors(bs, "behaviors")
	return newResult(v.errs)
}

func (v *validator) behaviors(bs []Behavior, path string) {
	if len(bs) > MaxBehaviors {
		v.fail(path, "behaviors has %d behaviors; at most %d are allowed in a security profile", len(bs), MaxBehaviors)
	}
	elements := 0
	for i := range bs {
		c := behaviorCheck{v: v, b: &bs[i], list: path, index: i}
		if firstUse(bs, i) < i {
			c.fail("name", "name %s is used by more than one behavior", echo.Name(bs[i].Name))
		}
		c.run()
		elements += valueElements(bs[i].Criteria)
	}
	if elements > MaxValueElements {
		v.fail(path, "behaviors have %d metric value elements; at most %d are allowed in a security profile", elements, MaxValueElements)
	}
}

// firstUse returns the index of the first behavior named like bs[i], or i
// for an empty name. Quadratic, but over at most a few hundred behaviors;
// beyond that the list is invalid anyway and only the first MaxBehaviors*4
// are compared, to bound the work a hostile input can cause.
func firstUse(bs []Behavior, i int) int {
	if bs[i].Name == "" || i >= 4*MaxBehaviors {
		return i
	}
	for j := range i {
		if bs[j].Name == bs[i].Name {
			return j
		}
	}
	return i
}

// valueElements counts the value elements of criteria against MaxValueElements.
func valueElements(c *BehaviorCriteria) int {
	if c == nil || c.Value == nil {
		return 0
	}
	v := c.Value
	n := len(v.CIDRs) + len(v.Ports) + len(v.Numbers) + len(v.Strings)
	if v.Count != nil {
		n++
	}
	if v.Number != nil {
		n++
	}
	return n
}
