package main

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
)

// setupSource is one control-plane document and where it came from.
type setupSource struct {
	name string // file name, for messages
	data []byte
}

// profileSpec is one security profile to create and what to attach it to.
type profileSpec struct {
	profile *behavior.SecurityProfile
	// targets are target resources ("all/things", "thinggroup/NAME") in
	// the engine's region and account; none means all/things.
	targets []string
}

// profileSetup is what one --profile file asks for: its profiles and, for a
// CloudFormation template, the dimensions and custom metrics it defines.
type profileSetup struct {
	profiles []profileSpec
	dims     []ruledetect.CreateDimensionInput
	metrics  []ruledetect.CreateCustomMetricInput
}

// loadProfileSetup reads a profile file in any form parseProfileDocument
// accepts and turns it into profiles to create:
//   - a CreateSecurityProfile request or a DescribeSecurityProfile output
//     is one profile, attached to all/things;
//   - a behaviors array, {"behaviors":[…]} or one behavior is a profile of
//     those behaviors named after the file (its base name without
//     extension), attached to all/things;
//   - CloudFormation is one profile per AWS::IoT::SecurityProfile, attached
//     to its TargetArns (all/things when it has none), named
//     SecurityProfileName or else the resource's logical ID (or, for a bare
//     resource, the file's name); a template's AWS::IoT::Dimension and
//     AWS::IoT::CustomMetric resources are created too.
//
// An UpdateSecurityProfile request is refused: it changes a profile that
// the replay does not have.
func loadProfileSetup(src setupSource) (*profileSetup, error) {
	d, err := parseProfileDocument(src.data)
	if err != nil {
		return nil, err
	}
	stem := strings.TrimSuffix(filepath.Base(src.name), filepath.Ext(src.name))
	switch d.Kind {
	case behavior.CreateProfileDocument, behavior.DescribeProfileDocument:
		if d.Profile == nil || d.Profile.SecurityProfileName == "" {
			return nil, fmt.Errorf("a %s without securityProfileName", d.Kind)
		}
	}
	switch d.Kind {
	case behavior.CreateProfileDocument:
		return &profileSetup{profiles: []profileSpec{{profile: d.Profile}}}, nil
	case behavior.DescribeProfileDocument:
		// The output members are the service's to set: the replay
		// creates the profile described.
		sp := *d.Profile
		sp.SecurityProfileArn, sp.Version, sp.CreationDate, sp.LastModifiedDate = "", 0, nil, nil
		return &profileSetup{profiles: []profileSpec{{profile: &sp}}}, nil
	case behavior.BehaviorListDocument, behavior.BehaviorsRequestDocument, behavior.BehaviorDocument:
		if !behavior.ValidName(stem) {
			return nil, fmt.Errorf("a %s has no profile name and the file's name %q is not one (letters, digits, _ : -); give a CreateSecurityProfile request instead", d.Kind, stem)
		}
		return &profileSetup{profiles: []profileSpec{{profile: &behavior.SecurityProfile{SecurityProfileName: stem, Behaviors: d.Behaviors}}}}, nil
	case behavior.CloudFormationDocument:
		return cloudFormationSetup(d, stem)
	}
	return nil, fmt.Errorf("a %s changes an existing profile; give a CreateSecurityProfile request, a DescribeSecurityProfile output, behaviors or CloudFormation", d.Kind)
}

func cloudFormationSetup(d *profileDocument, stem string) (*profileSetup, error) {
	s := &profileSetup{}
	for _, cp := range d.CloudFormation {
		sp := cp.Profile
		if sp.SecurityProfileName == "" {
			// CloudFormation would generate a name; the logical ID is the
			// stable part of it.
			sp.SecurityProfileName = cmpOr(cp.LogicalID, stem)
		}
		spec := profileSpec{profile: &sp}
		for _, arn := range cp.TargetArns {
			r, err := targetResource(arn)
			if err != nil {
				return nil, fmt.Errorf("%s: TargetArns: %v", cmpOr(cp.LogicalID, sp.SecurityProfileName), err)
			}
			spec.targets = append(spec.targets, r)
		}
		s.profiles = append(s.profiles, spec)
	}
	if err := templateResources(d.json, s); err != nil {
		return nil, err
	}
	return s, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// targetResource returns the resource part of a target ARN,
// arn:aws:iot:REGION:ACCOUNT:RESOURCE. A replay is one account in one
// region, so REGION and ACCOUNT are not compared with anything: the
// resource is attached in the replay engine's own.
func targetResource(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iot" || parts[5] == "" {
		return "", fmt.Errorf("%q is not an AWS IoT ARN (arn:aws:iot:REGION:ACCOUNT:all/things or …:thinggroup/NAME)", arn)
	}
	return parts[5], nil
}

// The CloudFormation types of the resources a template may hold besides
// security profiles.
const (
	cfnDimensionType    = "AWS::IoT::Dimension"
	cfnCustomMetricType = "AWS::IoT::CustomMetric"
)

