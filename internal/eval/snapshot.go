package eval

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/echo"
	"github.com/ruledetect/ruledetect/internal/report"
	"github.com/ruledetect/ruledetect/internal/wire"
)

// A thing encodes and restores itself here, beside its definition; the
// engine's snapshot frames this section with the control plane and the
// violation log.
//
// The thing section is a uvarint count and one record per thing, in no
// particular order:
//
//	name        uvarint length, bytes
//	kind        uvarint index into control.kinds (registration and groups)
//	flags       one byte: thingTold, thingHasInput, thingDisconnected,
//	            thingCounters, thingCovered
//	lastInput   when thingHasInput: varint of lastInput − watermark
//	disconnect  when thingDisconnected: varint of disconnectedAt − lastInput
//	counters    when thingCounters: four uvarints, the last cumulative
//	            network_stats (bytes in, bytes out, packets in, packets out)
//	head        varint of the window head's period − the closed period
//	slots       when thingCovered: uvarint index into control.layouts; then
//	            for each entry of that layout its streak byte and, for a
//	            windowed behavior, a uvarint count of the periods with input
//	            and for each a uvarint gap to the previous one's index (the
//	            first: its index), a uvarint value and a uvarint timestamp
//	            offset (acc.at). The window is the behavior's ring: its
//	            periods plus the allowed lateness's slack.
//
// A layout is the list of behaviors a thing's slots were aligned to, each
// by (profile, behavior name) (control.keys), never by the in-memory id of
// a compiled behavior: restore compiles the profiles again and places each
// slot on the behavior of the same key. Only behaviors the current
// configuration still holds are written; a thing's slots of behaviors
// removed or changed since it was last aligned would be dropped at its next
// alignment, and are dropped at the snapshot instead.
// Thing record flags.
const (
	thingTold         = 1 << iota // its registration and groups were told
	thingHasInput                 // lastInput ≠ 0
	thingDisconnected             // disconnectedAt ≠ 0
	thingCounters                 // cumulative network_stats seen
	thingCovered                  // aligned to a coverage: slots follow
	thingFlagsMask    = thingTold | thingHasInput | thingDisconnected | thingCounters | thingCovered
)

// Tables are what the thing section refers to; the snapshot keeps them in
// its JSON control section.
type Tables struct {
	// Keys are the behaviors the layouts refer to; Layouts the behavior
	// lists things' slots follow (indexes into Keys); Kinds the thing kinds
	// thing records refer to.
	Keys    []BehaviorKey `json:"keys"`
	Layouts [][]int       `json:"layouts"`
	Kinds   []KindRecord  `json:"kinds"`
}

// BehaviorKey names a behavior by profile and behavior name.
type BehaviorKey struct {
	Profile  string `json:"profile"`
	Behavior string `json:"behavior"`
}

// KindRecord is a Kind as the control section writes it.
type KindRecord struct {
	Registered bool     `json:"registered,omitzero"`
	Groups     []string `json:"groups,omitzero"`
}

// snapLayout is how one in-memory Coverage is written: its layout index
// and, per behavior of the Coverage, whether it is written (its id is
// still in the configuration).
type snapLayout struct {
	index int
	live  []bool
}

// thingEncoder writes the thing section of one snapshot, as of the moment
// it was made, and fills the control section's tables of behavior keys,
// layouts and kinds, which every thing's record indexes into.
//
// A snapshot of a large fleet encodes its shards one at a time
// (appendByShard), so that inputs wait for one shard's encoding at most,
// not the fleet's: the shards are marked first, under every lock, and an
// input that finds its shard still marked encodes it before it changes
// anything (encodePending). mu, held by the snapshot throughout, keeps
// closes and control-plane changes out, so every shard is encoded as it
// was when the snapshot was made.
type thingEncoder struct {
	tables    *Tables
	watermark int64
	closed    int64
	count     int64
	keyOf     map[uint64]int
	layouts   map[*Coverage]*snapLayout
	layoutOf  map[string]int
	kinds     map[string]int

	mu    sync.Mutex // guards the tables and parts while shards are encoded
	parts [][]byte   // by shard index
}

