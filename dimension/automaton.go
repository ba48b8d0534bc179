package dimension

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// The automaton is the trie made deterministic over levels (the subset
// construction): a state is the set of trie nodes a topic prefix can have
// reached, and each topic level moves it to exactly one next state. A match
// is then one lookup per level with no backtracking, where the trie walk
// follows every '+' branch. That is what keeps a miss cheap on sets that mix
// literal and '+' levels (matching.md §3's generated sets).
//
// A level that is exactly ${iot:ClientId} is a transition taken when the
// level equals the client id: a state whose nodes have such children has a
// second set of transitions (its client view), those of the same nodes with
// the children added, which a level equal to the client id follows instead,
// so the commonest use of the variable ("dt/${iot:ClientId}/telemetry") costs
// one string compare.
//
// Two things the construction leaves to the trie walk (see walk.go), by
// marking a state "handoff": states whose nodes have other ${iot:ClientId}
// children (a level with more than the variable, "cam-${iot:ClientId}"),
// and states beyond a size budget, which bounds Compile's time and memory on
// sets built to blow up (each '+' can double the number of states).

// dstate is an automaton state.
type dstate struct {
	edgeOff int32 // first inline transition in Matcher.dedges (unless dBig)
	edgeN   int32 // number of literal transitions
	other   int32 // next state for a level with no transition; 0 is dead
	setOff  int32 // the state's trie nodes in Matcher.sets (handoff states only)
	setN    int32
	client  int32 // the state's client view (dClient states only)
	flags   uint8
}

// dstate flags.
const (
	dAll     uint8 = 1 << iota // a "…/#" filter matched: every continuation matches
	dEnd                       // a filter ends here: matches when the topic ends here
	dBig                       // transitions are in Matcher.dtable, not Matcher.dedges
	dHandoff                   // continue with the trie walk from the state's nodes
	dClient                    // a level equal to the client id takes the transitions of client
)

// Reserved states.
const (
	deadState int32 = 0 // no filter can match
	allState  int32 = 1 // a "…/#" filter matched
	endState  int32 = 2 // a filter matches if the topic ends here, none if not
)

// stateFanout is the widest a state's inline transition list may be before
// the transitions move to Matcher.dtable. It is wider than the trie's
// inlineFanout because the automaton scans only the prefix words, eight to a
// cache line.
const stateFanout = 16

// dollarRoot stands, in a state's node set, for the root of a topic that
// starts with '$': only its literal children apply (MQTT-4.7.2-1).
const dollarRoot int32 = -1

// automatonBudget bounds the work of building the automaton for a trie of
// nodes nodes, counted as states plus transitions plus the sizes of the
// states' node sets. matching.md §3's generated sets need about 3 per trie
// node at 100 filters (23 KB in all) and about 27 at 10,000 (28k states, 190k
// transitions, 7.5 MB), so the budget allows 32. Sets built to blow up (each
// '+' level can double the states) stop there, and the states left over fall
// back to the trie walk, so Compile's time and memory stay linear in the
// filters' size.
func automatonBudget(nodes int) int { return 32*nodes + 1024 }

type automatonBuilder struct {
	*builder
	tn    []tnode
	index map[string]int32 // node set (as setKey bytes) → state
	key   []byte           // scratch for setKey
	queue []int32          // states to expand
	sets  [][]int32        // node set of each state, while building
	big   []bigEdge        // transitions of wide states, for dtable
	used  int              // work so far, against the budget
}

type bigEdge struct {
	state int32
	label string
	child int32
}

