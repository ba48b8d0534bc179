package behavior

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"math"
	"strconv"
	"time"
)

// Timestamp is a point in time as the service's JSON carries it: epoch seconds
// with a fractional part (1560278102.528). It also decodes RFC 3339 strings,
// which the AWS CLI prints for some operations.
type Timestamp struct{ time.Time }

// At returns t as a Timestamp.
func At(t time.Time) Timestamp { return Timestamp{t} }

// MarshalJSON writes epoch seconds with millisecond precision, trailing zeros
// trimmed but at least one decimal, as the service does (1560279000.0).
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	s := strconv.FormatInt(ms/1000, 10)
	frac := ms % 1000
	if ms < 0 && frac != 0 {
		s = strconv.FormatInt(ms/1000-1, 10)
		frac += 1000
	}
	f := strconv.FormatInt(1000+frac, 10)[1:]
	f = string(bytes.TrimRight([]byte(f), "0"))
	if f == "" {
		f = "0"
	}
	return []byte(s + "." + f), nil
}

// UnmarshalJSON reads epoch seconds (integer or fractional) or an RFC 3339 string.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		p, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("timestamp %s is neither epoch seconds nor RFC 3339", echo.Quote(s))
		}
		t.Time = p
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e13 {
		return fmt.Errorf("timestamp %s is not epoch seconds", b)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
	return nil
}
