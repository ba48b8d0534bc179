package ruledetect

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/dimension"
	"github.com/ruledetect/ruledetect/internal/eval"
)

// CreateSecurityProfileInput is the CreateSecurityProfile request: a
// security profile without its output-only fields (ARN, version, dates).
type CreateSecurityProfileInput = behavior.SecurityProfile

// UpdateSecurityProfileInput is the UpdateSecurityProfile request.
type UpdateSecurityProfileInput = behavior.UpdateSecurityProfileInput

// SecurityProfile is a security profile as DescribeSecurityProfile and
// UpdateSecurityProfile return it.
type SecurityProfile = behavior.SecurityProfile

// CreateSecurityProfileOutput is the CreateSecurityProfile response.
type CreateSecurityProfileOutput struct {
	SecurityProfileName string `json:"securityProfileName"`
	SecurityProfileArn  string `json:"securityProfileArn"`
}

// SecurityProfileIdentifier names a security profile in listings.
type SecurityProfileIdentifier struct {
	Name string `json:"name"`
	Arn  string `json:"arn"`
}

// ListSecurityProfilesInput is the ListSecurityProfiles request. At most one
// of DimensionName and MetricName may be set.
type ListSecurityProfilesInput struct {
	NextToken     string `json:"nextToken,omitzero"`
	MaxResults    int    `json:"maxResults,omitzero"`
	DimensionName string `json:"dimensionName,omitzero"`
	MetricName    string `json:"metricName,omitzero"`
}

// ListSecurityProfilesOutput is the ListSecurityProfiles response.
type ListSecurityProfilesOutput struct {
	SecurityProfileIdentifiers []SecurityProfileIdentifier `json:"securityProfileIdentifiers"`
	NextToken                  string                      `json:"nextToken,omitzero"`
}

// ValidateSecurityProfileBehaviorsOutput is the
// ValidateSecurityProfileBehaviors response.
type ValidateSecurityProfileBehaviorsOutput = behavior.ValidationResult

// validateOptions gives validation what the control plane knows: the
// custom metrics and dimensions that exist.
func (c *config) validateOptions() behavior.ValidateOptions {
	customs := make(map[string]behavior.CustomMetricType, len(c.customs))
	for name, m := range c.customs {
		customs[name] = behavior.CustomMetricType(m.metricType)
	}
	return behavior.ValidateOptions{
		CustomMetrics:   customs,
		DimensionExists: func(name string) bool { _, ok := c.dims[name]; return ok },
	}
}

// invalid turns a failed validation into an ErrInvalidRequest naming every problem.
func invalid(op, resource string, r behavior.ValidationResult) error {
	msgs := make([]string, len(r.ValidationErrors))
	for i, v := range r.ValidationErrors {
		msgs[i] = v.ErrorMessage
	}
	return newError(op, ErrInvalidRequest, resource, "%s", strings.Join(msgs, "; "))
}

// ValidateSecurityProfileBehaviors validates behaviors as CreateSecurityProfile
// would, against the custom metrics and dimensions of this engine, and
// returns every problem in the service's words.
func (e *Engine) ValidateSecurityProfileBehaviors(ctx context.Context, behaviors []behavior.Behavior) (ValidateSecurityProfileBehaviorsOutput, error) {
	if err := ctx.Err(); err != nil {
		return ValidateSecurityProfileBehaviorsOutput{}, err
	}
	return behavior.ValidateBehaviors(behaviors, e.cfg.Load().validateOptions()), nil
}

