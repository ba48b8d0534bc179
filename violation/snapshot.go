package violation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"math"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
)

// snapshotMagic starts every snapshot; its last byte is the format version.
// Bump the version when the layout changes: old data then fails with
// ErrInvalidSnapshot instead of being misread.
const snapshotMagic = "ruledetect/violation.Log\x00\x01"

// The body after the magic is JSON: easy to inspect and to evolve, and the
// standard decoder never panics on bad input. Behaviors are stored once and
// referred to by index, as the log shares them; metric values keep their
// floats as IEEE 754 bits, which JSON numbers cannot do for NaN and ±Inf.
type snapshot struct {
	Seq        uint64              `json:"seq"`
	Behaviors  []behavior.Behavior `json:"behaviors"`
	Violations []snapViolation     `json:"violations"`
	Active     []snapActive        `json:"active"`
	Events     []snapEvent         `json:"events"`
}

type snapViolation struct {
	ID       string            `json:"id"`
	Thing    string            `json:"thing"`
	Profile  string            `json:"profile"`
	Behavior string            `json:"behavior"`
	State    VerificationState `json:"state,omitzero"`
	Desc     *string           `json:"desc,omitzero"`
}

type snapActive struct {
	V          int       `json:"v"`
	B          int       `json:"b"`
	Seq        uint64    `json:"seq"`
	Start      snapTime  `json:"start"`
	Last       snapTime  `json:"last"`
	Value      snapValue `json:"value"`
	Suppressed bool      `json:"suppressed,omitzero"`
}

type snapEvent struct {
	V          int        `json:"v"`
	B          int        `json:"b"`
	Seq        uint64     `json:"seq"`
	T          snapTime   `json:"t"`
	Type       EventType  `json:"type"`
	Value      *snapValue `json:"value,omitzero"`
	Suppressed bool       `json:"suppressed,omitzero"`
}

// snapTime is an instant as Unix seconds and nanoseconds: exact over
// time.Time's whole range, unlike UnixNano or RFC 3339.
type snapTime [2]int64

func toSnapTime(t time.Time) snapTime { return snapTime{t.Unix(), int64(t.Nanosecond())} }

func (s snapTime) time() (time.Time, bool) {
	if s[1] < 0 || s[1] >= 1e9 {
		return time.Time{}, false
	}
	return time.Unix(s[0], s[1]).UTC(), true
}

type snapValue struct {
	Count   *int64   `json:"count,omitzero"`
	CIDRs   []string `json:"cidrs,omitzero"`
	Ports   []int64  `json:"ports,omitzero"`
	Number  *uint64  `json:"number,omitzero"`
	Numbers []uint64 `json:"numbers,omitzero"`
	Strings []string `json:"strings,omitzero"`
}

func toSnapValue(v behavior.MetricValue) snapValue {
	s := snapValue{Count: v.Count, CIDRs: v.CIDRs, Ports: v.Ports, Strings: v.Strings}
	if v.Number != nil {
		b := math.Float64bits(*v.Number)
		s.Number = &b
	}
	if v.Numbers != nil {
		s.Numbers = make([]uint64, len(v.Numbers))
		for i, f := range v.Numbers {
			s.Numbers[i] = math.Float64bits(f)
		}
	}
	return s
}

func (s snapValue) value() behavior.MetricValue {
	v := behavior.MetricValue{Count: s.Count, CIDRs: s.CIDRs, Ports: s.Ports, Strings: s.Strings}
	if s.Number != nil {
		f := math.Float64frombits(*s.Number)
		v.Number = &f
	}
	if s.Numbers != nil {
		v.Numbers = make([]float64, len(s.Numbers))
		for i, b := range s.Numbers {
			v.Numbers[i] = math.Float64frombits(b)
		}
	}
	return v
}

// MarshalBinary returns the log's state (active violations, events,
// verification states and the sequence counter) for UnmarshalBinary, so that
// the log survives a restart. Options and undelivered alerts are not part of
// it. It fails only when a behavior cannot be written as JSON (a NaN or
// infinite number in its criteria, which the service's JSON cannot carry).
func (l *Log) MarshalBinary() ([]byte, error) {
	l.mu.RLock()
	s := l.snapshot()
	l.mu.RUnlock()
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("violation: snapshot: %w", err)
	}
	return append([]byte(snapshotMagic), body...), nil
}

// snapshot copies the state into its stored form; called with mu held.
func (l *Log) snapshot() *snapshot {
	s := &snapshot{Seq: l.seq, Behaviors: []behavior.Behavior{}, Violations: []snapViolation{},
		Active: []snapActive{}, Events: []snapEvent{}}
	vIdx := map[*viol]int{}
	bIdx := map[*behavior.Behavior]int{}
	vi := func(v *viol) int {
		i, ok := vIdx[v]
		if !ok {
			i = len(s.Violations)
			vIdx[v] = i
			s.Violations = append(s.Violations, snapViolation{ID: v.id, Thing: v.key.Thing, Profile: v.key.Profile,
				Behavior: v.key.Behavior, State: v.state, Desc: v.desc})
		}
		return i
	}
	bi := func(b *behavior.Behavior) int {
		i, ok := bIdx[b]
		if !ok {
			i = len(s.Behaviors)
			bIdx[b] = i
			s.Behaviors = append(s.Behaviors, *b)
		}
		return i
	}
	l.actives.from(0, 0, func(a *active) bool {
		s.Active = append(s.Active, snapActive{V: vi(a.v), B: bi(a.beh), Seq: a.seq, Start: toSnapTime(a.start),
			Last: toSnapTime(a.last), Value: toSnapValue(a.value), Suppressed: a.suppressed})
		return true
	})
	l.events.from(0, 0, func(r record) bool {
		e := snapEvent{V: vi(r.v), B: bi(r.beh), Seq: r.seq, T: toSnapTime(r.t), Type: r.typ, Suppressed: r.suppressed}
		if r.value != nil {
			sv := toSnapValue(*r.value)
			e.Value = &sv
		}
		s.Events = append(s.Events, e)
		return true
	})
	return s
}

