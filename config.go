package ruledetect

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/dimension"
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

	// coverages caches, per kind of thing, the behaviors that apply to it.
	// It is filled lazily under the engine's lock.
	coverages map[string]*coverage
	// covMu guards coverages: shards closing in parallel fill it.
	covMu sync.Mutex
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
	behaviors []*compiledBehavior      // in profile order
}

// clone returns a shallow copy of c with its own maps, ready to be changed
// and swapped in as the next version.
func (c *config) clone() *config {
	return &config{
		version:   c.version + 1,
		dims:      maps.Clone(c.dims),
		customs:   maps.Clone(c.customs),
		profiles:  maps.Clone(c.profiles),
		targets:   maps.Clone(c.targets),
		coverages: map[string]*coverage{},
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
		dims:      map[string]*dimensionRecord{},
		customs:   map[string]*customMetricRecord{},
		profiles:  map[string]*profileRecord{},
		targets:   map[string][]string{},
		coverages: map[string]*coverage{},
	}
}

// coverage is the list of behaviors that apply to one kind of thing (its
// registration and groups), with indexes by input so that an input visits
// only the behaviors it feeds.
type coverage struct {
	behaviors []*compiledBehavior
	byInput   [numInputs][]int32
	windowed  []int32 // behaviors with periods > 0
	profiles  []string

	// ringOff is where each windowed behavior's periods start in a thing's
	// ring (thingState.ring): its window plus slack periods, how far the
	// allowed lateness lets an input land behind the newest one. ringLen
	// is the ring's length and maxRing the longest behavior's share.
	ringOff []int32
	ringLen int32
	slack   int32
	maxRing int

	// retain is, for the behavior chosen to feed each series of retained
	// values, what to do with them (nil for every other behavior).
	retain []*retainSpec
}

// thingKind identifies the set of targets a thing falls under.
type thingKind struct {
	registered bool
	groups     []string // sorted
}

func (k thingKind) key() string {
	if !k.registered {
		return "u"
	}
	return "r\x00" + strings.Join(k.groups, "\x00")
}

// coverageFor returns the behaviors that apply to things of kind k.
func (c *config) coverageFor(e *Engine, k thingKind) *coverage {
	key := k.key()
	c.covMu.Lock()
	defer c.covMu.Unlock()
	if cv, ok := c.coverages[key]; ok {
		return cv
	}
	cv := &coverage{}
	seen := map[string]bool{}
	add := func(target string) {
		for _, p := range c.targets[target] {
			if seen[p] {
				continue
			}
			seen[p] = true
			cv.profiles = append(cv.profiles, p)
		}
	}
	add(e.arn("all/things"))
	if k.registered {
		add(e.arn("all/registered-things"))
		for _, g := range k.groups {
			add(e.arn("thinggroup/" + g))
		}
	} else {
		add(e.arn("all/unregistered-things"))
	}
	slices.Sort(cv.profiles)
	for _, p := range cv.profiles {
		if rec := c.profiles[p]; rec != nil {
			cv.behaviors = append(cv.behaviors, rec.behaviors...)
		}
	}
	cv.index(e.slack())
	cv.indexRetained(c)
	c.coverages[key] = cv
	return cv
}

// index fills cv's indexes (by input, windowed, ring offsets) from
// cv.behaviors, with slack extra periods in each ring.
func (cv *coverage) index(slack int32) {
	cv.slack = slack
	for i, cb := range cv.behaviors {
		if cb.eval == evalNone {
			continue
		}
		if cb.periods > 0 {
			cv.windowed = append(cv.windowed, int32(i))
		}
		cv.byInput[cb.in] = append(cv.byInput[cb.in], int32(i))
	}
	cv.ringOff = make([]int32, len(cv.behaviors))
	for _, i := range cv.windowed {
		n := int32(cv.behaviors[i].periods) + slack
		cv.ringOff[i] = cv.ringLen
		cv.ringLen += n
		cv.maxRing = max(cv.maxRing, int(n))
	}
}

// covers reports whether profile applies to things of kind k.
func (c *config) covers(e *Engine, k thingKind, profile string) bool {
	return slices.Contains(c.coverageFor(e, k).profiles, profile)
}

// behaviorKey is the identity of what a behavior monitors: everything but
// suppressAlerts and exportMetric.
func behaviorKey(b *behavior.Behavior) (string, error) {
	k := struct {
		Name      string
		Metric    string
		Dimension *behavior.MetricDimension
		Criteria  *behavior.BehaviorCriteria
	}{b.Name, b.Metric, b.MetricDimension, b.Criteria}
	j, err := json.Marshal(k)
	return string(j), err
}

// hasDisconnectDuration reports whether cv has an aws:disconnect-duration
// behavior, whose datapoint grows for as long as a thing stays disconnected.
func (cv *coverage) hasDisconnectDuration() bool {
	for _, i := range cv.windowed {
		if cv.behaviors[i].agg == aggDisconnected {
			return true
		}
	}
	return false
}
