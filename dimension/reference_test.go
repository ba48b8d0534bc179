package dimension

import (
	"strings"
	"unicode/utf8"
)

// This file holds an obviously-correct matcher, written straight from the
// rules in the package comment with strings.Split and no cleverness, against
// which the compiled Matcher is tested (differential and fuzz tests). It
// deliberately shares no code with the package.

// refValidFilter is ValidateFilter restated level by level.
func refValidFilter(f string) bool {
	if f == "" || utf8.RuneCountInString(f) > 256 || !utf8.ValidString(f) || strings.Contains(f, "\x00") {
		return false
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if l == "#" && i == len(levels)-1 || l == "+" {
			continue
		}
		if strings.ContainsAny(l, "+#") {
			return false
		}
		if strings.Contains(strings.ReplaceAll(l, "${iot:ClientId}", ""), "${") {
			return false
		}
	}
	return true
}

// refValidTopic is ValidateTopic restated.
func refValidTopic(t string) bool {
	return t != "" && len(t) <= 65535 && utf8.ValidString(t) && !strings.ContainsAny(t, "\x00+#")
}

// refMatchOne reports whether one valid filter matches topic.
func refMatchOne(filter, topic, clientID string) bool {
	if !refValidTopic(topic) {
		return false
	}
	fl, tl := strings.Split(filter, "/"), strings.Split(topic, "/")
	if strings.HasPrefix(topic, "$") && (fl[0] == "+" || fl[0] == "#") {
		return false
	}
	for i, f := range fl {
		if f == "#" {
			return true // levels 0..i-1 matched, so the topic has ≥ i levels
		}
		if i >= len(tl) {
			return false
		}
		if f != "+" && strings.ReplaceAll(f, "${iot:ClientId}", clientID) != tl[i] {
			return false
		}
	}
	return len(fl) == len(tl)
}

// refMatch reports whether any filter matches topic.
func refMatch(filters []string, topic, clientID string) bool {
	for _, f := range filters {
		if refMatchOne(f, topic, clientID) {
			return true
		}
	}
	return false
}
