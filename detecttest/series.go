package detecttest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxSeriesLen bounds how many values one series may expand to, so that a
// short notation such as "0x999999999" is an error rather than an
// allocation of gigabytes.
const MaxSeriesLen = 100_000

// ErrSeries is matched (errors.Is) by every error of ParseSeries.
var ErrSeries = errors.New("bad series")

// SeriesError is a notation ParseSeries rejected: the term at fault, its
// byte offset in the notation, and why.
type SeriesError struct {
	Offset int    // byte offset of the term in the notation
	Term   string // the term as written
	Msg    string
}

// Error names the term, its offset and the problem.
func (e *SeriesError) Error() string {
	return fmt.Sprintf("series term %q at offset %d: %s", e.Term, e.Offset, e.Msg)
}

// Is makes errors.Is(err, ErrSeries) hold.
func (e *SeriesError) Is(target error) bool { return target == ErrSeries }

// Sample is one value of a series, one per evaluation period; Missing is
// a period with no value (written _), which is different from 0: a missing
// report is no datapoint, while 0 messages is a datapoint of 0.
type Sample struct {
	Value   float64
	Missing bool
}

// ParseSeries expands promtool's input_series notation: space-separated
// terms, each one of
//
//	v        the value v (an integer or decimal, possibly negative)
//	_        a missing value
//	a+bxn    a, a+b, a+2b, …, a+nb: n+1 values
//	a-bxn    a, a-b, …, a-nb
//	axn      a repeated n+1 times
//	_xn      n missing values
//
// so "0+10x3 _ 5" is 0, 10, 20, 30, missing, 5. An empty notation is an
// empty series. Errors match ErrSeries and name the term and its offset.
func ParseSeries(s string) ([]Sample, error) {
	var out []Sample
	i := 0
	for i < len(s) {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		var err error
		out, err = appendTerm(out, s[i:j])
		if err != nil {
			return nil, &SeriesError{Offset: i, Term: s[i:j], Msg: err.Error()}
		}
		i = j
	}
	return out, nil
}

// appendTerm appends the values of one term.
func appendTerm(out []Sample, term string) ([]Sample, error) {
	base, reps, hasX := strings.Cut(term, "x")
	n := 0
	if hasX {
		v, err := strconv.ParseUint(reps, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("repeat count %q is not a whole number", reps)
		}
		if v > MaxSeriesLen {
			return nil, fmt.Errorf("repeat count %d is more than %d", v, MaxSeriesLen)
		}
		n = int(v)
	}
	if base == "_" {
		count := 1
		if hasX {
			count = n
		}
		if len(out)+count > MaxSeriesLen {
			return nil, fmt.Errorf("series longer than %d values", MaxSeriesLen)
		}
		for range count {
			out = append(out, Sample{Missing: true})
		}
		return out, nil
	}
	start, step := base, "0"
	// The step's sign is the last + or - that is neither the leading sign
	// nor an exponent's.
	if k := strings.LastIndexAny(base, "+-"); k > 0 && base[k-1] != 'e' && base[k-1] != 'E' {
		if !hasX {
			return nil, errors.New("a step (a+b) needs a repeat count (a+bxn)")
		}
		start, step = base[:k], base[k:]
	}
	a, err := parseNumber(start)
	if err != nil {
		return nil, err
	}
	b, err := parseNumber(step)
	if err != nil {
		return nil, err
	}
	if len(out)+n+1 > MaxSeriesLen {
		return nil, fmt.Errorf("series longer than %d values", MaxSeriesLen)
	}
	for k := 0; k <= n; k++ {
		v := a + float64(k)*b
		if math.IsInf(v, 0) {
			return nil, errors.New("value out of range")
		}
		out = append(out, Sample{Value: v})
	}
	return out, nil
}

// parseNumber reads a finite decimal number; hexadecimal, Inf and NaN are
// not values a period can have.
func parseNumber(s string) (float64, error) {
	t := strings.TrimLeft(s, "+-")
	if t == "" || strings.ContainsAny(t, "xXpPiInN_") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}
