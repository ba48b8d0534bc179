package broker

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/dimension"
)

const testACL = `
# every thing: its own reports and replies, its own subtree
*          publish    $aws/things/${iot:ClientId}/defender/metrics/json
*          subscribe  $aws/things/${iot:ClientId}/defender/metrics/+/+
*          publish    things/${iot:ClientId}/#
*          subscribe  things/${iot:ClientId}/#
	*	subscribe	broadcast/+/news
# a gateway reports on behalf of other things
gateway-1  publish    $aws/things/+/defender/metrics/+
`

func TestACL(t *testing.T) {
	acl, err := ParseACL(strings.NewReader(testACL))
	require.NoError(t, err)
	require.Len(t, acl.Rules(), 6)
	for _, tc := range []struct {
		client, topic string
		action        string
		want          bool
	}{
		{"dev-1", "$aws/things/dev-1/defender/metrics/json", "publish", true},
		{"dev-1", "$aws/things/dev-2/defender/metrics/json", "publish", false},
		{"dev-1", "$aws/things/dev-1/defender/metrics/cbor", "publish", false},
		{"gateway-1", "$aws/things/dev-2/defender/metrics/cbor", "publish", true},
		{"dev-1", "things/dev-1", "publish", true}, // "a/#" matches "a"
		{"dev-1", "things/dev-1/a/b", "publish", true},
		{"dev-1", "things/dev-10/a", "publish", false},
		{"dev-1", "things/dev-1/a", "receive", true},
		{"dev-1", "things/dev-2/a", "receive", false},
		{"dev-1", "$aws/things/dev-1/defender/metrics/json/accepted", "receive", true},
		{"dev-1", "$aws/things/dev-2/defender/metrics/json/accepted", "receive", false},
		{"dev-1", "$aws/things/dev-1/defender/metrics/json/accepted", "subscribe", true},
		{"dev-1", "$aws/things/dev-1/defender/metrics/+/accepted", "subscribe", true},
		{"dev-1", "$aws/things/dev-1/defender/metrics/#", "subscribe", false},
		{"dev-1", "$aws/things/+/defender/metrics/json/accepted", "subscribe", false},
		{"dev-1", "things/dev-1/#", "subscribe", true},
		{"dev-1", "things/dev-1/+/x", "subscribe", true},
		{"dev-1", "things/#", "subscribe", false},
		{"dev-1", "things/+/x", "subscribe", false},
		{"dev-1", "#", "subscribe", false},
		{"dev-1", "broadcast/+/news", "subscribe", true},
		{"dev-1", "broadcast/eu/news", "subscribe", true},
		{"dev-1", "broadcast/#", "subscribe", false},
		{"dev-1", "broadcast/eu/+", "subscribe", false},
		{"gateway-1", "things/gateway-1/#", "subscribe", true},
	} {
		var got bool
		switch tc.action {
		case "publish":
			got = acl.CanPublish(tc.client, tc.topic)
		case "subscribe":
			got = acl.CanSubscribe(tc.client, tc.topic)
		case "receive":
			got = acl.CanReceive(tc.client, tc.topic)
		}
		assert.Equal(t, tc.want, got, "%s %s %s", tc.client, tc.action, tc.topic)
	}
}

// A wildcard in the first level does not reach '$' topics, in a rule as in
// a subscription.
func TestACLDollarTopics(t *testing.T) {
	acl, err := NewACL([]Rule{{Client: AnyClient, Action: Subscribe, Filter: "#"}, {Client: AnyClient, Action: Publish, Filter: "+/x"}})
	require.NoError(t, err)
	assert.True(t, acl.CanSubscribe("d", "a/#"))
	assert.False(t, acl.CanSubscribe("d", "$aws/#"))
	assert.False(t, acl.CanReceive("d", "$SYS/broker/uptime"))
	assert.True(t, acl.CanPublish("d", "a/x"))
	assert.False(t, acl.CanPublish("d", "$a/x"))
}

func TestParseACLErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"* pub a/b", `line 1: action "pub" is neither publish nor subscribe`},
		{"\n\n*  publish", "line 3: no topic filter"},
		{"*  publish  a/#/b", "line 1: dimension: invalid topic filter"},
		{"a/b  publish  x", `line 1: client "a/b"`},
		{"*  subscribe  ${iot:Thing}/x", "unsupported substitution variable"},
	} {
		_, err := ParseACL(strings.NewReader(tc.in))
		require.ErrorIs(t, err, ErrInvalidACL, tc.in)
		assert.ErrorContains(t, err, tc.want, tc.in)
	}
	_, err := NewACL([]Rule{{Client: "", Action: Publish, Filter: "a"}})
	assert.ErrorIs(t, err, ErrInvalidACL)
	_, err = NewACL([]Rule{{Client: "*", Action: 7, Filter: "a"}})
	assert.ErrorIs(t, err, ErrInvalidACL)
}

func TestDefaultACL(t *testing.T) {
	acl := DefaultACL()
	assert.True(t, acl.CanPublish("dev-1", "$aws/things/dev-1/defender/metrics/cbor"))
	assert.False(t, acl.CanPublish("dev-1", "$aws/things/dev-2/defender/metrics/cbor"))
	assert.True(t, acl.CanSubscribe("dev-1", "$aws/things/dev-1/defender/metrics/+/+"))
	assert.True(t, acl.CanReceive("dev-1", "$aws/things/dev-1/defender/metrics/cbor/rejected"))
	assert.False(t, acl.CanSubscribe("dev-1", "#"))
}

func FuzzParseACL(f *testing.F) {
	f.Add(testACL)
	f.Add("* publish #\n# c\nx subscribe a/+/${iot:ClientId}")
	f.Fuzz(func(t *testing.T, in string) {
		acl, err := ParseACL(strings.NewReader(in))
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidACL)
			return
		}
		_, err = NewACL(acl.Rules()) // what parses, compiles again
		require.NoError(t, err)
	})
}

// If a rule covers a subscription, every topic the subscription matches is
// one the rule matches, with the dimension package's matcher as the oracle.
func FuzzCovers(f *testing.F) {
	f.Add("things/${iot:ClientId}/#", "things/dev/+/x", "things/dev/a/x", "dev")
	f.Add("+/+", "$a/b", "$a/b", "c")
	f.Add("a/#", "a", "a", "c")
	f.Fuzz(func(t *testing.T, allowed, filter, topic, client string) {
		if dimension.ValidateFilter(allowed) != nil || dimension.ValidateFilter(filter) != nil || checkClientID(client) != nil ||
			strings.Contains(filter, dimension.ClientIDVariable) {
			return
		}
		if !covers(allowed, client, strings.Split(filter, "/")) {
			return
		}
		fm, err := dimension.Compile([]string{filter})
		require.NoError(t, err)
		am, err := dimension.Compile([]string{allowed})
		require.NoError(t, err)
		if fm.Match(topic, client) {
			require.True(t, am.Match(topic, client), "%q covers %q but not its topic %q", allowed, filter, topic)
		}
	})
}
