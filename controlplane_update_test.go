package ruledetect

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// Every control-plane change goes through update: a rejected change, and a
// request already in force, leave the config in force as it was (the same
// version, not an equal copy).
func TestControlPlaneRejectedOrRepeatedChangeStoresNothing(t *testing.T) {
	ctx := context.Background()
	all := func(e *Engine) string { return e.Arn("all/things") }
	setup := func(t *testing.T) *Engine {
		e := newTestEngine(t, "us-east-1", "123456789012", clockAt(1))
		_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: "d", Type: DimensionTypeTopicFilter, StringValues: []string{"a/#"}, ClientRequestToken: "tok"})
		require.NoError(t, err)
		_, err = e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "m", MetricType: "number", ClientRequestToken: "tok"})
		require.NoError(t, err)
		_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: []behavior.Behavior{
			authBehavior("a", 5),
			{Name: "c", Metric: "m", Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "greater-than", Value: &behavior.MetricValue{Number: ptr(1.0)}}},
			{Name: "t", Metric: "aws:num-messages-sent", MetricDimension: &behavior.MetricDimension{DimensionName: "d"},
				Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "greater-than", Value: &behavior.MetricValue{Count: ptr(int64(1))}, DurationSeconds: ptr(int64(300))}},
		}})
		require.NoError(t, err)
		require.NoError(t, e.AttachSecurityProfile(ctx, "p", all(e)))
		return e
	}
	for _, tc := range []struct {
		name    string
		call    func(e *Engine) error
		wantErr error // nil: the request was already in force
	}{
		{"create a profile that exists otherwise", func(e *Engine) error {
			_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p"})
			return err
		}, ErrResourceAlreadyExists},
		{"create an invalid profile", func(e *Engine) error {
			_, err := e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "q", Behaviors: []behavior.Behavior{{Name: "x", Metric: "nope"}}})
			return err
		}, ErrInvalidRequest},
		{"update a missing profile", func(e *Engine) error {
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "q"})
			return err
		}, ErrResourceNotFound},
		{"update with a stale version", func(e *Engine) error {
			_, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", ExpectedVersion: ptr(int64(7)), DeleteBehaviors: true})
			return err
		}, ErrVersionConflict},
		{"delete with a stale version", func(e *Engine) error { return e.DeleteSecurityProfile(ctx, "p", ptr(int64(7))) }, ErrVersionConflict},
		{"delete a missing profile", func(e *Engine) error { return e.DeleteSecurityProfile(ctx, "q", nil) }, nil},
		{"create a dimension that exists", func(e *Engine) error {
			_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: "d", Type: DimensionTypeTopicFilter, StringValues: []string{"b/#"}})
			return err
		}, ErrResourceAlreadyExists},
		{"retry a dimension create", func(e *Engine) error {
			_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: "d", Type: DimensionTypeTopicFilter, StringValues: []string{"a/#"}, ClientRequestToken: "tok"})
			return err
		}, nil},
		{"update a missing dimension", func(e *Engine) error {
			_, err := e.UpdateDimension(ctx, UpdateDimensionInput{Name: "x", StringValues: []string{"a"}})
			return err
		}, ErrResourceNotFound},
		{"delete a dimension in use", func(e *Engine) error { return e.DeleteDimension(ctx, "d") }, ErrInvalidRequest},
		{"create a custom metric that exists", func(e *Engine) error {
			_, err := e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "m", MetricType: "string-list"})
			return err
		}, ErrResourceAlreadyExists},
		{"retry a custom metric create", func(e *Engine) error {
			_, err := e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "m", MetricType: "number", ClientRequestToken: "tok"})
			return err
		}, nil},
		{"update a missing custom metric", func(e *Engine) error {
			_, err := e.UpdateCustomMetric(ctx, UpdateCustomMetricInput{MetricName: "x", DisplayName: "x"})
			return err
		}, ErrResourceNotFound},
		{"delete a custom metric in use", func(e *Engine) error { return e.DeleteCustomMetric(ctx, "m") }, ErrInvalidRequest},
		{"attach a missing profile", func(e *Engine) error { return e.AttachSecurityProfile(ctx, "q", all(e)) }, ErrResourceNotFound},
		{"attach twice", func(e *Engine) error { return e.AttachSecurityProfile(ctx, "p", all(e)) }, nil},
		{"detach what is not attached", func(e *Engine) error {
			return e.DetachSecurityProfile(ctx, "p", e.Arn("thinggroup/g"))
		}, ErrResourceNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			before := e.cfg.Load()
			err := tc.call(e)
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
			assert.Same(t, before, e.cfg.Load(), "the config in force changed")
		})
	}
}

