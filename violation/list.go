package violation

import (
	"github.com/ruledetect/ruledetect/internal/echo"
	"iter"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/pagetoken"
)

// MaxResults bounds a listing's maxResults, as the service model does.
const MaxResults = 250

// DefaultMaxResults is the page size of a listing called without maxResults
// (0). The service documents no default; its maximum makes an unpaged call
// return as much as one page can.
const DefaultMaxResults = MaxResults

// Filter holds the filters ListActiveViolations and ListViolationEvents
// share. The zero value of each member means "no filter".
type Filter struct {
	ThingName            string       `json:"thingName,omitzero"`
	SecurityProfileName  string       `json:"securityProfileName,omitzero"`
	BehaviorCriteriaType CriteriaType `json:"behaviorCriteriaType,omitzero"`
	// ListSuppressedAlerts: nil lists all, true only suppressed violations,
	// false only the others. Suppression changes nothing else: suppressed
	// violations are evaluated and logged like any other.
	ListSuppressedAlerts *bool `json:"listSuppressedAlerts,omitzero"`
	// VerificationState UNKNOWN also matches violations whose state was
	// never put.
	VerificationState VerificationState `json:"verificationState,omitzero"`
}

// ListActiveViolationsInput is the model's ListActiveViolationsRequest.
//
// Active violations are listed by violationStartTime, then in the order they
// were raised.
type ListActiveViolationsInput struct {
	Filter
	NextToken string `json:"nextToken,omitzero"`
	// MaxResults is 1..MaxResults, or 0 for DefaultMaxResults.
	MaxResults int `json:"maxResults,omitzero"`
}

// ListActiveViolationsOutput is the model's ListActiveViolationsResponse.
// NextToken is empty on the last page.
type ListActiveViolationsOutput struct {
	ActiveViolations []ActiveViolation `json:"activeViolations"`
	NextToken        string            `json:"nextToken,omitzero"`
}

// ListViolationEventsInput is the model's ListViolationEventsRequest.
//
// StartTime and EndTime are required; the range is closed: events with
// StartTime <= violationEventTime <= EndTime are listed (so StartTime ==
// EndTime lists the events of one instant). Events are listed by
// violationEventTime, then in the order they were recorded.
type ListViolationEventsInput struct {
	StartTime behavior.Timestamp `json:"startTime"`
	EndTime   behavior.Timestamp `json:"endTime"`
	Filter
	NextToken string `json:"nextToken,omitzero"`
	// MaxResults is 1..MaxResults, or 0 for DefaultMaxResults.
	MaxResults int `json:"maxResults,omitzero"`
}

// ListViolationEventsOutput is the model's ListViolationEventsResponse.
// NextToken is empty on the last page.
type ListViolationEventsOutput struct {
	ViolationEvents []Event `json:"violationEvents"`
	NextToken       string  `json:"nextToken,omitzero"`
}

// ListActiveViolations returns one page of the active violations that match
// in's filters. Errors match ErrInvalidRequest (ErrInvalidToken for a bad
// nextToken) and name the member at fault.
func (l *Log) ListActiveViolations(in ListActiveViolationsInput) (ListActiveViolationsOutput, error) {
	const op = "ListActiveViolations"
	pg, err := newPager(op, in.Filter, in.NextToken, in.MaxResults)
	if err != nil {
		return ListActiveViolationsOutput{}, err
	}
	out := ListActiveViolationsOutput{ActiveViolations: []ActiveViolation{}}
	l.mu.RLock()
	ci, i := l.actives.seek(pg.from, pg.inclusive)
	var last pos
	l.actives.from(ci, i, func(a *active) bool {
		if !pg.f.matches(a.v, a.beh, a.suppressed) {
			return true
		}
		if len(out.ActiveViolations) == pg.max {
			pg.more = true
			return false
		}
		out.ActiveViolations = append(out.ActiveViolations, a.activeViolation())
		last = a.position()
		return true
	})
	l.mu.RUnlock()
	out.NextToken, err = pg.next(last)
	return out, err
}

