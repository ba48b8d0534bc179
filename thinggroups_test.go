package ruledetect

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThingGroups: ThingGroups reads back what SetThingGroups told, sorted
// and deduplicated, and survives a snapshot.
func TestThingGroups(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	groups, registered := e.ThingGroups("a")
	assert.Nil(t, groups)
	assert.False(t, registered, "a thing never told is unregistered")

	require.NoError(t, e.SetThingGroups(ctx, "a", []string{"cams", "lab", "cams"}))
	groups, registered = e.ThingGroups("a")
	assert.Equal(t, []string{"cams", "lab"}, groups)
	assert.True(t, registered)
	groups[0] = "changed"
	groups, _ = e.ThingGroups("a")
	assert.Equal(t, []string{"cams", "lab"}, groups, "the result is a copy")

	require.NoError(t, e.SetThingGroups(ctx, "b", nil))
	groups, registered = e.ThingGroups("b")
	assert.Empty(t, groups)
	assert.True(t, registered, "told with no groups: registered")

	var buf bytes.Buffer
	require.NoError(t, e.WriteSnapshot(ctx, &buf))
	r, err := RestoreSnapshot(ctx, &buf)
	require.NoError(t, err)
	groups, registered = r.ThingGroups("a")
	assert.Equal(t, []string{"cams", "lab"}, groups)
	assert.True(t, registered)
}
