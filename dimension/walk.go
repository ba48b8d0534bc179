package dimension

// walk reports whether a filter continuing below trie node n matches
// topic[pos:], which starts a level. It is the automaton's fallback (see
// automaton.go): a depth-first search that tries, per level, the literal
// child, the '+' child and every ${iot:ClientId} child that the level equals
// once clientID is put in. noWild drops the '+' child: n is the root and the
// topic starts with '$' (MQTT-4.7.2-1); the root's '#' never gets here.
//
// It recurses once per level, so its depth is bounded by the deepest filter
// (at most 257 levels); recursion grows the goroutine stack, never the heap.
func (m *Matcher) walk(n int32, noWild bool, topic string, pos int, clientID string) bool {
	end, pre := nextLevel(topic, pos)
	level := topic[pos:end]
	nd := &m.nodes[n]
	if nd.edgeN > 0 {
		var c int32
		if nd.flags&flagBig != 0 {
			c = m.ntable.find(n, hashLevel(m.seed, level, pre), pre, level, m.blob)
		} else {
			c = m.scan(m.edges[nd.edgeOff:nd.edgeOff+nd.edgeN], level, pre)
		}
		if c != 0 && m.enter(c, topic, end, clientID) {
			return true
		}
	}
	if nd.plus != 0 && !noWild && m.enter(nd.plus, topic, end, clientID) {
		return true
	}
	for i := nd.patOff; i < nd.patOff+nd.patN; i++ {
		p := &m.pats[i]
		if m.patternMatches(p, level, clientID) && m.enter(p.child, topic, end, clientID) {
			return true
		}
	}
	return false
}

// enter reports whether child c, reached by consuming the topic level that
// ends at end, leads to a match.
func (m *Matcher) enter(c int32, topic string, end int, clientID string) bool {
	fl := m.nodes[c].flags
	switch {
	case fl&flagHash != 0:
		return true // '#' also matches its parent level (MQTT 4.7.1.2)
	case end == len(topic):
		return fl&flagEnd != 0
	case fl&flagKids != 0:
		return m.walk(c, false, topic, end+1, clientID)
	}
	return false
}

// scan finds level, whose prefix8 is pre, among inline edges and returns
// the child, or 0.
func (m *Matcher) scan(edges []edge, level string, pre uint64) int32 {
	n := uint32(len(level))
	for i := range edges {
		e := &edges[i]
		if e.pre == pre && e.n == n && (n <= 8 || m.blob[e.off+8:e.off+n] == level[8:]) {
			return e.child
		}
	}
	return 0
}

// patternMatches reports whether level equals the pattern with clientID in
// place of each ${iot:ClientId}, without building that string.
func (m *Matcher) patternMatches(p *pattern, level, clientID string) bool {
	// Lengths first; int64 so that a huge clientID cannot overflow.
	if int64(len(level)) != int64(p.fixed)+int64(p.partN-1)*int64(len(clientID)) {
		return false
	}
	pos := 0
	for k, sp := range m.parts[p.partOff : p.partOff+p.partN] {
		if k > 0 {
			if level[pos:pos+len(clientID)] != clientID {
				return false
			}
			pos += len(clientID)
		}
		if level[pos:pos+int(sp.n)] != m.blob[sp.off:sp.off+sp.n] {
			return false
		}
		pos += int(sp.n)
	}
	return true
}
