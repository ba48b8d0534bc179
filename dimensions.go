package ruledetect

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/ruledetect/ruledetect/internal/echo"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/dimension"
)

// Service quotas for dimensions.
const (
	MaxDimensions            = 10  // per account, not adjustable
	MaxDimensionValues       = 100 // stringValues per dimension
	DimensionTypeTopicFilter = "TOPIC_FILTER"
)

// CreateDimensionInput is the CreateDimension request.
type CreateDimensionInput struct {
	Name               string         `json:"name"`
	Type               string         `json:"type"`
	StringValues       []string       `json:"stringValues"`
	Tags               []behavior.Tag `json:"tags,omitzero"`
	ClientRequestToken string         `json:"clientRequestToken,omitzero"`
}

// CreateDimensionOutput is the CreateDimension response.
type CreateDimensionOutput struct {
	Name string `json:"name"`
	Arn  string `json:"arn"`
}

// Dimension is a dimension as DescribeDimension and UpdateDimension return it.
type Dimension struct {
	Name             string             `json:"name"`
	Arn              string             `json:"arn"`
	Type             string             `json:"type"`
	StringValues     []string           `json:"stringValues"`
	CreationDate     behavior.Timestamp `json:"creationDate"`
	LastModifiedDate behavior.Timestamp `json:"lastModifiedDate"`
}

// UpdateDimensionInput is the UpdateDimension request.
type UpdateDimensionInput struct {
	Name         string   `json:"name"`
	StringValues []string `json:"stringValues"`
}

// ListDimensionsInput is the ListDimensions request.
type ListDimensionsInput struct {
	NextToken  string `json:"nextToken,omitzero"`
	MaxResults int    `json:"maxResults,omitzero"`
}

// ListDimensionsOutput is the ListDimensions response.
type ListDimensionsOutput struct {
	DimensionNames []string `json:"dimensionNames"`
	NextToken      string   `json:"nextToken,omitzero"`
}

// CreateDimension defines a TOPIC_FILTER dimension. A retry with the same
// clientRequestToken and parameters returns the existing dimension; any
// other create of an existing name fails with ErrResourceAlreadyExists.
func (e *Engine) CreateDimension(ctx context.Context, in CreateDimensionInput) (CreateDimensionOutput, error) {
	const op = "CreateDimension"
	if err := ctx.Err(); err != nil {
		return CreateDimensionOutput{}, err
	}
	if err := firstErr(checkName(op, "name", in.Name), checkClientToken(op, in.Name, in.ClientRequestToken), checkTags(op, in.Name, in.Tags)); err != nil {
		return CreateDimensionOutput{}, err
	}
	if in.Type != DimensionTypeTopicFilter {
		return CreateDimensionOutput{}, newError(op, ErrInvalidRequest, in.Name, "type %s is not supported: want TOPIC_FILTER", echo.Quote(in.Type))
	}
	m, err := compileDimension(op, in.Name, in.StringValues)
	if err != nil {
		return CreateDimensionOutput{}, err
	}
	var out CreateDimensionOutput
	err = e.update(ctx, func(cfg *config) (cpChange, error) {
		if d, ok := cfg.dims[in.Name]; ok {
			if in.ClientRequestToken != "" && d.token == in.ClientRequestToken && slices.Equal(d.values, in.StringValues) {
				out = CreateDimensionOutput{Name: d.name, Arn: d.arn}
				return cpChange{}, nil
			}
			return cpChange{}, newError(op, ErrResourceAlreadyExists, in.Name, "dimension %s already exists", in.Name)
		}
		if len(cfg.dims) >= MaxDimensions {
			return cpChange{}, newError(op, ErrLimitExceeded, in.Name, "an account can have at most %d dimensions", MaxDimensions)
		}
		now := e.opts.clock().UTC()
		next := cfg.clone()
		next.dims[in.Name] = &dimensionRecord{
			name: in.Name, arn: e.arn("dimension/" + in.Name), token: in.ClientRequestToken,
			values: slices.Clone(in.StringValues), tags: cloneTags(in.Tags), matcher: m,
			created: now, updated: now,
		}
		out = CreateDimensionOutput{Name: in.Name, Arn: next.dims[in.Name].arn}
		return cpChange{next: next}, nil
	})
	if err != nil {
		return CreateDimensionOutput{}, err
	}
	return out, nil
}