// CreateSecurityProfile creates a security profile. It is validated exactly
// as ValidateSecurityProfileBehaviors and `ruledetect validate` do. Creating
// a profile that exists with identical parameters succeeds (as the service
// does); with any difference, tags included, it fails with
// ErrResourceAlreadyExists. A new profile applies to no thing until it is
// attached to a target.
func (e *Engine) CreateSecurityProfile(ctx context.Context, in CreateSecurityProfileInput) (CreateSecurityProfileOutput, error) {
	const op = "CreateSecurityProfile"
	if err := ctx.Err(); err != nil {
		return CreateSecurityProfileOutput{}, err
	}
	name := in.SecurityProfileName
	if in.SecurityProfileArn != "" || in.Version != 0 || in.CreationDate != nil || in.LastModifiedDate != nil {
		return CreateSecurityProfileOutput{}, newError(op, ErrInvalidRequest, name, "securityProfileArn, version, creationDate and lastModifiedDate are output fields")
	}
	var out CreateSecurityProfileOutput
	err := e.update(ctx, func(cfg *config) (cpChange, error) {
		if r := in.Validate(cfg.validateOptions()); !r.Valid {
			return cpChange{}, invalid(op, name, r)
		}
		if old, ok := cfg.profiles[name]; ok {
			if sameRequest(&old.sp, &in) {
				out = CreateSecurityProfileOutput{SecurityProfileName: name, SecurityProfileArn: old.sp.SecurityProfileArn}
				return cpChange{}, nil
			}
			return cpChange{}, newError(op, ErrResourceAlreadyExists, name, "security profile %s already exists with other parameters", name)
		}
		sp, err := deepCopy(&in)
		if err != nil {
			return cpChange{}, &Error{Op: op, Kind: ErrInvalidRequest, Resource: name, Message: err.Error(), Cause: err}
		}
		now := behavior.At(e.opts.clock().UTC())
		sp.SecurityProfileArn, sp.Version = e.arn("securityprofile/"+name), 1
		sp.CreationDate, sp.LastModifiedDate = &now, &now
		next := cfg.clone()
		rec, err := e.recompile(next, &profileRecord{sp: *sp})
		if err != nil {
			return cpChange{}, &Error{Op: op, Kind: ErrInvalidRequest, Resource: name, Message: err.Error(), Cause: err}
		}
		next.profiles[name] = rec
		out = CreateSecurityProfileOutput{SecurityProfileName: name, SecurityProfileArn: sp.SecurityProfileArn}
		return cpChange{next: next}, nil
	})
	if err != nil {
		return CreateSecurityProfileOutput{}, err
	}
	return out, nil
}

// DescribeSecurityProfile returns a security profile with its version,
// dates and ARN.
func (e *Engine) DescribeSecurityProfile(ctx context.Context, name string) (SecurityProfile, error) {
	if err := ctx.Err(); err != nil {
		return SecurityProfile{}, err
	}
	p, ok := e.cfg.Load().profiles[name]
	if !ok {
		return SecurityProfile{}, errNotFound("DescribeSecurityProfile", "security profile", name)
	}
	return copyOut(&p.sp)
}

// UpdateSecurityProfile changes a security profile and bumps its version.
// Fields left unset keep their value; an empty behaviors list is not enough to
// remove them all (deleteBehaviors is), as with the service. With
// expectedVersion set, a profile of another version fails with
// ErrVersionConflict.
//
// Behaviors that keep their name, metric, dimension and criteria keep their
// alarm state; the open alarms of behaviors that are removed or changed
// become alarm-invalidated at the watermark, since what they monitored is
// gone. The change applies from the next input on.
func (e *Engine) UpdateSecurityProfile(ctx context.Context, in UpdateSecurityProfileInput) (SecurityProfile, error) {
	const op = "UpdateSecurityProfile"
	if err := ctx.Err(); err != nil {
		return SecurityProfile{}, err
	}
	name := in.SecurityProfileName
	if err := checkDeleteFlags(op, &in); err != nil {
		return SecurityProfile{}, err
	}
	var sp *SecurityProfile
	err := e.update(ctx, func(cfg *config) (cpChange, error) {
		old, ok := cfg.profiles[name]
		if !ok {
			return cpChange{}, errNotFound(op, "security profile", name)
		}
		if in.ExpectedVersion != nil && *in.ExpectedVersion != old.sp.Version {
			return cpChange{}, newError(op, ErrVersionConflict, name, "expectedVersion %d does not match the current version %d", *in.ExpectedVersion, old.sp.Version)
		}
		var err error
		if sp, err = deepCopy(&old.sp); err != nil {
			return cpChange{}, &Error{Op: op, Kind: ErrInvalidRequest, Resource: name, Message: err.Error(), Cause: err}
		}
		if err := applyUpdate(sp, &in); err != nil {
			return cpChange{}, &Error{Op: op, Kind: ErrInvalidRequest, Resource: name, Message: err.Error(), Cause: err}
		}
		if r := sp.Validate(cfg.validateOptions()); !r.Valid {
			return cpChange{}, invalid(op, name, r)
		}
		now := behavior.At(e.opts.clock().UTC())
		sp.Version, sp.LastModifiedDate = old.sp.Version+1, &now
		next := cfg.clone()
		rec, err := e.recompile(next, &profileRecord{sp: *sp, behaviors: old.behaviors})
		if err != nil {
			return cpChange{}, &Error{Op: op, Kind: ErrInvalidRequest, Resource: name, Message: err.Error(), Cause: err}
		}
		next.profiles[name] = rec
		kept := map[uint64]bool{}
		for _, cb := range rec.behaviors {
			kept[cb.ID()] = true
		}
		gone := map[string]bool{}
		for _, cb := range old.behaviors {
			if !kept[cb.ID()] {
				gone[cb.Name()] = true
			}
		}
		return cpChange{next: next, ends: func(k violationKey) bool { return k.Profile == name && gone[k.Behavior] }}, nil
	})
	if err != nil {
		return SecurityProfile{}, err
	}
	return copyOut(sp)
}

