package violation

import (
	"slices"
	"sort"
	"time"
)

// pos is an item's place in a listing: its time, then the sequence number of
// the event that created it. Sequence numbers are unique and never reused,
// so pos is a total order and a page cursor that stays valid while items
// are added and removed.
type pos struct {
	t   time.Time
	seq uint64
}

func (a pos) less(b pos) bool {
	if c := a.t.Compare(b.t); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

type positioned interface{ position() pos }

// chunkLen is the size an ordered chunk starts at and is split back to. Small
// enough that an out-of-order insert moves little, large enough that the
// chunk index stays short.
const chunkLen = 256

// ordered is a sequence kept sorted by pos, stored as a list of sorted
// chunks. Appending in order (the common case: events arrive in roughly
// increasing time) is amortised O(1); a late insert moves at most
// 2*chunkLen items; dropping the oldest items (retention) releases whole
// chunks. The zero value is empty and ready.
type ordered[T positioned] struct {
	chunks [][]T
	n      int
	spare  []T // an emptied chunk kept for the next one, so that a set
	// that keeps going from one item to none (a single alarm raised and
	// cleared) does not allocate a chunk each time
}

func (o *ordered[T]) len() int { return o.n }

func (o *ordered[T]) insert(x T) {
	p := x.position()
	o.n++
	if len(o.chunks) == 0 {
		o.chunks = append(o.chunks, o.newChunk(x))
		return
	}
	last := len(o.chunks) - 1
	if lc := o.chunks[last]; lc[len(lc)-1].position().less(p) {
		if len(lc) < chunkLen {
			o.chunks[last] = append(lc, x)
		} else {
			o.chunks = append(o.chunks, o.newChunk(x))
		}
		return
	}
	ci, i := o.seek(p, true)
	c := slices.Insert(o.chunks[ci], i, x)
	if len(c) <= 2*chunkLen {
		o.chunks[ci] = c
		return
	}
	h := len(c) / 2
	right := append(make([]T, 0, chunkLen), c[h:]...)
	clear(c[h:])
	o.chunks[ci] = c[:h]
	o.chunks = slices.Insert(o.chunks, ci+1, right)
}

func (o *ordered[T]) newChunk(x T) []T {
	c := o.spare
	o.spare = nil
	if c == nil {
		c = make([]T, 0, chunkLen)
	}
	return append(c, x)
}

// seek returns the chunk and index of the first item at or after p
// (inclusive) or strictly after p; (len(chunks), 0) when there is none.
func (o *ordered[T]) seek(p pos, inclusive bool) (ci, i int) {
	after := func(x T) bool {
		q := x.position()
		if inclusive {
			return !q.less(p)
		}
		return p.less(q)
	}
	ci = sort.Search(len(o.chunks), func(k int) bool {
		c := o.chunks[k]
		return after(c[len(c)-1])
	})
	if ci == len(o.chunks) {
		return ci, 0
	}
	c := o.chunks[ci]
	return ci, sort.Search(len(c), func(k int) bool { return after(c[k]) })
}

// remove deletes the item at exactly p and reports whether there was one.
func (o *ordered[T]) remove(p pos) bool {
	ci, i := o.seek(p, true)
	if ci == len(o.chunks) || o.chunks[ci][i].position() != p {
		return false
	}
	c := slices.Delete(o.chunks[ci], i, i+1)
	o.n--
	if len(c) == 0 {
		o.chunks = slices.Delete(o.chunks, ci, ci+1)
		if cap(c) == chunkLen {
			o.spare = c
		}
		return true
	}
	o.chunks[ci] = c
	return true
}

// dropBefore removes every item whose time is before t, calling gone for
// each, and returns how many it removed. They are a prefix of the sequence.
func (o *ordered[T]) dropBefore(t time.Time, gone func(T)) int {
	dropped, whole := 0, 0
	for _, c := range o.chunks {
		if !c[len(c)-1].position().t.Before(t) {
			break
		}
		for _, x := range c {
			gone(x)
		}
		dropped += len(c)
		whole++
	}
	o.chunks = slices.Delete(o.chunks, 0, whole)
	if len(o.chunks) > 0 {
		c := o.chunks[0]
		i := sort.Search(len(c), func(k int) bool { return !c[k].position().t.Before(t) })
		for _, x := range c[:i] {
			gone(x)
		}
		clear(c[:i]) // let the collector have what the dropped items point to
		o.chunks[0] = c[i:]
		dropped += i
	}
	o.n -= dropped
	return dropped
}

// from calls yield for every item from chunk ci, index i on, in order, until
// it returns false.
func (o *ordered[T]) from(ci, i int, yield func(T) bool) {
	for ; ci < len(o.chunks); ci, i = ci+1, 0 {
		for _, x := range o.chunks[ci][i:] {
			if !yield(x) {
				return
			}
		}
	}
}
