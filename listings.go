package ruledetect

import (
	"context"
	"iter"
)

// walk yields every item of a paged listing, page by page from token on,
// until a page has no nextToken. An error (a bad request, or ctx done) is
// yielded once, with the zero item, and ends the sequence.
func walk[T any](ctx context.Context, token string, page func(ctx context.Context, token string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			var zero T
			items, next, err := page(ctx, token)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			token = next
		}
	}
}

// Dimensions yields the name of every dimension, walking ListDimensions's
// pages (in.NextToken and in.MaxResults set where it starts and the page size).
func (e *Engine) Dimensions(ctx context.Context, in ListDimensionsInput) iter.Seq2[string, error] {
	return walk(ctx, in.NextToken, func(ctx context.Context, token string) ([]string, string, error) {
		in.NextToken = token
		out, err := e.ListDimensions(ctx, in)
		return out.DimensionNames, out.NextToken, err
	})
}

// CustomMetrics yields the name of every custom metric, walking
// ListCustomMetrics's pages.
func (e *Engine) CustomMetrics(ctx context.Context, in ListCustomMetricsInput) iter.Seq2[string, error] {
	return walk(ctx, in.NextToken, func(ctx context.Context, token string) ([]string, string, error) {
		in.NextToken = token
		out, err := e.ListCustomMetrics(ctx, in)
		return out.MetricNames, out.NextToken, err
	})
}

// SecurityProfiles yields every security profile that matches in's filter,
// walking ListSecurityProfiles's pages.
func (e *Engine) SecurityProfiles(ctx context.Context, in ListSecurityProfilesInput) iter.Seq2[SecurityProfileIdentifier, error] {
	return walk(ctx, in.NextToken, func(ctx context.Context, token string) ([]SecurityProfileIdentifier, string, error) {
		in.NextToken = token
		out, err := e.ListSecurityProfiles(ctx, in)
		return out.SecurityProfileIdentifiers, out.NextToken, err
	})
}

// TargetsForSecurityProfile yields every target a profile is attached to,
// walking ListTargetsForSecurityProfile's pages.
func (e *Engine) TargetsForSecurityProfile(ctx context.Context, in ListTargetsForSecurityProfileInput) iter.Seq2[SecurityProfileTarget, error] {
	return walk(ctx, in.NextToken, func(ctx context.Context, token string) ([]SecurityProfileTarget, string, error) {
		in.NextToken = token
		out, err := e.ListTargetsForSecurityProfile(ctx, in)
		return out.SecurityProfileTargets, out.NextToken, err
	})
}

// SecurityProfilesForTarget yields every (profile, target) attachment of a
// target, walking ListSecurityProfilesForTarget's pages.
func (e *Engine) SecurityProfilesForTarget(ctx context.Context, in ListSecurityProfilesForTargetInput) iter.Seq2[SecurityProfileTargetMapping, error] {
	return walk(ctx, in.NextToken, func(ctx context.Context, token string) ([]SecurityProfileTargetMapping, string, error) {
		in.NextToken = token
		out, err := e.ListSecurityProfilesForTarget(ctx, in)
		return out.SecurityProfileTargetMappings, out.NextToken, err
	})
}
