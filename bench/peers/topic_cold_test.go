package peers

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Cache-cold topic matching: a large filter set and 65,536 random topics, so
// that consecutive lookups share no cache lines (BenchmarkTopicMatch repeats
// one topic and measures the structures warm).
//
// The filters have the shapes and proportions of genTopicFilters over a
// vocabulary wide enough that the set stays sparse: 20,000 lines, 20,000
// devices, 20,000 sites. The probes are random topics
// factory/lineX/deviceY/kind from the same vocabulary, split by their answer
// into 65,536 that match some filter and 65,536 that match none; about 40%
// of such topics match. paho, a linear scan (milliseconds per topic here),
// is left out.

const coldTopicFilters = 200_000

type coldTopicSet struct {
	filters   []string
	hit, miss []string
	match     []func(string) bool // by topicMatchImpls index, built lazily
}

var coldTopics = sync.OnceValue(func() *coldTopicSet {
	s := &coldTopicSet{filters: genColdTopicFilters(coldTopicFilters)}
	s.match = make([]func(string) bool, len(topicMatchImpls))
	return s
})

var coldTopicsMu sync.Mutex

// coldTopicMatcher builds impl over the cold set once per process, and the
// probe pools with the first one built (ruledetect's, checked against the
// others by TestTopicColdProbes).
func coldTopicMatcher(tb testing.TB, i int) (*coldTopicSet, func(string) bool) {
	coldTopicsMu.Lock()
	defer coldTopicsMu.Unlock()
	s := coldTopics()
	if s.match[i] == nil {
		s.match[i] = topicMatchImpls[i].build(tb, s.filters)
	}
	if s.hit == nil {
		s.hit, s.miss = coldTopicProbes(s.match[i])
	}
	return s, s.match[i]
}

func coldTopicName(r *rand.Rand) (line, dev, kind string) {
	return fmt.Sprintf("line%d", r.IntN(20_000)), fmt.Sprintf("device%d", r.IntN(20_000)), topicKinds[r.IntN(len(topicKinds))]
}

// genColdTopicFilters is genTopicFilters' mix over the wide vocabulary.
func genColdTopicFilters(n int) []string {
	r := rand.New(rand.NewPCG(uint64(n), 0xc01d))
	out := make([]string, 0, n)
	for len(out) < n {
		line, dev, kind := coldTopicName(r)
		var f string
		switch x := r.IntN(100); {
		case x < 50:
			f = "factory/" + line + "/" + dev + "/" + kind
		case x < 60:
			f = "factory/+/" + dev + "/" + kind
		case x < 75:
			f = "factory/" + line + "/+/" + kind
		case x < 85:
			f = "factory/" + line + "/" + dev + "/#"
		case x < 90:
			f = fmt.Sprintf("site%d/#", r.IntN(20_000))
		case x < 95:
			f = "+/" + line + "/+/" + kind
		default:
			f = "$SYS/broker/" + kind + "/+"
		}
		out = append(out, f)
	}
	return out
}

// coldTopicProbes draws random topics until both pools are full, the
// answer given by match.
func coldTopicProbes(match func(string) bool) (hit, miss []string) {
	r := rand.New(rand.NewPCG(1, 0x70b1c))
	for len(hit) < coldProbes || len(miss) < coldProbes {
		line, dev, kind := coldTopicName(r)
		t := "factory/" + line + "/" + dev + "/" + kind
		switch {
		case match(t) && len(hit) < coldProbes:
			hit = append(hit, t)
		case !match(t) && len(miss) < coldProbes:
			miss = append(miss, t)
		}
	}
	return hit, miss
}

func coldTopicImpls() []int {
	var out []int
	for i, impl := range topicMatchImpls {
		if impl.name != "paho" {
			out = append(out, i)
		}
	}
	return out
}

// BenchmarkTopicMatchCold is one any-match of a random topic against
// 200,000 filters, topics cycling over 65,536.
//
//	cd bench/peers && go test -run '^$' -bench TopicMatchCold -benchmem -count=5 | tee topiccold.txt
func BenchmarkTopicMatchCold(b *testing.B) {
	for _, cs := range []string{"hit", "miss"} {
		for _, i := range coldTopicImpls() {
			name := fmt.Sprintf("n=%d/case=%s/impl=%s", coldTopicFilters, cs, topicMatchImpls[i].name)
			b.Run(name, func(b *testing.B) {
				s, match := coldTopicMatcher(b, i)
				topics, want := s.hit, true
				if cs == "miss" {
					topics, want = s.miss, false
				}
				b.ReportAllocs()
				b.ResetTimer()
				wrong := 0
				for j := 0; b.Loop(); j++ {
					if match(topics[j&(coldProbes-1)]) != want {
						wrong++
					}
				}
				if wrong != 0 {
					b.Fatalf("%d wrong answers", wrong)
				}
			})
		}
	}
}

// TestTopicColdProbes checks the cold benchmark's inputs: a sample of each
// pool has its answer by the reference scan, and every implementation
// agrees on all of them.
func TestTopicColdProbes(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds 200,000-filter matchers: run without -short and -race")
	}
	var s *coldTopicSet
	for _, i := range coldTopicImpls() {
		var match func(string) bool
		s, match = coldTopicMatcher(t, i)
		for j := range coldProbes {
			require.True(t, match(s.hit[j]), "impl=%s hit %q", topicMatchImpls[i].name, s.hit[j])
			require.False(t, match(s.miss[j]), "impl=%s miss %q", topicMatchImpls[i].name, s.miss[j])
		}
	}
	for j := 0; j < coldProbes; j += coldProbes / 8 {
		require.True(t, anyTopicMatch(refTopicMatch, s.filters, s.hit[j]), "hit %q", s.hit[j])
		require.False(t, anyTopicMatch(refTopicMatch, s.filters, s.miss[j]), "miss %q", s.miss[j])
	}
}
