package dimension

import (
	"github.com/ruledetect/ruledetect/internal/echo"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmptyMatchers(t *testing.T) {
	empty, err := Compile(nil)
	require.NoError(t, err)
	for name, m := range map[string]*Matcher{"nil": nil, "zero": {}, "Compile(nil)": empty} {
		t.Run(name, func(t *testing.T) {
			assert.False(t, m.Match("a", "c"))
			assert.True(t, m.Passes(NotIn, "a", "c"))
			assert.False(t, m.Passes(In, "a", "c"))
			assert.Equal(t, 0, m.Len())
			assert.Empty(t, m.Filters())
		})
	}
}

func TestFiltersIsACopy(t *testing.T) {
	in := []string{"a/+", "b", "a/+"}
	m, err := Compile(in)
	require.NoError(t, err)
	in[0] = "changed"
	assert.Equal(t, []string{"a/+", "b", "a/+"}, m.Filters(), "duplicates kept, order kept, caller's slice not shared")
	assert.Equal(t, 3, m.Len())
	m.Filters()[1] = "changed"
	assert.Equal(t, "b", m.Filters()[1])
	assert.True(t, m.Match("a/x", ""))
	assert.False(t, m.Match("changed", ""))
}

// TestClientIDVariable covers ${iot:ClientId} as a whole level and inside
// one, several times in a level, next to wildcards, and the (D) decisions in
// the package comment: the client id is literal text within one level.
func TestClientIDVariable(t *testing.T) {
	tests := []struct {
		filter, topic, clientID string
		want                    bool
	}{
		{"device/${iot:ClientId}/auth", "device/cam1/auth", "cam1", true},
		{"device/${iot:ClientId}/auth", "device/cam2/auth", "cam1", false},
		{"device/${iot:ClientId}/auth", "device/cam1", "cam1", false},
		{"dt/cam-${iot:ClientId}", "dt/cam-42", "42", true},
		{"dt/cam-${iot:ClientId}", "dt/cam-42", "4", false},
		{"dt/cam-${iot:ClientId}", "dt/cam-", "", true},
		{"${iot:ClientId}-${iot:ClientId}", "ab-ab", "ab", true},
		{"${iot:ClientId}-${iot:ClientId}", "ab-ac", "ab", false},
		{"${iot:ClientId}/#", "dev", "dev", true},
		{"${iot:ClientId}/#", "dev/a/b", "dev", true},
		{"+/${iot:ClientId}", "x/dev", "dev", true},
		{"$aws/things/${iot:ClientId}/shadow/#", "$aws/things/t1/shadow/update", "t1", true},
		{"${iot:ClientId}/x", "$dev/x", "$dev", true}, // not a wildcard: the '$' rule does not apply
		{"a/${iot:ClientId}", "a/+", "+", false},      // the topic is invalid
		{"a/${iot:ClientId}", "a/b/c", "b/c", false},  // a client id never spans levels
		{"a/${iot:ClientId}", "a/${iot:ClientId}", "${iot:ClientId}", true},
		{"a/${iot:ClientId}", "a/x", strings.Repeat("x", 1<<16), false},
	}
	for _, tc := range tests {
		t.Run(tc.filter+"|"+tc.topic+"|"+echo.Quote(tc.clientID), func(t *testing.T) {
			m, err := Compile([]string{tc.filter})
			require.NoError(t, err)
			assert.Equal(t, tc.want, m.Match(tc.topic, tc.clientID))
			assert.Equal(t, tc.want, refMatch([]string{tc.filter}, tc.topic, tc.clientID), "reference")
		})
	}
}

// TestMatchConcurrent has many goroutines share one Matcher; run with -race.
func TestMatchConcurrent(t *testing.T) {
	filters := []string{"a/+/c", "dev/${iot:ClientId}/#", "x/y", "$SYS/#", "l/+/+/+/z"}
	m, err := Compile(filters)
	require.NoError(t, err)
	topics := []string{"a/b/c", "dev/d1/q", "dev/d2/q", "x/y", "$SYS/a", "l/1/2/3/z", "l/1/2/3/y"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			cid := []string{"d1", "d2"}[g%2]
			for range 200 {
				for _, topic := range topics {
					if m.Match(topic, cid) != refMatch(filters, topic, cid) {
						t.Errorf("Match(%q, %q) disagrees with the reference", topic, cid)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestMatchDoesNotAllocate covers every path: exact sets, the automaton with
// inline and table transitions, the trie walk for ${iot:ClientId} levels and
// beyond the budget, deep recursion, long levels and non-ASCII topics.
func TestMatchDoesNotAllocate(t *testing.T) {
	wide := make([]string, 0, 50)
	for i := range 50 {
		wide = append(wide, "w/"+strings.Repeat("x", i)+"/+")
	}
	deep := strings.Repeat("+/", 126) + "e" // 127 levels, 253 characters
	deepTopic := strings.Repeat("l/", 126) + "e"
	sets := []struct {
		name    string
		filters []string
		budget  func(int) int
		topics  []string
	}{
		{"exact", []string{"a/b", "c"}, automatonBudget, []string{"a/b", "a/c", "ü"}},
		{"automaton", append(wide, "a/+/#"), automatonBudget, []string{"w/xxx/q", "w/" + strings.Repeat("x", 40) + "/q", "a/b", "n/o"}},
		{"walk", append(wide, "d/${iot:ClientId}/+"), automatonBudget, []string{"d/cid/x", "d/other/x", "w/x/y"}},
		{"over budget", append(wide, "a/+/#"), noAutomaton, []string{"w/xxx/q", "a/b/c", "é/ü"}},
		{"deep", []string{deep, "q"}, noAutomaton, []string{deepTopic, deepTopic + "/x"}},
	}
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			m, err := compile(s.filters, s.budget)
			require.NoError(t, err)
			for _, topic := range s.topics {
				want := refMatch(s.filters, topic, "cid")
				require.Equal(t, want, m.Match(topic, "cid"), "topic %q", topic)
				allocs := testing.AllocsPerRun(50, func() { m.Match(topic, "cid") })
				assert.Zero(t, allocs, "topic %q", topic)
			}
		})
	}
}

// noAutomaton is a budget that leaves every state to the trie walk.
func noAutomaton(int) int { return -1 }

// TestMatchValidIsMatchForValidTopics checks MatchValid, which skips the
// topic's check, against Match on valid topics of both matchers (exact
// filters only, and with wildcards), hits and misses, and that it does not
// allocate; a nil Matcher matches nothing.
func TestMatchValidIsMatchForValidTopics(t *testing.T) {
	sets := [][]string{
		{"dt/cam-1/telemetry", "cmd/cam-1/reboot"},       // exact
		{"dt/+/telemetry", "cmd/#", "a/${iot:ClientId}"}, // wildcards
	}
	topics := []string{"dt/cam-1/telemetry", "dt/cam-2/telemetry", "cmd/cam-1/reboot", "cmd", "a/cid", "a/other", "x", "$SYS/x"}
	for _, filters := range sets {
		m, err := Compile(filters)
		require.NoError(t, err)
		for _, topic := range topics {
			require.NoError(t, ValidateTopic(topic))
			assert.Equal(t, m.Match(topic, "cid"), m.MatchValid(topic, "cid"), "filters %q, topic %q", filters, topic)
			assert.Zero(t, testing.AllocsPerRun(20, func() { m.MatchValid(topic, "cid") }))
		}
	}
	var none *Matcher
	assert.False(t, none.MatchValid("a", ""))
}