func (p *Plane) newThingEncoder(r *Rules, tables *Tables) *thingEncoder {
	enc := &thingEncoder{tables: tables, watermark: p.watermark, closed: p.closed.Load(), count: p.thingCount.Load(),
		keyOf: map[uint64]int{}, layouts: map[*Coverage]*snapLayout{}, layoutOf: map[string]int{}, kinds: map[string]int{}}
	// Every compiled behavior of the configuration, by id: the behaviors a
	// slot can be carried to.
	tables.Keys = []BehaviorKey{}
	for _, prof := range r.all {
		for _, cb := range prof.Behaviors {
			enc.keyOf[cb.id] = len(tables.Keys)
			tables.Keys = append(tables.Keys, BehaviorKey{Profile: cb.profile, Behavior: cb.b.Name})
		}
	}
	tables.Layouts, tables.Kinds = [][]int{}, []KindRecord{}
	return enc
}

// appendAll returns the thing section of every thing at once, in order of
// name when sorted. Called with every lock held.
func (enc *thingEncoder) appendAll(p *Plane, sorted bool) []byte {
	list := make([]*Thing, 0, enc.count)
	p.eachThing(func(ts *Thing) { list = append(list, ts) })
	if sorted {
		slices.SortFunc(list, func(a, b *Thing) int { return strings.Compare(a.name, b.name) })
	}
	// Most things take 20 to 60 bytes: one allocation, rarely grown.
	b := binary.AppendUvarint(make([]byte, 0, 48*len(list)+16), uint64(len(list)))
	return enc.appendList(b, list)
}

// appendByShard marks every shard for encoding and releases the shards'
// locks (the caller holds them all, and mu), encodes each shard that no
// input has encoded first, and returns the thing section in parts (the
// count, then each shard's records): joined, a million things would make a
// second copy of tens of megabytes, and garbage collection that stalls
// the inputs going on meanwhile.
func (enc *thingEncoder) appendByShard(p *Plane) [][]byte {
	enc.parts = make([][]byte, len(p.shards))
	for _, sh := range p.shards {
		sh.snap = enc
	}
	p.unlockShards()
	if p.large() {
		p.sweeping.Add(1)
		defer p.sweeping.Add(-1)
	}
	for _, sh := range p.shards {
		sh.mu.Lock()
		enc.encodePending(sh)
		sh.mu.Unlock()
		if p.large() {
			runtime.Gosched() // as eachShard does: inputs go on meanwhile
		}
	}
	return append([][]byte{binary.AppendUvarint(nil, uint64(enc.count))}, enc.parts...)
}

// encodePending encodes sh if a snapshot marked it and nothing has encoded
// it since. Called with sh.mu held, before anything in sh changes.
func (enc *thingEncoder) encodePending(sh *shard) {
	if sh.snap != enc {
		return
	}
	sh.snap = nil
	list := make([]*Thing, 0, sh.things.len())
	for c := sh.things.cursor(); c.next(); {
		list = append(list, c.ts)
	}
	enc.mu.Lock()
	enc.parts[sh.index] = enc.appendList(make([]byte, 0, 48*len(list)), list)
	enc.mu.Unlock()
}

// appendList appends the records of list to b.
func (enc *thingEncoder) appendList(b []byte, list []*Thing) []byte {
	// Things are scattered over the heap, and a fleet of millions is far
	// larger than the caches: encoding them one by one waits for a cache
	// miss at every pointer. Touching a batch first, in a loop of
	// independent loads, lets the CPU fetch the whole batch's memory at
	// once (three times faster for a million things).
	const batch = 32
	var sink int
	for len(list) > 0 {
		n := min(batch, len(list))
		for _, ts := range list[:n] {
			sink += len(ts.name) + int(ts.shard)
		}
		for _, ts := range list[:n] {
			sink += int(ts.name[0])
			if ts.slotp != nil {
				sink += int(ts.slotp.streak.Count())
			}
			if ts.ring != nil {
				sink += int(ts.ring.v)
			}
		}
		for _, ts := range list[:n] {
			b = enc.appendThing(b, ts)
		}
		list = list[n:]
	}
	runtime.KeepAlive(sink) // the touches must not be optimized away
	return b
}