// compileDimension validates a dimension's values and compiles its matcher.
func compileDimension(op, name string, values []string) (*dimension.Matcher, error) {
	if len(values) < 1 || len(values) > MaxDimensionValues {
		return nil, newError(op, ErrInvalidRequest, name, "stringValues must hold 1..%d topic filters, not %d", MaxDimensionValues, len(values))
	}
	m, err := dimension.Compile(values)
	if err != nil {
		return nil, &Error{Op: op, Kind: ErrInvalidRequest, Resource: name, Message: err.Error(), Cause: err}
	}
	return m, nil
}

// DescribeDimension returns a dimension.
func (e *Engine) DescribeDimension(ctx context.Context, name string) (Dimension, error) {
	if err := ctx.Err(); err != nil {
		return Dimension{}, err
	}
	d, ok := e.cfg.Load().dims[name]
	if !ok {
		return Dimension{}, errNotFound("DescribeDimension", "dimension", name)
	}
	return d.describe(), nil
}

func (d *dimensionRecord) describe() Dimension {
	return Dimension{
		Name: d.name, Arn: d.arn, Type: DimensionTypeTopicFilter, StringValues: slices.Clone(d.values),
		CreationDate: behavior.At(d.created), LastModifiedDate: behavior.At(d.updated),
	}
}

// UpdateDimension replaces a dimension's topic filters. Every profile that
// uses it sees the new filters from the next input on; their alarms are kept,
// since the behaviors themselves did not change (D).
func (e *Engine) UpdateDimension(ctx context.Context, in UpdateDimensionInput) (Dimension, error) {
	const op = "UpdateDimension"
	if err := ctx.Err(); err != nil {
		return Dimension{}, err
	}
	m, err := compileDimension(op, in.Name, in.StringValues)
	if err != nil {
		return Dimension{}, err
	}
	var out Dimension
	err = e.update(ctx, func(cfg *config) (cpChange, error) {
		old, ok := cfg.dims[in.Name]
		if !ok {
			return cpChange{}, errNotFound(op, "dimension", in.Name)
		}
		next := cfg.clone()
		d := *old
		d.values, d.matcher, d.updated = slices.Clone(in.StringValues), m, e.opts.clock().UTC()
		next.dims[in.Name] = &d
		for name, p := range cfg.profiles {
			if !p.usesDimension(in.Name) {
				continue
			}
			rec, err := e.recompile(next, p)
			if err != nil {
				return cpChange{}, &Error{Op: op, Kind: ErrInvalidRequest, Resource: name, Message: err.Error(), Cause: err}
			}
			next.profiles[name] = rec
		}
		out = d.describe()
		return cpChange{next: next}, nil
	})
	if err != nil {
		return Dimension{}, err
	}
	return out, nil
}

// DeleteDimension deletes a dimension. Deleting one that does not exist
// succeeds, as the service's does. A dimension that a security profile uses
// cannot be deleted: remove it from the profiles first.
func (e *Engine) DeleteDimension(ctx context.Context, name string) error {
	const op = "DeleteDimension"
	if err := ctx.Err(); err != nil {
		return err
	}
	return e.update(ctx, func(cfg *config) (cpChange, error) {
		if _, ok := cfg.dims[name]; !ok {
			return cpChange{}, nil
		}
		if users := cfg.profilesWhere(func(p *profileRecord) bool { return p.usesDimension(name) }); len(users) > 0 {
			return cpChange{}, newError(op, ErrInvalidRequest, name, "dimension %s is used by security profiles %s; remove it from them first", name, strings.Join(users, ", "))
		}
		next := cfg.clone()
		delete(next.dims, name)
		return cpChange{next: next}, nil
	})
}

// ListDimensions lists dimension names in lexical order.
func (e *Engine) ListDimensions(ctx context.Context, in ListDimensionsInput) (ListDimensionsOutput, error) {
	if err := ctx.Err(); err != nil {
		return ListDimensionsOutput{}, err
	}
	names := slices.Sorted(maps.Keys(e.cfg.Load().dims))
	page, next, err := pageNames("ListDimensions", names, in.NextToken, in.MaxResults)
	if err != nil {
		return ListDimensionsOutput{}, err
	}
	return ListDimensionsOutput{DimensionNames: append([]string{}, page...), NextToken: next}, nil
}

// usesDimension reports whether the profile refers to dimension name in a
// behavior or a metric to retain.
func (p *profileRecord) usesDimension(name string) bool {
	for _, b := range p.sp.Behaviors {
		if b.MetricDimension != nil && b.MetricDimension.DimensionName == name {
			return true
		}
	}
	for _, m := range p.sp.AdditionalMetricsToRetainV2 {
		if m.MetricDimension != nil && m.MetricDimension.DimensionName == name {
			return true
		}
	}
	return false
}
