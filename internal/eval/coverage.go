package eval

import (
	"slices"
	"strings"
	"sync"

	"github.com/ruledetect/ruledetect/behavior"
)

// Rules is one version of the configuration as the data plane sees it:
// which behaviors apply to each kind of thing. The control plane builds a
// new Rules with every change and puts it in force with Plane.SetRules.
type Rules struct {
	version uint64
	// build returns the profiles that apply to things of a kind.
	build func(Kind) []Profile
	// exportOf returns a profile's metrics export destination, if any.
	exportOf func(profile string) *behavior.MetricsExportConfig
	slack    int32
	// longest is the longest window of any behavior, in periods; attached
	// holds the statistical behaviors of every attached profile, in
	// (profile, behavior) order.
	longest  int
	attached []*Behavior
	all      []Profile

	mu        sync.Mutex // guards coverages: shards closing in parallel fill it
	coverages map[string]*Coverage
}

// Profile is one profile's compiled behaviors, in profile order.
type Profile struct {
	Name      string
	Behaviors []*Behavior
}

// NewRules returns version v of the configuration. all holds every
// profile, in name order, and attached says whether one is attached to a
// target; build returns the profiles that apply to a kind of thing, in
// name order; exportOf returns a profile's metrics export destination;
// slack is Plane.Slack.
func NewRules(v uint64, all []Profile, attached func(string) bool, build func(Kind) []Profile, exportOf func(string) *behavior.MetricsExportConfig, slack int32) *Rules {
	r := &Rules{version: v, build: build, exportOf: exportOf, slack: slack, all: all, coverages: map[string]*Coverage{}}
	for _, p := range all {
		on := attached(p.Name)
		for _, b := range p.Behaviors {
			r.longest = max(r.longest, b.periods)
			if on && b.eval == evalStatistical {
				r.attached = append(r.attached, b)
			}
		}
	}
	return r
}

// Coverage returns the behaviors that apply to things of kind k.
func (r *Rules) Coverage(k Kind) *Coverage {
	key := k.key()
	r.mu.Lock()
	defer r.mu.Unlock()
	if cv, ok := r.coverages[key]; ok {
		return cv
	}
	cv := &Coverage{}
	for _, p := range r.build(k) {
		cv.profiles = append(cv.profiles, p.Name)
		cv.behaviors = append(cv.behaviors, p.Behaviors...)
	}
	cv.index(r.slack)
	cv.indexRetained(r.exportOf)
	r.coverages[key] = cv
	return cv
}

// Covers reports whether profile applies to things of kind k.
func (r *Rules) Covers(k Kind, profile string) bool {
	return slices.Contains(r.Coverage(k).profiles, profile)
}

// Kind identifies the set of targets a thing falls under: registered or
// not, and its thing groups.
type Kind struct {
	Registered bool
	Groups     []string // sorted
}

func (k Kind) key() string {
	if !k.Registered {
		return "u"
	}
	return "r\x00" + strings.Join(k.Groups, "\x00")
}

// Coverage is the list of behaviors that apply to one kind of thing (its
// registration and groups), with indexes by input so that an input visits
// only the behaviors it feeds.
type Coverage struct {
	behaviors []*Behavior
	byInput   [numInputs][]int32
	windowed  []int32 // behaviors with periods > 0
	profiles  []string

	// ringOff is where each windowed behavior's periods start in a thing's
	// ring (Thing.ring): its window plus slack periods, how far the
	// allowed lateness lets an input land behind the newest one. ringLen
	// is the ring's length and maxRing the longest behavior's share.
	ringOff []int32
	ringLen int32
	slack   int32
	maxRing int

	// retain is, for the behavior chosen to feed each series of retained
	// values, what to do with them (nil for every other behavior).
	retain []*Retained
}

// index fills cv's indexes (by input, windowed, ring offsets) from
// cv.behaviors, with slack extra periods in each ring.
func (cv *Coverage) index(slack int32) {
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

// hasDisconnectDuration reports whether cv has an aws:disconnect-duration
// behavior, whose datapoint grows for as long as a thing stays disconnected.
func (cv *Coverage) hasDisconnectDuration() bool {
	for _, i := range cv.windowed {
		if cv.behaviors[i].agg.grows() {
			return true
		}
	}
	return false
}