// appendThing appends the record of ts to b.
func (enc *thingEncoder) appendThing(b []byte, ts *Thing) []byte {
	ctl, keyOf, layouts, layoutOf, kinds := enc.tables, enc.keyOf, enc.layouts, enc.layoutOf, enc.kinds
	b = binary.AppendUvarint(b, uint64(len(ts.name)))
	b = append(b, ts.name...)
	kind := ts.kindOf()
	kk := kind.key()
	ki, ok := kinds[kk]
	if !ok {
		ki = len(ctl.Kinds)
		kinds[kk] = ki
		ctl.Kinds = append(ctl.Kinds, KindRecord{Registered: kind.Registered, Groups: kind.Groups})
	}
	b = binary.AppendUvarint(b, uint64(ki))
	var flags byte
	if ts.told {
		flags |= thingTold
	}
	if ts.lastInput != 0 {
		flags |= thingHasInput
	}
	if ts.disconnectedAt != 0 {
		flags |= thingDisconnected
	}
	counters, seen := counterValues(ts.counters)
	if seen {
		flags |= thingCounters
	}
	if ts.cov != nil {
		flags |= thingCovered
	}
	b = append(b, flags)
	if flags&thingHasInput != 0 {
		b = binary.AppendVarint(b, ts.lastInput-enc.watermark)
	}
	if flags&thingDisconnected != 0 {
		b = binary.AppendVarint(b, ts.disconnectedAt-ts.lastInput)
	}
	if seen {
		for _, v := range counters {
			b = binary.AppendUvarint(b, v)
		}
	}
	b = binary.AppendVarint(b, ts.head-enc.closed)
	if ts.cov == nil {
		return b
	}
	l := layouts[ts.cov]
	if l == nil {
		l = &snapLayout{index: len(ctl.Layouts), live: make([]bool, len(ts.cov.behaviors))}
		keys := []int{}
		for i, cb := range ts.cov.behaviors {
			if k, ok := keyOf[cb.id]; ok {
				l.live[i] = true
				keys = append(keys, k)
			}
		}
		// Coverages with the same live keys (several empty ones, say, or
		// one realigned and one restored) share a layout, so the layouts
		// are a function of the state, not of which objects hold it.
		sig := fmt.Sprint(keys)
		if i, ok := layoutOf[sig]; ok {
			l.index = i
		} else {
			layoutOf[sig] = l.index
			ctl.Layouts = append(ctl.Layouts, keys)
		}
		layouts[ts.cov] = l
	}
	b = binary.AppendUvarint(b, uint64(l.index))
	slots := ts.slots()
	for i, cb := range ts.cov.behaviors {
		if !l.live[i] {
			continue
		}
		b, _ = slots[i].streak.AppendBinary(b)
		if !windowed(cb) {
			continue
		}
		w := ts.ringOf(i)
		n := 0
		for _, a := range w {
			if a.any {
				n++
			}
		}
		b = binary.AppendUvarint(b, uint64(n))
		prev := 0
		for j, a := range w {
			if a.any {
				b = binary.AppendUvarint(b, uint64(j-prev))
				b = binary.AppendUvarint(b, a.v)
				b = binary.AppendUvarint(b, uint64(a.at))
				prev = j
			}
		}
	}
	return b
}

// windowed reports whether cb has a window in a thing's ring (coverage.windowed).
func windowed(cb *Behavior) bool { return cb.eval != evalNone && cb.periods > 0 }

// counterValues returns the cumulative network_stats c holds, and whether
// it has seen any.
func counterValues(c *report.CounterState) ([4]uint64, bool) {
	if c == nil {
		return [4]uint64{}, false
	}
	last, ok := c.Last()
	if !ok {
		return [4]uint64{}, false
	}
	return [4]uint64{uint64(last.BytesIn), uint64(last.BytesOut), uint64(last.PacketsIn), uint64(last.PacketsOut)}, true
}

// counterState returns a CounterState that has seen the cumulative counters v.
func counterState(v [4]uint64) *report.CounterState {
	c := new(report.CounterState)
	c.Restore(report.NetworkStats{Present: true, BytesIn: int64(v[0]), BytesOut: int64(v[1]), PacketsIn: int64(v[2]), PacketsOut: int64(v[3])})
	return c
}

