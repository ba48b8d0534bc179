package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// benchAgents are the agent reports the decode benchmarks run on: the
// Python agent in both key modes and the embedded-C report builder.
var benchAgents = []struct{ name, json, cbor string }{
	{"python-long", "agent-report-python-long.json", "agent-report-python-long.cbor"},
	{"python-short", "agent-report-python-short.json", "agent-report-python-short.cbor"},
	{"embeddedc", "agent-report-embeddedc-reportbuilder-short.json", ""},
}

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func BenchmarkDecodeJSON(b *testing.B) {
	for _, a := range benchAgents {
		in := readTestdata(b, a.json)
		b.Run("agent="+a.name, func(b *testing.B) { benchDecodeJSON(b, in) })
	}
}

// benchDecodeJSON decodes in into one reused Report per op.
func benchDecodeJSON(b *testing.B, in []byte) {
	var d Decoder
	var r Report
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := d.DecodeJSON(in, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// portsReport is the Python agent's long-key report with n listening TCP
// ports in its own entry format; bench/peers decodes the same reports.
func portsReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"header":{"report_id":1700000000,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"port":%d,"interface":"eth0"}`, 1024+i*7)
	}
	fmt.Fprintf(&b, `],"total":%d},"listening_udp_ports":{"ports":[{"port":999,"interface":"eth0"}],"total":1}},"custom_metrics":{"cpu_usage":[{"number":50.5}]}}`, n)
	return b.Bytes()
}

// BenchmarkDecodeJSONPorts decodes reports of n listening ports; a port
// costs (time at ports=256 − time at ports=0) / 256.
func BenchmarkDecodeJSONPorts(b *testing.B) {
	for _, n := range []int{0, 16, 256} {
		in := portsReport(n)
		b.Run(fmt.Sprintf("ports=%d", n), func(b *testing.B) { benchDecodeJSON(b, in) })
	}
}

func BenchmarkDecodeCBOR(b *testing.B) {
	for _, a := range benchAgents {
		if a.cbor == "" {
			continue // the embedded-C agents send JSON only
		}
		in := readTestdata(b, a.cbor)
		b.Run("agent="+a.name, func(b *testing.B) {
			var d Decoder
			var r Report
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := d.DecodeCBOR(in, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// baselineReport is the report as a reflection-based decoder sees it: both
// key spellings as separate fields, custom metrics as a map. It exists only
// to measure encoding/json and cbor.Unmarshal against the chosen decoders.
type baselineReport struct {
	Header  *baselineHeader            `json:"header" cbor:"header"`
	Hed     *baselineHeader            `json:"hed" cbor:"hed"`
	Metrics *baselineMetrics           `json:"metrics" cbor:"metrics"`
	Met     *baselineMetrics           `json:"met" cbor:"met"`
	Custom  map[string][]baselineValue `json:"custom_metrics" cbor:"custom_metrics"`
	Cmet    map[string][]baselineValue `json:"cmet" cbor:"cmet"`
}

type baselineHeader struct {
	ReportID int64  `json:"report_id" cbor:"report_id"`
	RID      int64  `json:"rid" cbor:"rid"`
	Version  string `json:"version" cbor:"version"`
	V        string `json:"v" cbor:"v"`
}

type baselinePorts struct {
	Ports []struct {
		Port      int64  `json:"port" cbor:"port"`
		Pt        int64  `json:"pt" cbor:"pt"`
		Interface string `json:"interface" cbor:"interface"`
		If        string `json:"if" cbor:"if"`
	} `json:"ports" cbor:"ports"`
	Pts   []struct{ Port, Pt int64 } `json:"pts" cbor:"pts"`
	Total *int64                     `json:"total" cbor:"total"`
	T     *int64                     `json:"t" cbor:"t"`
}

type baselineConn struct {
	RemoteAddr string `json:"remote_addr" cbor:"remote_addr"`
	Rad        string `json:"rad" cbor:"rad"`
	LocalPort  int64  `json:"local_port" cbor:"local_port"`
	Lp         int64  `json:"lp" cbor:"lp"`
	LocalIf    string `json:"local_interface" cbor:"local_interface"`
	Li         string `json:"li" cbor:"li"`
}

type baselineEstablished struct {
	Connections []baselineConn `json:"connections" cbor:"connections"`
	Cs          []baselineConn `json:"cs" cbor:"cs"`
	Total       *int64         `json:"total" cbor:"total"`
	T           *int64         `json:"t" cbor:"t"`
}

type baselineMetrics struct {
	TCP  *baselinePorts   `json:"listening_tcp_ports" cbor:"listening_tcp_ports"`
	Tp   *baselinePorts   `json:"tp" cbor:"tp"`
	UDP  *baselinePorts   `json:"listening_udp_ports" cbor:"listening_udp_ports"`
	Up   *baselinePorts   `json:"up" cbor:"up"`
	Net  map[string]int64 `json:"network_stats" cbor:"network_stats"`
	Ns   map[string]int64 `json:"ns" cbor:"ns"`
	Conn *struct {
		Established *baselineEstablished `json:"established_connections" cbor:"established_connections"`
		Ec          *baselineEstablished `json:"ec" cbor:"ec"`
	} `json:"tcp_connections" cbor:"tcp_connections"`
	Tc *struct {
		Established *baselineEstablished `json:"established_connections" cbor:"established_connections"`
		Ec          *baselineEstablished `json:"ec" cbor:"ec"`
	} `json:"tc" cbor:"tc"`
}

type baselineValue struct {
	Number     *float64  `json:"number" cbor:"number"`
	NumberList []float64 `json:"number_list" cbor:"number_list"`
	StringList []string  `json:"string_list" cbor:"string_list"`
	IPList     []string  `json:"ip_list" cbor:"ip_list"`
}

// BenchmarkBaseline measures reflection-based decoding into typed structs
// (no validation, no value rules, no address parsing): the floor those
// libraries would start from.
func BenchmarkBaseline(b *testing.B) {
	for _, a := range benchAgents {
		in := readTestdata(b, a.json)
		b.Run("codec=encoding-json/agent="+a.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				var r baselineReport
				if err := json.Unmarshal(in, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, a := range benchAgents {
		if a.cbor == "" {
			continue
		}
		in := readTestdata(b, a.cbor)
		b.Run("codec=cbor-unmarshal/agent="+a.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				var r baselineReport
				if err := cbor.Unmarshal(in, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
