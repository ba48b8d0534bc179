package ruledetect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ruledetect/ruledetect/internal/echo"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/report"
	"github.com/ruledetect/ruledetect/internal/wire"
)

// Snapshot format (version 1). A snapshot is
//
//	magic    "ruledetect/Engine\x00" and the version byte 0x01
//	control  uvarint length, then JSON (snapControl): the options that
//	         shape the state, the time and stats counters, the control
//	         plane, and the tables the thing section refers to
//	log      uvarint length, then violation.Log.MarshalBinary
//	things   uvarint length, then the binary thing records (below)
//	crc      CRC-32C (Castagnoli) of every byte before it, little endian
//
// Every uvarint and varint is encoding/binary's in its shortest form: restore
// reads them with internal/wire, which refuses a longer one.
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
const (
	snapshotMagic   = "ruledetect/Engine\x00"
	snapshotVersion = 2
)

// Thing record flags.
const (
	thingTold         = 1 << iota // its registration and groups were told
	thingHasInput                 // lastInput ≠ 0
	thingDisconnected             // disconnectedAt ≠ 0
	thingCounters                 // cumulative network_stats seen
	thingCovered                  // aligned to a coverage: slots follow
	thingFlagsMask    = thingTold | thingHasInput | thingDisconnected | thingCounters | thingCovered
)

var snapshotCRC = crc32.MakeTable(crc32.Castagnoli)

// snapControl is the JSON part of a snapshot. Times of the control plane
// are RFC 3339 with nanoseconds, so they come back exactly.
type snapControl struct {
	Region    string `json:"region"`
	Account   string `json:"account"`
	Period    int64  `json:"periodNs"`
	Horizon   int64  `json:"invalidationHorizonNs"`
	Lateness  int64  `json:"allowedLatenessNs"`
	Started   bool   `json:"started"`
	Watermark int64  `json:"watermarkNs"`
	Closed    int64  `json:"closedPeriod"`

	Stats snapStats `json:"stats"`

	Dimensions    []snapDimension    `json:"dimensions"`
	CustomMetrics []snapCustomMetric `json:"customMetrics"`
	Profiles      []snapProfile      `json:"profiles"`
	Targets       []snapTarget       `json:"targets"`

	// Keys are the behaviors the layouts refer to; Layouts the behavior
	// lists things' slots follow (indexes into Keys); Kinds the thing kinds
	// thing records refer to.
	Keys    []snapKey  `json:"keys"`
	Layouts [][]int    `json:"layouts"`
	Kinds   []snapKind `json:"kinds"`

	// Held are the per-input datapoints waiting for the allowed lateness,
	// HeldSeq the last arrival number given.
	Held    []snapHeld `json:"held,omitzero"`
	HeldSeq uint64     `json:"heldSeq,omitzero"`

	// Exports are the metric exports waiting for the next period close
	// (the retained metric values are a section of their own).
	Exports []snapExport `json:"exports,omitzero"`
}

// snapExport is one destination's waiting metric exports.
type snapExport struct {
	Topic   string           `json:"mqttTopic"`
	RoleArn string           `json:"roleArn"`
	Metrics []exportedMetric `json:"metrics"`
}

// snapHeld is a held per-input datapoint; floats are kept as their bits,
// which JSON keeps exactly (NaN included).
type snapHeld struct {
	Thing    string   `json:"thing"`
	Profile  string   `json:"profile"`
	Behavior string   `json:"behavior"`
	Time     int64    `json:"timeNs"`
	Seq      uint64   `json:"seq"`
	Kind     dpKind   `json:"kind"`
	Count    uint64   `json:"count,omitzero"`
	Number   uint64   `json:"numberBits,omitzero"`
	Ports    []uint16 `json:"ports,omitzero"`
	Addrs    []string `json:"addrs,omitzero"`
	Strings  []string `json:"strings,omitzero"`
	Numbers  []uint64 `json:"numberBits_,omitzero"`
}

type snapStats struct {
	Inputs         uint64 `json:"inputs"`
	Late           uint64 `json:"late"`
	ClockJumps     uint64 `json:"clockJumps,omitzero"`
	Unavailable    uint64 `json:"percentilesUnavailable,omitzero"`
	Rejected       uint64 `json:"rejected"`
	Datapoints     uint64 `json:"datapoints"`
	ExchangeErrors uint64 `json:"exchangeErrors"`
}

type snapDimension struct {
	Name    string         `json:"name"`
	Token   string         `json:"clientRequestToken,omitzero"`
	Values  []string       `json:"stringValues"`
	Tags    []behavior.Tag `json:"tags,omitzero"`
	Created time.Time      `json:"created"`
	Updated time.Time      `json:"updated"`
}

