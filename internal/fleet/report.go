package fleet

import (
	"net/netip"
	"strconv"

	"github.com/ruledetect/ruledetect/internal/replay"
)

// keySet names the report keys in one agent's spelling.
type keySet struct {
	hed, rid, v, met, cmet     string
	tc, ec, cs, rad, lp, li, t string
	tp, up, pts, pt            string
	ns, bi, bo, pi, po         string
}

var (
	shortKeys = keySet{"hed", "rid", "v", "met", "cmet", "tc", "ec", "cs", "rad", "lp", "li", "t",
		"tp", "up", "pts", "pt", "ns", "bi", "bo", "pi", "po"}
	longKeys = keySet{"header", "report_id", "version", "metrics", "custom_metrics",
		"tcp_connections", "established_connections", "connections", "remote_addr", "local_port", "local_interface", "total",
		"listening_tcp_ports", "listening_udp_ports", "ports", "port",
		"network_stats", "bytes_in", "bytes_out", "packets_in", "packets_out"}
)

// sample is what one report measures.
type sample struct {
	reportID       int64
	tcpPorts       []uint16
	udpPorts       []uint16
	backdoor       bool
	conns          []conn
	transient      conn // a short HTTPS connection, if localPort != 0
	exfil          bool
	stats          bool // network_stats present
	bi, bo, pi, po int64
	cpuTenths      int64
	ifaces         []string
}

// report sets the reused record to thing t's report of minute m.
func (g *gen) report(t *thing, i, m int, attacking bool) {
	s := g.f.measure(t, i, m, attacking)
	rec := g.rec
	rec.Kind = replay.Report
	rec.ReportFormat = replay.JSON
	rec.Topic, rec.Bytes, rec.SourceIP = "", 0, netip.Addr{}
	w := jsonWriter{b: rec.Report[:0]}
	switch t.style {
	case embeddedCShort:
		w.colon = ": "
		w.embeddedC(&s, &shortKeys)
	case embeddedCLong:
		w.colon = ": "
		s.reportID *= 1000 // aws-c-iot writes epoch milliseconds
		w.embeddedC(&s, &longKeys)
	case pythonLong:
		w.colon = ":"
		w.python(&s, &longKeys)
	case pythonShort:
		w.colon = ":"
		w.python(&s, &shortKeys)
	}
	rec.Report = w.b
}

// measure draws thing t's report of minute m.
func (f *Fleet) measure(t *thing, i, m int, attacking bool) sample {
	r := newRNG(f.cfg.Seed, i, m, saltReport)
	s := sample{
		reportID: f.at(t, m).Unix(),
		tcpPorts: t.tcpPorts,
		udpPorts: t.udpPorts,
		conns:    t.conns,
		ifaces:   t.ifaces,
		backdoor: attacking && t.attack == BackdoorPort,
		exfil:    attacking && t.attack == Exfiltration,
		// The Python agent sends no network_stats until it has a delta.
		stats: !(t.style >= pythonLong && m < f.cycle),
	}
	if r.oneIn(3) {
		s.transient = conn{uint16(32768 + r.intn(28232)), ""}
	}
	if t.camera {
		s.bo, s.bi = r.between(1_000_000, 20_000_000), r.between(50_000, 500_000)
		s.cpuTenths = r.between(200, 700)
	} else {
		s.bo, s.bi = r.between(2_000, 50_000), r.between(1_000, 20_000)
		s.cpuTenths = r.between(20, 300)
	}
	if s.exfil {
		s.bo += r.between(200_000_000, 400_000_000)
	}
	if attacking && t.attack == CPUPegged {
		s.cpuTenths = r.between(970, 1000)
	}
	s.po = s.bo/1400 + r.between(10, 100)
	s.pi = s.bi/900 + r.between(10, 100)
	s.transientAddr(&r)
	return s
}

// transientAddr fills in the transient connection's peer, an AWS address.
func (s *sample) transientAddr(r *rng) {
	if s.transient.localPort == 0 {
		return
	}
	s.transient.remoteAddr = transientPeers[r.intn(len(transientPeers))]
}

// transientPeers are HTTPS endpoints inside the profile's 52.94.0.0/16.
var transientPeers = [...]string{"52.94.212.197:443", "52.94.236.248:443", "52.94.133.131:443", "52.94.4.17:443"}

func (s *sample) connCount() int {
	n := len(s.conns)
	if s.transient.localPort != 0 {
		n++
	}
	if s.exfil {
		n++
	}
	return n
}

// jsonWriter appends JSON with strconv, in an agent's spacing.
type jsonWriter struct {
	b     []byte
	colon string // ":" (Python, compact) or ": " (embedded C)
}

func (w *jsonWriter) key(k string) {
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"')
	w.b = append(w.b, w.colon...)
}