// buildAutomaton builds the automaton of tn into the Matcher.
func (b *builder) buildAutomaton(tn []tnode, budget int) {
	m := b.m
	a := automatonBuilder{builder: b, tn: tn, index: map[string]int32{}}
	m.states = []dstate{deadState: {}, allState: {flags: dAll}, endState: {flags: dEnd}}
	a.sets = [][]int32{nil, nil, nil}
	m.start = a.state([]int32{0})
	m.startDollar = a.state([]int32{dollarRoot})
	for len(a.queue) > 0 {
		s := a.queue[0]
		a.queue = a.queue[1:]
		a.expand(s, a.used > budget)
	}
	m.dtable = newTable(len(a.big))
	for _, e := range a.big {
		b.insert(&m.dtable, e.state, e.label, e.child)
	}
}

// state returns the state of a sorted node set, adding it if it is new.
//
// Only nodes with children tell states apart; a childless node adds at most
// dEnd. So all sets with a '#' node share allState, and the many sets of
// childless nodes that full-length topics reach share endState or deadState:
// a cheap partial minimisation that halves the automaton of matching.md §3's
// generated sets.
func (a *automatonBuilder) state(set []int32) int32 {
	var flags uint8
	kids := set[:0:0]
	for _, x := range set {
		if x == dollarRoot {
			kids = append(kids, x)
			continue
		}
		fl := a.tn[x].flags
		if fl&flagHash != 0 {
			return allState
		}
		if fl&flagEnd != 0 {
			flags = dEnd
		}
		if t := &a.tn[x]; len(t.litKeys)+len(t.patKeys) > 0 || t.plus != 0 {
			kids = append(kids, x)
		}
	}
	if len(kids) == 0 {
		if flags == dEnd {
			return endState
		}
		return deadState
	}
	a.key = append(a.key[:0], flags)
	for _, x := range kids {
		a.key = binary.LittleEndian.AppendUint32(a.key, uint32(x))
	}
	if s, ok := a.index[string(a.key)]; ok {
		return s
	}
	s := int32(len(a.m.states))
	a.index[string(a.key)] = s
	a.m.states = append(a.m.states, dstate{flags: flags})
	a.sets = append(a.sets, kids)
	a.queue = append(a.queue, s)
	a.used += 1 + len(kids)
	return s
}

// expand computes the flags and transitions of state s, or makes it a
// handoff state.
func (a *automatonBuilder) expand(s int32, overBudget bool) {
	set := a.sets[s]
	flags := a.m.states[s].flags // dEnd, from state
	var plus, clientKids []int32
	handoff := overBudget
	for _, x := range set {
		t := &a.tn[max(x, 0)] // a '$' topic's first level may be the client id too
		for _, k := range t.patKeys {
			if k != ClientIDVariable {
				handoff = true
			}
			clientKids = append(clientKids, t.pat[k])
		}
		if x != dollarRoot && t.plus != 0 {
			plus = append(plus, t.plus)
		}
	}
	if handoff {
		st := &a.m.states[s]
		st.flags = flags | dHandoff
		st.setOff, st.setN = int32(len(a.m.sets)), int32(len(set))
		a.m.sets = append(a.m.sets, set...)
		return
	}
	slices.Sort(plus)
	plus = slices.Compact(plus)

	// Next node set per literal label, labels in first-seen order.
	var labels []string
	next := map[string][]int32{}
	for _, x := range set {
		t := &a.tn[max(x, 0)]
		for _, k := range t.litKeys {
			if _, ok := next[k]; !ok {
				labels = append(labels, k)
			}
			next[k] = append(next[k], t.lit[k])
		}
	}
	a.transitions(s, flags, labels, next, plus)
	if len(clientKids) > 0 {
		// The client view: a state of its own, reached only through s.
		view := int32(len(a.m.states))
		a.m.states = append(a.m.states, dstate{})
		a.sets = append(a.sets, nil)
		a.transitions(view, flags, labels, next, append(plus, clientKids...))
		st := &a.m.states[s]
		st.flags |= dClient
		st.client = view
	}
}

