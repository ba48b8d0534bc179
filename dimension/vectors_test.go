package dimension

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mosquittoVectors is testdata/mqtt-topic-filter-vectors-mosquitto.json (see
// testdata/SOURCES.md).
type mosquittoVectors struct {
	MatchVectors []struct {
		Group       string `json:"group"`
		Filter      string `json:"filter"`
		Topic       string `json:"topic"`
		Match       bool   `json:"match"`
		FilterValid bool   `json:"filterValid"`
	} `json:"matchVectors"`
	SubscriptionFilterValidity []struct {
		Filter string `json:"filter"`
		Valid  bool   `json:"valid"`
	} `json:"subscriptionFilterValidity"`
	PublishTopicValidity []struct {
		Topic string `json:"topic"`
		Valid bool   `json:"valid"`
	} `json:"publishTopicValidity"`
}

func loadMosquittoVectors(tb testing.TB) mosquittoVectors {
	tb.Helper()
	data, err := os.ReadFile("testdata/mqtt-topic-filter-vectors-mosquitto.json")
	require.NoError(tb, err)
	var v mosquittoVectors
	require.NoError(tb, json.Unmarshal(data, &v))
	return v
}

func TestMosquittoVectorCounts(t *testing.T) {
	v := loadMosquittoVectors(t)
	assert.Len(t, v.MatchVectors, 63)
	assert.Len(t, v.SubscriptionFilterValidity, 21)
	assert.Len(t, v.PublishTopicValidity, 14)
}

// TestMosquittoMatchVectors runs all 63 match cases. mosquitto reports
// "filterValid": false when mosquitto_topic_matches_sub rejects the pair; in 8
// such rows (group TEST_invalid_but_matching, e.g. filter "foo/+" with topic
// "foo/bar/#") the filter is fine and the topic is the invalid part. We agree
// with mosquitto on the outcome (no match) and on which side is invalid; the
// only difference is the shape of the answer: mosquitto returns an error code
// for the pair, Match returns false and ValidateTopic names the problem.
func TestMosquittoMatchVectors(t *testing.T) {
	topicIsCulprit := 0
	for _, tc := range loadMosquittoVectors(t).MatchVectors {
		t.Run(tc.Group+"/"+tc.Filter+"|"+tc.Topic, func(t *testing.T) {
			ferr := ValidateFilter(tc.Filter)
			if tc.FilterValid {
				require.NoError(t, ferr)
			} else {
				terr := ValidateTopic(tc.Topic)
				require.True(t, ferr != nil || terr != nil, "mosquitto rejects this pair; so must we")
				if ferr == nil {
					topicIsCulprit++
				}
			}
			if ferr != nil {
				_, err := Compile([]string{tc.Filter})
				require.ErrorIs(t, err, ErrInvalidFilter)
				require.False(t, tc.Match)
				return
			}
			m, err := Compile([]string{tc.Filter})
			require.NoError(t, err)
			assert.Equal(t, tc.Match, m.Match(tc.Topic, ""))
			assert.Equal(t, tc.Match, refMatch([]string{tc.Filter}, tc.Topic, ""), "reference matcher")
		})
	}
	assert.Equal(t, 8, topicIsCulprit, "rows where mosquitto's INVAL comes from the topic")
}

func TestMosquittoFilterValidity(t *testing.T) {
	for _, tc := range loadMosquittoVectors(t).SubscriptionFilterValidity {
		t.Run(tc.Filter, func(t *testing.T) {
			err := ValidateFilter(tc.Filter)
			if tc.Valid {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidFilter)
			}
		})
	}
}

func TestMosquittoTopicValidity(t *testing.T) {
	for _, tc := range loadMosquittoVectors(t).PublishTopicValidity {
		t.Run(tc.Topic, func(t *testing.T) {
			err := ValidateTopic(tc.Topic)
			if tc.Valid {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidTopic)
			}
		})
	}
}

// TestMatchSpecExamples covers the examples and rules of MQTT 3.1.1 §4.7 and
// MQTT 5.0 §4.7 (as summarised in reference/matching.md §1), plus edges the
// spec implies.
func TestMatchSpecExamples(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		// '#' matches the parent and any number of child levels.
		{"sport/#", "sport", true},
		{"sport/#", "sport/", true},
		{"sport/#", "sport/a/b", true},
		{"sport/tennis/player1/#", "sport/tennis/player1", true},
		{"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
		{"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
		{"sport/tennis/player1/#", "sport/tennis", false},
		{"#", "sport", true},
		{"#", "/", true},
		{"a/+/#", "a/b", true},
		{"a/+/#", "a/b/c/d", true},
		{"a/+/#", "a", false},
		{"+/#", "a", true},
		// '+' matches exactly one level, possibly empty.
		{"sport/+", "sport/", true},
		{"sport/+", "sport", false},
		{"sport/tennis/+", "sport/tennis/player1", true},
		{"sport/tennis/+", "sport/tennis/player2", true},
		{"sport/tennis/+", "sport/tennis/player1/ranking", false},
		{"+/+", "/finance", true},
		{"/+", "/finance", true},
		{"+", "/finance", false},
		{"+", "finance", true},
		{"+/+", "/", true},
		{"+", "/", false},
		// '$' topics and wildcard first levels (MQTT-4.7.2-1).
		{"#", "$SYS/monitor/Clients", false},
		{"+/monitor/Clients", "$SYS/monitor/Clients", false},
		{"$SYS/#", "$SYS/monitor/Clients", true},
		{"$SYS/monitor/+", "$SYS/monitor/Clients", true},
		{"+", "$", false},
		{"$", "$", true},
		{"+/#", "$SYS", false},
		{"a/+", "a/$b", true},   // the rule concerns the first level only
		{"a/#", "a/$b/c", true}, // likewise
		{"+/$b", "a/$b", true},
		// Byte-exact, case-sensitive, no normalisation, empty levels count.
		{"ACCOUNTS", "Accounts", false},
		{"Accounts payable", "Accounts payable", true},
		{"a//b", "a//b", true},
		{"a//b", "a/b", false},
		{"a/+/b", "a//b", true},
		{"/a", "a", false},
		{"a/", "a", false},
		{"a", "a/", false},
		{"/", "/", true},
		{"é/+", "é/ü", true},
		{"e/+", "é/ü", false},
	}
	for _, tc := range tests {
		t.Run(tc.filter+"|"+tc.topic, func(t *testing.T) {
			m, err := Compile([]string{tc.filter})
			require.NoError(t, err)
			assert.Equal(t, tc.want, m.Match(tc.topic, ""))
			assert.Equal(t, tc.want, refMatch([]string{tc.filter}, tc.topic, ""), "reference matcher")
		})
	}
}