type snapCustomMetric struct {
	Name        string         `json:"metricName"`
	Token       string         `json:"clientRequestToken,omitzero"`
	DisplayName string         `json:"displayName,omitzero"`
	Type        string         `json:"metricType"`
	Tags        []behavior.Tag `json:"tags,omitzero"`
	Created     time.Time      `json:"created"`
	Updated     time.Time      `json:"updated"`
}

// snapProfile is a profile as stored; its dates are kept apart at full
// precision (the model's JSON has milliseconds).
type snapProfile struct {
	Profile behavior.SecurityProfile `json:"profile"`
	Created *time.Time               `json:"created,omitzero"`
	Updated *time.Time               `json:"updated,omitzero"`
}

// snapTarget is a target with its profiles in attachment order.
type snapTarget struct {
	Arn      string   `json:"arn"`
	Profiles []string `json:"profiles"`
}

type snapKey struct {
	Profile  string `json:"profile"`
	Behavior string `json:"behavior"`
}

type snapKind struct {
	Registered bool     `json:"registered,omitzero"`
	Groups     []string `json:"groups,omitzero"`
}

// WriteSnapshot writes the engine's whole state to w: the control plane
// (dimensions, custom metrics, security profiles with their versions and
// dates, targets, things' registration and groups), the data plane (the
// watermark, every thing's windows in progress, alarm streaks and cumulative
// counters), the violation log and the stats counters. RestoreSnapshot
// makes an Engine of it that goes on exactly as this one would, so a
// service can stop and restart without losing alarms or windows.
//
// The snapshot is consistent: it is taken under the engine's lock, which
// is held while the state is encoded into memory (tens of bytes per thing),
// not while it is written to w. The format is versioned and checksummed;
// see RestoreSnapshot. Errors are ctx's, w's, or (never in practice) a
// profile that cannot be written as JSON.
func (e *Engine) WriteSnapshot(ctx context.Context, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sections, err := e.snapshot(false)
	if err != nil {
		return &Error{Op: "WriteSnapshot", Kind: ErrInvalidRequest, Message: err.Error(), Cause: err}
	}
	h := crc32.New(snapshotCRC)
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 64<<10)
	hdr := append([]byte(snapshotMagic), snapshotVersion)
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	for _, s := range sections {
		if _, err := bw.Write(binary.AppendUvarint(nil, uint64(len(s)))); err != nil {
			return err
		}
		// Large sections go in chunks, so that a cancelled ctx stops the write.
		for len(s) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(len(s), 1<<20)
			if _, err := bw.Write(s[:n]); err != nil {
				return err
			}
			s = s[n:]
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err = w.Write(binary.LittleEndian.AppendUint32(nil, h.Sum32()))
	return err
}

// snapshot encodes the state: the control JSON, the log and the things.
// With sorted, things are written in order of name, which makes the control
// and thing sections a function of the state alone (tests compare engines
// by them); WriteSnapshot skips the sort, which would cost seconds for
// millions of things.
func (e *Engine) snapshot(sorted bool) ([4][]byte, error) {
	var out [4][]byte
	e.mu.Lock()
	for e.closing.Load() {
		e.closeDone.Wait() // a close in progress is written whole, after it
	}
	e.lockShards()
	e.syncWatermark()
	inputs, datapoints := e.counts()
	cfg := e.cfg.Load()
	ctl := &snapControl{
		Region: e.opts.region, Account: e.opts.account,
		Period: int64(e.opts.period), Horizon: int64(e.opts.invalidationHorizon),
		Lateness: int64(e.opts.allowedLateness),
		Started:  e.started.Load(), Watermark: e.watermark, Closed: e.closed.Load(),
		Held: e.snapHeld(), HeldSeq: e.heldSeq, Exports: e.snapExports(),
		Stats: snapStats{
			Inputs: inputs, Late: e.stats.late.Load(), ClockJumps: e.stats.clockJumps.Load(), Unavailable: e.stats.percentilesUnavailable.Load(), Rejected: e.stats.rejected.Load(),
			Datapoints: datapoints, ExchangeErrors: e.stats.exchangeErrors.Load(),
		},
	}
	logData, err := e.log.MarshalBinary()
	if err != nil {
		e.unlockShards()
		e.mu.Unlock()
		return out, err
	}
	enc := e.newThingEncoder(cfg, ctl)
	var things, metrics []byte
	if sorted || e.serial {
		// Tests compare sorted sections; a serial engine's inputs take mu,
		// which the snapshot holds anyway.
		things = enc.appendAll(e, sorted)
		if len(e.metrics.keys) > 0 {
			metrics = e.appendMetricValues(nil, sorted)
		}
		e.unlockShards()
	} else {
		things = enc.appendByShard(e)
	}
	e.mu.Unlock()

	// The config is immutable: the rest needs no lock.
	addControlPlane(ctl, cfg)
	j, err := json.Marshal(ctl)
	if err != nil {
		return out, err
	}
	out[0], out[1], out[2], out[3] = j, logData, things, metrics
	return out, nil
}

