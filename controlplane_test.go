package ruledetect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

func ptr[T any](v T) *T { return &v }

func authBehavior(name string, count int64) behavior.Behavior {
	return behavior.Behavior{Name: name, Metric: "aws:num-authorization-failures", Criteria: &behavior.BehaviorCriteria{
		ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: ptr(count)}, DurationSeconds: ptr(int64(300)),
	}}
}

// The real-service behaviors recorded by peers (reference/peers.md §1.2).
func TestServiceBehaviorsFromPeers(t *testing.T) {
	ctx := context.Background()
	newE := func(t *testing.T) *Engine { return newTestEngine(t, "us-east-1", "123456789012", clockAt(1)) }

	t.Run("deletes of missing resources succeed", func(t *testing.T) {
		e := newE(t)
		require.NoError(t, e.DeleteSecurityProfile(ctx, "nope", nil))
		require.NoError(t, e.DeleteDimension(ctx, "nope"))
		require.NoError(t, e.DeleteCustomMetric(ctx, "nope"))
	})
	t.Run("an empty behaviors list does not clear; deleteBehaviors does", func(t *testing.T) {
		e := newE(t)
		_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{authBehavior("a", 5)}})
		require.NoError(t, err)
		got, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{}})
		require.NoError(t, err)
		assert.Len(t, got.Behaviors, 1)
		got, err = e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", DeleteBehaviors: true})
		require.NoError(t, err)
		assert.Empty(t, got.Behaviors)
		assert.Equal(t, int64(3), got.Version)
	})
	t.Run("a delete flag with a value in the same call is refused and changes nothing", func(t *testing.T) {
		e := newE(t)
		_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{authBehavior("a", 5)}})
		require.NoError(t, err)
		for _, in := range []UpdateSecurityProfileInput{
			{SecurityProfileName: "p", DeleteBehaviors: true, Behaviors: []behavior.Behavior{authBehavior("b", 1)}},
			{SecurityProfileName: "p", DeleteAlertTargets: true, AlertTargets: map[string]behavior.AlertTarget{"SNS": {AlertTargetArn: "arn:aws:sns:us-east-1:123456789012:t", RoleArn: "arn:aws:iam::123456789012:role/r"}}},
			{SecurityProfileName: "p", DeleteAdditionalMetricsToRetain: true, AdditionalMetricsToRetain: []string{"aws:num-messages-sent"}},
			{SecurityProfileName: "p", DeleteMetricsExportConfig: true, MetricsExportConfig: &behavior.MetricsExportConfig{MQTTTopic: "x", RoleArn: "y"}},
		} {
			_, err := e.UpdateSecurityProfile(ctx, in)
			require.ErrorIs(t, err, ErrInvalidRequest)
		}
		got, err := e.DescribeSecurityProfile(ctx, "p")
		require.NoError(t, err)
		assert.Equal(t, int64(1), got.Version)
		assert.Equal(t, "a", got.Behaviors[0].Name)
	})
	t.Run("create with identical parameters is idempotent; differing tags raise AlreadyExists", func(t *testing.T) {
		e := newE(t)
		in := CreateSecurityProfileInput{SecurityProfileName: "p", Tags: []behavior.Tag{{Key: "team", Value: ptr("a")}}}
		_, err := e.CreateSecurityProfile(ctx, in)
		require.NoError(t, err)
		_, err = e.CreateSecurityProfile(ctx, in)
		require.NoError(t, err)
		in.Tags = append(in.Tags, behavior.Tag{Key: "aws:cloudformation:stack-name", Value: ptr("s")})
		_, err = e.CreateSecurityProfile(ctx, in)
		require.ErrorIs(t, err, ErrResourceAlreadyExists)
	})
	t.Run("dimension idempotency is keyed on clientRequestToken", func(t *testing.T) {
		e := newE(t)
		in := CreateDimensionInput{Name: "d", Type: "TOPIC_FILTER", StringValues: []string{"a/+"}, ClientRequestToken: "tok"}
		_, err := e.CreateDimension(ctx, in)
		require.NoError(t, err)
		_, err = e.CreateDimension(ctx, in)
		require.NoError(t, err)
		in.ClientRequestToken = "other"
		_, err = e.CreateDimension(ctx, in)
		require.ErrorIs(t, err, ErrResourceAlreadyExists)
	})
	t.Run("a dimension's type cannot change and must be TOPIC_FILTER", func(t *testing.T) {
		e := newE(t)
		_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: "d", Type: "CLIENT_ID", StringValues: []string{"a"}})
		require.ErrorIs(t, err, ErrInvalidRequest)
	})
	t.Run("delete and update check expectedVersion", func(t *testing.T) {
		e := newE(t)
		_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p"})
		require.NoError(t, err)
		_, err = e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", ExpectedVersion: ptr(int64(2))})
		require.ErrorIs(t, err, ErrVersionConflict)
		require.ErrorIs(t, e.DeleteSecurityProfile(ctx, "p", ptr(int64(2))), ErrVersionConflict)
		require.NoError(t, e.DeleteSecurityProfile(ctx, "p", ptr(int64(1))))
	})
	t.Run("at most five profiles per target", func(t *testing.T) {
		e := newE(t)
		for i := range 6 {
			name := "p" + strconv.Itoa(i)
			_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: name})
			require.NoError(t, err)
			err = e.AttachSecurityProfile(ctx, name, e.Arn("all/things"))
			if i < 5 {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrLimitExceeded)
			}
		}
		require.NoError(t, e.AttachSecurityProfile(ctx, "p5", e.Arn("thinggroup/cameras")), "the limit is per target")
	})
	t.Run("quotas: 10 dimensions, 100 values each, 100 custom metrics", func(t *testing.T) {
		e := newE(t)
		for i := range 10 {
			_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: fmt.Sprint("d", i), Type: "TOPIC_FILTER", StringValues: []string{"a"}})
			require.NoError(t, err)
		}
		_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: "d10", Type: "TOPIC_FILTER", StringValues: []string{"a"}})
		require.ErrorIs(t, err, ErrLimitExceeded)
		values := make([]string, 101)
		for i := range values {
			values[i] = fmt.Sprint("t/", i)
		}
		_, err = e.UpdateDimension(ctx, UpdateDimensionInput{Name: "d0", StringValues: values})
		require.ErrorIs(t, err, ErrInvalidRequest)
		for i := range 100 {
			_, err := e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: fmt.Sprint("m", i), MetricType: "number"})
			require.NoError(t, err)
		}
		_, err = e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "m100", MetricType: "number"})
		require.ErrorIs(t, err, ErrLimitExceeded)
	})
	t.Run("a custom metric used by a profile cannot be deleted", func(t *testing.T) {
		e := newE(t)
		_, err := e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "battery", MetricType: "number"})
		require.NoError(t, err)
		_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{{
			Name: "b", Metric: "battery", Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "greater-than", Value: &behavior.MetricValue{Number: ptr(20.0)}},
		}}})
		require.NoError(t, err)
		err = e.DeleteCustomMetric(ctx, "battery")
		require.ErrorIs(t, err, ErrInvalidRequest)
		assert.Contains(t, err.Error(), "p")
	})
	t.Run("an invalid profile is refused with every problem and nothing is created", func(t *testing.T) {
		e := newE(t)
		b := authBehavior("Authorization", 5)
		b.Criteria.ConsecutiveDatapointsToAlarm = ptr(int64(100000))
		_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{b}})
		require.ErrorIs(t, err, ErrInvalidRequest)
		assert.Contains(t, err.Error(), "Behavior Authorization is malformed. consecutiveDatapointsToAlarm 100000 should be in range[1,10]")
		_, err = e.DescribeSecurityProfile(ctx, "p")
		require.ErrorIs(t, err, ErrResourceNotFound)
	})
	t.Run("maxResults must be 1..250", func(t *testing.T) {
		e := newE(t)
		_, err := e.ListDimensions(ctx, ListDimensionsInput{MaxResults: 251})
		require.ErrorIs(t, err, ErrInvalidRequest)
		_, err = e.ListSecurityProfiles(ctx, ListSecurityProfilesInput{MaxResults: -1})
		require.ErrorIs(t, err, ErrInvalidRequest)
		_, err = e.ListCustomMetrics(ctx, ListCustomMetricsInput{NextToken: "garbage"})
		require.ErrorIs(t, err, ErrInvalidRequest)
	})
}

