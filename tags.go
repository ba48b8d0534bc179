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

// cloneTags returns a copy of tags that shares nothing with them: a tag's
// value is a pointer, so a shallow copy would leave it the caller's.
func cloneTags(tags []behavior.Tag) []behavior.Tag {
	if tags == nil {
		return nil
	}
	out := make([]behavior.Tag, len(tags))
	for i, t := range tags {
		out[i] = t
		if t.Value != nil {
			v := *t.Value
			out[i].Value = &v
		}
	}
	return out
}
