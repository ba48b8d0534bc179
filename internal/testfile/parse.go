package testfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"go.yaml.in/yaml/v3"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/detecttest"
)

// MaxFileSize bounds a test file, so that a mistaken argument (a replay
// log of gigabytes) is an error rather than a parse of everything.
const MaxFileSize = 16 << 20

// Load reads and parses the test file at path and reads the profile,
// dimension and custom metric files it names.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	f, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	for _, docs := range [][]Doc{f.Profiles, f.Dimensions, f.CustomMetrics} {
		for i := range docs {
			if docs[i].Path == "" {
				continue
			}
			b, err := os.ReadFile(docs[i].Path)
			if err != nil {
				return nil, &Error{File: path, Pos: docs[i].Pos, Msg: err.Error()}
			}
			docs[i].JSON = b
		}
	}
	return f, nil
}

// Parse parses a test file's contents; path names it in errors and is the
// base of the relative file names it holds. It reads no other file.
func Parse(path string, data []byte) (*File, error) {
	p := &parser{file: path, dir: filepath.Dir(path)}
	if len(data) > MaxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("%d bytes, more than %d", len(data), MaxFileSize)}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, p.yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, p.errorf(&extra, "a second document: a test file is one document")
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, &Error{File: path, Msg: "empty test file"}
	}
	if err := p.noAliases(&root); err != nil {
		return nil, err
	}
	f := &File{Path: path, Period: 300 * time.Second, Start: detecttest.Start}
	if err := p.topLevel(root.Content[0], f); err != nil {
		return nil, err
	}
	return f, nil
}

type parser struct {
	file, dir string
	start     time.Time
}

func (p *parser) errorf(n *yaml.Node, format string, a ...any) error {
	return &Error{File: p.file, Pos: Pos{n.Line, n.Column}, Msg: fmt.Sprintf(format, a...)}
}

// yamlError turns a YAML syntax error ("yaml: line N: msg") into an Error
// with that line (the YAML library gives no column).
func (p *parser) yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, tail, _ := strings.Cut(rest, ": ")
		if line, err := strconv.Atoi(num); err == nil {
			return &Error{File: p.file, Pos: Pos{line, 1}, Msg: tail}
		}
	}
	if errors.Is(err, io.EOF) {
		return &Error{File: p.file, Msg: "empty test file"}
	}
	return &Error{File: p.file, Pos: Pos{1, 1}, Msg: msg}
}

// noAliases rejects anchors and aliases: a test file has no need of them,
// and an alias bomb should not expand.
func (p *parser) noAliases(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return p.errorf(n, "anchors and aliases are not supported")
	}
	for _, c := range n.Content {
		if err := p.noAliases(c); err != nil {
			return err
		}
	}
	return nil
}

// fields walks a mapping, calling the handler of each key; unknown and
// repeated keys are errors. Handlers listed in first run before the others,
// whatever the order in the file.
func (p *parser) fields(n *yaml.Node, what string, handlers map[string]func(*yaml.Node) error, first ...string) error {
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "%s: want a mapping", what)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return p.errorf(k, "%s: a key must be a plain name", what)
		}
		if _, ok := handlers[k.Value]; !ok {
			return p.errorf(k, "%s: unknown key %q", what, k.Value)
		}
		if seen[k.Value] {
			return p.errorf(k, "%s: key %q given twice", what, k.Value)
		}
		seen[k.Value] = true
	}
	run := func(pass int) error {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			isFirst := false
			for _, f := range first {
				isFirst = isFirst || f == k.Value
			}
			if isFirst != (pass == 0) {
				continue
			}
			if err := handlers[k.Value](v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := run(0); err != nil {
		return err
	}
	return run(1)
}

func (p *parser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errorf(n, "%s: want a string", what)
	}
	if n.Value == "" {
		return "", p.errorf(n, "%s: empty", what)
	}
	return n.Value, nil
}

func (p *parser) boolean(n *yaml.Node, what string) (bool, error) {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, p.errorf(n, "%s: want true or false", what)
}

