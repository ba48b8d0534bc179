package violation

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/pagetoken"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// filterFixture holds one violation of each kind the filters tell apart.
// Each is raised at its own minute; the closed ones also clear.
func filterFixture(t *testing.T) *Log {
	l := NewLog(LogOptions{})
	raise := func(min int, thing, profile string, b *behavior.Behavior, suppressed bool) string {
		return l.Raise(Key{thing, profile, b.Name}, b, at(min), count(int64(min)), suppressed).ViolationID
	}
	raise(0, "cam-1", "p1", staticBehavior("static"), false)
	raise(1, "cam-1", "p2", statisticalBehavior("stat"), false)
	raise(2, "cam-2", "p1", mlBehavior("ml"), true)
	fp := raise(3, "cam-2", "p2", staticBehavior("static"), false)
	require.NoError(t, l.PutVerificationState(fp, FalsePositive, ptr("noisy")))
	put := raise(4, "cam-3", "p1", staticBehavior("static"), false)
	require.NoError(t, l.PutVerificationState(put, Unknown, nil))
	// A closed violation: events only.
	raise(5, "cam-4", "p1", staticBehavior("static"), true)
	l.Clear(Key{"cam-4", "p1", "static"}, at(6), count(0))
	return l
}

func TestListFilters(t *testing.T) {
	l := filterFixture(t)
	tests := []struct {
		name       string
		f          Filter
		wantActive []string // thing/profile/behavior, in listing order
		wantEvents []string // thing/type
	}{
		{"none", Filter{},
			[]string{"cam-1/p1/static", "cam-1/p2/stat", "cam-2/p1/ml", "cam-2/p2/static", "cam-3/p1/static"},
			[]string{"cam-1/in-alarm", "cam-1/in-alarm", "cam-2/in-alarm", "cam-2/in-alarm", "cam-3/in-alarm", "cam-4/in-alarm", "cam-4/alarm-cleared"}},
		{"thing", Filter{ThingName: "cam-2"},
			[]string{"cam-2/p1/ml", "cam-2/p2/static"}, []string{"cam-2/in-alarm", "cam-2/in-alarm"}},
		{"unknown thing", Filter{ThingName: "cam-9"}, nil, nil},
		{"profile", Filter{SecurityProfileName: "p2"},
			[]string{"cam-1/p2/stat", "cam-2/p2/static"}, []string{"cam-1/in-alarm", "cam-2/in-alarm"}},
		{"thing and profile", Filter{ThingName: "cam-1", SecurityProfileName: "p1"},
			[]string{"cam-1/p1/static"}, []string{"cam-1/in-alarm"}},
		{"static", Filter{BehaviorCriteriaType: Static},
			[]string{"cam-1/p1/static", "cam-2/p2/static", "cam-3/p1/static"},
			[]string{"cam-1/in-alarm", "cam-2/in-alarm", "cam-3/in-alarm", "cam-4/in-alarm", "cam-4/alarm-cleared"}},
		{"statistical", Filter{BehaviorCriteriaType: Statistical}, []string{"cam-1/p2/stat"}, []string{"cam-1/in-alarm"}},
		{"machine learning", Filter{BehaviorCriteriaType: MachineLearning}, []string{"cam-2/p1/ml"}, []string{"cam-2/in-alarm"}},
		{"only suppressed", Filter{ListSuppressedAlerts: ptr(true)},
			[]string{"cam-2/p1/ml"}, []string{"cam-2/in-alarm", "cam-4/in-alarm", "cam-4/alarm-cleared"}},
		{"only not suppressed", Filter{ListSuppressedAlerts: ptr(false)},
			[]string{"cam-1/p1/static", "cam-1/p2/stat", "cam-2/p2/static", "cam-3/p1/static"},
			[]string{"cam-1/in-alarm", "cam-1/in-alarm", "cam-2/in-alarm", "cam-3/in-alarm"}},
		{"false positive", Filter{VerificationState: FalsePositive}, []string{"cam-2/p2/static"}, []string{"cam-2/in-alarm"}},
		{"unknown matches never set and put UNKNOWN", Filter{VerificationState: Unknown},
			[]string{"cam-1/p1/static", "cam-1/p2/stat", "cam-2/p1/ml", "cam-3/p1/static"},
			[]string{"cam-1/in-alarm", "cam-1/in-alarm", "cam-2/in-alarm", "cam-3/in-alarm", "cam-4/in-alarm", "cam-4/alarm-cleared"}},
		{"true positive", Filter{VerificationState: TruePositive}, nil, nil},
		{"all filters", Filter{ThingName: "cam-2", SecurityProfileName: "p2", BehaviorCriteriaType: Static,
			ListSuppressedAlerts: ptr(false), VerificationState: FalsePositive}, []string{"cam-2/p2/static"}, []string{"cam-2/in-alarm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var active []string
			for a, err := range l.ActiveViolations(ListActiveViolationsInput{Filter: tt.f}) {
				require.NoError(t, err)
				active = append(active, a.ThingName+"/"+a.SecurityProfileName+"/"+a.Behavior.Name)
			}
			assert.Equal(t, tt.wantActive, active)
			in := everything()
			in.Filter = tt.f
			var events []string
			for _, e := range allEvents(t, l, in) {
				events = append(events, e.ThingName+"/"+string(e.ViolationEventType))
			}
			assert.Equal(t, tt.wantEvents, events)
		})
	}
}

