package ruledetect

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// A profile's last attachment to a target can go by DeleteSecurityProfile
// or by DetachSecurityProfile; either way the snapshot taken afterwards must
// restore, and show the target gone.
func TestSnapshotAfterDeletingOnlyAttachedProfile(t *testing.T) {
	ctx := context.Background()
	for _, how := range []string{"delete", "detach"} {
		t.Run(how, func(t *testing.T) {
			e, err := New()
			require.NoError(t, err)
			sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"p","behaviors":[
			  {"name":"auth","metric":"aws:num-authorization-failures",
			   "criteria":{"comparisonOperator":"less-than","value":{"count":2},"durationSeconds":300}}]}`))
			require.NoError(t, err)
			_, err = e.CreateSecurityProfile(ctx, *sp)
			require.NoError(t, err)
			for _, target := range []string{"all/things", "thinggroup/g1"} {
				require.NoError(t, e.AttachSecurityProfile(ctx, "p", e.Arn(target)))
			}
			if how == "delete" {
				require.NoError(t, e.DeleteSecurityProfile(ctx, "p", nil))
			} else {
				for _, target := range []string{"all/things", "thinggroup/g1"} {
					require.NoError(t, e.DetachSecurityProfile(ctx, "p", e.Arn(target)))
				}
			}
			r, data := snapRoundTrip(t, e)
			out, err := r.ListSecurityProfilesForTarget(ctx, ListSecurityProfilesForTargetInput{SecurityProfileTargetArn: e.Arn("all/things"), Recursive: true})
			require.NoError(t, err)
			require.Empty(t, out.SecurityProfileTargetMappings)
			// And the restored engine's own snapshot restores too.
			var buf bytes.Buffer
			require.NoError(t, r.WriteSnapshot(ctx, &buf))
			require.Equal(t, data, buf.Bytes())
			_, err = RestoreSnapshot(ctx, &buf)
			require.NoError(t, err)
		})
	}
}
