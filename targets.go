package ruledetect

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/ruledetect/ruledetect/internal/echo"
	"github.com/ruledetect/ruledetect/internal/eval"
)

// MaxProfilesPerTarget is the service's limit of security profiles attached
// to one target (a thing group or an account-wide target).
const MaxProfilesPerTarget = 5

// SecurityProfileTarget is a target in listings.
type SecurityProfileTarget struct {
	Arn string `json:"arn"`
}

// ListTargetsForSecurityProfileInput is the ListTargetsForSecurityProfile request.
type ListTargetsForSecurityProfileInput struct {
	SecurityProfileName string `json:"securityProfileName"`
	NextToken           string `json:"nextToken,omitzero"`
	MaxResults          int    `json:"maxResults,omitzero"`
}

// ListTargetsForSecurityProfileOutput is the ListTargetsForSecurityProfile response.
type ListTargetsForSecurityProfileOutput struct {
	SecurityProfileTargets []SecurityProfileTarget `json:"securityProfileTargets"`
	NextToken              string                  `json:"nextToken,omitzero"`
}

// ListSecurityProfilesForTargetInput is the ListSecurityProfilesForTarget request.
type ListSecurityProfilesForTargetInput struct {
	SecurityProfileTargetArn string `json:"securityProfileTargetArn"`
	// Recursive also lists the profiles of the targets inside this one:
	// for all/things, the registered and unregistered things and every
	// thing group; for all/registered-things, every thing group. The
	// engine knows no thing-group hierarchy, so for a thing group it lists
	// that group's profiles only (D).
	Recursive  bool   `json:"recursive,omitzero"`
	NextToken  string `json:"nextToken,omitzero"`
	MaxResults int    `json:"maxResults,omitzero"`
}

// SecurityProfileTargetMapping pairs a profile with a target it is attached to.
type SecurityProfileTargetMapping struct {
	SecurityProfileIdentifier SecurityProfileIdentifier `json:"securityProfileIdentifier"`
	Target                    SecurityProfileTarget     `json:"target"`
}

// ListSecurityProfilesForTargetOutput is the ListSecurityProfilesForTarget response.
type ListSecurityProfilesForTargetOutput struct {
	SecurityProfileTargetMappings []SecurityProfileTargetMapping `json:"securityProfileTargetMappings"`
	NextToken                     string                         `json:"nextToken,omitzero"`
}

// checkTarget validates a target ARN of this engine's region and account:
// …:all/things, …:all/registered-things, …:all/unregistered-things or
// …:thinggroup/NAME.
func (e *Engine) checkTarget(op, arn string) error {
	prefix := e.arn("")
	rest, ok := strings.CutPrefix(arn, prefix)
	if ok {
		switch rest {
		case "all/things", "all/registered-things", "all/unregistered-things":
			return nil
		}
		if g, ok := strings.CutPrefix(rest, "thinggroup/"); ok && checkName(op, "thing group", g) == nil {
			return nil
		}
	}
	return newError(op, ErrInvalidRequest, arn,
		"securityProfileTargetArn %s: want %sall/things, all/registered-things, all/unregistered-things or thinggroup/NAME", echo.Quote(arn), prefix)
}

// AttachSecurityProfile applies a security profile to the things of a
// target, from their next input on. Attaching twice is not an error. A
// target takes at most 5 profiles (ErrLimitExceeded).
func (e *Engine) AttachSecurityProfile(ctx context.Context, profile, targetArn string) error {
	const op = "AttachSecurityProfile"
	return e.updateAttachment(ctx, op, profile, targetArn, func(cfg *config, attached []string) (cpChange, error) {
		if slices.Contains(attached, profile) {
			return cpChange{}, nil
		}
		if len(attached) >= MaxProfilesPerTarget {
			return cpChange{}, newError(op, ErrLimitExceeded, targetArn, "a target can have at most %d security profiles", MaxProfilesPerTarget)
		}
		next := cfg.clone()
		next.targets[targetArn] = append(slices.Clone(attached), profile)
		return cpChange{next: next}, nil
	})
}

// DetachSecurityProfile stops applying a profile to a target's things. The
// open alarms of things it no longer covers become alarm-invalidated at the
// watermark, since nothing monitors them any more.
func (e *Engine) DetachSecurityProfile(ctx context.Context, profile, targetArn string) error {
	const op = "DetachSecurityProfile"
	return e.updateAttachment(ctx, op, profile, targetArn, func(cfg *config, attached []string) (cpChange, error) {
		if !slices.Contains(attached, profile) {
			return cpChange{}, newError(op, ErrResourceNotFound, targetArn, "security profile %s is not attached to %s", profile, targetArn)
		}
		next := cfg.clone()
		next.detach(profile, targetArn)
		return cpChange{next: next, ends: e.uncovered(profile)}, nil
	})
}