// restoreLayout is a layout of the snapshot, resolved against the restored
// configuration for one kind of thing.
type restoreLayout struct {
	cov     *Coverage
	current bool // cov is the kind's Coverage in the configuration
}

// restoreThings decodes the thing section.
func (p *Plane) restoreThings(ctx context.Context, r *Rules, ctl *Tables, data []byte, limit int64) error {
	// Keys → compiled behaviors.
	keys := make([]*Behavior, len(ctl.Keys))
	seenKey := map[BehaviorKey]bool{}
	for i, k := range ctl.Keys {
		pi := slices.IndexFunc(r.all, func(p Profile) bool { return p.Name == k.Profile })
		if pi < 0 || seenKey[k] {
			return fmt.Errorf("behavior key %d: profile %s missing or key repeated", i, echo.Quote(k.Profile))
		}
		seenKey[k] = true
		rec := r.all[pi]
		j := slices.IndexFunc(rec.Behaviors, func(cb *Behavior) bool { return cb.b.Name == k.Behavior })
		if j < 0 {
			return fmt.Errorf("behavior key %d: profile %s has no behavior %s", i, echo.Quote(k.Profile), echo.Quote(k.Behavior))
		}
		keys[i] = rec.Behaviors[j]
	}
	layouts := make([][]*Behavior, len(ctl.Layouts))
	for i, l := range ctl.Layouts {
		seen := map[int]bool{}
		for _, k := range l {
			if k < 0 || k >= len(keys) || seen[k] {
				return fmt.Errorf("layout %d: key %d missing or repeated", i, k)
			}
			seen[k] = true
			layouts[i] = append(layouts[i], keys[k])
		}
	}
	kinds := make([]Kind, len(ctl.Kinds))
	for i, k := range ctl.Kinds {
		if !k.Registered && len(k.Groups) > 0 {
			return fmt.Errorf("kind %d: an unregistered thing in groups", i)
		}
		for j, g := range k.Groups {
			if !behavior.ValidName(g) || (j > 0 && k.Groups[j-1] >= g) {
				return fmt.Errorf("kind %d: groups malformed, repeated or out of order", i)
			}
		}
		kinds[i] = Kind{Registered: k.Registered, Groups: k.Groups}
	}
	resolved := map[[2]int]*restoreLayout{}
	resolve := func(li, ki int) *restoreLayout {
		if rl := resolved[[2]int{li, ki}]; rl != nil {
			return rl
		}
		want := r.Coverage(kinds[ki])
		rl := &restoreLayout{cov: want, current: true}
		if !slices.Equal(want.behaviors, layouts[li]) {
			// Aligned under an earlier configuration or kind: its own
			// Coverage, realigned at the thing's next use as it would
			// have been.
			rl.cov = &Coverage{behaviors: layouts[li]}
			rl.cov.index(p.Slack())
			rl.current = false
		}
		resolved[[2]int{li, ki}] = rl
		return rl
	}

	// Each thing is decoded into tmp and its tail into scratch, then
	// copied into a state of the right size (restoredThing).
	var tmp Thing
	var scratch restoreScratch
	d := wire.NewDecoder(data, limit)
	count := d.Count("things", 4)
	// Each shard's share, and four standard deviations more (the shards
	// are chosen by a hash), so that no table grows while it fills.
	if per := count / len(p.shards); per > 0 {
		per += 4*int(math.Sqrt(float64(per))) + 4
		for _, sh := range p.shards {
			sh.things.reserve(per)
		}
	}
	for n := 0; n < count && d.Err() == nil; n++ {
		if n%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// A view of the data, until the thing's state copies it
		// (restoredThing): one allocation per thing, not two.
		nb := d.Section("thing name")
		name := unsafe.String(unsafe.SliceData(nb), len(nb))
		ki := d.Index("kind", len(kinds))
		flags := d.Byte()
		if d.Err() != nil {
			break
		}
		sh := p.shardOf(name)
		if behavior.ThingNameProblem(name) != "" || sh.things.get(name) != nil {
			return fmt.Errorf("thing %d: name %s malformed or repeated", n, echo.Quote(name))
		}
		if flags&^thingFlagsMask != 0 {
			return fmt.Errorf("thing %s: unknown flags %#x", echo.Quote(name), flags)
		}
		tmp = Thing{name: name, shard: sh.index, told: flags&thingTold != 0}
		ts := &tmp
		if ts.told {
			ts.kind = &kinds[ki] // shared by the things of the kind; never changed
		}
		if !ts.told && kinds[ki].Registered {
			return fmt.Errorf("thing %s: registered but never told", echo.Quote(name))
		}
		if flags&thingHasInput != 0 {
			ts.lastInput = d.Time("last input", p.watermark)
			if ts.lastInput == 0 {
				d.Fail("thing %s: last input at 0 flagged as an input", echo.Quote(name))
			}
		}
		if flags&thingDisconnected != 0 {
			ts.disconnectedAt = d.Time("disconnection", ts.lastInput)
			if ts.disconnectedAt == 0 {
				d.Fail("thing %s: disconnection at 0", echo.Quote(name))
			}
		}
		if flags&thingCounters != 0 {
			var v [4]uint64
			for i := range v {
				v[i] = d.Uvarint()
				if v[i] > math.MaxInt64 {
					d.Fail("thing %s: counter out of range", echo.Quote(name))
				}
			}
			ts.counters = counterState(v)
		}
		ts.head = d.Offset("window head", p.closed.Load())
		if ts.head > p.periodOf(p.watermark) {
			d.Fail("thing %q: window head after the watermark", name)
		}
		if flags&thingCovered != 0 {
			li := d.Index("layout", len(layouts))
			if d.Err() != nil {
				break
			}
			rl := resolve(li, ki)
			p.restoreSlots(d, ts, rl.cov, &scratch)
			ts.cfgVersion = r.stamp()
			if !rl.current {
				ts.cfgVersion = staleVersion
			}
		}
		if d.Err() != nil {
			break
		}
		ts = restoredThing(&tmp, &scratch)
		sh.add(ts) // the key shares the state's copy of the name
		p.thingCount.Add(1)
	}
	if d.Err() == nil && d.Left() > 0 {
		d.Fail("%d bytes after the last thing", d.Left())
	}
	return d.Err()
}