func TestListEventsTimeRange(t *testing.T) {
	l := filterFixture(t)
	tests := []struct {
		start, end int
		want       int
	}{
		{0, 6, 7},
		{1, 5, 5}, // closed at both ends
		{3, 3, 1}, // one instant
		{7, 100, 0},
		{-10, -1, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.start, "-", tt.end), func(t *testing.T) {
			out, err := l.ListViolationEvents(ListViolationEventsInput{StartTime: behavior.At(at(tt.start)), EndTime: behavior.At(at(tt.end))})
			require.NoError(t, err)
			assert.Len(t, out.ViolationEvents, tt.want)
			assert.NotNil(t, out.ViolationEvents, "an empty page is [] in JSON, as the service writes it")
			for _, e := range out.ViolationEvents {
				assert.False(t, e.ViolationEventTime.Before(at(tt.start)) || e.ViolationEventTime.After(at(tt.end)))
			}
		})
	}
	out, err := l.ListActiveViolations(ListActiveViolationsInput{Filter: Filter{ThingName: "none"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"activeViolations":[]}`, string(mustJSON(t, out)))
}

func TestListValidation(t *testing.T) {
	l := filterFixture(t)
	evIn := func(mod func(*ListViolationEventsInput)) ListViolationEventsInput {
		in := everything()
		mod(&in)
		return in
	}
	otherScope, err := pagetoken.Encode(pagetoken.NewScope("ListActiveViolations", "", "", "", "", ""), pagetoken.Cursor{Time: t0, Seq: 1})
	require.NoError(t, err)
	tests := []struct {
		name  string
		in    ListViolationEventsInput
		field string
		kind  error
	}{
		{"no start", evIn(func(in *ListViolationEventsInput) { in.StartTime = behavior.Timestamp{} }), "startTime", ErrInvalidRequest},
		{"no end", evIn(func(in *ListViolationEventsInput) { in.EndTime = behavior.Timestamp{} }), "endTime", ErrInvalidRequest},
		{"end before start", evIn(func(in *ListViolationEventsInput) { in.StartTime, in.EndTime = behavior.At(at(5)), behavior.At(at(4)) }), "endTime", ErrInvalidRequest},
		{"maxResults 251", evIn(func(in *ListViolationEventsInput) { in.MaxResults = 251 }), "maxResults", ErrInvalidRequest},
		{"maxResults -1", evIn(func(in *ListViolationEventsInput) { in.MaxResults = -1 }), "maxResults", ErrInvalidRequest},
		{"long thing", evIn(func(in *ListViolationEventsInput) { in.ThingName = strings.Repeat("é", 129) }), "thingName", ErrInvalidRequest},
		{"thing not UTF-8", evIn(func(in *ListViolationEventsInput) { in.ThingName = "\xff" }), "thingName", ErrInvalidRequest},
		{"bad profile", evIn(func(in *ListViolationEventsInput) { in.SecurityProfileName = "a b" }), "securityProfileName", ErrInvalidRequest},
		{"long profile", evIn(func(in *ListViolationEventsInput) { in.SecurityProfileName = strings.Repeat("a", 129) }), "securityProfileName", ErrInvalidRequest},
		{"COMPLEX_VALUE", evIn(func(in *ListViolationEventsInput) { in.BehaviorCriteriaType = "COMPLEX_VALUE" }), "behaviorCriteriaType", ErrInvalidRequest},
		{"bad state", evIn(func(in *ListViolationEventsInput) { in.VerificationState = "unknown" }), "verificationState", ErrInvalidRequest},
		{"garbage token", evIn(func(in *ListViolationEventsInput) { in.NextToken = "garbage" }), "nextToken", ErrInvalidToken},
		{"token of another listing", evIn(func(in *ListViolationEventsInput) { in.NextToken = otherScope }), "nextToken", ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.ListViolationEvents(tt.in)
			require.ErrorIs(t, err, tt.kind)
			require.ErrorIs(t, err, ErrInvalidRequest)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.field, e.Field)
			assert.Equal(t, "ListViolationEvents", e.Op)
			assert.Contains(t, err.Error(), tt.field)
			if tt.kind == ErrInvalidToken {
				assert.ErrorIs(t, err, pagetoken.ErrInvalidToken)
			}
		})
	}
	for _, n := range []int{0, 1, 250} {
		_, err := l.ListActiveViolations(ListActiveViolationsInput{MaxResults: n})
		assert.NoError(t, err, n)
	}
	_, err = l.ListActiveViolations(ListActiveViolationsInput{MaxResults: 1000})
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = l.ListActiveViolations(ListActiveViolationsInput{NextToken: otherScope, Filter: Filter{ThingName: "x"}})
	assert.ErrorIs(t, err, ErrInvalidToken, "a token is bound to its filters")
}

// A token names its listing and filters: the next page of one query cannot
// be read with another, nor with another time range.
func TestTokenBoundToQuery(t *testing.T) {
	l := filterFixture(t)
	in := everything()
	in.MaxResults = 1
	out, err := l.ListViolationEvents(in)
	require.NoError(t, err)
	require.NotEmpty(t, out.NextToken)
	in.NextToken = out.NextToken
	_, err = l.ListViolationEvents(in)
	require.NoError(t, err)
	other := in
	other.EndTime = behavior.At(at(100))
	_, err = l.ListViolationEvents(other)
	assert.ErrorIs(t, err, ErrInvalidToken)
	other = in
	other.ThingName = "cam-1"
	_, err = l.ListViolationEvents(other)
	assert.ErrorIs(t, err, ErrInvalidToken)
	_, err = l.ListActiveViolations(ListActiveViolationsInput{NextToken: out.NextToken})
	assert.ErrorIs(t, err, ErrInvalidToken)
}

// The last page has no token, and a page that ends exactly at the last item
// does not offer an empty next page.
func TestNextTokenOnlyWhenMore(t *testing.T) {
	l := NewLog(LogOptions{})
	for i := range 6 {
		l.Raise(Key{fmt.Sprint("t", i), "p", "b"}, staticBehavior("b"), at(i), count(1), false)
	}
	in := ListActiveViolationsInput{MaxResults: 3}
	p1, err := l.ListActiveViolations(in)
	require.NoError(t, err)
	require.Len(t, p1.ActiveViolations, 3)
	require.NotEmpty(t, p1.NextToken)
	in.NextToken = p1.NextToken
	p2, err := l.ListActiveViolations(in)
	require.NoError(t, err)
	require.Len(t, p2.ActiveViolations, 3)
	assert.Empty(t, p2.NextToken)
	assert.Equal(t, "t3", p2.ActiveViolations[0].ThingName)
}

// Listing 1,000 events and 1,000 active violations seven at a time while
// new ones keep arriving returns every item that existed at the start
// exactly once, in order.
func TestPagingStableUnderInserts(t *testing.T) {
	l := NewLog(LogOptions{})
	const n = 1000
	for i := range n {
		// Times out of order, many sharing a second, to exercise late
		// inserts and the sequence tie-break.
		l.Raise(Key{fmt.Sprint("thing-", i), "p", "b"}, staticBehavior("b"), at((i*7919)%97), count(int64(i)), false)
	}
	added := 0
	addMore := func() {
		for range 5 {
			// Before, inside and after the part already listed.
			l.Raise(Key{fmt.Sprint("late-", added), "p", "b"}, staticBehavior("b"), at(added%200-50), count(1), false)
			added++
		}
	}

	seen := map[string]int{}
	in := everything()
	in.MaxResults = 7
	pages := 0
	for {
		out, err := l.ListViolationEvents(in)
		require.NoError(t, err)
		require.LessOrEqual(t, len(out.ViolationEvents), 7)
		for i, e := range out.ViolationEvents {
			seen[e.ThingName]++
			if i > 0 {
				require.False(t, e.ViolationEventTime.Before(out.ViolationEvents[i-1].ViolationEventTime.Time), "in time order")
			}
		}
		pages++
		addMore()
		if out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	for i := range n {
		require.Equal(t, 1, seen[fmt.Sprint("thing-", i)], "thing-%d", i)
	}
	for k, c := range seen {
		require.Equal(t, 1, c, k)
	}
	assert.GreaterOrEqual(t, pages, n/7)

	// Active violations, with some cleared while listing.
	seenActive := map[string]int{}
	ain := ListActiveViolationsInput{MaxResults: 7}
	cleared := 0
	for {
		out, err := l.ListActiveViolations(ain)
		require.NoError(t, err)
		for _, a := range out.ActiveViolations {
			seenActive[a.ThingName]++
		}
		addMore()
		// Clear one not yet listed (if it is still there, it will not be).
		if _, ok := l.Clear(Key{fmt.Sprint("thing-", 999-cleared), "p", "b"}, at(300), count(0)); ok {
			cleared++
		}
		if out.NextToken == "" {
			break
		}
		ain.NextToken = out.NextToken
	}
	for i := range n {
		c := seenActive[fmt.Sprint("thing-", i)]
		require.LessOrEqual(t, c, 1, "thing-%d", i)
	}
	for k, c := range seenActive {
		require.Equal(t, 1, c, k)
	}
}

// Eight goroutines raise and clear while two list with paging; run with
// -race. Each lister checks the order and uniqueness of what it sees.
func TestConcurrentRaiseAndList(t *testing.T) {
	l := NewLog(LogOptions{})
	var stop atomic.Bool
	var writers, readers sync.WaitGroup
	for g := range 8 {
		writers.Go(func() {
			for i := range 300 {
				k := Key{fmt.Sprint("w", g, "-", i%10), "p", "b"}
				if i%3 == 2 {
					l.Clear(k, at(i), count(0))
				} else {
					l.Raise(k, staticBehavior("b"), at(i), count(int64(i)), i%5 == 0)
					l.Violate(k, at(i), count(int64(i+1)))
				}
				if i%50 == 0 {
					_ = l.PutVerificationState(ID(k.Thing, k.Profile, k.Behavior, at(i)), TruePositive, ptr("checked"))
				}
			}
		})
	}
	for range 2 {
		readers.Go(func() {
			for !stop.Load() {
				in := everything()
				in.MaxResults = 7
				seq := map[string]bool{}
				var last time.Time
				for e, err := range l.Events(in) {
					require.NoError(t, err)
					id := e.ViolationID + string(e.ViolationEventType) + e.ViolationEventTime.String()
					require.False(t, seq[id], "listed twice")
					seq[id] = true
					require.False(t, e.ViolationEventTime.Before(last))
					last = e.ViolationEventTime.Time
				}
				for a, err := range l.ActiveViolations(ListActiveViolationsInput{MaxResults: 7}) {
					require.NoError(t, err)
					require.NotNil(t, a.LastViolationValue)
				}
			}
		})
	}
	writers.Wait()
	stop.Store(true)
	readers.Wait()
	assert.Equal(t, l.NumActive(), len(l.ActiveKeys(nil)))
}

func TestIteratorStopsEarlyAndReportsErrors(t *testing.T) {
	l := filterFixture(t)
	n := 0
	for range l.Events(everything()) {
		n++
		if n == 2 {
			break
		}
	}
	assert.Equal(t, 2, n)
	var errs []error
	for _, err := range l.Events(ListViolationEventsInput{}) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrInvalidRequest)
	errs = nil
	for _, err := range l.ActiveViolations(ListActiveViolationsInput{MaxResults: -5}) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrInvalidRequest)
}

func FuzzListViolationEvents(f *testing.F) {
	l := NewLog(LogOptions{})
	for i := range 20 {
		l.Raise(Key{fmt.Sprint("cam-", i%3), "p", "b"}, staticBehavior("b"), at(i), count(1), i%2 == 0)
	}
	tok, _ := l.ListViolationEvents(ListViolationEventsInput{StartTime: behavior.At(at(0)), EndTime: behavior.At(at(30)), MaxResults: 2})
	f.Add(int64(0), int64(30), "", "", "", "", "", tok.NextToken, 2)
	f.Add(int64(0), int64(30), "cam-1", "p", "STATIC", "true", "UNKNOWN", "", 0)
	f.Add(int64(1559747125), int64(1560351925), "iotconsole-1560269126751-1", "Testprofile", "MACHINE_LEARNING", "false", "FALSE_POSITIVE", "Amo6XIUrsOohsojuIG6TuwSR3X9iUvH2OCksBZg6bed2j21VSnD1uP1pflxKX1", 250)
	f.Fuzz(func(t *testing.T, start, end int64, thing, profile, crit, supp, state, token string, max int) {
		in := ListViolationEventsInput{StartTime: behavior.At(at(0).Add(time.Duration(start) * time.Minute)),
			EndTime: behavior.At(at(0).Add(time.Duration(end) * time.Minute)),
			Filter: Filter{ThingName: thing, SecurityProfileName: profile, BehaviorCriteriaType: CriteriaType(crit),
				VerificationState: VerificationState(state)},
			NextToken: token, MaxResults: max}
		if supp != "" {
			in.ListSuppressedAlerts = ptr(supp == "true")
		}
		before := l.NumEvents()
		out, err := l.ListViolationEvents(in)
		require.Equal(t, before, l.NumEvents())
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidRequest)
			require.Empty(t, out.ViolationEvents)
			return
		}
		pageSize := in.MaxResults
		if pageSize == 0 {
			pageSize = DefaultMaxResults
		}
		require.LessOrEqual(t, len(out.ViolationEvents), pageSize)
		for _, e := range out.ViolationEvents {
			require.True(t, thing == "" || e.ThingName == thing)
			require.False(t, e.ViolationEventTime.Before(in.StartTime.Time) || e.ViolationEventTime.After(in.EndTime.Time))
		}
	})
}