// Listing 1,000 profiles with maxResults 7 returns each exactly once, also
// while profiles are being added.
func TestPagingStableUnderInserts(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "us-east-1", "123456789012", clockAt(1))
	for i := range 1000 {
		_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: fmt.Sprintf("p%04d", i)})
		require.NoError(t, err)
	}
	seen := map[string]int{}
	token, pages := "", 0
	for {
		out, err := e.ListSecurityProfiles(ctx, ListSecurityProfilesInput{MaxResults: 7, NextToken: token})
		require.NoError(t, err)
		require.LessOrEqual(t, len(out.SecurityProfileIdentifiers), 7)
		for _, id := range out.SecurityProfileIdentifiers {
			seen[id.Name]++
		}
		// Insert new profiles on both sides of the cursor while paging.
		for _, name := range []string{fmt.Sprintf("a-%d", pages), fmt.Sprintf("p%04d-new", pages*7+50)} {
			_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: name})
			require.NoError(t, err)
		}
		pages++
		token = out.NextToken
		if token == "" {
			break
		}
	}
	for i := range 1000 {
		assert.Equal(t, 1, seen[fmt.Sprintf("p%04d", i)], "p%04d", i)
	}
	for name, n := range seen {
		assert.Equal(t, 1, n, name)
	}
}

// Dimensions and custom metrics check their tags with the same rules as
// security profiles, and a rejected create creates nothing.
func TestTagsChecked(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("v", 257)
	tests := []struct {
		name string
		tags []behavior.Tag
		want string
	}{
		{"empty key", []behavior.Tag{{Key: ""}}, "tags[0].Key is required"},
		{"bad key character", []behavior.Tag{{Key: "a|b"}}, `tags[0].Key "a|b" should match pattern`},
		{"value too long", []behavior.Tag{{Key: "k", Value: &long}}, "tags[0].Value length 257 should be in range[0,256]"},
		{"too many", make51Tags(), "tags has 51 tags; at most 50 are allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEngine(t, "us-east-1", "123456789012", clockAt(1))
			_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: "d", Type: DimensionTypeTopicFilter, StringValues: []string{"a/#"}, Tags: tt.tags})
			require.ErrorIs(t, err, ErrInvalidRequest)
			assert.Contains(t, err.Error(), tt.want)
			_, err = e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "m", MetricType: "number", Tags: tt.tags})
			require.ErrorIs(t, err, ErrInvalidRequest)
			assert.Contains(t, err.Error(), tt.want)
			_, err = e.DescribeDimension(ctx, "d")
			require.ErrorIs(t, err, ErrResourceNotFound)
			_, err = e.DescribeCustomMetric(ctx, "m")
			require.ErrorIs(t, err, ErrResourceNotFound)
		})
	}
}

func make51Tags() []behavior.Tag {
	tags := make([]behavior.Tag, 51)
	for i := range tags {
		tags[i].Key = "k" + strconv.Itoa(i)
	}
	return tags
}