// cfnDimension and cfnCustomMetric mirror the Properties of those resource
// types (CloudFormation user guide, aws-resource-iot-dimension and
// aws-resource-iot-custommetric).
type cfnDimension struct {
	Name         string         `json:"Name,omitzero"`
	Type         string         `json:"Type"`
	StringValues []string       `json:"StringValues"`
	Tags         []behavior.Tag `json:"Tags,omitzero"`
}

type cfnCustomMetric struct {
	MetricName  string         `json:"MetricName,omitzero"`
	DisplayName string         `json:"DisplayName,omitzero"`
	MetricType  string         `json:"MetricType"`
	Tags        []behavior.Tag `json:"Tags,omitzero"`
}

// templateResources adds the dimensions and custom metrics of a whole
// template (data, as JSON) to s, in logical-ID order. A resource without a
// name is named after its logical ID, as for profiles. Other resource types
// are ignored.
func templateResources(data []byte, s *profileSetup) error {
	var t struct {
		Resources map[string]struct {
			Type       string         `json:"Type"`
			Properties jsontext.Value `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(data, &t); err != nil || t.Resources == nil {
		return nil // not a whole template: a resource or Properties
	}
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		strict := json.RejectUnknownMembers(true)
		switch r.Type {
		case cfnDimensionType:
			var p cfnDimension
			if err := json.Unmarshal(r.Properties, &p, strict); err != nil {
				return fmt.Errorf("Resources.%s.Properties: %v", id, err)
			}
			s.dims = append(s.dims, ruledetect.CreateDimensionInput{
				Name: cmpOr(p.Name, id), Type: p.Type, StringValues: p.StringValues, Tags: p.Tags,
			})
		case cfnCustomMetricType:
			var p cfnCustomMetric
			if err := json.Unmarshal(r.Properties, &p, strict); err != nil {
				return fmt.Errorf("Resources.%s.Properties: %v", id, err)
			}
			s.metrics = append(s.metrics, ruledetect.CreateCustomMetricInput{
				MetricName: cmpOr(p.MetricName, id), DisplayName: p.DisplayName, MetricType: p.MetricType, Tags: p.Tags,
			})
		}
	}
	return nil
}

// setupEngine creates the dimensions, then the custom metrics (those of the
// flags, then those of the profile files' templates), then the security
// profiles, attaching each to its targets (all/things when it has none),
// and finally tells the engine the thing groups. Errors name the source at
// fault.
func setupEngine(ctx context.Context, e *ruledetect.Engine, dims, metrics, profiles []setupSource, groups map[string][]string) error {
	setups := make([]*profileSetup, len(profiles))
	for i, s := range profiles {
		ps, err := loadProfileSetup(s)
		if err != nil {
			return fmt.Errorf("%s: %v", s.name, err)
		}
		setups[i] = ps
	}
	for _, s := range dims {
		var in ruledetect.CreateDimensionInput
		if err := unmarshalStrict(s.data, &in); err != nil {
			return fmt.Errorf("%s: %v", s.name, err)
		}
		if _, err := e.CreateDimension(ctx, in); err != nil {
			return fmt.Errorf("%s: %v", s.name, err)
		}
	}
	for i, ps := range setups {
		for _, in := range ps.dims {
			if _, err := e.CreateDimension(ctx, in); err != nil {
				return fmt.Errorf("%s: %v", profiles[i].name, err)
			}
		}
	}
	for _, s := range metrics {
		var in ruledetect.CreateCustomMetricInput
		if err := unmarshalStrict(s.data, &in); err != nil {
			return fmt.Errorf("%s: %v", s.name, err)
		}
		if _, err := e.CreateCustomMetric(ctx, in); err != nil {
			return fmt.Errorf("%s: %v", s.name, err)
		}
	}
	for i, ps := range setups {
		for _, in := range ps.metrics {
			if _, err := e.CreateCustomMetric(ctx, in); err != nil {
				return fmt.Errorf("%s: %v", profiles[i].name, err)
			}
		}
	}
	for i, ps := range setups {
		for _, spec := range ps.profiles {
			if _, err := e.CreateSecurityProfile(ctx, *spec.profile); err != nil {
				return fmt.Errorf("%s: %v", profiles[i].name, err)
			}
			targets := spec.targets
			if len(targets) == 0 {
				targets = []string{"all/things"}
			}
			for _, t := range targets {
				if err := e.AttachSecurityProfile(ctx, spec.profile.SecurityProfileName, e.Arn(t)); err != nil {
					return fmt.Errorf("%s: %v", profiles[i].name, err)
				}
			}
		}
	}
	for _, thing := range slices.Sorted(maps.Keys(groups)) {
		if err := e.SetThingGroups(ctx, thing, groups[thing]); err != nil {
			return fmt.Errorf("--thing-groups: %v", err)
		}
	}
	return nil
}

// parseThingGroups reads a --thing-groups file: a JSON object mapping each
// thing name to the names of the thing groups it belongs to.
func parseThingGroups(data []byte) (map[string][]string, error) {
	var m map[string][]string
	if err := unmarshalStrict(data, &m); err != nil {
		return nil, fmt.Errorf("want a JSON object mapping thing names to arrays of thing group names: %v", err)
	}
	return m, nil
}
