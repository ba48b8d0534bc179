package dimension

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"strings"
)

// ErrTooLarge is returned by [Compile] for a filter set whose compiled form
// would not fit the Matcher's 32-bit indices (about two billion bytes of
// filters). The service's limit is 100 filters of 256 characters.
var ErrTooLarge = errors.New("dimension: filter set too large")

// Compile validates every filter with [ValidateFilter] and builds a [Matcher]
// for the set. An error names the first invalid filter by its index, as
// "stringValues[3]: …", and wraps its *[FilterError]. Compile keeps its own
// copy of filters; on error it returns a nil Matcher.
//
// An empty set is valid and matches nothing. Compile does not enforce the
// service's limit of 100 values per dimension (that is the control plane's
// job), and handles sets of any size.
func Compile(filters []string) (*Matcher, error) {
	return compile(filters, automatonBudget)
}

// compile is Compile with the automaton's size budget as a parameter, so
// that tests can force the trie-walk fallback.
func compile(filters []string, budget func(trieNodes int) int) (*Matcher, error) {
	total := 0
	for i, f := range filters {
		if err := ValidateFilter(f); err != nil {
			return nil, fmt.Errorf("stringValues[%d]: %w", i, err)
		}
		total += len(f) + 1
	}
	if total > math.MaxInt32/2 {
		// Offsets and node indices are 32-bit; each byte adds at most one node.
		return nil, fmt.Errorf("%w: %d filters, %d bytes", ErrTooLarge, len(filters), total)
	}
	m := &Matcher{filters: append([]string(nil), filters...)}
	if len(filters) == 0 {
		return m, nil
	}
	m.seed = maphash.MakeSeed()
	b := builder{m: m, blobAt: map[string]uint32{}}
	if isExactSet(filters) {
		m.mode = modeExact
		b.buildExact(filters)
	} else {
		m.mode = modeTrie
		tn := buildTrie(filters)
		b.flatten(tn)
		b.buildAutomaton(tn, budget(len(tn)))
	}
	m.blob = b.blob.String()
	return m, nil
}

// isExactSet reports whether no filter has a wildcard or a variable, so that a
// topic matches exactly when it equals a filter.
func isExactSet(filters []string) bool {
	for _, f := range filters {
		if strings.ContainsAny(f, "+#") || strings.Contains(f, ClientIDVariable) {
			return false
		}
	}
	return true
}

// builder holds the state of one Compile.
type builder struct {
	m      *Matcher
	blob   strings.Builder
	blobAt map[string]uint32 // interned strings: each label is stored in blob once
}

// intern returns the blob offset of s, appending it the first time.
func (b *builder) intern(s string) uint32 {
	if off, ok := b.blobAt[s]; ok {
		return off
	}
	off := uint32(b.blob.Len())
	b.blob.WriteString(s)
	b.blobAt[s] = off
	return off
}

// insert adds parent --label--> child to t.
func (b *builder) insert(t *table, parent int32, label string, child int32) {
	pre := prefix8(label)
	t.insert(parent, hashLevel(b.m.seed, label, pre), pre, b.intern(label), uint32(len(label)), child)
}

// buildExact puts every distinct filter in the table under parent -1.
func (b *builder) buildExact(filters []string) {
	m := b.m
	m.ntable = newTable(len(filters))
	seen := make(map[string]struct{}, len(filters))
	for _, f := range filters {
		if _, dup := seen[f]; dup {
			continue
		}
		seen[f] = struct{}{}
		b.insert(&m.ntable, -1, f, 1) // any non-zero child means "present"
	}
}
