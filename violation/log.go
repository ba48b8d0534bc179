package violation

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
)

// DefaultRetention is how long the log keeps events when LogOptions does not
// say: 30 days of event time, the service's quota. Active violations are
// kept until cleared or invalidated, however old.
const DefaultRetention = 30 * 24 * time.Hour

// LogOptions configures a Log.
type LogOptions struct {
	// Retention is how long events are kept, in event time: Prune(now)
	// drops events older than now - Retention. Zero or negative means
	// DefaultRetention. Active violations are kept until they close.
	Retention time.Duration
}

// Log keeps the violations of one engine: the active violations (at most one
// per Key) and the events of the last Retention, lists them with the
// service's filters and paging, records verification states, forwards alerts
// and can be saved and restored (MarshalBinary, UnmarshalBinary).
//
// Paging: a nextToken is a keyset cursor (internal/pagetoken), the time and
// sequence number of the last item returned, bound to the listing and its
// exact filters. The next page starts strictly after it, so every item that
// exists for the whole listing is returned exactly once however many items
// are added or removed meanwhile; an item added behind the cursor is not
// seen by that listing. A page has a nextToken only when at least one more
// item matches. Tokens stay valid across MarshalBinary/UnmarshalBinary.
//
// A Log is safe for concurrent use. The transition methods (Raise, Violate,
// Clear, Invalidate) take its lock briefly; listings share it. Create one
// with NewLog; the zero value is an empty log with default options.
type Log struct {
	retention time.Duration

	mu      sync.RWMutex
	seq     uint64 // the last sequence number given to an event
	events  ordered[record]
	actives ordered[*active]
	byKey   map[Key]*active
	byID    map[string]*viol
	// behaviors interns the behavior copies events carry, by profile and
	// behavior name, so that a million events of one behavior share one copy.
	behaviors map[behaviorKey]*behavior.Behavior
}

type behaviorKey struct{ profile, name string }

// viol is one violation: what its events and its active violation (while it
// is open) share, so that a verification state put on it shows on all of them.
type viol struct {
	id     string
	key    Key
	state  VerificationState
	desc   *string // replaced, never written through: listed events share it
	events int     // how many of the log's events belong to it
	active *active // nil once closed
}

// active is an open violation.
type active struct {
	v          *viol
	beh        *behavior.Behavior
	suppressed bool
	seq        uint64 // of its in-alarm event
	start      time.Time
	last       time.Time
	value      behavior.MetricValue // reused in place by Violate
}

func (a *active) position() pos { return pos{a.start, a.seq} }

// record is one event as the log stores it. Everything it points to is
// immutable once stored, except v's verification state, which is read and
// written under the log's lock.
type record struct {
	t          time.Time
	seq        uint64
	v          *viol
	beh        *behavior.Behavior
	value      *behavior.MetricValue
	typ        EventType
	suppressed bool
}

func (r record) position() pos { return pos{r.t, r.seq} }

// NewLog returns an empty log.
func NewLog(opts LogOptions) *Log {
	l := &Log{retention: opts.Retention}
	l.init()
	return l
}

// init makes the zero Log usable; called with mu held for writing.
func (l *Log) init() {
	if l.byKey == nil {
		l.byKey = make(map[Key]*active)
		l.byID = make(map[string]*viol)
		l.behaviors = make(map[behaviorKey]*behavior.Behavior)
	}
}

// Retention returns the retention in effect.
func (l *Log) Retention() time.Duration {
	if l.retention <= 0 {
		return DefaultRetention
	}
	return l.retention
}

// Raise records that k went into alarm at t with the datapoint value: a new
// active violation (ID(k.Thing, k.Profile, k.Behavior, t); start and last
// violation time t, last value value) and its in-alarm event, which it
// returns. b is the behavior in effect; the log keeps its own deep copy. A
// suppressed violation is logged and listed like any other; its events carry
// Suppressed, and the engine sends none of them to its AlertSink.
//
// If k is already in alarm (the caller's Streak prevents that), Raise acts as
// Violate and returns the zero Event.
func (l *Log) Raise(k Key, b *behavior.Behavior, t time.Time, value behavior.MetricValue, suppressed bool) Event {
	t = normTime(t)
	l.mu.Lock()
	l.init()
	if a := l.byKey[k]; a != nil {
		a.last = t
		assignValue(&a.value, value)
		l.mu.Unlock()
		return Event{}
	}
	id := ID(k.Thing, k.Profile, k.Behavior, t)
	v := l.byID[id]
	if v == nil || v.key != k {
		// A re-raise within the same second reuses the closed violation
		// of the same ID (see ID); anything else is a new violation.
		v = &viol{id: id, key: k}
		l.byID[id] = v
	}
	beh := l.intern(k, b)
	l.seq++
	a := &active{v: v, beh: beh, suppressed: suppressed, seq: l.seq, start: t, last: t}
	assignValue(&a.value, value)
	v.active = a
	l.byKey[k] = a
	l.actives.insert(a)
	mv := cloneValue(value)
	return l.record(record{t: t, seq: l.seq, v: v, beh: beh, value: &mv, typ: InAlarm, suppressed: suppressed})
}

// Violate records another violating datapoint of k's open alarm: its value
// and time become the active violation's lastViolationValue and
// lastViolationTime. It records no event and does nothing when k is not in
// alarm. It allocates nothing once the value's shape has been seen.
func (l *Log) Violate(k Key, t time.Time, value behavior.MetricValue) {
	t = normTime(t)
	l.mu.Lock()
	if a := l.byKey[k]; a != nil {
		a.last = t
		assignValue(&a.value, value)
	}
	l.mu.Unlock()
}

