package main

import (
	"bytes"
	"errors"

	"github.com/ruledetect/ruledetect/behavior"
)

// profileDocument is a profile file as validate and replay read it: the
// document behavior.ParseDocument decoded, and the JSON it was decoded
// from (YAML converted), which a CloudFormation template's other resources
// are read from.
type profileDocument struct {
	*behavior.Document
	json []byte
}

// parseProfileDocument decides the form of a profile file, the one place
// that does, and decodes it. JSON is told from YAML by the first
// character: a document that starts with { or [ (or is empty) is JSON, so
// that a JSON mistake is reported as one; anything else is YAML, which is
// how CloudFormation templates are commonly written. Which JSON document
// it is (a behaviors array, a ValidateSecurityProfileBehaviors,
// CreateSecurityProfile or UpdateSecurityProfile request, a
// DescribeSecurityProfile output, or a CloudFormation template, resource or
// Properties of AWS::IoT::SecurityProfile) is behavior.ParseDocument's
// decision. The errors of a YAML document give YAML lines and columns.
func parseProfileDocument(data []byte) (*profileDocument, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] == '{' || trimmed[0] == '[' {
		d, err := behavior.ParseDocument(data)
		if err != nil {
			return nil, err
		}
		return &profileDocument{d, data}, nil
	}
	js, pos, err := yamlToJSON(data)
	if err != nil {
		return nil, err
	}
	d, err := behavior.ParseDocument(js)
	if err != nil {
		return nil, yamlDocError(err, pos)
	}
	return &profileDocument{d, js}, nil
}

// yamlDocError tells a decoding error of converted YAML in the YAML's
// lines and columns (yamlToJSON writes one YAML node a JSON line).
func yamlDocError(err error, pos []yamlPos) error {
	var de *behavior.DecodeError
	if !errors.As(err, &de) || de.Line < 1 || de.Line > len(pos) {
		return err
	}
	c := *de
	c.Line, c.Column = pos[de.Line-1].line, pos[de.Line-1].column
	return &c
}