// restoreScratch holds the tail of the thing being restored: its slots
// and, when a window had input, its ring.
type restoreScratch struct {
	slots []slot
	ring  []acc // nil while no window had input; else buf's
	buf   []acc
}

// restoreSlots decodes ts's slots and windows for Coverage cov into
// scratch, and makes cov ts's coverage.
func (p *Plane) restoreSlots(d *wire.Decoder, ts *Thing, cov *Coverage, scratch *restoreScratch) {
	ts.cov = cov
	slots := slices.Grow(scratch.slots[:0], len(cov.behaviors))[:len(cov.behaviors)]
	clear(slots)
	scratch.slots, scratch.ring = slots, nil
	for i, cb := range cov.behaviors {
		if err := slots[i].streak.UnmarshalBinary(d.Bytes(1)); err != nil && d.Err() == nil {
			d.Fail("thing %s: %v", echo.Quote(ts.name), err)
		}
		if !windowed(cb) || d.Err() != nil {
			continue
		}
		n := d.Count("window", 3)
		if size := cb.periods + int(cov.slack); n > size {
			d.Fail("thing %s: %d periods with input in a window of %d", echo.Quote(ts.name), n, size)
		}
		if n == 0 || d.Err() != nil {
			continue
		}
		// The ring is allocated for a thing with input in some window only,
		// within the restore's memory budget (WithRestoreMemoryLimit).
		if scratch.ring == nil {
			if !d.Spend(int64(cov.ringLen) * int64(unsafe.Sizeof(acc{}))) {
				d.Fail("the window state would take more than the restore memory limit, %d bytes (WithRestoreMemoryLimit)", d.Limit())
				break
			}
			scratch.buf = slices.Grow(scratch.buf[:0], int(cov.ringLen))[:cov.ringLen]
			clear(scratch.buf)
			scratch.ring = scratch.buf
		}
		o := cov.ringOff[i]
		w := scratch.ring[o : o+int32(cb.periods)+cov.slack]
		j := 0
		for k := 0; k < n && d.Err() == nil; k++ {
			gap := d.Uvarint()
			if (k > 0 && gap == 0) || gap >= uint64(len(w)-j) {
				d.Fail("thing %s: window period out of range", echo.Quote(ts.name))
				break
			}
			j += int(gap)
			v, at := d.Uvarint(), d.Uvarint()
			if at > math.MaxUint32 {
				d.Fail("thing %q: window timestamp out of range", ts.name)
				break
			}
			w[j] = acc{v: v, at: uint32(at), any: true}
		}
	}
}

