// Package dimension implements the TOPIC_FILTER dimension of AWS IoT Device
// Defender Rules Detect: validation of MQTT topic filters and topic names, and
// a compiled, immutable matcher that tells whether a topic passes a dimension
// with the IN or NOT_IN operator.
//
// Matching follows MQTT 3.1.1 §4.7 (unchanged in MQTT 5.0):
//
//   - '+' matches exactly one level, which may be empty: "a/+" matches "a/" but
//     not "a".
//   - '#' matches the level it follows and every level below it, including none:
//     "a/#" matches "a", "a/" and "a/b/c"; "a/+/#" matches "a/b".
//   - A filter whose first level is '+' or '#' never matches a topic that starts
//     with '$' ("#" does not match "$SYS/x"; "$SYS/#" does).
//   - Comparison is byte-exact and case-sensitive; empty levels are levels, so
//     "a//b" has three levels and "/a" differs from "a".
//
// A filter may contain the policy variable ${iot:ClientId}, either as a whole
// level ("device/${iot:ClientId}/auth") or inside one ("dev-${iot:ClientId}/x").
// At match time it stands for the client id given to [Matcher.Match], compared
// literally within its level: a client id never introduces wildcards or level
// separators, so a client id "+" matches only the level "+" and a client id
// containing '/' matches no level (D: AWS documents the variable, not this edge).
//
// Topics that are not valid MQTT topic names (see [ValidateTopic]) match no
// filter, as in mosquitto's mosquitto_topic_matches_sub.
//
// A [Matcher] is built once by [Compile] and is then read-only: any number of
// goroutines may call its methods at once, and Match never allocates.
package dimension
