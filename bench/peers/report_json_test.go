package peers

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/buger/jsonparser"
	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/internal/report"
)

// Decoding a device metrics report, side by side with the fast Go JSON
// libraries: goccy/go-json and bytedance/sonic into a struct that mirrors the
// report's schema (both key spellings as fields, as a struct decoder needs
// them), and buger/jsonparser walking the same fields by callback.
//
// The peers do less than ruledetect: no key is checked for duplicates or
// misspellings, no value rule is applied, remote_addr and ip_list stay
// strings, and a malformed report is rejected with no path. Each peer decodes
// into a destination kept across iterations (slices reused, as ruledetect's
// Report is), which is the peers' fastest use.

// The reports: the agents' own (the report package's test data, provenance in
// its testdata/SOURCES.md), the same the report package's and bench/'s
// benchmarks decode.
var reportAgents = []struct{ name, file string }{
	{"python-long", "agent-report-python-long.json"},
	{"python-short", "agent-report-python-short.json"},
	{"embeddedc-short", "agent-report-embeddedc-reportbuilder-short.json"},
}

func readAgentReport(tb testing.TB, file string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "report", "testdata", file))
	require.NoError(tb, err)
	return b
}

// portsReport is the Python agent's long-key report with n listening TCP
// ports in its own entry format ({"port":P,"interface":"eth0"}): the reports
// of the port-cost benchmark, whose time grows with n by the cost per port.
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

// portCounts are the port-cost benchmark's report sizes.
var portCounts = []int{0, 16, 256}

// structReport mirrors the report schema for the struct decoders.
type structReport struct {
	Header  *structHeader            `json:"header"`
	Hed     *structHeader            `json:"hed"`
	Metrics *structMetrics           `json:"metrics"`
	Met     *structMetrics           `json:"met"`
	Custom  map[string][]structValue `json:"custom_metrics"`
	Cmet    map[string][]structValue `json:"cmet"`
}

type structHeader struct {
	ReportID int64  `json:"report_id"`
	RID      int64  `json:"rid"`
	Version  string `json:"version"`
	V        string `json:"v"`
}

type structPort struct {
	Port      int64  `json:"port"`
	Pt        int64  `json:"pt"`
	Interface string `json:"interface"`
	If        string `json:"if"`
}

type structPorts struct {
	Ports []structPort `json:"ports"`
	Pts   []structPort `json:"pts"`
	Total *int64       `json:"total"`
	T     *int64       `json:"t"`
}

type structConn struct {
	RemoteAddr     string `json:"remote_addr"`
	Rad            string `json:"rad"`
	LocalPort      int64  `json:"local_port"`
	Lp             int64  `json:"lp"`
	LocalInterface string `json:"local_interface"`
	Li             string `json:"li"`
}

type structEstablished struct {
	Connections []structConn `json:"connections"`
	Cs          []structConn `json:"cs"`
	Total       *int64       `json:"total"`
	T           *int64       `json:"t"`
}

type structTCPConns struct {
	Established *structEstablished `json:"established_connections"`
	Ec          *structEstablished `json:"ec"`
}

type structNetStats struct {
	BytesIn    int64 `json:"bytes_in"`
	Bi         int64 `json:"bi"`
	BytesOut   int64 `json:"bytes_out"`
	Bo         int64 `json:"bo"`
	PacketsIn  int64 `json:"packets_in"`
	Pi         int64 `json:"pi"`
	PacketsOut int64 `json:"packets_out"`
	Po         int64 `json:"po"`
}

type structMetrics struct {
	TCP  *structPorts    `json:"listening_tcp_ports"`
	Tp   *structPorts    `json:"tp"`
	UDP  *structPorts    `json:"listening_udp_ports"`
	Up   *structPorts    `json:"up"`
	Net  *structNetStats `json:"network_stats"`
	Ns   *structNetStats `json:"ns"`
	Conn *structTCPConns `json:"tcp_connections"`
	Tc   *structTCPConns `json:"tc"`
}