// Clear records that k's alarm cleared at t with the datapoint value: an
// alarm-cleared event, which it returns, and the end of the active
// violation. It reports false, and records nothing, when k is not in alarm.
func (l *Log) Clear(k Key, t time.Time, value behavior.MetricValue) (Event, bool) {
	mv := cloneValue(value)
	return l.close(k, t, &mv, AlarmCleared)
}

// Invalidate records that k's alarm can no longer be evaluated (its thing
// went silent for the invalidation horizon, or its behavior stopped being
// monitored): an alarm-invalidated event without a metric value, which it returns,
// and the end of the active violation. It reports false, and records
// nothing, when k is not in alarm.
func (l *Log) Invalidate(k Key, t time.Time) (Event, bool) {
	return l.close(k, t, nil, AlarmInvalidated)
}

// close ends k's active violation with an event of type typ. The event
// carries the behavior and suppression the alarm was raised with.
func (l *Log) close(k Key, t time.Time, value *behavior.MetricValue, typ EventType) (Event, bool) {
	t = normTime(t)
	l.mu.Lock()
	a := l.byKey[k]
	if a == nil {
		l.mu.Unlock()
		return Event{}, false
	}
	delete(l.byKey, k)
	l.actives.remove(a.position())
	a.v.active = nil
	l.seq++
	return l.record(record{t: t, seq: l.seq, v: a.v, beh: a.beh, value: value, typ: typ, suppressed: a.suppressed}), true
}

// record stores r, releases the lock (held by the caller for writing) and
// returns r as an Event.
func (l *Log) record(r record) Event {
	r.v.events++
	l.events.insert(r)
	e := r.event()
	l.mu.Unlock()
	return e
}

// intern returns the log's copy of b, reusing the previous one of the same
// profile and behavior when b has not changed.
func (l *Log) intern(key Key, b *behavior.Behavior) *behavior.Behavior {
	if b == nil {
		b = &behavior.Behavior{Name: key.Behavior}
	}
	k := behaviorKey{key.Profile, b.Name}
	if c := l.behaviors[k]; c != nil && reflect.DeepEqual(c, b) {
		return c
	}
	c := cloneBehavior(b)
	l.behaviors[k] = c
	return c
}

// event returns r in the model's shape. The result shares r's immutable
// data (see Event).
func (r record) event() Event {
	return Event{
		ViolationID:                  r.v.id,
		ThingName:                    r.v.key.Thing,
		SecurityProfileName:          r.v.key.Profile,
		Behavior:                     *r.beh,
		MetricValue:                  r.value,
		ViolationEventType:           r.typ,
		VerificationState:            r.v.state,
		VerificationStateDescription: r.v.desc,
		ViolationEventTime:           behavior.At(r.t),
		Suppressed:                   r.suppressed,
	}
}

// activeViolation returns a in the model's shape, with its own copy of the
// last value (which Violate rewrites in place).
func (a *active) activeViolation() ActiveViolation {
	v := cloneValue(a.value)
	return ActiveViolation{
		ViolationID:                  a.v.id,
		ThingName:                    a.v.key.Thing,
		SecurityProfileName:          a.v.key.Profile,
		Behavior:                     *a.beh,
		LastViolationValue:           &v,
		VerificationState:            a.v.state,
		VerificationStateDescription: a.v.desc,
		LastViolationTime:            behavior.At(a.last),
		ViolationStartTime:           behavior.At(a.start),
		Suppressed:                   a.suppressed,
	}
}

// Active returns k's active violation, if k is in alarm.
func (l *Log) Active(k Key) (ActiveViolation, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if a := l.byKey[k]; a != nil {
		return a.activeViolation(), true
	}
	return ActiveViolation{}, false
}

// ActiveKeys returns the keys in alarm for which match reports true (all of
// them when match is nil), sorted by thing, profile and behavior so that a
// caller invalidating them emits its events in a reproducible order. match
// is called with the log's lock held and must not call the log.
func (l *Log) ActiveKeys(match func(Key) bool) []Key {
	l.mu.RLock()
	var keys []Key
	for k := range l.byKey {
		if match == nil || match(k) {
			keys = append(keys, k)
		}
	}
	l.mu.RUnlock()
	slices.SortFunc(keys, compareKeys)
	return keys
}

func compareKeys(a, b Key) int {
	if c := strings.Compare(a.Thing, b.Thing); c != 0 {
		return c
	}
	if c := strings.Compare(a.Profile, b.Profile); c != 0 {
		return c
	}
	return strings.Compare(a.Behavior, b.Behavior)
}

// NumActive returns the number of active violations.
func (l *Log) NumActive() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.actives.len()
}

// NumEvents returns the number of events the log holds.
func (l *Log) NumEvents() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.events.len()
}

// Prune drops the events older than now - Retention (event time; an event at
// exactly the cutoff is kept) and returns how many it dropped. Active
// violations stay until they close, even when their in-alarm event is gone.
// A violation whose events are all gone and that is closed is forgotten:
// PutVerificationState no longer finds it. Events are kept in time order, so
// a prune costs the number of events dropped, not the size of the log.
func (l *Log) Prune(now time.Time) int {
	cutoff := normTime(now).Add(-l.Retention())
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.events.dropBefore(cutoff, func(r record) {
		r.v.events--
		if r.v.events == 0 && r.v.active == nil && l.byID[r.v.id] == r.v {
			delete(l.byID, r.v.id)
		}
	})
}
