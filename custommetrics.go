package ruledetect

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/echo"
)

// MaxCustomMetrics is the service's default quota of custom metrics.
const MaxCustomMetrics = 100

// CreateCustomMetricInput is the CreateCustomMetric request.
type CreateCustomMetricInput struct {
	MetricName         string         `json:"metricName"`
	DisplayName        string         `json:"displayName,omitzero"`
	MetricType         string         `json:"metricType"`
	Tags               []behavior.Tag `json:"tags,omitzero"`
	ClientRequestToken string         `json:"clientRequestToken,omitzero"`
}

// CreateCustomMetricOutput is the CreateCustomMetric response.
type CreateCustomMetricOutput struct {
	MetricName string `json:"metricName"`
	MetricArn  string `json:"metricArn"`
}

// CustomMetric is a custom metric as DescribeCustomMetric and
// UpdateCustomMetric return it.
type CustomMetric struct {
	MetricName       string             `json:"metricName"`
	MetricArn        string             `json:"metricArn"`
	MetricType       string             `json:"metricType"`
	DisplayName      string             `json:"displayName,omitzero"`
	CreationDate     behavior.Timestamp `json:"creationDate"`
	LastModifiedDate behavior.Timestamp `json:"lastModifiedDate"`
}

// UpdateCustomMetricInput is the UpdateCustomMetric request: only the
// display name can change.
type UpdateCustomMetricInput struct {
	MetricName  string `json:"metricName"`
	DisplayName string `json:"displayName"`
}

// ListCustomMetricsInput is the ListCustomMetrics request.
type ListCustomMetricsInput struct {
	NextToken  string `json:"nextToken,omitzero"`
	MaxResults int    `json:"maxResults,omitzero"`
}

// ListCustomMetricsOutput is the ListCustomMetrics response.
type ListCustomMetricsOutput struct {
	MetricNames []string `json:"metricNames"`
	NextToken   string   `json:"nextToken,omitzero"`
}

// displayNamePattern is the model's CustomMetricDisplayName pattern.
var displayNamePattern = regexp.MustCompile(`^[[:graph:] ]*$`)

func checkDisplayName(op, name, display string) error {
	if len(display) > 128 || !displayNamePattern.MatchString(display) {
		return newError(op, ErrInvalidRequest, name, "displayName must be at most 128 printable characters")
	}
	return nil
}

// CreateCustomMetric defines a custom metric that devices report in
// custom_metrics and behaviors can monitor. A retry with the same
// clientRequestToken and parameters succeeds.
func (e *Engine) CreateCustomMetric(ctx context.Context, in CreateCustomMetricInput) (CreateCustomMetricOutput, error) {
	const op = "CreateCustomMetric"
	if err := ctx.Err(); err != nil {
		return CreateCustomMetricOutput{}, err
	}
	if err := firstErr(checkName(op, "metricName", in.MetricName), checkDisplayName(op, in.MetricName, in.DisplayName),
		checkClientToken(op, in.MetricName, in.ClientRequestToken), checkTags(op, in.MetricName, in.Tags)); err != nil {
		return CreateCustomMetricOutput{}, err
	}
	if strings.HasPrefix(in.MetricName, "aws:") {
		return CreateCustomMetricOutput{}, newError(op, ErrInvalidRequest, in.MetricName, "a custom metric's name can't begin with aws:")
	}
	if _, err := behavior.ParseCustomMetricType(in.MetricType); err != nil {
		var types []string
		for _, t := range behavior.CustomMetricTypes() {
			types = append(types, string(t))
		}
		bad := newError(op, ErrInvalidRequest, in.MetricName, "metricType %s: want one of %s", echo.Quote(in.MetricType), strings.Join(types, ", "))
		bad.Cause = err
		return CreateCustomMetricOutput{}, bad
	}
	var out CreateCustomMetricOutput
	err := e.update(ctx, func(cfg *config) (cpChange, error) {
		if m, ok := cfg.customs[in.MetricName]; ok {
			if in.ClientRequestToken != "" && m.token == in.ClientRequestToken && m.metricType == in.MetricType && m.displayName == in.DisplayName {
				out = CreateCustomMetricOutput{MetricName: m.name, MetricArn: m.arn}
				return cpChange{}, nil
			}
			return cpChange{}, newError(op, ErrResourceAlreadyExists, in.MetricName, "custom metric %s already exists", in.MetricName)
		}
		if len(cfg.customs) >= MaxCustomMetrics {
			return cpChange{}, newError(op, ErrLimitExceeded, in.MetricName, "an account can have at most %d custom metrics", MaxCustomMetrics)
		}
		now := e.opts.clock().UTC()
		rec := &customMetricRecord{
			name: in.MetricName, arn: e.arn("custommetric/" + in.MetricName), token: in.ClientRequestToken,
			displayName: in.DisplayName, metricType: in.MetricType, tags: cloneTags(in.Tags), created: now, updated: now,
		}
		next := cfg.clone()
		next.customs[in.MetricName] = rec
		out = CreateCustomMetricOutput{MetricName: rec.name, MetricArn: rec.arn}
		return cpChange{next: next}, nil
	})
	if err != nil {
		return CreateCustomMetricOutput{}, err
	}
	return out, nil
}

