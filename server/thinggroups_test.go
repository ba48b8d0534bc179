package server

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThingGroupMembership: the three membership operations read and
// change the Engine's membership; concurrent adds lose nothing.
func TestThingGroupMembership(t *testing.T) {
	s := newTestServer(t, Config{})
	base := serveLoopback(t, s, "http")
	c := http.DefaultClient
	arn := "arn:aws:iot:us-east-1:123456789012:"

	put := func(op, body string) (int, string, map[string]any) {
		return do(t, c, "PUT", base+"/thing-groups/"+op, []byte(body))
	}
	status, _, _ := put("addThingToThingGroup", `{"thingName":"cam-1","thingGroupName":"lab"}`)
	require.Equal(t, 200, status)
	status, _, _ = put("addThingToThingGroup", `{"thingArn":"`+arn+`thing/cam-1","thingGroupArn":"`+arn+`thinggroup/cams"}`)
	require.Equal(t, 200, status)
	groups, registered := s.Engine().ThingGroups("cam-1")
	assert.Equal(t, []string{"cams", "lab"}, groups)
	assert.True(t, registered)

	status, _, _ = put("updateThingGroupsForThing", `{"thingName":"cam-1","thingGroupsToAdd":["field"],"thingGroupsToRemove":["lab"]}`)
	require.Equal(t, 200, status)
	groups, _ = s.Engine().ThingGroups("cam-1")
	assert.Equal(t, []string{"cams", "field"}, groups)

	status, _, _ = put("removeThingFromThingGroup", `{"thingName":"cam-1","thingGroupName":"cams"}`)
	require.Equal(t, 200, status)
	groups, registered = s.Engine().ThingGroups("cam-1")
	assert.Equal(t, []string{"field"}, groups)
	assert.True(t, registered, "still a registered thing")

	for _, tc := range []struct{ op, body, message string }{
		{"addThingToThingGroup", `{"thingGroupName":"lab"}`, "either thingName or thingArn is required"},
		{"addThingToThingGroup", `{"thingName":"cam-1"}`, "either thingGroupName or thingGroupArn is required"},
		{"addThingToThingGroup", `{"thingName":"cam-1","thingArn":"` + arn + `thing/cam-2","thingGroupName":"g"}`, "name different resources"},
		{"addThingToThingGroup", `{"thingArn":"arn:aws:iot:eu-west-1:1:thing/x","thingGroupName":"g"}`, "thingArn"},
		{"addThingToThingGroup", `{"thingName":"cam-1","thingGroupName":"bad/name"}`, "thing group"},
		{"updateThingGroupsForThing", `{"thingGroupsToAdd":["a"]}`, "thingName is required"},
		{"updateThingGroupsForThing", `{"thingName":"x","thingGroupsToAdd":["a"],"thingGroupsToRemove":["a"]}`, "both added and removed"},
	} {
		status, code, body := put(tc.op, tc.body)
		assert.Equal(t, 400, status, tc.body)
		assert.Equal(t, "InvalidRequestException", code, tc.body)
		assert.Contains(t, body["message"], tc.message, tc.body)
	}
	groups, _ = s.Engine().ThingGroups("cam-1")
	assert.Equal(t, []string{"field"}, groups, "rejected calls change nothing")

	// Concurrent adds of distinct groups all land.
	var wg sync.WaitGroup
	want := []string{"field"}
	for i := range 16 {
		g := fmt.Sprintf("g%02d", i)
		want = append(want, g)
		wg.Go(func() {
			status, _, _ := put("addThingToThingGroup", `{"thingName":"cam-1","thingGroupName":"`+g+`"}`)
			assert.Equal(t, 200, status)
		})
	}
	wg.Wait()
	groups, _ = s.Engine().ThingGroups("cam-1")
	assert.Equal(t, slices.Sorted(slices.Values(want)), groups)
}