// restoredThing returns the thing tmp and scratch describe, in a state of
// its own with its tail in the same allocation (newThing).
func restoredThing(tmp *Thing, scratch *restoreScratch) *Thing {
	ts := newThing(tmp.cov, scratch.ring != nil && tmp.cov != nil, tmp.name)
	name, slotp, ring := ts.name, ts.slotp, ts.ring
	*ts = *tmp
	ts.name, ts.slotp, ts.ring = name, slotp, ring
	copy(ts.slots(), scratch.slots)
	copy(ts.rings(), scratch.ring)
	return ts
}

// Cut is the plane's state at one moment, as a snapshot writes it beside
// the thing section: the clock, the counters, the held datapoints and the
// tables the thing section refers to.
type Cut struct {
	Started   bool
	Watermark int64
	Closed    int64
	Stats     Stats
	Held      []HeldRecord
	HeldSeq   uint64
	Tables    Tables
}

// Snapshot returns the plane's state as of one moment and its thing
// section, in parts to be written one after the other. under runs at that moment, with every lock held, for the
// owner's state that must be cut at the same moment (the violation log,
// retained values); its error ends the snapshot. A close in progress is
// taken whole, after it ends.
//
// With sorted, things are written in order of name, which makes the
// section a function of the state alone (tests compare planes by it);
// otherwise a large fleet is encoded shard by shard, after the moment, so
// that an input waits for one shard's encoding at most (thingEncoder).
func (p *Plane) Snapshot(sorted bool, under func(c *Cut) error) (Cut, [][]byte, error) {
	p.mu.Lock()
	defer p.unlock()
	for p.closing.Load() {
		p.closeDone.Wait() // a close in progress is written whole, after it
	}
	p.lockShards()
	p.syncWatermark()
	c := Cut{Started: p.started.Load(), Watermark: p.watermark, Closed: p.closed.Load(),
		Stats: p.stats(true), Held: p.heldRecords(), HeldSeq: p.heldSeq}
	if err := under(&c); err != nil {
		p.unlockShards()
		return Cut{}, nil, err
	}
	enc := p.newThingEncoder(p.rules.Load(), &c.Tables)
	var things [][]byte
	if sorted || p.serial {
		// A serial plane's inputs take mu, which the snapshot holds anyway.
		things = [][]byte{enc.appendAll(p, sorted)}
		p.unlockShards()
	} else {
		things = enc.appendByShard(p)
	}
	return c, things, nil
}

// Restore loads into p, new and not yet shared, with the rules of the
// snapshot in force, the state c and things describe: the clock, the
// counters, the things (within limit bytes of window state; 0: no limit)
// and the held datapoints. A malformed or inconsistent state is refused
// with an error naming what is wrong.
func (p *Plane) Restore(ctx context.Context, c *Cut, things []byte, limit int64) error {
	if !c.Started {
		if c.Watermark != 0 || c.Closed != 0 {
			return fmt.Errorf("a watermark before the first input")
		}
	} else {
		if c.Watermark < 0 || c.Closed != p.CloseTarget(c.Watermark) {
			return fmt.Errorf("closed period %d does not match the watermark %d", c.Closed, c.Watermark)
		}
		p.start(c.Watermark)
	}
	if err := p.restoreThings(ctx, p.rules.Load(), &c.Tables, things, limit); err != nil {
		return err
	}
	if err := p.restoreHeld(c.Held, c.HeldSeq); err != nil {
		return err
	}
	p.restoreStats(c.Stats)
	return nil
}