type structValue struct {
	Number     *float64  `json:"number"`
	NumberList []float64 `json:"number_list"`
	StringList []string  `json:"string_list"`
	IPList     []string  `json:"ip_list"`
}

// summary is what every implementation's result is reduced to for the
// agreement test: the values the engine uses.
type summary struct {
	ReportID           int64
	Version            string
	TCP, UDP           []uint16
	TCPTotal, UDPTotal int64
	Remote             []netip.Addr
	ConnTotal          int64
	Net                [4]int64
	Custom             []summaryValue
}

type summaryValue struct {
	Name    string
	Numbers []float64
	Strings []string
}

func or[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

func orPtr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

func remoteIP(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr()
	}
	return netip.MustParseAddr(s)
}

func (r *structReport) summary() summary {
	var s summary
	h := orPtr(r.Header, r.Hed)
	s.ReportID, s.Version = or(h.ReportID, h.RID), or(h.Version, h.V)
	ports := func(p *structPorts) (out []uint16, total int64) {
		if p == nil {
			return nil, 0
		}
		for _, e := range append(p.Ports, p.Pts...) {
			out = append(out, uint16(or(e.Port, e.Pt)))
		}
		if t := orPtr(p.Total, p.T); t != nil {
			return out, *t
		}
		return out, int64(len(out))
	}
	if m := orPtr(r.Metrics, r.Met); m != nil {
		s.TCP, s.TCPTotal = ports(orPtr(m.TCP, m.Tp))
		s.UDP, s.UDPTotal = ports(orPtr(m.UDP, m.Up))
		if n := orPtr(m.Net, m.Ns); n != nil {
			s.Net = [4]int64{or(n.BytesIn, n.Bi), or(n.BytesOut, n.Bo), or(n.PacketsIn, n.Pi), or(n.PacketsOut, n.Po)}
		}
		if c := orPtr(m.Conn, m.Tc); c != nil {
			if e := orPtr(c.Established, c.Ec); e != nil {
				for _, cn := range append(e.Connections, e.Cs...) {
					s.Remote = append(s.Remote, remoteIP(or(cn.RemoteAddr, cn.Rad)))
				}
				s.ConnTotal = int64(len(s.Remote))
				if t := orPtr(e.Total, e.T); t != nil {
					s.ConnTotal = *t
				}
			}
		}
	}
	for name, vs := range r.Custom {
		s.Custom = append(s.Custom, structSummaryValue(name, vs[0]))
	}
	for name, vs := range r.Cmet {
		s.Custom = append(s.Custom, structSummaryValue(name, vs[0]))
	}
	return s
}

func structSummaryValue(name string, v structValue) summaryValue {
	sv := summaryValue{Name: name, Numbers: v.NumberList, Strings: append(v.StringList, v.IPList...)}
	if v.Number != nil {
		sv.Numbers = []float64{*v.Number}
	}
	return sv
}

func ruledetectSummary(r *report.Report) summary {
	s := summary{
		ReportID: r.ReportID, Version: r.Version,
		TCP: r.ListeningTCP.Ports, TCPTotal: r.ListeningTCP.Total,
		UDP: r.ListeningUDP.Ports, UDPTotal: r.ListeningUDP.Total,
		Remote: r.Established.RemoteAddrs, ConnTotal: r.Established.Total,
		Net: [4]int64{r.NetworkStats.BytesIn, r.NetworkStats.BytesOut, r.NetworkStats.PacketsIn, r.NetworkStats.PacketsOut},
	}
	for _, c := range r.Custom {
		sv := summaryValue{Name: c.Name, Numbers: c.Numbers, Strings: c.Strings}
		switch c.Kind {
		case report.Number:
			sv.Numbers = []float64{c.Number}
		case report.IPList:
			for _, a := range c.IPs {
				sv.Strings = append(sv.Strings, a.String())
			}
		}
		s.Custom = append(s.Custom, sv)
	}
	return s
}

