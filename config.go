package ruledetect

import (
	"maps"
	"slices"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/dimension"
	"github.com/ruledetect/ruledetect/internal/eval"
)

// config is one immutable version of the control plane: every dimension,
// custom metric, profile and attachment, with the profiles compiled. A change
// builds a new config and swaps it in under the engine's lock, so ingest
// always evaluates against one consistent version (and readers of Describe
// and List need no lock at all).
type config struct {
	version  uint64
	dims     map[string]*dimensionRecord
	customs  map[string]*customMetricRecord
	profiles map[string]*profileRecord
	// targets maps a target ARN to the names of the profiles attached to it,
	// in attachment order.
	targets map[string][]string
}

type dimensionRecord struct {
	name, arn, token string
	values           []string
	tags             []behavior.Tag
	matcher          *dimension.Matcher
	created, updated time.Time
}

type customMetricRecord struct {
	name, arn, token, displayName, metricType string
	tags                                      []behavior.Tag
	created, updated                          time.Time
}

type profileRecord struct {
	sp        behavior.SecurityProfile // as DescribeSecurityProfile returns it
	behaviors []*eval.Behavior         // in profile order
}

// clone returns a shallow copy of c with its own maps, ready to be changed
// and swapped in as the next version.
func (c *config) clone() *config {
	return &config{
		version:  c.version + 1,
		dims:     maps.Clone(c.dims),
		customs:  maps.Clone(c.customs),
		profiles: maps.Clone(c.profiles),
		targets:  maps.Clone(c.targets),
	}
}

// detach removes profile from target in c, a clone being built. A target
// left with no profile is removed: the configuration holds only targets
// that apply something, which is what a snapshot of it may contain.
func (c *config) detach(profile, target string) {
	i := slices.Index(c.targets[target], profile)
	if i < 0 {
		return
	}
	rest := slices.Delete(slices.Clone(c.targets[target]), i, i+1)
	if len(rest) == 0 {
		delete(c.targets, target)
		return
	}
	c.targets[target] = rest
}

// profilesWhere returns the names of the profiles for which f holds, in
// lexical order: the profiles that keep a dimension or a custom metric from
// being deleted.
func (c *config) profilesWhere(f func(*profileRecord) bool) []string {
	var names []string
	for name, p := range c.profiles {
		if f(p) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func emptyConfig() *config {
	return &config{
		dims:     map[string]*dimensionRecord{},
		customs:  map[string]*customMetricRecord{},
		profiles: map[string]*profileRecord{},
		targets:  map[string][]string{},
	}
}

// setConfig puts c in force: the control plane's version and the data
// plane's rules built from it. Called with every lock held (update), or
// before the engine is shared.
func (e *Engine) setConfig(c *config) {
	e.cfg.Store(c)
	e.plane.SetRules(e.rulesOf(c))
}

// rulesOf returns what the data plane needs of c: every profile's compiled
// behaviors, and which profiles apply to each kind of thing. A thing falls
// under all/things, then all/registered-things and its groups' targets
// when it is registered, all/unregistered-things when not.
func (e *Engine) rulesOf(c *config) *eval.Rules {
	all := make([]eval.Profile, 0, len(c.profiles))
	for _, name := range slices.Sorted(maps.Keys(c.profiles)) {
		all = append(all, eval.Profile{Name: name, Behaviors: c.profiles[name].behaviors})
	}
	attached := func(profile string) bool {
		for _, ps := range c.targets {
			if slices.Contains(ps, profile) {
				return true
			}
		}
		return false
	}
	build := func(k eval.Kind) []eval.Profile {
		var names []string
		add := func(target string) {
			for _, p := range c.targets[target] {
				if !slices.Contains(names, p) {
					names = append(names, p)
				}
			}
		}
		add(e.arn("all/things"))
		if k.Registered {
			add(e.arn("all/registered-things"))
			for _, g := range k.Groups {
				add(e.arn("thinggroup/" + g))
			}
		} else {
			add(e.arn("all/unregistered-things"))
		}
		slices.Sort(names)
		out := make([]eval.Profile, 0, len(names))
		for _, p := range names {
			if rec := c.profiles[p]; rec != nil {
				out = append(out, eval.Profile{Name: p, Behaviors: rec.behaviors})
			}
		}
		return out
	}
	exportOf := func(profile string) *behavior.MetricsExportConfig {
		if rec := c.profiles[profile]; rec != nil {
			return rec.sp.MetricsExportConfig
		}
		return nil
	}
	return eval.NewRules(c.version, all, attached, build, exportOf, e.plane.Slack())
}
