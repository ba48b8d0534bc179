package dimension

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Vocabularies for random filters and topics. They are small so that random
// filters and topics often share levels, and they contain the hard cases:
// empty levels, '$' levels, labels that agree on their first 8 bytes, levels
// with the client-id variable, and enough distinct labels (l0..l11) for a node
// to outgrow its inline child list.
var (
	diffFilterLevels = []string{
		"a", "b", "", "$SYS", "$x", "ab", "abcdefghij", "abcdefghik", "abcdefgh",
		"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10", "l11",
		"${iot:ClientId}", "x${iot:ClientId}", "${iot:ClientId}y", "${iot:ClientId}-${iot:ClientId}", "$${iot:ClientId}",
		"+", "+", "+",
	}
	diffTopicLevels = []string{
		"a", "b", "", "$SYS", "$x", "ab", "abcdefghij", "abcdefghik", "abcdefgh", "abcdefghijk",
		"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10", "l11", "l12",
		"dev", "xdev", "devy", "dev-dev", "$dev", "-", "x", "y", "c/d",
	}
	diffClientIDs = []string{"dev", "", "a", "l1", "c/d", "+", "${iot:ClientId}"}
)

// randFilter returns a valid random filter. depth is usually 1..5 and
// sometimes up to 20, beyond the level cache.
func randFilter(rng *rand.Rand, literalOnly bool) string {
	depth := 1 + rng.IntN(5)
	if rng.IntN(20) == 0 {
		depth = 1 + rng.IntN(20)
	}
	levels := make([]string, 0, depth)
	for range depth {
		l := diffFilterLevels[rng.IntN(len(diffFilterLevels))]
		if literalOnly {
			l = diffTopicLevels[rng.IntN(len(diffTopicLevels))]
			l = strings.ReplaceAll(l, "/", "")
		}
		levels = append(levels, l)
	}
	if !literalOnly && rng.IntN(4) == 0 {
		levels = append(levels, "#")
		if rng.IntN(8) == 0 {
			levels = levels[len(levels)-1:] // "#" alone
		}
	}
	if f := strings.Join(levels, "/"); f != "" {
		return f
	}
	return "/" // a lone empty level is the empty filter, which is invalid
}

func randTopic(rng *rand.Rand) string {
	depth := 1 + rng.IntN(6)
	if rng.IntN(20) == 0 {
		depth = 1 + rng.IntN(24)
	}
	levels := make([]string, 0, depth)
	for range depth {
		levels = append(levels, diffTopicLevels[rng.IntN(len(diffTopicLevels))])
	}
	t := strings.Join(levels, "/")
	if rng.IntN(50) == 0 { // an invalid topic now and then
		t += []string{"/+", "/#", "\x00", "\xff"}[rng.IntN(4)]
	}
	return t
}

// TestMatchAgreesWithReference compares Match with the split-based reference
// on 3,000 random filter sets × 40 random topics (120,000 queries), each
// answered twice: by the Matcher as Compile builds it and by one whose
// automaton is cut off at once, so that the trie walk answers everything.
func TestMatchAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260101, 4))
	const sets, topicsPerSet = 3000, 40
	var hits, modes [3]int
	for s := range sets {
		n := 1 + rng.IntN(12)
		if s%5 == 0 {
			n = 1 + rng.IntN(60)
		}
		literalOnly := s%7 == 0 // exercises the exact-set mode
		filters := make([]string, n)
		for i := range filters {
			filters[i] = randFilter(rng, literalOnly)
		}
		m, err := Compile(filters)
		require.NoError(t, err, "filters %q", filters)
		walk, err := compile(filters, noAutomaton)
		require.NoError(t, err)
		modes[m.mode]++
		for range topicsPerSet {
			topic := randTopic(rng)
			if rng.IntN(4) == 0 { // a topic that one filter nearly describes
				topic = strings.NewReplacer("+", "x", "#", "y", "${iot:ClientId}", "dev").Replace(filters[rng.IntN(n)])
			}
			cid := diffClientIDs[rng.IntN(len(diffClientIDs))]
			want := refMatch(filters, topic, cid)
			if want {
				hits[m.mode]++
			}
			if got := m.Match(topic, cid); got != want {
				t.Fatalf("Match(%q, %q) = %v, reference says %v\nfilters: %q", topic, cid, got, want, filters)
			}
			if got := walk.Match(topic, cid); got != want {
				t.Fatalf("trie walk: Match(%q, %q) = %v, reference says %v\nfilters: %q", topic, cid, got, want, filters)
			}
			if ValidateTopic(topic) == nil {
				if got := m.MatchValid(topic, cid); got != want {
					t.Fatalf("MatchValid(%q, %q) = %v, reference says %v\nfilters: %q", topic, cid, got, want, filters)
				}
				if got := walk.MatchValid(topic, cid); got != want {
					t.Fatalf("trie walk: MatchValid(%q, %q) = %v, reference says %v\nfilters: %q", topic, cid, got, want, filters)
				}
			}
		}
	}
	// Guard the test's own usefulness: both modes ran and answers were mixed.
	t.Logf("sets per mode (empty, exact, trie): %v; matching queries per mode: %v", modes, hits)
	require.Greater(t, modes[modeExact], sets/10)
	require.Greater(t, hits[modeExact], modes[modeExact]*topicsPerSet/20)
	require.Greater(t, hits[modeTrie], modes[modeTrie]*topicsPerSet/5)
	require.Less(t, hits[modeTrie], modes[modeTrie]*topicsPerSet*4/5)
}
