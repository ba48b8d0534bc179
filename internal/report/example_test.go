package report_test

import (
	"errors"
	"fmt"

	"github.com/ruledetect/ruledetect/internal/report"
)

func ExampleDecoder_DecodeJSON() {
	// What the Python agent sends in short-key mode: long keys inside the
	// port entries, the IPv6 peer in brackets, local_port beyond 65535.
	in := []byte(`{"hed":{"rid":1700000000,"v":"1.0"},"met":{"tp":{"pts":[{"port":80},{"port":8000},{"port":8000}],"t":60},` +
		`"tc":{"ec":{"cs":[{"rad":"[2001:db8::7]:443","lp":88888}],"t":1}}},"cmet":{"cpu_usage":[{"number":50.5}]}}`)

	var d report.Decoder // reuse it: a warm Decoder does not allocate
	var r report.Report
	if err := d.DecodeJSON(in, &r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.ReportID, r.ListeningTCP.Ports, r.ListeningTCP.Total)
	fmt.Println(r.Established.RemoteAddrs, r.NetworkStats.Present)
	fmt.Println(r.Custom[0].Name, r.Custom[0].Kind, r.Custom[0].Number)
	// Output:
	// 1700000000 [80 8000 8000] 60
	// [2001:db8::7] false
	// cpu_usage number 50.5
}

func ExampleDecoder_DecodeJSON_rejected() {
	// The developer guide's example of a report the service rejects.
	in := []byte(`{"header":{"report_id":12334567,"version":"1.0"},"custom_metrics":{"my_custom_metric":{"number":0}}}`)
	var d report.Decoder
	var r report.Report
	err := d.DecodeJSON(in, &r)
	fmt.Println(errors.Is(err, report.ErrMalformed))
	fmt.Println(err)
	// Output:
	// true
	// Malformed metrics report: custom_metrics.my_custom_metric: want an array, got an object
}

func ExampleDecoder_DecodeJSON_dropped() {
	// A value that breaks the value rules is dropped, not rejected.
	in := []byte(`{"hed":{"rid":1,"v":"1.0"},"cmet":{"names":[{"string_list":["eth 0"]}],"uptime":[{"number":42}]}}`)
	var d report.Decoder
	var r report.Report
	if err := d.DecodeJSON(in, &r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(r.Custom), r.Custom[0].Name)
	fmt.Printf("%s: %s\n", r.Dropped[0].Path, r.Dropped[0].Reason)
	// Output:
	// 1 uptime
	// cmet.names[0].string_list[0]: character ' ' outside A-Z a-z 0-9 : _ - / .
}

func ExampleDecoder_DecodeCBOR() {
	// {"hed": {"rid": 1, "v": "1.0"}, "met": {"up": {"pts": [{"pt": 53}], "t": 1}}}
	in := []byte{0xa2, 0x63, 'h', 'e', 'd', 0xa2, 0x63, 'r', 'i', 'd', 0x01, 0x61, 'v', 0x63, '1', '.', '0',
		0x63, 'm', 'e', 't', 0xa1, 0x62, 'u', 'p', 0xa2, 0x63, 'p', 't', 's', 0x81, 0xa1, 0x62, 'p', 't', 0x18, 53,
		0x61, 't', 0x01}
	var d report.Decoder
	var r report.Report
	if err := d.DecodeCBOR(in, &r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.ListeningUDP.Ports, r.ListeningUDP.Total)
	// Output:
	// [53] 1
}

func ExampleCounterState_Delta() {
	// The embedded-C demo sends /proc/net/dev totals, not deltas.
	var c report.CounterState
	for _, bytesIn := range []int64{1932335905, 1932340905, 7000} {
		d, ok := c.Delta(report.NetworkStats{Present: true, BytesIn: bytesIn})
		fmt.Println(d.BytesIn, ok)
	}
	// Output:
	// 0 false
	// 5000 true
	// 7000 true
}
