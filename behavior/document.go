package behavior

import (
	"slices"
	"strings"

	"github.com/go-json-experiment/json"
)

// DocumentKind says which of the documents [ParseDocument] accepts an
// input was.
type DocumentKind uint8

// The document kinds.
const (
	// BehaviorListDocument is a bare JSON array of behaviors.
	BehaviorListDocument DocumentKind = iota + 1
	// BehaviorsRequestDocument is {"behaviors":[…]}, the
	// ValidateSecurityProfileBehaviors request.
	BehaviorsRequestDocument
	// BehaviorDocument is a single behavior object.
	BehaviorDocument
	// CreateProfileDocument is a CreateSecurityProfile request.
	CreateProfileDocument
	// UpdateProfileDocument is an UpdateSecurityProfile request: it has a
	// delete* member or expectedVersion. (Without them an update request
	// reads as a create request, which validates the same way.)
	UpdateProfileDocument
	// DescribeProfileDocument is a DescribeSecurityProfile or
	// UpdateSecurityProfile response: it has securityProfileArn, version,
	// creationDate or lastModifiedDate.
	DescribeProfileDocument
	// CloudFormationDocument is a CloudFormation template, resource or
	// resource Properties (see [ParseCloudFormation]).
	CloudFormationDocument
)

var documentKinds = [...]string{
	BehaviorListDocument:     "behavior list",
	BehaviorsRequestDocument: "ValidateSecurityProfileBehaviors request",
	BehaviorDocument:         "behavior",
	CreateProfileDocument:    "CreateSecurityProfile request",
	UpdateProfileDocument:    "UpdateSecurityProfile request",
	DescribeProfileDocument:  "security profile description",
	CloudFormationDocument:   "CloudFormation " + CloudFormationResourceType,
}

// String names the kind of document.
func (k DocumentKind) String() string {
	if k >= BehaviorListDocument && k <= CloudFormationDocument {
		return documentKinds[k]
	}
	return "DocumentKind(?)"
}

// Document is any input `ruledetect validate` accepts, decoded. Exactly the
// fields of its Kind are set.
type Document struct {
	Kind DocumentKind
	// Behaviors is set for BehaviorListDocument, BehaviorsRequestDocument
	// and BehaviorDocument (one element).
	Behaviors []Behavior
	// Profile is set for CreateProfileDocument and DescribeProfileDocument.
	Profile *SecurityProfile
	// Update is set for UpdateProfileDocument.
	Update *UpdateSecurityProfileInput
	// CloudFormation is set for CloudFormationDocument.
	CloudFormation []CloudFormationProfile
}

// Members that only an update request, or only a description, has.
var (
	updateOnlyMembers   = []string{"deleteBehaviors", "deleteAlertTargets", "deleteAdditionalMetricsToRetain", "deleteMetricsExportConfig", "expectedVersion"}
	describeOnlyMembers = []string{"securityProfileArn", "version", "creationDate", "lastModifiedDate"}
)

// ParseDocument decodes any of: a behaviors array, {"behaviors":[…]}, one
// behavior object, a create, update or describe security-profile document,
// or a CloudFormation document (template, resource or Properties). The
// kind is told by the top-level members: a member that starts with an
// upper-case letter means CloudFormation; delete* or expectedVersion an
// update; securityProfileArn, version or a date a description; a lone
// behaviors member a ValidateSecurityProfileBehaviors request; name a
// behavior; anything else a create request. Decoding is strict: see
// [DecodeError].
func ParseDocument(data []byte) (*Document, error) {
	if err := checkSyntax(data); err != nil {
		return nil, err
	}
	kind, names := topLevel(data)
	switch {
	case kind == '[':
		bs, err := ParseBehaviors(data)
		return docOrNil(&Document{Kind: BehaviorListDocument, Behaviors: bs}, err)
	case kind != '{':
		return nil, positioned(data, &DecodeError{Kind: ErrUnrecognized,
			Msg: "got " + kindName(kind) + ", want a behaviors array, a security profile or a CloudFormation document"}, 0)
	}
	return parseObjectDocument(data, names)
}

