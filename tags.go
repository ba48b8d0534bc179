package ruledetect

import (
	"regexp"

	"github.com/ruledetect/ruledetect/behavior"
)

// MaxTags is the most tags a resource can carry.
const MaxTags = 50

// tagKeyPattern is the model's TagKey pattern.
var tagKeyPattern = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)

// checkTags validates tags as the service model does: keys 1..128 of the
// TagKey pattern, values at most 256 characters, at most 50 tags.
func checkTags(op, resource string, tags []behavior.Tag) error {
	if len(tags) > MaxTags {
		return newError(op, ErrInvalidRequest, resource, "at most %d tags, not %d", MaxTags, len(tags))
	}
	for i, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || !tagKeyPattern.MatchString(t.Key) {
			return newError(op, ErrInvalidRequest, resource, "tags[%d].Key %q must be 1..128 characters of letters, digits, spaces and _.:/=+-@", i, t.Key)
		}
		if t.Value != nil && len([]rune(*t.Value)) > 256 {
			return newError(op, ErrInvalidRequest, resource, "tags[%d].Value must be at most 256 characters", i)
		}
	}
	return nil
}
