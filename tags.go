package ruledetect

import (
	"strings"

	"github.com/ruledetect/ruledetect/behavior"
)

// checkTags validates the tags of a dimension or custom metric with the
// rules security profiles' tags follow (behavior.ValidateTags).
func checkTags(op, resource string, tags []behavior.Tag) error {
	errs := behavior.ValidateTags(tags)
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.ErrorMessage
	}
	return newError(op, ErrInvalidRequest, resource, "%s", strings.Join(msgs, "; "))
}