// checkDeleteFlags rejects a delete flag sent together with a value for the
// same field, as the service does.
func checkDeleteFlags(op string, in *UpdateSecurityProfileInput) error {
	name := in.SecurityProfileName
	switch {
	case in.DeleteBehaviors && len(in.Behaviors) > 0:
		return newError(op, ErrInvalidRequest, name, "deleteBehaviors cannot be set together with behaviors")
	case in.DeleteAlertTargets && len(in.AlertTargets) > 0:
		return newError(op, ErrInvalidRequest, name, "deleteAlertTargets cannot be set together with alertTargets")
	case in.DeleteAdditionalMetricsToRetain && (len(in.AdditionalMetricsToRetain) > 0 || len(in.AdditionalMetricsToRetainV2) > 0):
		return newError(op, ErrInvalidRequest, name, "deleteAdditionalMetricsToRetain cannot be set together with additionalMetricsToRetain or additionalMetricsToRetainV2")
	case in.DeleteMetricsExportConfig && in.MetricsExportConfig != nil:
		return newError(op, ErrInvalidRequest, name, "deleteMetricsExportConfig cannot be set together with metricsExportConfig")
	}
	return nil
}

// applyUpdate applies the set fields of in to sp.
func applyUpdate(sp *behavior.SecurityProfile, in *UpdateSecurityProfileInput) error {
	u, err := deepCopy(in)
	if err != nil {
		return err
	}
	if u.SecurityProfileDescription != nil {
		sp.SecurityProfileDescription = u.SecurityProfileDescription
	}
	if len(u.Behaviors) > 0 {
		sp.Behaviors = u.Behaviors
	}
	if u.DeleteBehaviors {
		sp.Behaviors = nil
	}
	if len(u.AlertTargets) > 0 {
		sp.AlertTargets = u.AlertTargets
	}
	if u.DeleteAlertTargets {
		sp.AlertTargets = nil
	}
	if len(u.AdditionalMetricsToRetain) > 0 {
		sp.AdditionalMetricsToRetain = u.AdditionalMetricsToRetain
	}
	if len(u.AdditionalMetricsToRetainV2) > 0 {
		sp.AdditionalMetricsToRetainV2 = u.AdditionalMetricsToRetainV2
	}
	if u.DeleteAdditionalMetricsToRetain {
		sp.AdditionalMetricsToRetain, sp.AdditionalMetricsToRetainV2 = nil, nil
	}
	if u.MetricsExportConfig != nil {
		sp.MetricsExportConfig = u.MetricsExportConfig
	}
	if u.DeleteMetricsExportConfig {
		sp.MetricsExportConfig = nil
	}
	return nil
}