// Inputs are values the engine copies: changing what a caller passed, or
// what it got back, after the call changes nothing in the engine.
func TestControlPlaneKeepsNothingOfTheCaller(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "us-east-1", "123456789012", clockAt(1))

	values := []string{"a/#"}
	dimTags := []behavior.Tag{{Key: "k", Value: ptr("v")}}
	_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: "d", Type: DimensionTypeTopicFilter, StringValues: values, Tags: dimTags})
	require.NoError(t, err)
	values[0], dimTags[0].Key = "changed/#", "changed"
	d, err := e.DescribeDimension(ctx, "d")
	require.NoError(t, err)
	assert.Equal(t, []string{"a/#"}, d.StringValues)
	assert.Equal(t, "k", e.cfg.Load().dims["d"].tags[0].Key)
	d.StringValues[0] = "changed/#"
	d, err = e.DescribeDimension(ctx, "d")
	require.NoError(t, err)
	assert.Equal(t, []string{"a/#"}, d.StringValues)

	upd := []string{"b/#"}
	_, err = e.UpdateDimension(ctx, UpdateDimensionInput{Name: "d", StringValues: upd})
	require.NoError(t, err)
	upd[0] = "changed/#"
	d, err = e.DescribeDimension(ctx, "d")
	require.NoError(t, err)
	assert.Equal(t, []string{"b/#"}, d.StringValues)

	behaviors := []behavior.Behavior{authBehavior("a", 5)}
	targets := map[string]behavior.AlertTarget{"SNS": {AlertTargetArn: "arn:aws:sns:us-east-1:123456789012:t", RoleArn: "arn:aws:iam::123456789012:role/r"}}
	_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: "p", Behaviors: behaviors, AlertTargets: targets})
	require.NoError(t, err)
	behaviors[0].Name, *behaviors[0].Criteria.Value.Count = "changed", 99
	targets["SNS"] = behavior.AlertTarget{AlertTargetArn: "changed"}
	sp, err := e.DescribeSecurityProfile(ctx, "p")
	require.NoError(t, err)
	assert.Equal(t, "a", sp.Behaviors[0].Name)
	assert.Equal(t, int64(5), *sp.Behaviors[0].Criteria.Value.Count)
	assert.Equal(t, "arn:aws:sns:us-east-1:123456789012:t", sp.AlertTargets["SNS"].AlertTargetArn)

	sp.Behaviors[0].Name, *sp.Behaviors[0].Criteria.Value.Count = "changed", 99
	sp.AlertTargets["SNS"] = behavior.AlertTarget{AlertTargetArn: "changed"}
	again, err := e.DescribeSecurityProfile(ctx, "p")
	require.NoError(t, err)
	assert.Equal(t, "a", again.Behaviors[0].Name)
	assert.Equal(t, int64(5), *again.Behaviors[0].Criteria.Value.Count)
	assert.Equal(t, "arn:aws:sns:us-east-1:123456789012:t", again.AlertTargets["SNS"].AlertTargetArn)

	newBehaviors := []behavior.Behavior{authBehavior("b", 7)}
	got, err := e.UpdateSecurityProfile(ctx, UpdateSecurityProfileInput{SecurityProfileName: "p", Behaviors: newBehaviors})
	require.NoError(t, err)
	newBehaviors[0].Name = "changed"
	got.Behaviors[0].Name = "changed too"
	again, err = e.DescribeSecurityProfile(ctx, "p")
	require.NoError(t, err)
	assert.Equal(t, "b", again.Behaviors[0].Name)

	groups := []string{"g2", "g1"}
	require.NoError(t, e.SetThingGroups(ctx, "cam", groups))
	groups[0] = "changed"
	gs, ok := e.ThingGroups("cam")
	require.True(t, ok)
	assert.Equal(t, []string{"g1", "g2"}, gs)
}

// Regression: CreateDimension and CreateCustomMetric kept their tags with a
// shallow copy, so a tag value (a *string) stayed the caller's: changing it
// after the call changed the engine's tag.
func TestTagValuesSharedWithCaller(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "us-east-1", "123456789012", clockAt(1))
	dimTags := []behavior.Tag{{Key: "k", Value: ptr("v")}}
	_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: "d", Type: DimensionTypeTopicFilter, StringValues: []string{"a/#"}, Tags: dimTags})
	require.NoError(t, err)
	metricTags := []behavior.Tag{{Key: "k", Value: ptr("v")}}
	_, err = e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: "m", MetricType: "number", Tags: metricTags})
	require.NoError(t, err)
	*dimTags[0].Value, *metricTags[0].Value = "changed", "changed"
	cfg := e.cfg.Load()
	assert.Equal(t, "v", *cfg.dims["d"].tags[0].Value)
	assert.Equal(t, "v", *cfg.customs["m"].tags[0].Value)
}
