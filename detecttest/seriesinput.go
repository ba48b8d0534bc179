package detecttest

import (
	"fmt"
	"github.com/go-json-experiment/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// DefaultMessageBytes is the size of each message of a message series
// whose key gives none.
const DefaultMessageBytes = 100

// MaxSeriesEvents bounds the events of one series in all.
const MaxSeriesEvents = 1_000_000

// MaxSeriesCount bounds one period's count in a series of events, so that
// "1e9" is an error rather than a billion inputs.
const MaxSeriesCount = 100_000

// SeriesInputs expands one series into inputs. The key names the thing,
// what is counted and its details:
//
//	THING message-sent TOPIC [BYTES]     value = messages sent in the period
//	THING message-received TOPIC [BYTES] value = messages received
//	THING authorization-failure TOPIC    value = authorization failures
//	THING connect [SOURCE_IP]            value = connection attempts
//	THING disconnect                     value = disconnections
//	THING report METRIC                  value = custom metric METRIC (a number)
//	                                     in one report in the middle of the period
//
// and the notation (ParseSeries) gives one value per evaluation period,
// the first for the period starting at from. The n events of a period are
// spread evenly inside it, never on its boundaries, so each falls in the
// window the series says. A missing value (_) is a period without input.
// It also returns the number of periods the series spans.
func SeriesInputs(key, notation string, from time.Time, period time.Duration) ([]Input, int, error) {
	tmpl, metric, samples, err := checkSeries(key, notation)
	if err != nil {
		return nil, 0, err
	}
	var out []Input
	for i, smp := range samples {
		if smp.Missing {
			continue
		}
		start := from.Add(time.Duration(i) * period)
		if tmpl.Kind == KindReport {
			in := tmpl
			in.Time = start.Add(period / 2)
			name, err := json.Marshal(metric)
			if err != nil {
				return nil, 0, fmt.Errorf("series %q: metric name: %w", key, err)
			}
			in.Report = fmt.Appendf(nil, `{"header":{"report_id":%d,"version":"1.0"},"custom_metrics":{%s:[{"number":%s}]}}`,
				in.Time.Unix(), name, strconv.FormatFloat(smp.Value, 'g', -1, 64))
			out = append(out, in)
			continue
		}
		n := int(smp.Value)
		step := period / time.Duration(n+1)
		for j := range n {
			in := tmpl
			in.Time = start.Add(time.Duration(j+1) * step)
			out = append(out, in)
		}
	}
	return out, len(samples), nil
}

// CheckSeries reports the error SeriesInputs would return for key and
// notation, without making the inputs.
func CheckSeries(key, notation string) error {
	_, _, _, err := checkSeries(key, notation)
	return err
}

// checkSeries parses a series: the input each event copies, the custom
// metric of a report series, and the values.
func checkSeries(key, notation string) (tmpl Input, metric string, samples []Sample, err error) {
	fail := func(format string, a ...any) (Input, string, []Sample, error) {
		return Input{}, "", nil, fmt.Errorf("series %q: %s", key, fmt.Sprintf(format, a...))
	}
	f := strings.Fields(key)
	if len(f) < 2 {
		return fail("want THING KIND [ARGS]")
	}
	tmpl = Input{Thing: f[0], Kind: f[1]}
	args := f[2:]
	switch tmpl.Kind {
	case KindMessageSent, KindMessageReceived:
		if len(args) < 1 || len(args) > 2 {
			return fail("want THING %s TOPIC [BYTES]", tmpl.Kind)
		}
		tmpl.Topic, tmpl.Bytes = args[0], DefaultMessageBytes
		if len(args) == 2 {
			b, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || b < 0 {
				return fail("bytes %q is not a size", args[1])
			}
			tmpl.Bytes = b
		}
	case KindAuthorizationFailure:
		if len(args) != 1 {
			return fail("want THING authorization-failure TOPIC")
		}
		tmpl.Topic = args[0]
	case KindConnect:
		if len(args) > 1 {
			return fail("want THING connect [SOURCE_IP]")
		}
		if len(args) == 1 {
			ip, err := netip.ParseAddr(args[0])
			if err != nil {
				return fail("source IP: %v", err)
			}
			tmpl.SourceIP = ip
		}
	case KindDisconnect:
		if len(args) != 0 {
			return fail("want THING disconnect")
		}
	case KindReport:
		if len(args) != 1 {
			return fail("want THING report METRIC")
		}
	default:
		return fail("kind %q: want message-sent, message-received, authorization-failure, connect, disconnect or report", tmpl.Kind)
	}
	if tmpl.Kind == KindReport {
		metric = args[0]
	}
	samples, err = ParseSeries(notation)
	if err != nil {
		return fail("%v", err)
	}
	total := 0
	for i, smp := range samples {
		if smp.Missing || tmpl.Kind == KindReport {
			continue
		}
		if smp.Value < 0 || smp.Value != math.Trunc(smp.Value) || smp.Value > MaxSeriesCount {
			return fail("period %d: %v is not a count of events from 0 to %d", i+1, smp.Value, MaxSeriesCount)
		}
		if total += int(smp.Value); total > MaxSeriesEvents {
			return fail("more than %d events in all", MaxSeriesEvents)
		}
	}
	return tmpl, metric, samples, nil
}