// DeleteSecurityProfile deletes a security profile and its attachments; its
// open alarms become alarm-invalidated at the watermark. Deleting a profile
// that does not exist succeeds, as the service's does. With expectedVersion
// set, a profile of another version fails with ErrVersionConflict.
func (e *Engine) DeleteSecurityProfile(ctx context.Context, name string, expectedVersion *int64) error {
	const op = "DeleteSecurityProfile"
	if err := ctx.Err(); err != nil {
		return err
	}
	return e.update(ctx, func(cfg *config) (cpChange, error) {
		old, ok := cfg.profiles[name]
		if !ok {
			return cpChange{}, nil
		}
		if expectedVersion != nil && *expectedVersion != old.sp.Version {
			return cpChange{}, newError(op, ErrVersionConflict, name, "expectedVersion %d does not match the current version %d", *expectedVersion, old.sp.Version)
		}
		next := cfg.clone()
		delete(next.profiles, name)
		for target := range cfg.targets {
			next.detach(name, target)
		}
		return cpChange{next: next, ends: func(k violationKey) bool { return k.Profile == name }}, nil
	})
}

// ListSecurityProfiles lists security profiles in lexical order, optionally
// only those that use a dimension or a custom metric.
func (e *Engine) ListSecurityProfiles(ctx context.Context, in ListSecurityProfilesInput) (ListSecurityProfilesOutput, error) {
	const op = "ListSecurityProfiles"
	if err := ctx.Err(); err != nil {
		return ListSecurityProfilesOutput{}, err
	}
	if in.DimensionName != "" && in.MetricName != "" {
		return ListSecurityProfilesOutput{}, newError(op, ErrInvalidRequest, "", "dimensionName and metricName cannot both be set")
	}
	cfg := e.cfg.Load()
	var names []string
	for _, name := range slices.Sorted(maps.Keys(cfg.profiles)) {
		p := cfg.profiles[name]
		if (in.DimensionName == "" || p.usesDimension(in.DimensionName)) && (in.MetricName == "" || p.usesMetric(in.MetricName)) {
			names = append(names, name)
		}
	}
	page, next, err := pageNames(op, names, in.NextToken, in.MaxResults, in.DimensionName, in.MetricName)
	if err != nil {
		return ListSecurityProfilesOutput{}, err
	}
	out := ListSecurityProfilesOutput{SecurityProfileIdentifiers: []SecurityProfileIdentifier{}, NextToken: next}
	for _, name := range page {
		out.SecurityProfileIdentifiers = append(out.SecurityProfileIdentifiers, SecurityProfileIdentifier{Name: name, Arn: cfg.profiles[name].sp.SecurityProfileArn})
	}
	return out, nil
}

// recompile compiles the behaviors of p against cfg. Behaviors that monitor
// the same as one of p's current compiled behaviors keep its id, and so the
// alarm state of every thing.
func (e *Engine) recompile(cfg *config, p *profileRecord) (*profileRecord, error) {
	env := eval.Env{
		Dimension: func(name string) (*dimension.Matcher, bool) {
			d, ok := cfg.dims[name]
			if !ok {
				return nil, false
			}
			return d.matcher, true
		},
		MetricType: func(name string) (string, bool) {
			m, ok := cfg.customs[name]
			if !ok {
				return "", false
			}
			return m.metricType, true
		},
		Period: e.opts.period,
	}
	// The metrics to retain compile as behaviors without criteria, after
	// the profile's own (see retainedMetrics).
	behaviors, err := eval.CompileProfile(p.sp.SecurityProfileName, slices.Concat(p.sp.Behaviors, retainedMetrics(&p.sp)), p.behaviors, env, &e.nextID)
	if err != nil {
		return nil, err
	}
	return &profileRecord{sp: p.sp, behaviors: behaviors}, nil
}

// sameRequest reports whether a create request asks for the profile stored
// as sp (output-only fields aside).
func sameRequest(sp, in *behavior.SecurityProfile) bool {
	a, b := *sp, *in
	a.SecurityProfileArn, a.Version, a.CreationDate, a.LastModifiedDate = "", 0, nil, nil
	ja, err1 := json.Marshal(&a)
	jb, err2 := json.Marshal(&b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// copyOut returns a copy of a stored profile for the caller, who may change
// it freely.
func copyOut(sp *SecurityProfile) (SecurityProfile, error) {
	c, err := deepCopy(sp)
	if err != nil {
		return SecurityProfile{}, err
	}
	return *c, nil
}

// deepCopy returns a copy of v that shares nothing with it, through its JSON
// form (the model's types are plain data, and this keeps the copy in step
// with every field the model gains).
func deepCopy[T any](v *T) (*T, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out T
	if err := json.Unmarshal(j, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