// parsedReport is what the jsonparser walk fills: the same fields, with
// strings left as slices of the input (jsonparser hands out no copies).
type parsedReport struct {
	ReportID           int64
	Version            []byte
	TCP, UDP           []uint16
	TCPTotal, UDPTotal int64
	Remote             [][]byte
	ConnTotal          int64
	Net                [4]int64
	Custom             []parsedValue
	ncustom            int
}

type parsedValue struct {
	Name    []byte
	Numbers []float64
	Strings [][]byte
}

func (p *parsedReport) reset() {
	custom := p.Custom
	*p = parsedReport{TCP: p.TCP[:0], UDP: p.UDP[:0], Remote: p.Remote[:0], Custom: custom}
}

// jsonparserDecode walks a report with jsonparser's callbacks, long and
// short keys alike, as a hand-written decoder on top of it would.
func jsonparserDecode(data []byte, p *parsedReport) error {
	p.reset()
	err := jsonparser.ObjectEach(data, func(key, value []byte, _ jsonparser.ValueType, _ int) error {
		switch string(key) {
		case "header", "hed":
			return jsonparser.ObjectEach(value, func(key, value []byte, _ jsonparser.ValueType, _ int) error {
				var err error
				switch string(key) {
				case "report_id", "rid":
					p.ReportID, err = jsonparser.ParseInt(value)
				case "version", "v":
					p.Version = value
				}
				return err
			})
		case "metrics", "met":
			return jsonparser.ObjectEach(value, p.metric)
		case "custom_metrics", "cmet":
			return jsonparser.ObjectEach(value, p.custom)
		}
		return nil
	})
	p.Custom = p.Custom[:p.ncustom]
	return err
}

func (p *parsedReport) metric(key, value []byte, _ jsonparser.ValueType, _ int) error {
	switch string(key) {
	case "listening_tcp_ports", "tp":
		return jsonparserPorts(value, &p.TCP, &p.TCPTotal)
	case "listening_udp_ports", "up":
		return jsonparserPorts(value, &p.UDP, &p.UDPTotal)
	case "network_stats", "ns":
		return jsonparser.ObjectEach(value, func(key, value []byte, _ jsonparser.ValueType, _ int) error {
			i := -1
			switch string(key) {
			case "bytes_in", "bi":
				i = 0
			case "bytes_out", "bo":
				i = 1
			case "packets_in", "pi":
				i = 2
			case "packets_out", "po":
				i = 3
			}
			if i < 0 {
				return nil
			}
			var err error
			p.Net[i], err = jsonparser.ParseInt(value)
			return err
		})
	case "tcp_connections", "tc":
		return jsonparser.ObjectEach(value, func(key, value []byte, _ jsonparser.ValueType, _ int) error {
			switch string(key) {
			case "established_connections", "ec":
				return p.established(value)
			}
			return nil
		})
	}
	return nil
}

func (p *parsedReport) established(data []byte) error {
	total := int64(-1)
	err := jsonparser.ObjectEach(data, func(key, value []byte, _ jsonparser.ValueType, _ int) error {
		var err error
		switch string(key) {
		case "connections", "cs":
			_, err = jsonparser.ArrayEach(value, func(value []byte, _ jsonparser.ValueType, _ int, _ error) {
				_ = jsonparser.ObjectEach(value, func(key, value []byte, _ jsonparser.ValueType, _ int) error {
					switch string(key) {
					case "remote_addr", "rad":
						p.Remote = append(p.Remote, value)
					}
					return nil
				})
			})
		case "total", "t":
			total, err = jsonparser.ParseInt(value)
		}
		return err
	})
	p.ConnTotal = total
	if total < 0 {
		p.ConnTotal = int64(len(p.Remote))
	}
	return err
}