// DescribeCustomMetric returns a custom metric.
func (e *Engine) DescribeCustomMetric(ctx context.Context, name string) (CustomMetric, error) {
	if err := ctx.Err(); err != nil {
		return CustomMetric{}, err
	}
	m, ok := e.cfg.Load().customs[name]
	if !ok {
		return CustomMetric{}, errNotFound("DescribeCustomMetric", "custom metric", name)
	}
	return m.describe(), nil
}

func (m *customMetricRecord) describe() CustomMetric {
	return CustomMetric{
		MetricName: m.name, MetricArn: m.arn, MetricType: m.metricType, DisplayName: m.displayName,
		CreationDate: behavior.At(m.created), LastModifiedDate: behavior.At(m.updated),
	}
}

// UpdateCustomMetric changes a custom metric's display name.
func (e *Engine) UpdateCustomMetric(ctx context.Context, in UpdateCustomMetricInput) (CustomMetric, error) {
	const op = "UpdateCustomMetric"
	if err := ctx.Err(); err != nil {
		return CustomMetric{}, err
	}
	if err := checkDisplayName(op, in.MetricName, in.DisplayName); err != nil {
		return CustomMetric{}, err
	}
	var out CustomMetric
	err := e.update(ctx, func(cfg *config) (cpChange, error) {
		old, ok := cfg.customs[in.MetricName]
		if !ok {
			return cpChange{}, errNotFound(op, "custom metric", in.MetricName)
		}
		m := *old
		m.displayName, m.updated = in.DisplayName, e.opts.clock().UTC()
		next := cfg.clone()
		next.customs[in.MetricName] = &m
		out = m.describe()
		return cpChange{next: next}, nil
	})
	if err != nil {
		return CustomMetric{}, err
	}
	return out, nil
}

// DeleteCustomMetric deletes a custom metric. Deleting one that does not
// exist succeeds. A custom metric that a security profile uses cannot be
// deleted: remove it from the profiles first, as the service requires.
func (e *Engine) DeleteCustomMetric(ctx context.Context, name string) error {
	const op = "DeleteCustomMetric"
	if err := ctx.Err(); err != nil {
		return err
	}
	return e.update(ctx, func(cfg *config) (cpChange, error) {
		if _, ok := cfg.customs[name]; !ok {
			return cpChange{}, nil
		}
		if users := cfg.profilesWhere(func(p *profileRecord) bool { return p.usesMetric(name) }); len(users) > 0 {
			return cpChange{}, newError(op, ErrInvalidRequest, name, "custom metric %s is used by security profiles %s; remove it from them first", name, strings.Join(users, ", "))
		}
		next := cfg.clone()
		delete(next.customs, name)
		return cpChange{next: next}, nil
	})
}

// ListCustomMetrics lists custom metric names in lexical order.
func (e *Engine) ListCustomMetrics(ctx context.Context, in ListCustomMetricsInput) (ListCustomMetricsOutput, error) {
	if err := ctx.Err(); err != nil {
		return ListCustomMetricsOutput{}, err
	}
	names := slices.Sorted(maps.Keys(e.cfg.Load().customs))
	page, next, err := pageNames("ListCustomMetrics", names, in.NextToken, in.MaxResults)
	if err != nil {
		return ListCustomMetricsOutput{}, err
	}
	return ListCustomMetricsOutput{MetricNames: append([]string{}, page...), NextToken: next}, nil
}

// usesMetric reports whether the profile monitors or retains metric name.
func (p *profileRecord) usesMetric(name string) bool {
	for _, b := range p.sp.Behaviors {
		if b.Metric == name {
			return true
		}
	}
	for _, m := range p.sp.AdditionalMetricsToRetainV2 {
		if m.Metric == name {
			return true
		}
	}
	return slices.Contains(p.sp.AdditionalMetricsToRetain, name)
}