// addControlPlane copies cfg's dimensions, custom metrics, profiles and
// targets into ctl, each in lexical order.
func addControlPlane(ctl *snapControl, cfg *config) {
	ctl.Dimensions = []snapDimension{}
	for _, name := range slices.Sorted(maps.Keys(cfg.dims)) {
		d := cfg.dims[name]
		ctl.Dimensions = append(ctl.Dimensions, snapDimension{Name: d.name, Token: d.token, Values: d.values,
			Tags: d.tags, Created: d.created, Updated: d.updated})
	}
	ctl.CustomMetrics = []snapCustomMetric{}
	for _, name := range slices.Sorted(maps.Keys(cfg.customs)) {
		m := cfg.customs[name]
		ctl.CustomMetrics = append(ctl.CustomMetrics, snapCustomMetric{Name: m.name, Token: m.token,
			DisplayName: m.displayName, Type: m.metricType, Tags: m.tags, Created: m.created, Updated: m.updated})
	}
	ctl.Profiles = []snapProfile{}
	for _, name := range slices.Sorted(maps.Keys(cfg.profiles)) {
		sp := cfg.profiles[name].sp
		p := snapProfile{Profile: sp}
		if sp.CreationDate != nil {
			p.Created = &sp.CreationDate.Time
		}
		if sp.LastModifiedDate != nil {
			p.Updated = &sp.LastModifiedDate.Time
		}
		ctl.Profiles = append(ctl.Profiles, p)
	}
	ctl.Targets = []snapTarget{}
	for _, arn := range slices.Sorted(maps.Keys(cfg.targets)) {
		ctl.Targets = append(ctl.Targets, snapTarget{Arn: arn, Profiles: cfg.targets[arn]})
	}
}

// snapLayout is how one in-memory coverage is written: its layout index
// and, per behavior of the coverage, whether it is written (its id is
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
	ctl       *snapControl
	watermark int64
	closed    int64
	count     int64
	keyOf     map[uint64]int
	layouts   map[*coverage]*snapLayout
	layoutOf  map[string]int
	kinds     map[string]int

	mu    sync.Mutex // guards the tables and parts while shards are encoded
	parts [][]byte   // by shard index
}

func (e *Engine) newThingEncoder(cfg *config, ctl *snapControl) *thingEncoder {
	enc := &thingEncoder{ctl: ctl, watermark: e.watermark, closed: e.closed.Load(), count: e.thingCount.Load(),
		keyOf: map[uint64]int{}, layouts: map[*coverage]*snapLayout{}, layoutOf: map[string]int{}, kinds: map[string]int{}}
	// Every compiled behavior of the configuration, by id: the behaviors a
	// slot can be carried to.
	ctl.Keys = []snapKey{}
	for _, name := range slices.Sorted(maps.Keys(cfg.profiles)) {
		for _, cb := range cfg.profiles[name].behaviors {
			enc.keyOf[cb.id] = len(ctl.Keys)
			ctl.Keys = append(ctl.Keys, snapKey{Profile: cb.profile, Behavior: cb.b.Name})
		}
	}
	ctl.Layouts, ctl.Kinds = [][]int{}, []snapKind{}
	return enc
}

// appendAll returns the thing section of every thing at once, in order of
// name when sorted. Called with every lock held.
func (enc *thingEncoder) appendAll(e *Engine, sorted bool) []byte {
	list := make([]*thingState, 0, enc.count)
	e.eachThing(func(ts *thingState) { list = append(list, ts) })
	if sorted {
		slices.SortFunc(list, func(a, b *thingState) int { return strings.Compare(a.name, b.name) })
	}
	// Most things take 20 to 60 bytes: one allocation, rarely grown.
	b := binary.AppendUvarint(make([]byte, 0, 48*len(list)+16), uint64(len(list)))
	return enc.appendList(b, list)
}

// appendByShard marks every shard for encoding and releases the shards'
// locks (the caller holds them all, and mu), encodes each shard that no
// input has encoded first, and returns the thing section.
func (enc *thingEncoder) appendByShard(e *Engine) []byte {
	enc.parts = make([][]byte, len(e.shards))
	for _, sh := range e.shards {
		sh.snap = enc
	}
	e.unlockShards()
	for _, sh := range e.shards {
		sh.mu.Lock()
		enc.encodePending(sh)
		sh.mu.Unlock()
	}
	n := 0
	for _, p := range enc.parts {
		n += len(p)
	}
	b := binary.AppendUvarint(make([]byte, 0, n+binary.MaxVarintLen64), uint64(enc.count))
	for _, p := range enc.parts {
		b = append(b, p...)
	}
	return b
}