func jsonparserPorts(data []byte, ports *[]uint16, total *int64) error {
	*total = -1
	err := jsonparser.ObjectEach(data, func(key, value []byte, _ jsonparser.ValueType, _ int) error {
		var err error
		switch string(key) {
		case "ports", "pts":
			_, err = jsonparser.ArrayEach(value, func(value []byte, _ jsonparser.ValueType, _ int, _ error) {
				_ = jsonparser.ObjectEach(value, func(key, value []byte, _ jsonparser.ValueType, _ int) error {
					switch string(key) {
					case "port", "pt":
						n, err := jsonparser.ParseInt(value)
						*ports = append(*ports, uint16(n))
						return err
					}
					return nil
				})
			})
		case "total", "t":
			*total, err = jsonparser.ParseInt(value)
		}
		return err
	})
	if *total < 0 {
		*total = int64(len(*ports))
	}
	return err
}

func (p *parsedReport) custom(key, value []byte, _ jsonparser.ValueType, _ int) error {
	if p.ncustom == len(p.Custom) {
		p.Custom = append(p.Custom, parsedValue{})
	}
	cv := &p.Custom[p.ncustom]
	p.ncustom++
	*cv = parsedValue{Name: key, Numbers: cv.Numbers[:0], Strings: cv.Strings[:0]}
	_, err := jsonparser.ArrayEach(value, func(value []byte, _ jsonparser.ValueType, _ int, _ error) {
		_ = jsonparser.ObjectEach(value, func(key, value []byte, _ jsonparser.ValueType, _ int) error {
			switch string(key) {
			case "number":
				f, err := jsonparser.ParseFloat(value)
				cv.Numbers = append(cv.Numbers, f)
				return err
			case "number_list":
				_, err := jsonparser.ArrayEach(value, func(value []byte, _ jsonparser.ValueType, _ int, _ error) {
					f, _ := jsonparser.ParseFloat(value)
					cv.Numbers = append(cv.Numbers, f)
				})
				return err
			case "string_list", "ip_list":
				_, err := jsonparser.ArrayEach(value, func(value []byte, _ jsonparser.ValueType, _ int, _ error) {
					cv.Strings = append(cv.Strings, value)
				})
				return err
			}
			return nil
		})
	})
	return err
}

func (p *parsedReport) summary() summary {
	s := summary{
		ReportID: p.ReportID, Version: string(p.Version),
		TCP: p.TCP, TCPTotal: p.TCPTotal, UDP: p.UDP, UDPTotal: p.UDPTotal,
		ConnTotal: p.ConnTotal, Net: p.Net,
	}
	for _, r := range p.Remote {
		s.Remote = append(s.Remote, remoteIP(string(r)))
	}
	for _, c := range p.Custom {
		sv := summaryValue{Name: string(c.Name), Numbers: c.Numbers}
		for _, v := range c.Strings {
			sv.Strings = append(sv.Strings, string(v))
		}
		s.Custom = append(s.Custom, sv)
	}
	return s
}

// jsonImpl is one implementation under test: decode returns the summary of
// the report it decodes when asked, so the benchmark loop pays for the
// decode only.
type jsonImpl struct {
	name string
	// prepare returns a decode function with its destination kept across
	// calls, and a function summarising the last decode.
	prepare func() (decode func([]byte) error, sum func() summary)
}

var jsonImpls = []jsonImpl{
	{"ruledetect", func() (func([]byte) error, func() summary) {
		var d report.Decoder
		var r report.Report
		return func(b []byte) error { return d.DecodeJSON(b, &r) }, func() summary { return ruledetectSummary(&r) }
	}},
	{"goccy", func() (func([]byte) error, func() summary) {
		var r structReport
		return func(b []byte) error { return gojson.Unmarshal(b, &r) }, r.summary
	}},
	{"sonic", sonicImpl},
	{"jsonparser", func() (func([]byte) error, func() summary) {
		var p parsedReport
		return func(b []byte) error { return jsonparserDecode(b, &p) }, p.summary
	}},
}