// updateAttachment is the part Attach and Detach share: the request's
// checks (a live ctx, a well-formed target, an existing profile), then the
// change decide makes given the profiles attached to the target.
func (e *Engine) updateAttachment(ctx context.Context, op, profile, targetArn string, decide func(cfg *config, attached []string) (cpChange, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.checkTarget(op, targetArn); err != nil {
		return err
	}
	return e.update(ctx, func(cfg *config) (cpChange, error) {
		if _, ok := cfg.profiles[profile]; !ok {
			return cpChange{}, errNotFound(op, "security profile", profile)
		}
		return decide(cfg, cfg.targets[targetArn])
	})
}

// uncovered matches the open alarms of profile on things that the config
// in force, once the change is made, does not make it cover. It reads
// thing state: it is called with every lock held.
func (e *Engine) uncovered(profile string) func(violationKey) bool {
	return func(k violationKey) bool {
		if k.Profile != profile {
			return false
		}
		kind, _ := e.plane.KindHeld(k.Thing)
		return !e.plane.Rules().Covers(kind, profile)
	}
}

// ListTargetsForSecurityProfile lists the targets a profile is attached to,
// in lexical order of ARN.
func (e *Engine) ListTargetsForSecurityProfile(ctx context.Context, in ListTargetsForSecurityProfileInput) (ListTargetsForSecurityProfileOutput, error) {
	const op = "ListTargetsForSecurityProfile"
	if err := ctx.Err(); err != nil {
		return ListTargetsForSecurityProfileOutput{}, err
	}
	cfg := e.cfg.Load()
	if _, ok := cfg.profiles[in.SecurityProfileName]; !ok {
		return ListTargetsForSecurityProfileOutput{}, errNotFound(op, "security profile", in.SecurityProfileName)
	}
	var arns []string
	for _, target := range slices.Sorted(maps.Keys(cfg.targets)) {
		if slices.Contains(cfg.targets[target], in.SecurityProfileName) {
			arns = append(arns, target)
		}
	}
	page, next, err := pageNames(op, arns, in.NextToken, in.MaxResults, in.SecurityProfileName)
	if err != nil {
		return ListTargetsForSecurityProfileOutput{}, err
	}
	out := ListTargetsForSecurityProfileOutput{SecurityProfileTargets: []SecurityProfileTarget{}, NextToken: next}
	for _, a := range page {
		out.SecurityProfileTargets = append(out.SecurityProfileTargets, SecurityProfileTarget{Arn: a})
	}
	return out, nil
}

// ListSecurityProfilesForTarget lists the profiles attached to a target
// (and, with Recursive, to the targets inside it), ordered by target then
// profile name.
func (e *Engine) ListSecurityProfilesForTarget(ctx context.Context, in ListSecurityProfilesForTargetInput) (ListSecurityProfilesForTargetOutput, error) {
	const op = "ListSecurityProfilesForTarget"
	if err := ctx.Err(); err != nil {
		return ListSecurityProfilesForTargetOutput{}, err
	}
	if err := e.checkTarget(op, in.SecurityProfileTargetArn); err != nil {
		return ListSecurityProfilesForTargetOutput{}, err
	}
	cfg := e.cfg.Load()
	targets := []string{in.SecurityProfileTargetArn}
	if in.Recursive {
		targets = append(targets, e.innerTargets(cfg, in.SecurityProfileTargetArn)...)
	}
	// Keys are "target\x00profile": sorted, distinct, and a keyset cursor.
	var keys []string
	for _, t := range targets {
		for _, p := range cfg.targets[t] {
			keys = append(keys, t+"\x00"+p)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	rec := "false"
	if in.Recursive {
		rec = "true"
	}
	page, next, err := pageNames(op, keys, in.NextToken, in.MaxResults, in.SecurityProfileTargetArn, rec)
	if err != nil {
		return ListSecurityProfilesForTargetOutput{}, err
	}
	out := ListSecurityProfilesForTargetOutput{SecurityProfileTargetMappings: []SecurityProfileTargetMapping{}, NextToken: next}
	for _, k := range page {
		t, p, _ := strings.Cut(k, "\x00")
		out.SecurityProfileTargetMappings = append(out.SecurityProfileTargetMappings, SecurityProfileTargetMapping{
			SecurityProfileIdentifier: SecurityProfileIdentifier{Name: p, Arn: cfg.profiles[p].sp.SecurityProfileArn},
			Target:                    SecurityProfileTarget{Arn: t},
		})
	}
	return out, nil
}

// innerTargets returns the attached targets that lie inside target.
func (e *Engine) innerTargets(cfg *config, target string) []string {
	var out []string
	groups := e.arn("thinggroup/")
	switch target {
	case e.arn("all/things"):
		out = append(out, e.arn("all/registered-things"), e.arn("all/unregistered-things"))
		fallthrough
	case e.arn("all/registered-things"):
		for t := range cfg.targets {
			if strings.HasPrefix(t, groups) {
				out = append(out, t)
			}
		}
	}
	return out
}

// SetThingGroups tells the engine that thing is a registered thing and
// member of groups (replacing what it was told before). Profiles attached to
// all/registered-things and to those groups' thinggroup targets apply to it
// from its next input on; the open alarms of profiles that no longer cover it
// become alarm-invalidated at the watermark. Things never told are
// unregistered things.
func (e *Engine) SetThingGroups(ctx context.Context, thing string, groups []string) error {
	const op = "SetThingGroups"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkThing(op, thing); err != nil {
		return err
	}
	for _, g := range groups {
		if err := checkName(op, "thing group", g); err != nil {
			return err
		}
	}
	kind := eval.Kind{Registered: true, Groups: slices.Compact(slices.Sorted(slices.Values(groups)))}
	return e.update(ctx, func(cfg *config) (cpChange, error) {
		// Membership is thing state, not config: it changes in place.
		e.plane.SetKind(thing, kind)
		return cpChange{ends: func(k violationKey) bool {
			return k.Thing == thing && cfg.profiles[k.Profile] != nil && !e.plane.Rules().Covers(kind, k.Profile)
		}}, nil
	})
}

// ThingGroups returns the thing groups SetThingGroups last gave thing, sorted,
// and whether it was told anything: a thing never told is an unregistered
// thing, (nil, false). Code that maps add/remove operations onto
// SetThingGroups reads the current membership with it.
func (e *Engine) ThingGroups(thing string) (groups []string, registered bool) {
	k, told := e.plane.KindOf(thing)
	if !told {
		return nil, false
	}
	return slices.Clone(k.Groups), k.Registered
}