// encodePending encodes sh if a snapshot marked it and nothing has encoded
// it since. Called with sh.mu held, before anything in sh changes.
func (enc *thingEncoder) encodePending(sh *shard) {
	if sh.snap != enc {
		return
	}
	sh.snap = nil
	list := make([]*thingState, 0, len(sh.things))
	for _, ts := range sh.things {
		list = append(list, ts)
	}
	enc.mu.Lock()
	enc.parts[sh.index] = enc.appendList(make([]byte, 0, 48*len(list)), list)
	enc.mu.Unlock()
}

// appendList appends the records of list to b.
func (enc *thingEncoder) appendList(b []byte, list []*thingState) []byte {
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
			sink += len(ts.name) + len(ts.slots) + len(ts.ring)
		}
		for _, ts := range list[:n] {
			sink += int(ts.name[0])
			if len(ts.slots) > 0 {
				sink += int(ts.slots[0].streak.Count())
			}
			if len(ts.ring) > 0 {
				sink += int(ts.ring[0].v)
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
func (enc *thingEncoder) appendThing(b []byte, ts *thingState) []byte {
	ctl, keyOf, layouts, layoutOf, kinds := enc.ctl, enc.keyOf, enc.layouts, enc.layoutOf, enc.kinds
	b = binary.AppendUvarint(b, uint64(len(ts.name)))
	b = append(b, ts.name...)
	kk := ts.kind.key()
	ki, ok := kinds[kk]
	if !ok {
		ki = len(ctl.Kinds)
		kinds[kk] = ki
		ctl.Kinds = append(ctl.Kinds, snapKind{Registered: ts.kind.registered, Groups: ts.kind.groups})
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
	for i, cb := range ts.cov.behaviors {
		if !l.live[i] {
			continue
		}
		b, _ = ts.slots[i].streak.AppendBinary(b)
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
func windowed(cb *compiledBehavior) bool { return cb.eval != evalNone && cb.periods > 0 }

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

// RestoreSnapshot returns a new Engine with opts holding exactly the state
// a WriteSnapshot wrote to r: it evaluates the rest of an input stream as
// the engine that wrote it would have.
//
// opts are New's. Those the state depends on must be what the snapshot was
// taken with: the region and account (they are in every ARN), the
// evaluation period and the invalidation horizon (windows are rings of
// periods, and idle things expire by the horizon). A snapshot taken with
// others is refused, with an error matching ErrInvalidSnapshot that names
// each difference. The rest (retention, exact
// population, cumulative network stats, clock, alert sink, population
// exchange) may change across a restart; events already in the log are not
// sent to the sink again.
//
// Anything but a snapshot of this format version, written whole (a
// truncated, corrupted or inconsistent one), fails with an error matching
// ErrInvalidSnapshot. Restoring never panics, and memory is bounded by the
// input: a length or count is never trusted beyond the bytes that remain.
// The whole input is read into memory first.
func RestoreSnapshot(ctx context.Context, r io.Reader, opts ...Option) (*Engine, error) {
	const op = "RestoreSnapshot"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := New(opts...)
	if err != nil {
		return nil, fmt.Errorf("ruledetect.RestoreSnapshot: %w", err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("ruledetect.RestoreSnapshot: reading: %w", err)
	}
	if err := e.restore(ctx, data); err != nil {
		var re *Error
		if errors.As(err, &re) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, &Error{Op: op, Kind: ErrInvalidSnapshot, Message: err.Error(), Cause: err}
	}
	return e, nil
}

// message returns the message of an engine error without its operation.
func message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// errSnap is an ErrInvalidSnapshot with a message.
func errSnap(format string, args ...any) error {
	return newError("RestoreSnapshot", ErrInvalidSnapshot, "", format, args...)
}

// restore loads data into e, a new engine.
func (e *Engine) restore(ctx context.Context, data []byte) error {
	body, ok := bytes.CutPrefix(data, []byte(snapshotMagic))
	if !ok {
		return errSnap("not an engine snapshot")
	}
	if len(body) < 1+4 {
		return errSnap("truncated snapshot")
	}
	if body[0] != snapshotVersion {
		return errSnap("snapshot format version %d, this engine reads version %d", body[0], snapshotVersion)
	}
	n := len(data) - 4
	if crc32.Checksum(data[:n], snapshotCRC) != binary.LittleEndian.Uint32(data[n:]) {
		return errSnap("checksum mismatch: the snapshot is truncated or corrupt")
	}
	d := newSnapDecoder(body[1:len(body)-4], 0)
	ctlData, logData, thingData, metricData := d.section("control"), d.section("violation log"), d.section("things"), d.section("metric values")
	if d.err == nil && d.left() > 0 {
		d.fail("%d bytes of trailing data", d.left())
	}
	if d.err != nil {
		return d.err
	}
	var ctl snapControl
	dec := json.NewDecoder(bytes.NewReader(ctlData))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ctl); err != nil {
		return errSnap("control section: %v", err)
	}
	if dec.More() {
		return errSnap("control section: trailing data")
	}
	if err := e.checkOptions(&ctl); err != nil {
		return err
	}
	if err := e.restoreTime(&ctl); err != nil {
		return err
	}
	cfg, err := e.restoreConfig(&ctl)
	if err != nil {
		return err
	}
	if err := e.log.UnmarshalBinary(logData); err != nil {
		return &Error{Op: "RestoreSnapshot", Kind: ErrInvalidSnapshot, Message: "violation log: " + err.Error(), Cause: err}
	}
	if err := e.restoreThings(ctx, cfg, &ctl, thingData, e.restoreLimit(len(data))); err != nil {
		return err
	}
	if err := e.restoreHeld(&ctl); err != nil {
		return err
	}
	if err := e.restoreMetricValues(metricData); err != nil {
		return err
	}
	if err := e.restoreExports(ctl.Exports); err != nil {
		return err
	}
	st := ctl.Stats
	// A restored engine's totals start in its first shard.
	e.shards[0].inputs.Store(st.Inputs)
	e.stats.late.Store(st.Late)
	e.stats.clockJumps.Store(st.ClockJumps)
	e.stats.percentilesUnavailable.Store(st.Unavailable)
	e.stats.rejected.Store(st.Rejected)
	e.shards[0].datapoints.Store(st.Datapoints)
	e.stats.exchangeErrors.Store(st.ExchangeErrors)
	return nil
}

// checkOptions refuses a snapshot taken with options the state depends on
// that differ from e's.
func (e *Engine) checkOptions(ctl *snapControl) error {
	var diffs []string
	if ctl.Region != e.opts.region {
		diffs = append(diffs, fmt.Sprintf("region %s (options: %s)", echo.Quote(ctl.Region), echo.Quote(e.opts.region)))
	}
	if ctl.Account != e.opts.account {
		diffs = append(diffs, fmt.Sprintf("account %s (options: %s)", echo.Quote(ctl.Account), echo.Quote(e.opts.account)))
	}
	if ctl.Period != int64(e.opts.period) {
		diffs = append(diffs, fmt.Sprintf("evaluation period %v (options: %v)", time.Duration(ctl.Period), e.opts.period))
	}
	if ctl.Horizon != int64(e.opts.invalidationHorizon) {
		diffs = append(diffs, fmt.Sprintf("invalidation horizon %v (options: %v)", time.Duration(ctl.Horizon), e.opts.invalidationHorizon))
	}
	if ctl.Lateness != int64(e.opts.allowedLateness) {
		diffs = append(diffs, fmt.Sprintf("allowed lateness %v (options: %v)", time.Duration(ctl.Lateness), e.opts.allowedLateness))
	}
	if len(diffs) > 0 {
		return errSnap("the snapshot was taken with %s; restore with the same options", strings.Join(diffs, ", "))
	}
	return nil
}

// restoreTime restores the watermark and the closed period.
func (e *Engine) restoreTime(ctl *snapControl) error {
	if !ctl.Started {
		if ctl.Watermark != 0 || ctl.Closed != 0 {
			return errSnap("a watermark before the first input")
		}
		return nil
	}
	if ctl.Watermark < 0 || ctl.Closed != e.closeTarget(ctl.Watermark) {
		return errSnap("closed period %d does not match the watermark %d", ctl.Closed, ctl.Watermark)
	}
	e.start(ctl.Watermark)
	return nil
}

// restoreConfig rebuilds the control plane, checking it as the control
// plane's operations would, and compiles the profiles.
func (e *Engine) restoreConfig(ctl *snapControl) (*config, error) {
	const op = "RestoreSnapshot"
	cfg := emptyConfig()
	cfg.version = 1
	if len(ctl.Dimensions) > MaxDimensions || len(ctl.CustomMetrics) > MaxCustomMetrics {
		return nil, errSnap("more dimensions or custom metrics than the service allows")
	}
	for _, sd := range ctl.Dimensions {
		if err := firstErr(checkName(op, "name", sd.Name), checkClientToken(op, sd.Name, sd.Token), checkTags(op, sd.Name, sd.Tags)); err != nil {
			return nil, errSnap("dimension %s: %s", echo.Quote(sd.Name), message(err))
		}
		m, err := compileDimension(op, sd.Name, sd.Values)
		if err != nil {
			return nil, errSnap("dimension %s: %s", echo.Quote(sd.Name), message(err))
		}
		if cfg.dims[sd.Name] != nil {
			return nil, errSnap("dimension %s appears twice", echo.Quote(sd.Name))
		}
		cfg.dims[sd.Name] = &dimensionRecord{name: sd.Name, arn: e.arn("dimension/" + sd.Name), token: sd.Token,
			values: sd.Values, tags: sd.Tags, matcher: m, created: sd.Created, updated: sd.Updated}
	}
	for _, sm := range ctl.CustomMetrics {
		err := firstErr(checkName(op, "metricName", sm.Name), checkClientToken(op, sm.Name, sm.Token),
			checkTags(op, sm.Name, sm.Tags), checkDisplayName(op, sm.Name, sm.DisplayName))
		switch {
		case err != nil:
			return nil, errSnap("custom metric %s: %s", echo.Quote(sm.Name), message(err))
		case strings.HasPrefix(sm.Name, "aws:") || !slices.Contains(customMetricTypes, sm.Type):
			return nil, errSnap("custom metric %s: malformed name or type", echo.Quote(sm.Name))
		case cfg.customs[sm.Name] != nil:
			return nil, errSnap("custom metric %s appears twice", echo.Quote(sm.Name))
		}
		cfg.customs[sm.Name] = &customMetricRecord{name: sm.Name, arn: e.arn("custommetric/" + sm.Name), token: sm.Token,
			displayName: sm.DisplayName, metricType: sm.Type, tags: sm.Tags, created: sm.Created, updated: sm.Updated}
	}
	vopts := cfg.validateOptions()
	for i := range ctl.Profiles {
		p := &ctl.Profiles[i]
		sp := p.Profile
		name := sp.SecurityProfileName
		if r := sp.Validate(vopts); !r.Valid {
			return nil, errSnap("security profile %s: %s", echo.Quote(name), message(invalid(op, name, r)))
		}
		if cfg.profiles[name] != nil || sp.SecurityProfileArn != e.arn("securityprofile/"+name) || sp.Version < 1 {
			return nil, errSnap("security profile %s: repeated, or a malformed ARN or version", echo.Quote(name))
		}
		if p.Created != nil {
			t := behavior.At(*p.Created)
			sp.CreationDate = &t
		}
		if p.Updated != nil {
			t := behavior.At(*p.Updated)
			sp.LastModifiedDate = &t
		}
		rec, err := e.recompile(cfg, &profileRecord{sp: sp})
		if err != nil {
			return nil, errSnap("security profile %s: %v", echo.Quote(name), err)
		}
		cfg.profiles[name] = rec
	}
	for _, st := range ctl.Targets {
		if err := e.checkTarget(op, st.Arn); err != nil {
			return nil, errSnap("target: %s", message(err))
		}
		if cfg.targets[st.Arn] != nil || len(st.Profiles) == 0 || len(st.Profiles) > MaxProfilesPerTarget {
			return nil, errSnap("target %s: repeated, or with no or too many profiles", echo.Quote(st.Arn))
		}
		for i, p := range st.Profiles {
			if cfg.profiles[p] == nil || slices.Index(st.Profiles, p) != i {
				return nil, errSnap("target %s: profile %s missing or repeated", echo.Quote(st.Arn), echo.Quote(p))
			}
		}
		cfg.targets[st.Arn] = st.Profiles
	}
	e.cfg.Store(cfg)
	return cfg, nil
}

// restoreLayout is a layout of the snapshot, resolved against the restored
// configuration for one kind of thing.
type restoreLayout struct {
	cov     *coverage
	current bool // cov is the kind's coverage in the configuration
}

// restoreThings decodes the thing section.
func (e *Engine) restoreThings(ctx context.Context, cfg *config, ctl *snapControl, data []byte, limit int64) error {
	// Keys → compiled behaviors.
	keys := make([]*compiledBehavior, len(ctl.Keys))
	seenKey := map[snapKey]bool{}
	for i, k := range ctl.Keys {
		rec := cfg.profiles[k.Profile]
		if rec == nil || seenKey[k] {
			return errSnap("behavior key %d: profile %s missing or key repeated", i, echo.Quote(k.Profile))
		}
		seenKey[k] = true
		j := slices.IndexFunc(rec.behaviors, func(cb *compiledBehavior) bool { return cb.b.Name == k.Behavior })
		if j < 0 {
			return errSnap("behavior key %d: profile %s has no behavior %s", i, echo.Quote(k.Profile), echo.Quote(k.Behavior))
		}
		keys[i] = rec.behaviors[j]
	}
	layouts := make([][]*compiledBehavior, len(ctl.Layouts))
	for i, l := range ctl.Layouts {
		seen := map[int]bool{}
		for _, k := range l {
			if k < 0 || k >= len(keys) || seen[k] {
				return errSnap("layout %d: key %d missing or repeated", i, k)
			}
			seen[k] = true
			layouts[i] = append(layouts[i], keys[k])
		}
	}
	kinds := make([]thingKind, len(ctl.Kinds))
	for i, k := range ctl.Kinds {
		if !k.Registered && len(k.Groups) > 0 {
			return errSnap("kind %d: an unregistered thing in groups", i)
		}
		for j, g := range k.Groups {
			if checkName("RestoreSnapshot", "thing group", g) != nil || (j > 0 && k.Groups[j-1] >= g) {
				return errSnap("kind %d: groups malformed, repeated or out of order", i)
			}
		}
		kinds[i] = thingKind{registered: k.Registered, groups: k.Groups}
	}
	resolved := map[[2]int]*restoreLayout{}
	resolve := func(li, ki int) *restoreLayout {
		if r := resolved[[2]int{li, ki}]; r != nil {
			return r
		}
		want := cfg.coverageFor(e, kinds[ki])
		r := &restoreLayout{cov: want, current: true}
		if !slices.Equal(want.behaviors, layouts[li]) {
			// Aligned under an earlier configuration or kind: its own
			// coverage, realigned at the thing's next use as it would
			// have been.
			r.cov = &coverage{behaviors: layouts[li]}
			r.cov.index(e.slack())
			r.current = false
		}
		resolved[[2]int{li, ki}] = r
		return r
	}

	d := newSnapDecoder(data, limit)
	count := d.count("things", 4)
	for n := 0; n < count && d.err == nil; n++ {
		if n%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		name := string(d.section("thing name"))
		ki := d.index("kind", len(kinds))
		flags := d.byte()
		if d.err != nil {
			break
		}
		sh := e.shardOf(name)
		if checkThing("RestoreSnapshot", name) != nil || sh.things[name] != nil {
			return errSnap("thing %d: name %s malformed or repeated", n, echo.Quote(name))
		}
		if flags&^thingFlagsMask != 0 {
			return errSnap("thing %s: unknown flags %#x", echo.Quote(name), flags)
		}
		ts := &thingState{name: name, shard: sh.index, kind: kinds[ki], told: flags&thingTold != 0}
		if !ts.told && ts.kind.registered {
			return errSnap("thing %s: registered but never told", echo.Quote(name))
		}
		if flags&thingHasInput != 0 {
			ts.lastInput = d.time("last input", e.watermark)
			if ts.lastInput == 0 {
				d.fail("thing %s: last input at 0 flagged as an input", echo.Quote(name))
			}
		}
		if flags&thingDisconnected != 0 {
			ts.disconnectedAt = d.time("disconnection", ts.lastInput)
			if ts.disconnectedAt == 0 {
				d.fail("thing %s: disconnection at 0", echo.Quote(name))
			}
		}
		if flags&thingCounters != 0 {
			var v [4]uint64
			for i := range v {
				v[i] = d.uvarint()
				if v[i] > math.MaxInt64 {
					d.fail("thing %s: counter out of range", echo.Quote(name))
				}
			}
			ts.counters = counterState(v)
		}
		ts.head = d.offset("window head", e.closed.Load())
		if ts.head > e.periodOf(e.watermark) {
			d.fail("thing %q: window head after the watermark", name)
		}
		if flags&thingCovered != 0 {
			li := d.index("layout", len(layouts))
			if d.err != nil {
				break
			}
			rl := resolve(li, ki)
			e.restoreSlots(d, ts, rl.cov)
			ts.cfgVersion = cfg.version
			if !rl.current {
				ts.cfgVersion = staleVersion
			}
		}
		sh.things[name] = ts
		e.thingCount.Add(1)
	}
	if d.err == nil && d.left() > 0 {
		d.fail("%d bytes after the last thing", d.left())
	}
	if d.err != nil {
		return d.err
	}
	return nil
}

// restoreSlots decodes ts's slots and windows for coverage cov.
func (e *Engine) restoreSlots(d *snapDecoder, ts *thingState, cov *coverage) {
	ts.cov = cov
	if len(cov.behaviors) > 0 {
		ts.slots = make([]slot, len(cov.behaviors))
	}
	for i, cb := range cov.behaviors {
		if err := ts.slots[i].streak.UnmarshalBinary(d.bytes(1)); err != nil && d.err == nil {
			d.fail("thing %s: %v", echo.Quote(ts.name), err)
		}
		if !windowed(cb) || d.err != nil {
			continue
		}
		n := d.count("window", 3)
		if size := cb.periods + int(cov.slack); n > size {
			d.fail("thing %s: %d periods with input in a window of %d", echo.Quote(ts.name), n, size)
		}
		if n == 0 || d.err != nil {
			continue
		}
		// The ring is allocated for a thing with input in some window only,
		// within the restore's memory budget (WithRestoreMemoryLimit).
		if ts.ring == nil {
			if !d.spend(int64(cov.ringLen) * int64(unsafe.Sizeof(acc{}))) {
				d.fail("the window state would take more than the restore memory limit, %d bytes (WithRestoreMemoryLimit)", d.limit)
				break
			}
			ts.ring = make([]acc, cov.ringLen)
		}
		w := ts.ringOf(i)
		j := 0
		for k := 0; k < n && d.err == nil; k++ {
			gap := d.uvarint()
			if (k > 0 && gap == 0) || gap >= uint64(len(w)-j) {
				d.fail("thing %s: window period out of range", echo.Quote(ts.name))
				break
			}
			j += int(gap)
			v, at := d.uvarint(), d.uvarint()
			if at > math.MaxUint32 {
				d.fail("thing %q: window timestamp out of range", ts.name)
				break
			}
			w[j] = acc{v: v, at: uint32(at), any: true}
		}
	}
}

// snapDecoder reads the binary parts of a snapshot through a wire.Reader,
// turning its errors into ErrInvalidSnapshot messages that name the field.
// The first error sticks; later reads return zero values.
type snapDecoder struct {
	r   wire.Reader
	err error
	// limit is the memory restore may allocate for windows, and used what
	// it has (0 limit: no budget, for sections that allocate none).
	limit, used int64
}

func newSnapDecoder(b []byte, limit int64) *snapDecoder {
	return &snapDecoder{r: wire.NewReader(b), limit: limit}
}

// spend reports whether n more bytes of window state stay within the
// budget, and counts them.
func (d *snapDecoder) spend(n int64) bool {
	if d.limit == 0 {
		return true
	}
	d.used += n
	return d.used <= d.limit
}

func (d *snapDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = errSnap(format, args...)
		// An empty reader: every later read returns a zero value, and its
		// own error is not reported over this one.
		d.r = wire.Reader{}
	}
}

// left returns the number of bytes not yet read.
func (d *snapDecoder) left() int { return d.r.Len() }

// check turns the reader's error into the decoder's, if it is the first:
// a count (of what) beyond the remaining input, or a malformed number.
func (d *snapDecoder) check(what string) {
	if d.r.Err() != nil && d.err == nil {
		d.readFailed(what)
	}
}

func (d *snapDecoder) readFailed(what string) {
	err := d.r.Err()
	if we := (*wire.Error)(nil); errors.As(err, &we) && we.Err == wire.ErrCount {
		d.fail("%s count %d exceeds the remaining input", what, we.N)
		return
	}
	d.fail("truncated or malformed number: %v", err)
}

// checkFixed turns the reader's error after a read of n bytes, with left
// bytes left before it, into the decoder's, if it is the first.
func (d *snapDecoder) checkFixed(n, left int) {
	if d.r.Err() != nil && d.err == nil {
		d.fail("truncated: %d bytes wanted, %d left", n, left)
	}
}

func (d *snapDecoder) uvarint() uint64 {
	v := d.r.Uvarint()
	d.check("")
	return v
}

func (d *snapDecoder) varint() int64 {
	v := d.r.Varint()
	d.check("")
	return v
}

func (d *snapDecoder) byte() byte {
	left := d.left()
	b := d.r.Byte()
	d.checkFixed(1, left)
	return b
}

// uint64 reads 8 bytes, little-endian.
func (d *snapDecoder) uint64() uint64 {
	left := d.left()
	v := d.r.Uint64LE()
	d.checkFixed(8, left)
	return v
}

// bytes returns the next n bytes.
func (d *snapDecoder) bytes(n int) []byte {
	left := d.left()
	b := d.r.Bytes(n)
	d.checkFixed(n, left)
	return b
}

// count reads a length or count of items that take at least size bytes
// each, refusing one the remaining input cannot hold.
func (d *snapDecoder) count(what string, size int) int {
	n := d.r.Count(size, wire.NoLimit)
	d.check(what)
	return n
}

// index reads an index below n.
func (d *snapDecoder) index(what string, n int) int {
	v := d.uvarint()
	if v >= uint64(n) {
		d.fail("%s index %d out of range (%d)", what, v, n)
		return 0
	}
	return int(v)
}

// section reads a length-prefixed section (or string).
func (d *snapDecoder) section(what string) []byte {
	b := d.r.Section(wire.NoLimit)
	d.check(what)
	return b
}

// offset reads base plus a varint, refusing a result that overflows.
func (d *snapDecoder) offset(what string, base int64) int64 {
	delta := d.varint()
	v := base + delta
	if (delta > 0 && v < base) || (delta < 0 && v > base) {
		d.fail("%s out of range", what)
		return 0
	}
	return v
}

// time reads an event time (Unix ns) written relative to base.
func (d *snapDecoder) time(what string, base int64) int64 {
	v := d.offset(what, base)
	if v < 0 {
		d.fail("%s before 1970", what)
		return 0
	}
	return v
}
