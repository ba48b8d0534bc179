package sketch

import (
	"math"
	"slices"
)

// tailSize is how many of the smallest and of the largest values a Sketch
// keeps exactly. 129 is the smallest size for which the rank of p99.99,
// counted from the top, stays within the tail for every n ≤ 1.28×10^6
// (n − ⌈0.9999·n⌉ + 1 = 129 at n = 1.28×10^6); p0.01 needs only 128.
const tailSize = 129

// tail holds the largest values of a multiset exactly: a min-heap of up to
// tailSize values whose root is the smallest value kept. The invariant is
// that the m values kept are the m largest of the multiset (ties are
// interchangeable). Normally m = min(tailSize, n); after Sketch.Subtract it
// can be smaller, and the tail is then "partial": it still holds the top m,
// but it cannot accept a value below its root, since values between that and
// the root may be missing.
//
// A Sketch keeps its smallest values in a second tail of negated values.
type tail struct {
	h      [tailSize]float64
	n      int
	sorted bool // h[:n] is ascending (which is also a valid min-heap)
}

// values returns the kept values in heap order.
func (t *tail) values() []float64 { return t.h[:t.n] }

// whole reports whether t holds the top min(tailSize, total) values of a
// multiset of total values, rather than a partial top.
func (t *tail) whole(total uint64) bool { return uint64(t.n) == min(tailSize, total) }

// add records v as a new value of a multiset that had total values before it.
func (t *tail) add(v float64, total uint64) {
	if t.n == tailSize {
		if v > t.h[0] {
			t.replaceRoot(v)
		}
		return
	}
	if uint64(t.n) == total || (t.n > 0 && v >= t.h[0]) {
		t.push(v)
	}
}

// gate returns the value a new value must exceed to possibly enter t: the
// root of a full tail, −Inf for a tail that is not full (add decides), +Inf
// for an empty partial tail, which can never accept anything. Callers that
// see the zero Sketch's gates also check its count.
func (t *tail) gate() float64 {
	if t.n == tailSize {
		return t.h[0]
	}
	return math.Inf(-1)
}

// largest returns the largest kept value (−Inf when empty); in a min-heap it
// is a leaf, so only the second half is scanned.
func (t *tail) largest() float64 {
	m := math.Inf(-1)
	for _, v := range t.h[t.n/2 : t.n] {
		if v > m {
			m = v
		}
	}
	return m
}

// offerAll offers each of vals. Once t is full, a value must beat the root
// to enter; the loop keeps the root in a register because most values of a
// similar part do not.
func (t *tail) offerAll(vals []float64) {
	k := 0
	for ; k < len(vals) && t.n < tailSize; k++ {
		t.push(vals[k])
	}
	root := t.h[0]
	for _, v := range vals[k:] {
		if v > root {
			t.replaceRoot(v)
			root = t.h[0]
		}
	}
}

// offer keeps v if it belongs among the top tailSize values of what t holds.
func (t *tail) offer(v float64) {
	if t.n < tailSize {
		t.push(v)
	} else if v > t.h[0] {
		t.replaceRoot(v)
	}
}

func (t *tail) push(v float64) {
	h := t.h[:t.n+1]
	i := t.n
	for i > 0 {
		p := (i - 1) / 2
		if h[p] <= v {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = v
	t.n++
	t.sorted = false
}

func (t *tail) replaceRoot(v float64) {
	siftDown(t.h[:t.n], 0, v)
	t.sorted = false
}

// siftDown places v at index i of the min-heap h and moves it down until
// both its children are at least v.
func siftDown(h []float64, i int, v float64) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && h[c+1] < h[c] {
			c++
		}
		if v <= h[c] {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = v
}

// sort orders the kept values ascending; an ascending array is still a
// min-heap, so this costs nothing on later inserts.
func (t *tail) sort() {
	if !t.sorted {
		slices.Sort(t.h[:t.n])
		t.sorted = true
	}
}

// kth returns the k-th largest kept value, 1 ≤ k ≤ t.n.
func (t *tail) kth(k int) float64 {
	t.sort()
	return t.h[t.n-k]
}

// heapify restores the heap order after the values were rewritten.
func (t *tail) heapify() {
	h := t.h[:t.n]
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i, h[i])
	}
	t.sorted = false
}

// cut returns the value above which t holds every value of its multiset of
// total values: −Inf when t holds them all, otherwise its root. ok is false
// when t is empty but the multiset is not, so that nothing is known.
func (t *tail) cut(total uint64) (c float64, ok bool) {
	switch {
	case uint64(t.n) == total:
		return math.Inf(-1), true
	case t.n == 0:
		return 0, false
	default:
		return t.h[0], true
	}
}

// merge makes t the tail of the union of its multiset (tn values) and o's
// (on values). o may be a copy of t.
func (t *tail) merge(o *tail, tn, on uint64) {
	if t.whole(tn) && o.whole(on) {
		// The top tailSize of a union lies within the top tailSize of each part.
		if t.n == tailSize && o.largest() <= t.h[0] {
			return // nothing of o's enters; common when merging similar parts
		}
		t.offerAll(o.values())
		return
	}
	ct, okT := t.cut(tn)
	co, okO := o.cut(on)
	if !okT || !okO {
		t.n = 0
		return
	}
	// Both parts are known completely above c; keep only what lies there
	// (copies of c itself are interchangeable, so keeping them is safe).
	c := max(ct, co)
	t.keepAtLeast(c)
	for _, v := range o.values() {
		if v >= c {
			t.offer(v)
		}
	}
}

// keepAtLeast drops the kept values below c.
func (t *tail) keepAtLeast(c float64) {
	h := t.h[:t.n]
	k := 0
	for _, v := range h {
		if v >= c {
			h[k] = v
			k++
		}
	}
	if k != t.n {
		t.n = k
		t.heapify()
	}
}

// without computes the tail of t's multiset (tn values) less o's (on
// values) into r. It fails, leaving t unchanged, when o holds a value above
// the cut that t lacks, i.e. o is not part of t's multiset.
func (t *tail) without(o *tail, tn, on uint64) (r tail, ok bool) {
	ct, okT := t.cut(tn)
	co, okO := o.cut(on)
	if !okT || !okO {
		return tail{sorted: true}, true
	}
	c := max(ct, co)
	// Copies of c: when c is o's cut, o may hold fewer copies than it has,
	// so t's copies of c cannot be attributed and are dropped; when c is t's
	// cut (and above o's), o holds all its copies of c and they are removed
	// one for one, those t lacks being among the copies t never held.
	keepC := ct > co || (ct == co && uint64(o.n) == on)
	theirs := o.h
	ov := theirs[:o.n]
	slices.Sort(ov)
	t.sort()
	mine := t.values()
	i := 0
	for _, v := range ov {
		if v < c || (v == c && !keepC) {
			continue
		}
		for i < len(mine) && mine[i] < v {
			if mine[i] > c || (mine[i] == c && keepC) {
				r.h[r.n] = mine[i]
				r.n++
			}
			i++
		}
		if i < len(mine) && mine[i] == v {
			i++
			continue
		}
		if v > c {
			return tail{}, false
		}
	}
	for ; i < len(mine); i++ {
		if mine[i] > c || (mine[i] == c && keepC) {
			r.h[r.n] = mine[i]
			r.n++
		}
	}
	r.sorted = true
	return r, true
}