// ListViolationEvents returns one page of the events that match in's
// filters and time range. Errors match ErrInvalidRequest (ErrInvalidToken
// for a bad nextToken) and name the member at fault.
func (l *Log) ListViolationEvents(in ListViolationEventsInput) (ListViolationEventsOutput, error) {
	const op = "ListViolationEvents"
	start, end, err := checkRange(op, in.StartTime, in.EndTime)
	if err != nil {
		return ListViolationEventsOutput{}, err
	}
	pg, err := newPager(op, in.Filter, in.NextToken, in.MaxResults, formatTime(start), formatTime(end))
	if err != nil {
		return ListViolationEventsOutput{}, err
	}
	if !pg.started || pg.from.less(pos{t: start}) {
		pg.from, pg.inclusive = pos{t: start}, true
	}
	out := ListViolationEventsOutput{ViolationEvents: []Event{}}
	l.mu.RLock()
	ci, i := l.events.seek(pg.from, pg.inclusive)
	var last pos
	l.events.from(ci, i, func(r record) bool {
		if r.t.After(end) {
			return false
		}
		if !pg.f.matches(r.v, r.beh, r.suppressed) {
			return true
		}
		if len(out.ViolationEvents) == pg.max {
			pg.more = true
			return false
		}
		out.ViolationEvents = append(out.ViolationEvents, r.event())
		last = r.position()
		return true
	})
	l.mu.RUnlock()
	out.NextToken, err = pg.next(last)
	return out, err
}

// Events returns every event that matches in, walking all pages from
// in.NextToken on with pages of in.MaxResults. An error (a bad input) is
// yielded once, with the zero Event, and ends the sequence.
func (l *Log) Events(in ListViolationEventsInput) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			out, err := l.ListViolationEvents(in)
			if err != nil {
				yield(Event{}, err)
				return
			}
			for _, e := range out.ViolationEvents {
				if !yield(e, nil) {
					return
				}
			}
			if out.NextToken == "" {
				return
			}
			in.NextToken = out.NextToken
		}
	}
}

// ActiveViolations returns every active violation that matches in, walking
// all pages as Events does.
func (l *Log) ActiveViolations(in ListActiveViolationsInput) iter.Seq2[ActiveViolation, error] {
	return func(yield func(ActiveViolation, error) bool) {
		for {
			out, err := l.ListActiveViolations(in)
			if err != nil {
				yield(ActiveViolation{}, err)
				return
			}
			for _, a := range out.ActiveViolations {
				if !yield(a, nil) {
					return
				}
			}
			if out.NextToken == "" {
				return
			}
			in.NextToken = out.NextToken
		}
	}
}

// pager is a validated listing request: its filter, page size, where the
// page starts and the scope its tokens are bound to.
type pager struct {
	op        string
	f         Filter
	max       int
	scope     pagetoken.Scope
	from      pos
	inclusive bool
	started   bool // from comes from a nextToken
	more      bool // set by the listing: another item matches after the page
}

func newPager(op string, f Filter, token string, maxResults int, extra ...string) (pager, error) {
	if err := f.check(op); err != nil {
		return pager{}, err
	}
	max, err := checkMaxResults(op, maxResults)
	if err != nil {
		return pager{}, err
	}
	pg := pager{op: op, f: f, max: max, inclusive: true}
	pg.scope = pagetoken.NewScope(op, append([]string{f.ThingName, f.SecurityProfileName,
		string(f.BehaviorCriteriaType), suppressedFilter(f.ListSuppressedAlerts),
		string(f.VerificationState)}, extra...)...)
	if token != "" {
		c, err := pagetoken.Decode(token, pg.scope)
		if err != nil {
			return pager{}, &Error{Op: op, Field: "nextToken", Message: err.Error(), Kind: ErrInvalidToken, Cause: err}
		}
		pg.from, pg.inclusive, pg.started = pos{c.Time, c.Seq}, false, true
	}
	return pg, nil
}