// UnmarshalBinary replaces the log's state with a snapshot MarshalBinary
// wrote; the log keeps its options. Data that is not such a snapshot, or one
// that is inconsistent (dangling references, duplicate IDs or sequence
// numbers, two open alarms for one key, bad enum values), fails with an
// error matching ErrInvalidSnapshot that says what is wrong, and leaves the
// log unchanged.
func (l *Log) UnmarshalBinary(data []byte) error {
	body, ok := bytes.CutPrefix(data, []byte(snapshotMagic))
	if !ok {
		return snapshotError("not a violation log snapshot of this version")
	}
	var s snapshot
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return &Error{Op: "UnmarshalBinary", Kind: ErrInvalidSnapshot, Message: err.Error(), Cause: err}
	}
	if dec.More() {
		return snapshotError("trailing data after the snapshot")
	}
	n, err := s.restore()
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.seq, l.events, l.actives, l.byKey, l.byID, l.behaviors = n.seq, n.events, n.actives, n.byKey, n.byID, n.behaviors
	l.mu.Unlock()
	return nil
}

func snapshotError(format string, args ...any) error {
	return &Error{Op: "UnmarshalBinary", Kind: ErrInvalidSnapshot, Message: fmt.Sprintf(format, args...)}
}

// restore builds a log from s, checking every reference and invariant.
func (s *snapshot) restore() (*Log, error) {
	n := &Log{seq: s.Seq}
	n.init()
	behs := make([]*behavior.Behavior, len(s.Behaviors))
	for i := range s.Behaviors {
		behs[i] = &s.Behaviors[i]
	}
	vs := make([]*viol, len(s.Violations))
	for i, sv := range s.Violations {
		if checkViolationID("", sv.ID) != nil || n.byID[sv.ID] != nil {
			return nil, snapshotError("violation %d: id %s is malformed or repeated", i, echo.Single(sv.ID))
		}
		if sv.State != "" && !sv.State.Valid() {
			return nil, snapshotError("violation %s: verification state %s", sv.ID, echo.Single(string(sv.State)))
		}
		if sv.Desc != nil && checkDescription("", *sv.Desc) != nil {
			return nil, snapshotError("violation %s: malformed verification state description", sv.ID)
		}
		vs[i] = &viol{id: sv.ID, key: Key{sv.Thing, sv.Profile, sv.Behavior}, state: sv.State, desc: sv.Desc}
		n.byID[sv.ID] = vs[i]
	}
	ref := func(what string, i int, seq uint64, v, b int) (*viol, *behavior.Behavior, error) {
		if v < 0 || v >= len(vs) || b < 0 || b >= len(behs) {
			return nil, nil, snapshotError("%s %d refers to a violation or behavior that is not there", what, i)
		}
		if seq == 0 || seq > s.Seq {
			return nil, nil, snapshotError("%s %d: sequence number %d out of range 1..%d", what, i, seq, s.Seq)
		}
		return vs[v], behs[b], nil
	}
	for i, sa := range s.Active {
		v, b, err := ref("active violation", i, sa.Seq, sa.V, sa.B)
		if err != nil {
			return nil, err
		}
		start, ok1 := sa.Start.time()
		last, ok2 := sa.Last.time()
		if !ok1 || !ok2 {
			return nil, snapshotError("active violation %d: malformed time", i)
		}
		if v.active != nil || n.byKey[v.key] != nil {
			return nil, snapshotError("active violation %d: a second open alarm for violation %s", i, v.id)
		}
		a := &active{v: v, beh: b, suppressed: sa.Suppressed, seq: sa.Seq, start: start, last: last, value: sa.Value.value()}
		if !insertNew(&n.actives, a) {
			return nil, snapshotError("active violation %d: repeated position", i)
		}
		v.active, n.byKey[v.key] = a, a
	}
	seen := make(map[uint64]bool, len(s.Events))
	for i, se := range s.Events {
		v, b, err := ref("event", i, se.Seq, se.V, se.B)
		if err != nil {
			return nil, err
		}
		t, ok := se.T.time()
		if !ok || !se.Type.Valid() || seen[se.Seq] {
			return nil, snapshotError("event %d: malformed time or type, or repeated sequence number", i)
		}
		if (se.Value == nil) != (se.Type == AlarmInvalidated) {
			return nil, snapshotError("event %d: a %s event must %shave a metric value", i, se.Type,
				map[bool]string{true: "not ", false: ""}[se.Type == AlarmInvalidated])
		}
		seen[se.Seq] = true
		r := record{t: t, seq: se.Seq, v: v, beh: b, typ: se.Type, suppressed: se.Suppressed}
		if se.Value != nil {
			mv := se.Value.value()
			r.value = &mv
		}
		v.events++
		n.events.insert(r)
	}
	for _, v := range vs {
		if v.events == 0 && v.active == nil {
			return nil, snapshotError("violation %s has neither events nor an open alarm", v.id)
		}
	}
	return n, nil
}

// insertNew inserts x unless an item is already at its position.
func insertNew[T positioned](o *ordered[T], x T) bool {
	ci, i := o.seek(x.position(), true)
	if ci < len(o.chunks) && o.chunks[ci][i].position() == x.position() {
		return false
	}
	o.insert(x)
	return true
}
