package broker

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
)

// The AWS embedded SDK's own topic-matching vectors: exactly the report
// topics (…Publish) are report topics, with the SDK's thing name and
// format; the reply topics and every malformed topic are not.
func TestReportTopicEmbeddedSDKVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/embedded-sdk-defender-topic-vectors.json")
	require.NoError(t, err)
	var file struct {
		Vectors []struct {
			Test, Topic, ExpectedAPI, ExpectedThingName string
		} `json:"vectors"`
	}
	require.NoError(t, json.Unmarshal(data, &file))
	require.Len(t, file.Vectors, 24)
	for _, v := range file.Vectors {
		thing, format, ok := reportTopic(v.Topic)
		switch v.ExpectedAPI {
		case "DefenderJsonReportPublish":
			assert.True(t, ok, "%s %q", v.Test, v.Topic)
			assert.Equal(t, ruledetect.JSON, format, v.Topic)
			assert.Equal(t, v.ExpectedThingName, thing, v.Topic)
		case "DefenderCborReportPublish":
			assert.True(t, ok, "%s %q", v.Test, v.Topic)
			assert.Equal(t, ruledetect.CBOR, format, v.Topic)
			assert.Equal(t, v.ExpectedThingName, thing, v.Topic)
		default:
			assert.False(t, ok, "%s %q is not a report topic", v.Test, v.Topic)
		}
	}
}

func TestReplyTopic(t *testing.T) {
	assert.Equal(t, "$aws/things/dev-1/defender/metrics/json/accepted", replyTopic("$aws/things/dev-1/defender/metrics/json", true))
	assert.Equal(t, "$aws/things/dev-1/defender/metrics/cbor/rejected", replyTopic("$aws/things/dev-1/defender/metrics/cbor", false))
}

func FuzzReportTopic(f *testing.F) {
	for _, s := range []string{"$aws/things/t/defender/metrics/json", "$aws/things//defender/metrics/cbor", "$aws/things/a/b/defender/metrics/json", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		thing, format, ok := reportTopic(topic)
		if !ok {
			return
		}
		// A report topic is exactly the reserved topic of its thing and format.
		require.NotEmpty(t, thing)
		require.NotContains(t, thing, "/")
		require.Equal(t, reportTopicPrefix+thing+reportTopicMiddle+format.String(), topic)
	})
}
