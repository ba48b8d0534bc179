package dimension

import (
	"hash/maphash"
	"slices"
)

// Matcher is a compiled set of topic filters: the stringValues of one
// TOPIC_FILTER dimension. Build it with [Compile]. A Matcher is immutable, so
// any number of goroutines may use it at once. The zero value and a nil
// *Matcher hold no filters: they match nothing, so every topic passes NotIn.
//
// The filters are kept in flat, pointer-free arrays that refer to each other
// by int32 index, so a large set adds no work for the garbage collector:
//
//   - a set of wildcard-free filters is one hash table of whole filters, and
//     a match is one lookup of the whole topic;
//   - any other set is a level trie plus the automaton built from it (see
//     automaton.go), which takes one lookup per topic level and falls back to
//     a walk of the trie only where a ${iot:ClientId} level needs the client
//     id, or where the automaton would be too large;
//   - a state's or node's literal children sit in a short inline list while
//     there are at most [stateFanout] or [inlineFanout] of them, compared by
//     an 8-byte prefix word first; wider ones go to a hash table shared by
//     the whole Matcher;
//   - in the trie, '+' is a dedicated child index and '#' a flag, never a
//     lookup, and a ${iot:ClientId} level is compared piece by piece against
//     the topic level and the client id without building a string.
type Matcher struct {
	filters []string // as given to Compile, for Filters

	mode uint8 // modeEmpty (the zero value), modeExact or modeTrie

	// The automaton.
	states      []dstate
	dedges      []edge   // inline transitions, contiguous per state
	dpres       []uint64 // dedges[i].pre, for a scan that touches nothing else
	sets        []int32  // trie nodes of handoff states, contiguous per state
	dtable      table    // transitions of states wider than stateFanout
	start       int32    // the initial state
	startDollar int32    // the initial state for topics that start with '$'

	// The trie; nodes[0] is the root.
	nodes  []node
	edges  []edge    // inline literal children, contiguous per node
	pats   []pattern // ${iot:ClientId} children, contiguous per node
	parts  []span    // literal pieces of patterns, contiguous per pattern
	ntable table     // children of nodes wider than inlineFanout; in modeExact, whole filters under parent -1

	seed maphash.Seed // for hashLevel of levels longer than 16 bytes
	blob string       // every distinct label and pattern piece, once, back to back
}

const (
	modeEmpty uint8 = iota // no filters: nothing matches
	modeExact              // no wildcards or variables: one table lookup
	modeTrie               // anything else: the automaton and the trie
)

// Filters returns a copy of the filters the Matcher was compiled from, in the
// order given, duplicates included.
func (m *Matcher) Filters() []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.filters)
}

// Len returns the number of filters the Matcher was compiled from, duplicates
// included.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return len(m.filters)
}

// Passes reports whether a message on topic from clientID counts for a
// behavior whose dimension uses this Matcher with operator op: for In, whether
// the topic matches a filter; for NotIn, whether it matches none. An Operator
// that is neither In nor NotIn passes nothing.
func (m *Matcher) Passes(op Operator, topic, clientID string) bool {
	if op != In && op != NotIn {
		return false // an invalid operator admits nothing; don't match for it
	}
	return op.Admits(m.Match(topic, clientID))
}

// Match reports whether topic matches at least one of the filters, with every
// ${iot:ClientId} standing for clientID. A topic that [ValidateTopic] rejects
// matches nothing. Match does not allocate.
func (m *Matcher) Match(topic, clientID string) bool {
	if m == nil || len(topic) == 0 || len(topic) > MaxTopicLen {
		return false
	}
	switch m.mode {
	case modeExact:
		// A topic equal to a wildcard-free valid filter is a valid topic name,
		// so no validTopic call is needed here.
		pre := prefix8(topic)
		return m.ntable.find(-1, hashLevel(m.seed, topic, pre), pre, topic, m.blob) != 0
	case modeTrie:
		// The automaton treats '+' and '#' in the topic as ordinary bytes;
		// validity is checked only when the answer would be yes, as most
		// lookups miss.
		return m.run(topic, clientID) && validTopic(topic)
	}
	return false
}

// MatchValid is Match for a topic that [ValidateTopic] accepted, which it
// does not check again: an engine checks an input's topic once, when it
// takes the input, and then matches it against the dimension of every
// behavior of the thing's profiles. For a topic ValidateTopic rejects, the
// answer is unspecified.
func (m *Matcher) MatchValid(topic, clientID string) bool {
	if m != nil && m.mode == modeTrie {
		return m.run(topic, clientID) // Match without validTopic
	}
	return m.Match(topic, clientID) // which checks nothing more in exact mode
}