// transitions sets the transitions of state s: for each label, to the state
// of the nodes next[label] and more, and for any other level, to the state
// of more.
func (a *automatonBuilder) transitions(s int32, flags uint8, labels []string, next map[string][]int32, more []int32) {
	children := make([]int32, len(labels))
	for i, k := range labels {
		to := append(slices.Clone(next[k]), more...)
		slices.Sort(to)
		children[i] = a.state(slices.Compact(to))
	}
	other := slices.Clone(more)
	slices.Sort(other)
	a.used += len(labels)

	otherState := a.state(slices.Compact(other))
	st := &a.m.states[s] // after a.state, which may grow states
	st.flags, st.other, st.edgeN = flags, otherState, int32(len(labels))
	if len(labels) > stateFanout {
		st.flags |= dBig
		for i, k := range labels {
			a.big = append(a.big, bigEdge{s, k, children[i]})
		}
		return
	}
	st.edgeOff = int32(len(a.m.dedges))
	for i, k := range labels {
		e := a.edge(k, children[i])
		a.m.dedges = append(a.m.dedges, e)
		a.m.dpres = append(a.m.dpres, e.pre)
	}
}

// run matches topic with the automaton, handing off to the trie walk when it
// reaches a handoff state. It does not check that topic is a valid topic name.
// The per-level step is written out here, not called, because it is the hot
// loop: a call per level costs about 10% at four levels.
func (m *Matcher) run(topic, clientID string) bool {
	s := m.start
	if topic[0] == '$' {
		s = m.startDollar
	}
	for pos := 0; ; {
		st := &m.states[s]
		if st.flags&(dAll|dHandoff) != 0 {
			return st.flags&dAll != 0 || m.handoff(st, topic, pos, clientID)
		}
		// nextLevel's common case, written out: 8 bytes that hold a '/'.
		end, pre, found := 0, uint64(0), false
		if pos+8 <= len(topic) {
			w := load64(topic[pos:])
			x := w ^ slashes
			if z := (x - ones) &^ x & highs; z != 0 {
				k := bits.TrailingZeros64(z) >> 3
				end, pre, found = pos+k, w&(1<<(8*k)-1), true
			}
		}
		if !found {
			end, pre = nextLevel(topic, pos)
		}
		level := topic[pos:end]
		if st.flags&dClient != 0 && level == clientID {
			s = st.client
			st = &m.states[s]
		}
		next := st.other
		if st.flags&dBig != 0 {
			// table.find, written out, with hashShort inlined.
			var h uint64
			if len(level) <= 8 {
				h = hashShort(pre, len(level))
			} else {
				h = hashLevel(m.seed, level, pre)
			}
			t := &m.dtable
			for i := home(s, h) & t.mask; ; i = (i + 1) & t.mask {
				sl := &t.slots[i]
				if sl.child == 0 {
					break
				}
				if sl.pre == pre && int(sl.n) == len(level) && sl.parent == s && (len(level) <= 8 || m.blob[sl.off+8:sl.off+sl.n] == level[8:]) {
					next = sl.child
					break
				}
			}
		} else {
			// The prefix words alone first: eight of them share a cache line.
			off := int(st.edgeOff)
			for i, p := range m.dpres[off : off+int(st.edgeN)] {
				if p != pre {
					continue
				}
				if e := &m.dedges[off+i]; int(e.n) == len(level) && (len(level) <= 8 || m.blob[e.off+8:e.off+e.n] == level[8:]) {
					next = e.child
					break
				}
			}
		}
		if next == deadState {
			return false
		}
		if end == len(topic) {
			return m.states[next].flags&(dAll|dEnd) != 0
		}
		s, pos = next, end+1
	}
}

// handoff reports whether the trie walk from one of the nodes of handoff
// state st matches topic[pos:], which starts a level.
func (m *Matcher) handoff(st *dstate, topic string, pos int, clientID string) bool {
	for _, x := range m.sets[st.setOff : st.setOff+st.setN] {
		if m.walk(max(x, 0), x == dollarRoot, topic, pos, clientID) {
			return true
		}
	}
	return false
}
