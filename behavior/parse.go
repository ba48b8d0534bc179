package behavior

// ParseBehaviors decodes a list of behaviors: a bare JSON array, or the
// ValidateSecurityProfileBehaviors request {"behaviors":[…]}. Unknown
// members, wrong types and syntax errors are *[DecodeError]s naming the
// path and position. The behaviors are not validated: see [ValidateBehaviors].
func ParseBehaviors(data []byte) ([]Behavior, error) {
	if err := checkSyntax(data); err != nil {
		return nil, err
	}
	kind, _ := topLevel(data)
	if kind == '[' {
		var bs []Behavior
		if err := decodeAt(data, 0, len(data), "", &bs); err != nil {
			return nil, err
		}
		return bs, nil
	}
	var req behaviorsRequest
	if err := decodeAt(data, 0, len(data), "", &req); err != nil {
		return nil, err
	}
	return req.Behaviors, nil
}

// behaviorsRequest is the ValidateSecurityProfileBehaviors request.
type behaviorsRequest struct {
	Behaviors []Behavior `json:"behaviors"`
}

// ParseSecurityProfile decodes a security profile as CreateSecurityProfile
// takes it or DescribeSecurityProfile and UpdateSecurityProfile return it.
// It is not validated: see [SecurityProfile.Validate].
func ParseSecurityProfile(data []byte) (*SecurityProfile, error) {
	var sp SecurityProfile
	if err := parseStrict(data, &sp); err != nil {
		return nil, err
	}
	return &sp, nil
}

// ParseUpdateSecurityProfile decodes an UpdateSecurityProfile request. It is
// not validated: see [UpdateSecurityProfileInput.Validate].
func ParseUpdateSecurityProfile(data []byte) (*UpdateSecurityProfileInput, error) {
	var in UpdateSecurityProfileInput
	if err := parseStrict(data, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

func parseStrict(data []byte, v any) error {
	if err := checkSyntax(data); err != nil {
		return err
	}
	if kind, _ := topLevel(data); kind != '{' {
		return positioned(data, &DecodeError{Kind: ErrWrongType, Msg: "got " + kindName(kind) + ", want object"}, 0)
	}
	return decodeAt(data, 0, len(data), "", v)
}
