package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"go.yaml.in/yaml/v3"
)

// yamlPos is a position in the YAML source, both from 1.
type yamlPos struct{ line, column int }

// yamlToJSON converts one YAML document to JSON, for the JSON decoders of
// package behavior. It writes every scalar, and every member name, on a line
// of its own and returns, for each JSON line (index line−1), the YAML
// position it came from, so that a decoding error's line and column can be
// told in the YAML's terms (see yamlDocError).
//
// Scalars keep the type YAML resolves them to (5 is a number, "5" and
// 2010-09-09 are strings, true a boolean); .inf and .nan, which JSON cannot
// hold, are errors. CloudFormation's short-form intrinsic functions (!Ref
// X, !GetAtt A.B, !Sub …) become their long form ({"Ref":"X"},
// {"Fn::GetAtt":…}), which the decoders report as not resolved, as they do
// in a JSON template. Anchors and aliases are followed; merge keys (<<) are
// not supported.
func yamlToJSON(data []byte) ([]byte, []yamlPos, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("YAML: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, fmt.Errorf("YAML: more than one document (line %d)", extra.Line)
	}
	c := yamlConverter{}
	if err := c.value(&doc, 0); err != nil {
		return nil, nil, err
	}
	return c.out.Bytes(), c.pos, nil
}

type yamlConverter struct {
	out   bytes.Buffer
	pos   []yamlPos
	nodes int
}

// maxYAMLDepth bounds nesting, so that a hostile document cannot exhaust the
// stack; maxYAMLNodes bounds the nodes written, so that aliases of aliases
// (a "billion laughs") cannot expand without end. A security profile
// template has a few hundred.
const (
	maxYAMLDepth = 200
	maxYAMLNodes = 1 << 20
)

// line starts a new JSON line that came from node n.
func (c *yamlConverter) line(n *yaml.Node) {
	if c.out.Len() > 0 {
		c.out.WriteByte('\n')
	}
	c.pos = append(c.pos, yamlPos{n.Line, n.Column})
}

func (c *yamlConverter) value(n *yaml.Node, depth int) error {
	if depth > maxYAMLDepth {
		return fmt.Errorf("YAML: line %d: nested more than %d deep", n.Line, maxYAMLDepth)
	}
	if c.nodes++; c.nodes > maxYAMLNodes {
		return fmt.Errorf("YAML: more than %d values (aliases expanded)", maxYAMLNodes)
	}
	if fn, ok := intrinsic(n.Tag); ok {
		// !Ref X → {"Ref": X}; !GetAtt A.B → {"Fn::GetAtt": "A.B"}.
		c.line(n)
		c.out.WriteString("{")
		c.string(fn)
		c.out.WriteString(":")
		m := *n
		m.Tag = ""
		if n.Kind == yaml.ScalarNode {
			m.Tag = "!!str"
		}
		if err := c.value(&m, depth+1); err != nil {
			return err
		}
		c.out.WriteString("}")
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return errors.New("YAML: empty document")
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		return c.value(n.Alias, depth+1)
	case yaml.MappingNode:
		c.line(n)
		c.out.WriteString("{")
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return fmt.Errorf("YAML: line %d, column %d: a member name must be a plain scalar", k.Line, k.Column)
			}
			if seen[k.Value] {
				return fmt.Errorf("YAML: line %d, column %d: duplicate member %q", k.Line, k.Column, k.Value)
			}
			seen[k.Value] = true
			if i > 0 {
				c.out.WriteString(",")
			}
			c.line(k)
			c.string(k.Value)
			c.out.WriteString(":")
			if err := c.value(v, depth+1); err != nil {
				return err
			}
		}
		c.out.WriteString("}")
		return nil
	case yaml.SequenceNode:
		c.line(n)
		c.out.WriteString("[")
		for i, v := range n.Content {
			if i > 0 {
				c.out.WriteString(",")
			}
			if err := c.value(v, depth+1); err != nil {
				return err
			}
		}
		c.out.WriteString("]")
		return nil
	case yaml.ScalarNode:
		c.line(n)
		return c.scalar(n)
	}
	return fmt.Errorf("YAML: line %d: unsupported node", n.Line)
}

func (c *yamlConverter) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		c.out.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("YAML: line %d, column %d: %v", n.Line, n.Column, err)
		}
		c.out.WriteString(strconv.FormatBool(b))
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return fmt.Errorf("YAML: line %d, column %d: %v", n.Line, n.Column, err)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("YAML: line %d, column %d: %s is not a JSON number", n.Line, n.Column, n.Value)
		}
		if n.ShortTag() == "!!int" {
			var i int64
			if err := n.Decode(&i); err == nil {
				c.out.WriteString(strconv.FormatInt(i, 10))
				return nil
			}
		}
		c.out.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	case "!!str", "!!timestamp", "!!binary":
		// A date stays the text it was written as (AWSTemplateFormatVersion).
		c.string(n.Value)
	default:
		return fmt.Errorf("YAML: line %d, column %d: unsupported tag %s", n.Line, n.Column, n.Tag)
	}
	return nil
}

func (c *yamlConverter) string(s string) {
	b, _ := jsontext.AppendQuote(nil, s) // errors only for invalid UTF-8, which it replaces
	c.out.Write(b)
}

// intrinsic returns the long name of a CloudFormation short-form tag.
func intrinsic(tag string) (string, bool) {
	name, ok := strings.CutPrefix(tag, "!")
	if !ok || name == "" || strings.HasPrefix(name, "!") {
		return "", false
	}
	if name == "Ref" || name == "Condition" {
		return name, true
	}
	return "Fn::" + name, true
}
