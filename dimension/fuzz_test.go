package dimension

import (
	"errors"
	"strings"
	"testing"
)

// FuzzValidateFilter checks that ValidateFilter never panics, agrees with
// the reference validator, and reports an offset inside the filter.
func FuzzValidateFilter(f *testing.F) {
	v := loadMosquittoVectors(f)
	for _, tc := range v.SubscriptionFilterValidity {
		f.Add(tc.Filter)
	}
	for _, tc := range v.MatchVectors {
		f.Add(tc.Filter)
	}
	f.Add("device/${iot:ClientId}/auth")
	f.Add("dt/cam-${iot:ClientId}")
	f.Add("${iot:Client")
	f.Add(strings.Repeat("é", MaxFilterLen))
	f.Fuzz(func(t *testing.T, filter string) {
		err := ValidateFilter(filter)
		if want := refValidFilter(filter); (err == nil) != want {
			t.Fatalf("ValidateFilter(%q) = %v, reference says valid=%v", filter, err, want)
		}
		if err == nil {
			return
		}
		var fe *FilterError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidFilter) || fe.Filter != filter {
			t.Fatalf("ValidateFilter(%q) = %#v: want a *FilterError naming the filter", filter, err)
		}
		if fe.Offset < 0 || fe.Offset > len(filter) || (fe.Offset == len(filter) && filter != "") {
			t.Fatalf("ValidateFilter(%q): offset %d outside the filter", filter, fe.Offset)
		}
	})
}

// FuzzValidateTopic checks ValidateTopic and the Matcher's own validTopic
// against the reference.
func FuzzValidateTopic(f *testing.F) {
	for _, tc := range loadMosquittoVectors(f).PublishTopicValidity {
		f.Add(tc.Topic)
	}
	f.Add("$SYS/broker/é/\x00")
	f.Add("abcdefgh+ijklmnop")
	f.Fuzz(func(t *testing.T, topic string) {
		err := ValidateTopic(topic)
		want := refValidTopic(topic)
		if (err == nil) != want || validTopic(topic) != want {
			t.Fatalf("ValidateTopic(%q) = %v, validTopic = %v, reference says %v", topic, err, validTopic(topic), want)
		}
		var te *TopicError
		if err != nil && (!errors.As(err, &te) || !errors.Is(err, ErrInvalidTopic) || te.Offset < 0 || te.Offset > len(topic)) {
			t.Fatalf("ValidateTopic(%q) = %#v: want a *TopicError with an offset in the topic", topic, err)
		}
	})
}

// FuzzMatch compiles a set of filters (one per line of filters; the invalid
// ones make Compile fail, and are then dropped) and checks that the Matcher,
// with and without its automaton, agrees with the reference on topic.
func FuzzMatch(f *testing.F) {
	for _, tc := range loadMosquittoVectors(f).MatchVectors {
		f.Add(tc.Filter, tc.Topic, "")
	}
	f.Add("device/${iot:ClientId}/auth\ncmd/+", "device/cam1/auth", "cam1")
	f.Add("dt/cam-${iot:ClientId}\n+/#", "dt/cam-7", "7")
	f.Add("#\n$SYS/+", "$SYS/x", "")
	f.Add("factory/+/device42/#\nfactory/line1/device1/telemetry\n+/line3/+/status", "factory/line3/device42/telemetry", "")
	f.Fuzz(func(t *testing.T, filters, topic, clientID string) {
		set := strings.Split(filters, "\n")
		valid := set[:0:0]
		for _, flt := range set {
			if refValidFilter(flt) {
				valid = append(valid, flt)
			}
		}
		if m, err := Compile(set); (err == nil) != (len(valid) == len(set)) || (err == nil) != (m != nil) {
			t.Fatalf("Compile(%q) = %v, %v; valid filters: %d of %d", set, m, err, len(valid), len(set))
		}
		want := refMatch(valid, topic, clientID)
		for _, budget := range []func(int) int{automatonBudget, noAutomaton} {
			m, err := compile(valid, budget)
			if err != nil {
				t.Fatalf("compile(%q): %v", valid, err)
			}
			if got := m.Match(topic, clientID); got != want {
				t.Fatalf("Match(%q, %q) = %v, reference says %v; filters %q", topic, clientID, got, want, valid)
			}
			if ValidateTopic(topic) == nil && m.MatchValid(topic, clientID) != want {
				t.Fatalf("MatchValid(%q, %q) = %v, reference says %v; filters %q", topic, clientID, !want, want, valid)
			}
			if m.Passes(NotIn, topic, clientID) == want {
				t.Fatalf("Passes(NotIn, %q, %q) is not the negation of Match", topic, clientID)
			}
		}
	})
}