func normSummary(s summary) summary {
	if len(s.TCP) == 0 {
		s.TCP = nil
	}
	if len(s.UDP) == 0 {
		s.UDP = nil
	}
	if len(s.Remote) == 0 {
		s.Remote = nil
	}
	for i := range s.Custom {
		if len(s.Custom[i].Strings) == 0 {
			s.Custom[i].Strings = nil
		}
	}
	// The struct decoders read custom_metrics into a map: compare by name.
	sortValues(s.Custom)
	return s
}

func sortValues(vs []summaryValue) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && vs[j].Name < vs[j-1].Name; j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}

// TestReportDecodersAgree checks that every peer reads the same values out
// of every benchmarked report as ruledetect does, so the benchmark compares
// the same work (the values; not the validation the peers do not do). Each
// report is decoded twice into the same destination, as the benchmark does.
func TestReportDecodersAgree(t *testing.T) {
	inputs := map[string][]byte{}
	for _, a := range reportAgents {
		inputs[a.name] = readAgentReport(t, a.file)
	}
	for _, n := range portCounts {
		inputs["ports="+strconv.Itoa(n)] = portsReport(n)
	}
	for name, in := range inputs {
		decode, sum := jsonImpls[0].prepare()
		require.NoError(t, decode(in), name)
		want := normSummary(sum())
		require.Positive(t, want.ReportID, name)
		for _, impl := range jsonImpls[1:] {
			decode, sum := impl.prepare()
			if decode == nil {
				continue // sonic unavailable, see sonicImpl
			}
			for range 2 {
				require.NoError(t, decode(in), "%s impl=%s", name, impl.name)
				require.Equal(t, want, normSummary(sum()), "%s impl=%s", name, impl.name)
			}
		}
	}
}

func benchJSON(b *testing.B, impl jsonImpl, in []byte) {
	decode, _ := impl.prepare()
	if decode == nil {
		b.Skip("sonic does not run here (see sonicImpl)")
	}
	// One decode before timing: sonic compiles its decoder for the type on
	// first use, and every implementation's caches and buffers warm up.
	require.NoError(b, decode(in))
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	// Beside ns/op, best-ns/op is the time of the quietest batch of decodes
	// (about 64 KB of input each): on a machine shared with other work,
	// ns/op carries whatever the scheduler took from the run, and the
	// quietest batch is what the decoding itself costs.
	batch := max(1, 64<<10/len(in))
	best, n, t0 := math.Inf(1), 0, time.Now()
	for b.Loop() {
		if err := decode(in); err != nil {
			b.Fatal(err)
		}
		if n++; n == batch {
			best = min(best, float64(time.Since(t0).Nanoseconds())/float64(batch))
			n, t0 = 0, time.Now()
		}
	}
	if !math.IsInf(best, 1) {
		b.ReportMetric(best, "best-ns/op")
	}
}

// BenchmarkReportJSON decodes the agents' reports, each implementation
// into a destination kept across iterations.
//
//	cd bench/peers && go test -run '^$' -bench ReportJSON -benchmem -count=5 | tee report.txt
func BenchmarkReportJSON(b *testing.B) {
	for _, a := range reportAgents {
		in := readAgentReport(b, a.file)
		for _, impl := range jsonImpls {
			b.Run("agent="+a.name+"/impl="+impl.name, func(b *testing.B) { benchJSON(b, impl, in) })
		}
	}
}

// BenchmarkReportJSONPorts decodes reports of n listening ports; the cost
// of a port is (time at ports=256 − time at ports=0) / 256.
func BenchmarkReportJSONPorts(b *testing.B) {
	for _, n := range portCounts {
		in := portsReport(n)
		for _, impl := range jsonImpls {
			b.Run(fmt.Sprintf("ports=%d/impl=%s", n, impl.name), func(b *testing.B) { benchJSON(b, impl, in) })
		}
	}
}