// next returns the token of the page after one that ended at last.
func (pg *pager) next(last pos) (string, error) {
	if !pg.more {
		return "", nil
	}
	tok, err := pagetoken.Encode(pg.scope, pagetoken.Cursor{Time: last.t, Seq: last.seq})
	if err != nil { // only for an over-long key, which is never set here
		return "", &Error{Op: pg.op, Field: "nextToken", Message: err.Error(), Kind: ErrInvalidRequest, Cause: err}
	}
	return tok, nil
}

func suppressedFilter(p *bool) string {
	if p == nil {
		return ""
	}
	return strconv.FormatBool(*p)
}

func formatTime(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + "." + strconv.Itoa(t.Nanosecond())
}

// matches reports whether a violation's item passes the filter.
func (f *Filter) matches(v *viol, b *behavior.Behavior, suppressed bool) bool {
	return (f.ThingName == "" || f.ThingName == v.key.Thing) &&
		(f.SecurityProfileName == "" || f.SecurityProfileName == v.key.Profile) &&
		(f.BehaviorCriteriaType == "" || f.BehaviorCriteriaType == CriteriaTypeOf(b)) &&
		(f.ListSuppressedAlerts == nil || *f.ListSuppressedAlerts == suppressed) &&
		(f.VerificationState == "" || f.VerificationState == v.state.Effective())
}

// check validates the filter members against the service model.
func (f *Filter) check(op string) error {
	if f.ThingName != "" && (utf8.RuneCountInString(f.ThingName) > 128 || !utf8.ValidString(f.ThingName)) {
		return constraintError(op, "thingName", echo.Single(f.ThingName), "be valid UTF-8 and have length less than or equal to 128")
	}
	if f.SecurityProfileName != "" && !behavior.ValidName(f.SecurityProfileName) {
		return constraintError(op, "securityProfileName", echo.Single(f.SecurityProfileName),
			"satisfy regular expression pattern: [a-zA-Z0-9:_-]+ and have length less than or equal to 128")
	}
	if f.BehaviorCriteriaType != "" && !f.BehaviorCriteriaType.Valid() {
		return constraintError(op, "behaviorCriteriaType", echo.Single(string(f.BehaviorCriteriaType)),
			"satisfy enum value set: [STATIC, STATISTICAL, MACHINE_LEARNING]")
	}
	if f.VerificationState != "" && !f.VerificationState.Valid() {
		return constraintError(op, "verificationState", echo.Single(string(f.VerificationState)),
			"satisfy enum value set: [FALSE_POSITIVE, BENIGN_POSITIVE, TRUE_POSITIVE, UNKNOWN]")
	}
	return nil
}

func checkMaxResults(op string, n int) (int, error) {
	switch {
	case n == 0:
		return DefaultMaxResults, nil
	case n < 1:
		return 0, constraintError(op, "maxResults", strconv.Itoa(n), "have value greater than or equal to 1")
	case n > MaxResults:
		return 0, constraintError(op, "maxResults", strconv.Itoa(n), "have value less than or equal to 250")
	}
	return n, nil
}

// checkRange validates ListViolationEvents' required time range.
func checkRange(op string, start, end behavior.Timestamp) (time.Time, time.Time, error) {
	switch {
	case start.IsZero():
		return time.Time{}, time.Time{}, constraintError(op, "startTime", "null", "not be null")
	case end.IsZero():
		return time.Time{}, time.Time{}, constraintError(op, "endTime", "null", "not be null")
	}
	s, e := normTime(start.Time), normTime(end.Time)
	if e.Before(s) {
		return time.Time{}, time.Time{}, &Error{Op: op, Field: "endTime", Kind: ErrInvalidRequest,
			Message: "endTime " + e.Format(time.RFC3339Nano) + " is before startTime " + s.Format(time.RFC3339Nano)}
	}
	return s, e, nil
}
