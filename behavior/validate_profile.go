package behavior

import (
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Validate validates a security profile as CreateSecurityProfile would:
// the behaviors as [ValidateBehaviors] does, and the profile's own members
// (name, description, alert targets, metrics to retain, export config,
// tags). Output-only members (ARN, version, dates) are not checked, so a
// described profile validates too. It reports every problem.
func (sp *SecurityProfile) Validate(opts ValidateOptions) ValidationResult {
	v := validator{opts: opts}
	v.profileName(sp.SecurityProfileName)
	v.profileBody(profileBody{sp.SecurityProfileDescription, sp.Behaviors, sp.AlertTargets,
		sp.AdditionalMetricsToRetain, sp.AdditionalMetricsToRetainV2, sp.MetricsExportConfig, sp.Tags})
	return newResult(v.errs)
}

// Validate validates an UpdateSecurityProfile request: the members it sets
// as [SecurityProfile.Validate] does, and that no delete* flag comes with a
// value for the same member. It cannot check what the update leaves as it
// is; the engine validates the resulting profile.
func (in *UpdateSecurityProfileInput) Validate(opts ValidateOptions) ValidationResult {
	v := validator{opts: opts}
	v.profileName(in.SecurityProfileName)
	conflicts := []struct {
		flag bool
		set  bool
		msg  string
	}{
		{in.DeleteBehaviors, in.Behaviors != nil, "deleteBehaviors cannot be set together with behaviors"},
		{in.DeleteAlertTargets, in.AlertTargets != nil, "deleteAlertTargets cannot be set together with alertTargets"},
		{in.DeleteAdditionalMetricsToRetain, in.AdditionalMetricsToRetain != nil || in.AdditionalMetricsToRetainV2 != nil,
			"deleteAdditionalMetricsToRetain cannot be set together with additionalMetricsToRetain or additionalMetricsToRetainV2"},
		{in.DeleteMetricsExportConfig, in.MetricsExportConfig != nil, "deleteMetricsExportConfig cannot be set together with metricsExportConfig"},
	}
	for _, c := range conflicts {
		if c.flag && c.set {
			v.fail("", "%s", c.msg)
		}
	}
	v.profileBody(profileBody{in.SecurityProfileDescription, in.Behaviors, in.AlertTargets,
		in.AdditionalMetricsToRetain, in.AdditionalMetricsToRetainV2, in.MetricsExportConfig, nil})
	return newResult(v.errs)
}

// Validate validates the profile as [SecurityProfile.Validate] does, except
// that SecurityProfileName may be absent (CloudFormation generates one), and
// adds the resource's own rules: SecurityProfileArn is read-only, and
// TargetArns are distinct ARNs of at most 2048 characters. Messages name
// the API's members (criteria.durationSeconds, not Criteria.DurationSeconds).
func (p *CloudFormationProfile) Validate(opts ValidateOptions) ValidationResult {
	v := validator{opts: opts}
	sp := &p.Profile
	if sp.SecurityProfileName != "" {
		v.profileName(sp.SecurityProfileName)
	}
	if sp.SecurityProfileArn != "" {
		v.fail("SecurityProfileArn", "SecurityProfileArn is a read-only property and cannot be set")
	}
	for i, arn := range p.TargetArns {
		field := fmt.Sprintf("TargetArns[%d]", i)
		switch {
		case arn == "" || utf8.RuneCountInString(arn) > 2048:
			v.fail(field, "%s length %d should be in range[1,2048]", field, utf8.RuneCountInString(arn))
		case slices.Index(p.TargetArns, arn) < i:
			v.fail(field, "%s %s is listed more than once", field, echo.Name(arn))
		}
	}
	v.profileBody(profileBody{sp.SecurityProfileDescription, sp.Behaviors, sp.AlertTargets,
		sp.AdditionalMetricsToRetain, sp.AdditionalMetricsToRetainV2, sp.MetricsExportConfig, sp.Tags})
	return newResult(v.errs)
}

// profileBody is what create, update and CloudFormation have in common.
type profileBody struct {
	description *string
	behaviors   []Behavior
	alerts      map[string]AlertTarget
	retain      []string
	retainV2    []MetricToRetain
	export      *MetricsExportConfig
	tags        []Tag
}

func (v *validator) profileName(name string) {
	if msg := checkName("securityProfileName", name); msg != "" {
		v.fail("securityProfileName", "%s", msg)
	}
}

func (v *validator) profileBody(p profileBody) {
	if p.description != nil {
		v.description(*p.description)
	}
	v.behaviors(p.behaviors, "behaviors")
	v.alertTargets(p.alerts)
	for i, m := range p.retain {
		v.retainedMetric(fmt.Sprintf("additionalMetricsToRetain[%d]", i), m, nil)
	}
	for i, m := range p.retainV2 {
		v.retainedMetric(fmt.Sprintf("additionalMetricsToRetainV2[%d]", i), m.Metric, m.MetricDimension)
	}
	if c := p.export; c != nil {
		v.check("metricsExportConfig.mqttTopic", checkLength("metricsExportConfig.mqttTopic", c.MQTTTopic, 1, 512))
		v.check("metricsExportConfig.roleArn", checkLength("metricsExportConfig.roleArn", c.RoleArn, 20, 2048))
	}
	v.tags(p.tags)
}

// check records msg unless it is empty.
func (v *validator) check(field, msg string) {
	if msg != "" {
		v.fail(field, "%s", msg)
	}
}

func (v *validator) description(d string) {
	const field = "securityProfileDescription"
	if n := utf8.RuneCountInString(d); n > 1000 {
		v.fail(field, "%s length %d should be at most 1000", field, n)
	}
	if i := strings.IndexFunc(d, func(r rune) bool { return !isDescriptionChar(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(d[i:])
		v.fail(field, "%s should match pattern %s (printable ASCII and spaces), not contain %s at character %d",
			field, descriptionPattern, strconv.QuoteRune(r), 1+utf8.RuneCountInString(d[:i]))
	}
}

func (v *validator) alertTargets(ts map[string]AlertTarget) {
	keys := make([]string, 0, len(ts))
	for k := range ts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field := "alertTargets." + k
		if k != "SNS" {
			v.fail(field, "alertTargets key %s should be SNS", echo.Quote(k))
		}
		t := ts[k]
		if t.AlertTargetArn == "" {
			v.fail(field+".alertTargetArn", "%s.alertTargetArn is required", field)
		}
		v.check(field+".roleArn", checkLength(field+".roleArn", t.RoleArn, 20, 2048))
	}
}

// retainedMetric checks an entry of additionalMetricsToRetain(V2).
func (v *validator) retainedMetric(field, metric string, d *MetricDimension) {
	m, known := LookupMetric(metric)
	switch {
	case known:
	case metric == "":
		v.fail(field+".metric", "%s.metric is required", field)
	case strings.HasPrefix(metric, "aws:"):
		v.fail(field+".metric", "%s metric %s is not supported", field, echo.Name(metric))
	default:
		if msg := checkName(field+".metric", metric); msg != "" {
			v.fail(field+".metric", "%s", msg)
		} else if _, ok := v.opts.CustomMetrics[metric]; !ok && v.opts.CustomMetrics != nil {
			v.fail(field+".metric", "%s custom metric %s does not exist", field, echo.Name(metric))
		}
	}
	if d == nil {
		return
	}
	if !known || !m.Dimension {
		v.fail(field+".metricDimension", "%s.metricDimension cannot be used with metric %s", field, echo.Name(metric))
	}
	for _, p := range dimensionProblems(d, v.opts) {
		v.fail(field+".metricDimension."+p.field, "%s: %s", field, p.msg)
	}
}

func (v *validator) tags(tags []Tag) { v.errs = append(v.errs, ValidateTags(tags)...) }

// ValidateTags checks tags as the service model does for every taggable
// resource: at most MaxTags, keys of 1..128 characters of the TagKey
// pattern, values of at most 256 characters. It returns every problem.
func ValidateTags(tags []Tag) []ValidationError {
	var v validator
	if len(tags) > MaxTags {
		v.fail("tags", "tags has %d tags; at most %d are allowed", len(tags), MaxTags)
	}
	for i, t := range tags {
		field := fmt.Sprintf("tags[%d]", i)
		if msg := checkLength(field+".Key", t.Key, 1, 128); msg != "" {
			v.fail(field+".Key", "%s", msg)
		} else if !allRunes(t.Key, isTagKeyChar) {
			v.fail(field+".Key", "%s.Key %s should match pattern %s", field, echo.Quote(t.Key), tagKeyPattern)
		}
		if t.Value != nil {
			v.check(field+".Value", checkLength(field+".Value", *t.Value, 0, 256))
		}
	}
	return v.errs
}
