package ruledetect

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The listing iterators walk every page once, stop when the caller stops,
// and yield a bad request's error once.
func TestListingIterators(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "us-east-1", "123456789012", clockAt(1))
	var wantMetrics, wantProfiles, wantDims []string
	for i := range 9 {
		d := fmt.Sprintf("d%02d", i)
		_, err := e.CreateDimension(ctx, CreateDimensionInput{Name: d, Type: DimensionTypeTopicFilter, StringValues: []string{"a/#"}})
		require.NoError(t, err)
		wantDims = append(wantDims, d)
	}
	for i := range 23 {
		m, p := fmt.Sprintf("m%02d", i), fmt.Sprintf("p%02d", i)
		_, err := e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: m, MetricType: "number"})
		require.NoError(t, err)
		_, err = e.CreateSecurityProfile(ctx, CreateSecurityProfileInput{SecurityProfileName: p})
		require.NoError(t, err)
		if i < 4 {
			require.NoError(t, e.AttachSecurityProfile(ctx, p, e.Arn("all/things")))
		}
		wantMetrics, wantProfiles = append(wantMetrics, m), append(wantProfiles, p)
	}
	collect := func(seq func(func(string, error) bool)) []string {
		var got []string
		for s, err := range seq {
			require.NoError(t, err)
			got = append(got, s)
		}
		slices.Sort(got)
		return got
	}
	assert.Equal(t, wantDims, collect(e.Dimensions(ctx, ListDimensionsInput{MaxResults: 2})))
	assert.Equal(t, wantMetrics, collect(e.CustomMetrics(ctx, ListCustomMetricsInput{MaxResults: 3})))
	var profiles []string
	for p, err := range e.SecurityProfiles(ctx, ListSecurityProfilesInput{MaxResults: 4}) {
		require.NoError(t, err)
		assert.Equal(t, e.Arn("securityprofile/"+p.Name), p.Arn)
		profiles = append(profiles, p.Name)
	}
	slices.Sort(profiles)
	assert.Equal(t, wantProfiles, profiles)
	var attached []string
	for m, err := range e.SecurityProfilesForTarget(ctx, ListSecurityProfilesForTargetInput{SecurityProfileTargetArn: e.Arn("all/things"), MaxResults: 1}) {
		require.NoError(t, err)
		attached = append(attached, m.SecurityProfileIdentifier.Name)
	}
	slices.Sort(attached)
	assert.Equal(t, wantProfiles[:4], attached)
	for tg, err := range e.TargetsForSecurityProfile(ctx, ListTargetsForSecurityProfileInput{SecurityProfileName: "p00"}) {
		require.NoError(t, err)
		assert.Equal(t, e.Arn("all/things"), tg.Arn)
	}

	n := 0
	for range e.CustomMetrics(ctx, ListCustomMetricsInput{MaxResults: 2}) {
		if n++; n == 5 {
			break
		}
	}
	assert.Equal(t, 5, n, "a break stops the walk")

	errs := 0
	for _, err := range e.CustomMetrics(ctx, ListCustomMetricsInput{MaxResults: 251}) {
		require.ErrorIs(t, err, ErrInvalidRequest)
		errs++
	}
	assert.Equal(t, 1, errs)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range e.SecurityProfiles(cancelled, ListSecurityProfilesInput{}) {
		require.ErrorIs(t, err, context.Canceled)
	}
}