// docOrNil returns d, or nil when err is set: a failed parse returns no document.
func docOrNil(d *Document, err error) (*Document, error) {
	if err != nil {
		return nil, err
	}
	return d, nil
}

func parseObjectDocument(data []byte, names []string) (*Document, error) {
	switch k := objectKind(names); k {
	case CloudFormationDocument:
		ps, err := ParseCloudFormation(data)
		return docOrNil(&Document{Kind: k, CloudFormation: ps}, err)
	case BehaviorsRequestDocument:
		bs, err := ParseBehaviors(data)
		return docOrNil(&Document{Kind: k, Behaviors: bs}, err)
	case BehaviorDocument:
		var b Behavior
		err := decodeAt(data, 0, len(data), "", &b)
		return docOrNil(&Document{Kind: k, Behaviors: []Behavior{b}}, err)
	case UpdateProfileDocument:
		in, err := ParseUpdateSecurityProfile(data)
		return docOrNil(&Document{Kind: k, Update: in}, err)
	default:
		sp, err := ParseSecurityProfile(data)
		return docOrNil(&Document{Kind: k, Profile: sp}, err)
	}
}

func objectKind(names []string) DocumentKind {
	switch {
	case slices.ContainsFunc(names, func(n string) bool { return n != "" && n[0] >= 'A' && n[0] <= 'Z' }):
		return CloudFormationDocument
	case hasAny(names, updateOnlyMembers...):
		return UpdateProfileDocument
	case hasAny(names, describeOnlyMembers...):
		return DescribeProfileDocument
	case len(names) == 1 && names[0] == "behaviors":
		return BehaviorsRequestDocument
	case slices.Contains(names, "name") && !slices.Contains(names, "securityProfileName"):
		return BehaviorDocument
	}
	return CreateProfileDocument
}

// Validate validates the document as the service would: behaviors as
// ValidateSecurityProfileBehaviors does, profiles and update requests with
// the profile-level rules as well, CloudFormation profiles with the
// adapter's rules besides (see [CloudFormationProfile.Validate]).
func (d *Document) Validate(opts ValidateOptions) ValidationResult {
	switch d.Kind {
	case CreateProfileDocument, DescribeProfileDocument:
		if d.Profile != nil {
			return d.Profile.Validate(opts)
		}
	case UpdateProfileDocument:
		if d.Update != nil {
			return d.Update.Validate(opts)
		}
	case CloudFormationDocument:
		var all []ValidationError
		for i := range d.CloudFormation {
			all = append(all, d.CloudFormation[i].Validate(opts).ValidationErrors...)
		}
		return newResult(all)
	}
	return ValidateBehaviors(d.Behaviors, opts)
}

// MarshalJSON writes the document back in its own form (a CloudFormation
// document as a template), so that ParseDocument reads the same values.
func (d *Document) MarshalJSON() ([]byte, error) {
	switch d.Kind {
	case BehaviorListDocument:
		return json.Marshal(d.Behaviors)
	case BehaviorDocument:
		if len(d.Behaviors) == 1 {
			return json.Marshal(&d.Behaviors[0])
		}
	case CreateProfileDocument, DescribeProfileDocument:
		return json.Marshal(d.Profile)
	case UpdateProfileDocument:
		return json.Marshal(d.Update)
	case CloudFormationDocument:
		return marshalTemplate(d.CloudFormation)
	}
	return json.Marshal(behaviorsRequest{Behaviors: d.Behaviors})
}

type cfnResource struct {
	Type       string        `json:"Type"`
	Properties cfnProperties `json:"Properties"`
}

func marshalTemplate(ps []CloudFormationProfile) ([]byte, error) {
	res := make(map[string]cfnResource, len(ps))
	for i := range ps {
		id := ps[i].LogicalID
		if id == "" {
			id = "SecurityProfile" + strings.Repeat("X", i)
		}
		res[id] = cfnResource{Type: CloudFormationResourceType, Properties: cloudFormationProperties(&ps[i])}
	}
	return json.Marshal(struct {
		Resources map[string]cfnResource `json:"Resources"`
	}{res}, json.Deterministic(true))
}