func (p *parser) seq(n *yaml.Node, what string) ([]*yaml.Node, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "%s: want a list", what)
	}
	return n.Content, nil
}

func (p *parser) strs(n *yaml.Node, what string) ([]string, error) {
	items, err := p.seq(n, what)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, err := p.str(it, what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// time reads an RFC 3339 time, Unix seconds, or a duration after start.
func (p *parser) time(n *yaml.Node, what string) (time.Time, error) {
	s, err := p.str(n, what)
	if err != nil {
		return time.Time{}, err
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil && sec >= 0 && sec <= 253402300799 {
		return time.Unix(sec, 0).UTC(), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return p.start.Add(d), nil
	}
	return time.Time{}, p.errorf(n, "%s: %q is neither an RFC 3339 time, Unix seconds, nor a duration such as 25m after start", what, s)
}

// toJSON converts an inline YAML document to JSON.
func (p *parser) toJSON(n *yaml.Node, what string) ([]byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, p.errorf(n, "%s: %v", what, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, p.errorf(n, "%s: %v", what, err)
	}
	return b, nil
}

func (p *parser) docs(n *yaml.Node, what string) ([]Doc, error) {
	items, err := p.seq(n, what)
	if err != nil {
		return nil, err
	}
	var out []Doc
	for _, it := range items {
		d := Doc{Pos: Pos{it.Line, it.Column}}
		switch it.Kind {
		case yaml.ScalarNode:
			name, err := p.str(it, what)
			if err != nil {
				return nil, err
			}
			if !filepath.IsAbs(name) {
				name = filepath.Join(p.dir, name)
			}
			d.Path = name
		case yaml.MappingNode:
			if d.JSON, err = p.toJSON(it, what); err != nil {
				return nil, err
			}
		default:
			return nil, p.errorf(it, "%s: want a file name or an inline document", what)
		}
		out = append(out, d)
	}
	return out, nil
}

func (p *parser) topLevel(n *yaml.Node, f *File) error {
	p.start = f.Start
	return p.fields(n, "test file", map[string]func(*yaml.Node) error{
		"start": func(v *yaml.Node) (err error) {
			s, err := p.str(v, "start")
			if err != nil {
				return err
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return p.errorf(v, "start: %q is not an RFC 3339 time", s)
			}
			f.Start, p.start = t.UTC(), t.UTC()
			return nil
		},
		"profiles": func(v *yaml.Node) (err error) {
			f.Profiles, err = p.docs(v, "profiles")
			if err == nil && len(f.Profiles) == 0 {
				err = p.errorf(v, "profiles: at least one is needed")
			}
			return err
		},
		"dimensions":     func(v *yaml.Node) (err error) { f.Dimensions, err = p.docs(v, "dimensions"); return err },
		"custom_metrics": func(v *yaml.Node) (err error) { f.CustomMetrics, err = p.docs(v, "custom_metrics"); return err },
		"targets":        func(v *yaml.Node) (err error) { f.Targets, err = p.strs(v, "targets"); return err },
		"cumulative_network_stats": func(v *yaml.Node) (err error) {
			f.Cumulative, err = p.boolean(v, "cumulative_network_stats")
			return err
		},
		"period": func(v *yaml.Node) error {
			s, err := p.str(v, "period")
			if err != nil {
				return err
			}
			sec, err := strconv.Atoi(s)
			if err != nil || sec <= 0 || 300%sec != 0 {
				return p.errorf(v, "period: %q: want a number of seconds dividing 300", s)
			}
			f.Period = time.Duration(sec) * time.Second
			return nil
		},
		"thing_groups": func(v *yaml.Node) error {
			if v.Kind != yaml.MappingNode {
				return p.errorf(v, "thing_groups: want a mapping of thing to groups")
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				thing, err := p.str(v.Content[i], "thing_groups")
				if err != nil {
					return err
				}
				groups, err := p.strs(v.Content[i+1], "thing_groups of "+thing)
				if err != nil {
					return err
				}
				f.ThingGroups = append(f.ThingGroups, ThingGroups{Thing: thing, Groups: groups})
			}
			return nil
		},
		"tests": func(v *yaml.Node) error {
			items, err := p.seq(v, "tests")
			if err != nil {
				return err
			}
			if len(items) == 0 {
				return p.errorf(v, "tests: at least one is needed")
			}
			for _, it := range items {
				c, err := p.testCase(it)
				if err != nil {
					return err
				}
				f.Tests = append(f.Tests, c)
			}
			return nil
		},
	}, "start")
}

func (p *parser) testCase(n *yaml.Node) (Case, error) {
	c := Case{Pos: Pos{n.Line, n.Column}}
	err := p.fields(n, "test", map[string]func(*yaml.Node) error{
		"name": func(v *yaml.Node) (err error) { c.Name, err = p.str(v, "name"); return err },
		"input": func(v *yaml.Node) error {
			s, err := p.str(v, "input")
			if err != nil {
				return err
			}
			if !filepath.IsAbs(s) {
				s = filepath.Join(p.dir, s)
			}
			c.Input, c.InputPos = s, Pos{v.Line, v.Column}
			return nil
		},
		"input_series": func(v *yaml.Node) error {
			if v.Kind != yaml.MappingNode {
				return p.errorf(v, "input_series: want a mapping of series to values")
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				key, err := p.str(v.Content[i], "input_series")
				if err != nil {
					return err
				}
				nv := v.Content[i+1]
				if nv.Kind != yaml.ScalarNode {
					return p.errorf(nv, "input_series %q: want a notation such as \"0+10x12\"", key)
				}
				// Check the notation here, so its error has its place.
				if err := detecttest.CheckSeries(key, nv.Value); err != nil {
					return p.errorf(nv, "%v", err)
				}
				c.Series = append(c.Series, Series{Pos: Pos{nv.Line, nv.Column}, Key: key, Notation: nv.Value})
			}
			return nil
		},
		"skip_bad": func(v *yaml.Node) (err error) { c.SkipBad, err = p.boolean(v, "skip_bad"); return err },
		"until":    func(v *yaml.Node) (err error) { c.Until, err = p.time(v, "until"); return err },
		"expected_events": func(v *yaml.Node) error {
			items, err := p.seq(v, "expected_events")
			if err != nil {
				return err
			}
			for _, it := range items {
				e, err := p.event(it)
				if err != nil {
					return err
				}
				c.Events = append(c.Events, e)
			}
			return nil
		},
		"expected_active": func(v *yaml.Node) error {
			items, err := p.seq(v, "expected_active")
			if err != nil {
				return err
			}
			for _, it := range items {
				a, err := p.activeAt(it)
				if err != nil {
					return err
				}
				c.Active = append(c.Active, a)
			}
			return nil
		},
	})
	if err != nil {
		return c, err
	}
	if c.Name == "" {
		return c, p.errorf(n, "test: name is required")
	}
	if c.Input == "" && len(c.Series) == 0 {
		return c, p.errorf(n, "test %q: give input or input_series", c.Name)
	}
	return c, nil
}

// value reads a metric value ({count: 3}) as the compact JSON events carry.
func (p *parser) value(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.MappingNode {
		return "", p.errorf(n, "%s: want a metric value such as {count: 3}", what)
	}
	for i := 0; i < len(n.Content); i += 2 {
		switch k := n.Content[i]; k.Value {
		case "count", "cidrs", "ports", "number", "numbers", "strings":
		default:
			return "", p.errorf(k, "%s: unknown key %q: want one of count, cidrs, ports, number, numbers, strings", what, k.Value)
		}
	}
	b, err := p.toJSON(n, what)
	if err != nil {
		return "", err
	}
	var mv behavior.MetricValue
	if err := json.Unmarshal(b, &mv, json.RejectUnknownMembers(true)); err != nil {
		return "", p.errorf(n, "%s: %v", what, err)
	}
	set := 0
	for _, ok := range []bool{mv.Count != nil, mv.CIDRs != nil, mv.Ports != nil, mv.Number != nil, mv.Numbers != nil, mv.Strings != nil} {
		if ok {
			set++
		}
	}
	if set != 1 {
		return "", p.errorf(n, "%s: want exactly one of count, cidrs, ports, number, numbers, strings", what)
	}
	if mv.Number != nil && (math.IsNaN(*mv.Number) || math.IsInf(*mv.Number, 0)) {
		return "", p.errorf(n, "%s: not a finite number", what)
	}
	return detecttest.ValueJSON(&mv), nil
}

func (p *parser) event(n *yaml.Node) (Expected, error) {
	e := Expected{Pos: Pos{n.Line, n.Column}}
	var hasTime, hasValue bool
	err := p.fields(n, "expected event", map[string]func(*yaml.Node) error{
		"time": func(v *yaml.Node) (err error) {
			hasTime = true
			e.Event.Time, err = p.time(v, "time")
			return err
		},
		"type": func(v *yaml.Node) error {
			s, err := p.str(v, "type")
			if err != nil {
				return err
			}
			switch s {
			case "in-alarm", "alarm-cleared", "alarm-invalidated":
			default:
				return p.errorf(v, "type %q: want in-alarm, alarm-cleared or alarm-invalidated", s)
			}
			e.Event.Type = s
			return nil
		},
		"thing":    func(v *yaml.Node) (err error) { e.Event.Thing, err = p.str(v, "thing"); return err },
		"profile":  func(v *yaml.Node) (err error) { e.Event.Profile, err = p.str(v, "profile"); return err },
		"behavior": func(v *yaml.Node) (err error) { e.Event.Behavior, err = p.str(v, "behavior"); return err },
		"value": func(v *yaml.Node) (err error) {
			hasValue = true
			e.Event.Value, err = p.value(v, "value")
			return err
		},
	})
	switch {
	case err != nil:
		return e, err
	case !hasTime || e.Event.Type == "" || e.Event.Thing == "" || e.Event.Behavior == "":
		return e, p.errorf(n, "expected event: time, type, thing and behavior are required")
	case e.Event.Type == "alarm-invalidated" && hasValue:
		return e, p.errorf(n, "expected event: alarm-invalidated carries no value")
	case e.Event.Type != "alarm-invalidated" && !hasValue:
		return e, p.errorf(n, "expected event: %s needs the value that triggered it", e.Event.Type)
	}
	return e, nil
}

func (p *parser) activeAt(n *yaml.Node) (ActiveAt, error) {
	a := ActiveAt{Pos: Pos{n.Line, n.Column}}
	hasAt := false
	err := p.fields(n, "expected_active", map[string]func(*yaml.Node) error{
		"at": func(v *yaml.Node) (err error) { hasAt = true; a.At, err = p.time(v, "at"); return err },
		"violations": func(v *yaml.Node) error {
			items, err := p.seq(v, "violations")
			if err != nil {
				return err
			}
			a.Violations = []detecttest.Active{}
			for _, it := range items {
				var av detecttest.Active
				hasSince := false
				err := p.fields(it, "active violation", map[string]func(*yaml.Node) error{
					"thing":    func(v *yaml.Node) (err error) { av.Thing, err = p.str(v, "thing"); return err },
					"profile":  func(v *yaml.Node) (err error) { av.Profile, err = p.str(v, "profile"); return err },
					"behavior": func(v *yaml.Node) (err error) { av.Behavior, err = p.str(v, "behavior"); return err },
					"since":    func(v *yaml.Node) (err error) { hasSince = true; av.Since, err = p.time(v, "since"); return err },
					"last":     func(v *yaml.Node) (err error) { av.Last, err = p.time(v, "last"); return err },
					"value":    func(v *yaml.Node) (err error) { av.Value, err = p.value(v, "value"); return err },
				})
				if err != nil {
					return err
				}
				if av.Thing == "" || av.Behavior == "" || !hasSince {
					return p.errorf(it, "active violation: thing, behavior and since are required")
				}
				a.Violations = append(a.Violations, av)
			}
			return nil
		},
	})
	if err != nil {
		return a, err
	}
	if !hasAt || a.Violations == nil {
		return a, p.errorf(n, "expected_active: at and violations are required (violations: [] for none)")
	}
	return a, nil
}
