package dimension

import (
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkAgainstReference compiles filters both with the automaton and with
// the trie walk alone and compares both with the reference on every topic.
func checkAgainstReference(t *testing.T, filters, topics []string, clientID string) {
	t.Helper()
	for _, budget := range []func(int) int{automatonBudget, noAutomaton} {
		m, err := compile(filters, budget)
		require.NoError(t, err)
		for _, topic := range topics {
			require.Equal(t, refMatch(filters, topic, clientID), m.Match(topic, clientID), "topic %q", echo.Quote(topic))
		}
	}
}

func TestWorstCaseDeepTopics(t *testing.T) {
	deepest := strings.Repeat("/", MaxTopicLen-1) // 65535 empty levels
	filters := []string{"a/#", "+/+/+", strings.Repeat("/", 255), strings.Repeat("+/", 127) + "#"}
	topics := []string{
		deepest,
		strings.Repeat("a/", MaxTopicLen/2),
		strings.Repeat("/", 255),
		strings.Repeat("/", 254),
		strings.Repeat("x/", 127),
		strings.Repeat("x/", 126) + "x",
		strings.Repeat("é/", 1000),
		"$" + strings.Repeat("/", 300),
	}
	checkAgainstReference(t, filters, topics, "")
	m, err := Compile(filters)
	require.NoError(t, err)
	assert.True(t, m.Match(deepest, ""), "the 128-level '#' filter matches 65535 levels")
	assert.True(t, m.Match(strings.Repeat("/", 255), ""))
	assert.False(t, m.Match("$"+strings.Repeat("/", 300), ""), "wildcard-first filters skip '$' topics")
}

func TestWorstCaseTenThousandFilters(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	filters := make([]string, 0, 10000)
	for range 10000 {
		filters = append(filters, randFilter(rng, false))
	}
	topics := make([]string, 0, 300)
	for range 300 {
		topics = append(topics, randTopic(rng))
	}
	checkAgainstReference(t, filters, topics, "dev")
}

// TestWorstCaseManyPlusBranches uses filters whose '+' levels sit at
// different depths, so that a topic follows many branches at once and the
// automaton would double at every level; the budget must stop it.
func TestWorstCaseManyPlusBranches(t *testing.T) {
	const depth = 24
	var filters []string
	for i := range depth {
		levels := make([]string, depth)
		for j := range levels {
			levels[j] = "+"
			if j == i {
				levels[j] = fmt.Sprintf("k%d", i)
			}
		}
		filters = append(filters, strings.Join(levels, "/"))
	}
	m, err := Compile(filters)
	require.NoError(t, err)
	budget := automatonBudget(len(m.nodes))
	assert.Less(t, len(m.states)+len(m.dedges)+len(m.dtable.slots)/2, 2*budget, "the automaton stays within its budget")
	handoffs := 0
	for _, s := range m.states {
		if s.flags&dHandoff != 0 {
			handoffs++
		}
	}
	assert.Positive(t, handoffs, "this set is meant to exceed the budget")

	topics := []string{strings.Repeat("x/", depth-1) + "x", strings.Repeat("k3/", depth-1) + "k3"}
	for i := range depth {
		levels := strings.Split(strings.Repeat("x/", depth-1)+"x", "/")
		levels[i] = fmt.Sprintf("k%d", i)
		topics = append(topics, strings.Join(levels, "/"))
		levels[(i+1)%depth] = "k0"
		topics = append(topics, strings.Join(levels, "/"), strings.Join(levels[:depth-1], "/"))
	}
	checkAgainstReference(t, filters, topics, "")
}

func TestWorstCaseLongLevels(t *testing.T) {
	long := strings.Repeat("l", MaxFilterLen-2)
	longU := strings.Repeat("ü", MaxFilterLen-2) // 508 bytes
	var filters []string
	for i := range 20 { // wide enough for table lookups of long labels
		filters = append(filters, fmt.Sprintf("%s%02d/+", long[:MaxFilterLen-5], i))
	}
	filters = append(filters, long+"/+", "+/"+longU, "x/"+long[:100]+"${iot:ClientId}")
	topics := []string{
		long + "/x", long + "x/x", long[1:] + "/x", long[:MaxFilterLen-5] + "07/q",
		"a/" + longU, "a/" + longU[2:], "x/" + long[:100] + "cid", "x/" + long[:100] + "cie",
		strings.Repeat("q", MaxTopicLen),
		strings.Repeat("q", MaxTopicLen-2) + "/x",
	}
	checkAgainstReference(t, filters, topics, "cid")
}

func TestWorstCaseLoneWildcards(t *testing.T) {
	topics := []string{"a", "/", "//", "a/b", "$SYS", "$SYS/a", "$", "a/$b", "+", "#", "\x00"}
	for _, filters := range [][]string{{"#"}, {"+"}, {"#", "+"}, {"+", "$SYS"}, {"#", "$SYS/#"}, {"+/#"}, {"/#"}, {"#", "a/${iot:ClientId}"}} {
		t.Run(strings.Join(filters, ","), func(t *testing.T) {
			checkAgainstReference(t, filters, topics, "$b")
		})
	}
	m, err := Compile([]string{"#"})
	require.NoError(t, err)
	assert.True(t, m.Match("a/b/c", ""))
	assert.False(t, m.Match("$SYS/a", ""))
	assert.False(t, m.Match("a/#", ""), "an invalid topic matches nothing")
}

func TestWorstCaseSYS(t *testing.T) {
	filters := []string{"$SYS/#", "+/monitor/Clients", "$SYS/monitor/+", "#"}
	topics := []string{"$SYS", "$SYS/monitor/Clients", "$SYS/x", "$other/monitor/Clients", "x/monitor/Clients", "$", "$/"}
	checkAgainstReference(t, filters, topics, "")
	checkAgainstReference(t, filters[1:2], topics, "")
}