func (w *jsonWriter) str(s string) {
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

func (w *jsonWriter) int(n int64) { w.b = strconv.AppendInt(w.b, n, 10) }

func (w *jsonWriter) raw(s string) { w.b = append(w.b, s...) }

// elem opens the object of an array's element, after a comma unless it is
// the first; *n counts the elements.
func (w *jsonWriter) elem(n *int) {
	if *n > 0 {
		w.raw(",")
	}
	*n++
	w.raw("{")
}

func (w *jsonWriter) header(s *sample, k *keySet) {
	w.raw("{")
	w.key(k.hed)
	w.raw("{")
	w.key(k.rid)
	w.int(s.reportID)
	w.raw(",")
	w.key(k.v)
	w.str("1.0")
	w.raw("},")
	w.key(k.met)
	w.raw("{")
}

// embeddedC writes the report as the embedded-C SDK's report builder does:
// ports, network_stats, connections, then the custom metrics.
func (w *jsonWriter) embeddedC(s *sample, k *keySet) {
	w.header(s, k)
	w.portsAndStats(s, k, false)
	w.raw(",")
	w.key(k.tc)
	w.conns(s, k, false)
	w.raw("},")
	w.custom(s, k, false)
}

// python writes the report as the Python agent does: connections, ports,
// network_stats; long keys inside port entries even in short-key mode.
func (w *jsonWriter) python(s *sample, k *keySet) {
	w.header(s, k)
	w.key(k.tc)
	w.conns(s, k, true)
	w.raw(",")
	w.portsAndStats(s, k, true)
	w.raw("},")
	w.custom(s, k, true)
}

// portsAndStats writes the listening TCP and UDP ports and, when the
// sample has them, the network stats: the blocks both agents write in
// this order.
func (w *jsonWriter) portsAndStats(s *sample, k *keySet, python bool) {
	w.key(k.tp)
	w.ports(s.tcpPorts, s.backdoor, k, python)
	w.raw(",")
	w.key(k.up)
	w.ports(s.udpPorts, false, k, python)
	if s.stats {
		w.raw(",")
		w.netStats(s, k)
	}
}

func (w *jsonWriter) ports(ports []uint16, backdoor bool, k *keySet, python bool) {
	w.raw("{")
	w.key(k.pts)
	w.raw("[")
	n := 0
	put := func(p uint16) {
		w.elem(&n)
		if python {
			w.key("port")
			w.int(int64(p))
			w.raw(",")
			w.key("interface")
			w.str("eth0")
		} else {
			w.key(k.pt)
			w.int(int64(p))
		}
		w.raw("}")
	}
	for _, p := range ports {
		put(p)
	}
	if backdoor {
		put(backdoorPort)
	}
	w.raw("],")
	w.key(k.t)
	w.int(int64(n))
	w.raw("}")
}

func (w *jsonWriter) netStats(s *sample, k *keySet) {
	w.key(k.ns)
	w.raw("{")
	for j, kv := range [4]struct {
		k string
		v int64
	}{{k.bi, s.bi}, {k.bo, s.bo}, {k.pi, s.pi}, {k.po, s.po}} {
		if j > 0 {
			w.raw(",")
		}
		w.key(kv.k)
		w.int(kv.v)
	}
	w.raw("}")
}

func (w *jsonWriter) conns(s *sample, k *keySet, python bool) {
	w.raw("{")
	w.key(k.ec)
	w.raw("{")
	w.key(k.cs)
	w.raw("[")
	n := 0
	put := func(c conn) {
		w.elem(&n)
		if python {
			w.key(k.rad)
			w.str(c.remoteAddr)
			w.raw(",")
			w.key(k.li)
			w.str("eth0")
			w.raw(",")
			w.key(k.lp)
			w.int(int64(c.localPort))
		} else {
			w.key(k.lp)
			w.int(int64(c.localPort))
			w.raw(",")
			w.key(k.rad)
			w.str(c.remoteAddr)
		}
		w.raw("}")
	}
	for _, c := range s.conns {
		put(c)
	}
	if s.transient.localPort != 0 {
		put(s.transient)
	}
	if s.exfil {
		put(conn{51515, outsideDest})
	}
	w.raw("],")
	w.key(k.t)
	w.int(int64(s.connCount()))
	w.raw("}}")
}

// custom writes cpu_usage (a float in Python, an integer in C) and
// interfaces, then closes the report.
func (w *jsonWriter) custom(s *sample, k *keySet, python bool) {
	w.key(k.cmet)
	w.raw("{")
	w.key("cpu_usage")
	w.raw("[{")
	w.key("number")
	if python {
		w.int(s.cpuTenths / 10)
		w.raw(".")
		w.int(s.cpuTenths % 10)
	} else {
		w.int(s.cpuTenths / 10)
	}
	w.raw("}],")
	w.key("interfaces")
	w.raw("[{")
	w.key("string_list")
	w.raw("[")
	for j, name := range s.ifaces {
		if j > 0 {
			w.raw(",")
		}
		w.str(name)
	}
	w.raw("]}]}}")
}
