package fleet

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// Fleet is a generated fleet: its things, their schedules and the incidents.
// It is immutable after New, so Records may run concurrently.
type Fleet struct {
	cfg       Config
	minutes   int // minutes in the run
	cycle     int // report interval in minutes
	things    []thing
	order     []int32 // thing indexes by (second of the minute, name)
	incidents []Incident
}

// agentStyle is how a thing's agent encodes its reports.
type agentStyle uint8

const (
	embeddedCShort agentStyle = iota // the embedded-C SDK's default short keys
	embeddedCLong                    // DEFENDER_USE_LONG_KEYS (and aws-c-iot's ms report ids)
	pythonLong                       // the Python agent, long keys
	pythonShort                      // the Python agent's mixed short/long keys
)

// thing holds what does not change during the run.
type thing struct {
	name      string
	telemetry string // dt/<name>/telemetry
	command   string // cmd/<name>
	neighbor  string // cmd/<another thing>, where a confused device gets denied
	second    int    // second of the minute of all its records
	phase     int    // minute of the report cycle it reports in
	style     agentStyle
	camera    bool
	tagSource bool // its message-sent records carry sourceIp
	source    netip.Addr
	tcpPorts  []uint16
	udpPorts  []uint16
	conns     []conn
	ifaces    []string
	attack    Attack
	attackMin int // first minute of misbehavior
}

type conn struct {
	localPort  uint16
	remoteAddr string // ip:port or [ip]:port
}

// outsideSource is where a hijacked thing reconnects from; outsideDest is
// where an exfiltrating thing sends. Both are documentation ranges outside
// the profile's CIDR sets.
var (
	outsideSource = netip.MustParseAddr("203.0.113.9")
	outsideDest   = "203.0.113.66:443"
)

const backdoorPort = 4444

// New generates the fleet described by cfg (zero fields take defaults).
func New(cfg Config) *Fleet {
	cfg = cfg.normalized()
	f := &Fleet{
		cfg:     cfg,
		minutes: int(cfg.Duration / time.Minute),
		cycle:   int(cfg.ReportInterval / time.Minute),
		things:  make([]thing, cfg.Things),
	}
	for i := range f.things {
		f.things[i] = f.newThing(i)
	}
	for i := range f.things {
		f.things[i].neighbor = f.things[(i+1)%len(f.things)].command
		if len(f.things) == 1 {
			f.things[i].neighbor = "cmd/unknown"
		}
	}
	f.order = make([]int32, len(f.things))
	for i := range f.order {
		f.order[i] = int32(i)
	}
	slices.SortFunc(f.order, func(a, b int32) int {
		ta, tb := &f.things[a], &f.things[b]
		return cmp.Or(cmp.Compare(ta.second, tb.second), cmp.Compare(ta.name, tb.name))
	})
	f.compromise()
	return f
}

func (f *Fleet) newThing(i int) thing {
	r := newRNG(f.cfg.Seed, i, -1, saltThing)
	t := thing{camera: r.intn(5) < 3, second: r.intn(60), phase: r.intn(f.cycle)}
	prefix := "sensor-"
	if t.camera {
		prefix = "cam-"
	}
	t.name = prefix + pad5(i)
	t.telemetry = "dt/" + t.name + "/telemetry"
	t.command = "cmd/" + t.name
	switch n := r.intn(20); {
	case n < 12:
		t.style = embeddedCShort
	case n < 15:
		t.style = embeddedCLong
	case n < 18:
		t.style = pythonLong
	default:
		t.style = pythonShort
	}
	t.tagSource = r.oneIn(4)
	t.source = sourceAddr(&r, t.camera)
	if t.camera {
		t.tcpPorts = [][]uint16{{80, 554}, {443, 554, 8080}, {22, 443, 554}}[r.intn(3)]
		t.udpPorts = [][]uint16{{5353}, {3702, 5353}}[r.intn(2)]
		t.conns = append(t.conns, conn{554, "10.20." + itoa(r.intn(256)) + "." + itoa(1+r.intn(254)) + ":" + itoa(49152+r.intn(16384))})
		t.ifaces = [][]string{{"eth0"}, {"eth0", "wlan0"}}[r.intn(2)]
	} else {
		t.tcpPorts = [][]uint16{{}, {22}, {1883}}[r.intn(3)]
		t.udpPorts = [][]uint16{{}, {123}}[r.intn(2)]
		t.ifaces = [][]string{{"wlan0"}, {"eth0"}}[r.intn(2)]
	}
	mqtt := "52.94." + itoa(r.intn(256)) + "." + itoa(1+r.intn(254)) + ":8883"
	if r.oneIn(10) {
		mqtt = "[2600:1f18:" + strconv.FormatUint(uint64(r.intn(0x10000)), 16) + "::" + strconv.FormatUint(uint64(1+r.intn(0xffff)), 16) + "]:8883"
	}
	t.conns = append(t.conns, conn{uint16(32768 + r.intn(28232)), mqtt})
	return t
}

// sourceAddr picks the address a thing connects from: a carrier-grade NAT
// address for cameras, the site network for sensors, IPv6 for a few.
func sourceAddr(r *rng, camera bool) netip.Addr {
	switch {
	case r.oneIn(10):
		var b [16]byte
		b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
		b[6], b[7], b[15] = byte(r.intn(256)), byte(r.intn(256)), byte(1+r.intn(254))
		return netip.AddrFrom16(b)
	case camera:
		return netip.AddrFrom4([4]byte{100, byte(64 + r.intn(64)), byte(r.intn(256)), byte(1 + r.intn(254))})
	}
	return netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + r.intn(254))})
}

// compromise picks the compromised things, their attacks and start minutes.
func (f *Fleet) compromise() {
	r := newRNG(f.cfg.Seed, 0, -2, saltIncident)
	picked := make(map[int]bool)
	for k := range f.cfg.Compromised {
		i := r.intn(len(f.things))
		for picked[i] {
			i = (i + 1) % len(f.things)
		}
		picked[i] = true
		t := &f.things[i]
		t.attack = Attack((k+int(f.cfg.Seed%numAttacks))%numAttacks + 1)
		// Start in the middle half, leaving at least a quarter of the run
		// (≥ 3 report intervals) to raise alarms.
		t.attackMin = f.minutes/4 + r.intn(f.minutes/2)
		first := t.attackMin
		if t.attack.reportBased() {
			for first%f.cycle != t.phase {
				first++
			}
		}
		f.incidents = append(f.incidents, Incident{
			Thing: t.name, Attack: t.attack, Behaviors: t.attack.behaviors(), Start: f.at(t, first),
		})
	}
	slices.SortFunc(f.incidents, func(a, b Incident) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Thing, b.Thing))
	})
}

// at returns the time of thing t's records in minute m of the run.
func (f *Fleet) at(t *thing, m int) time.Time {
	return f.cfg.Start.Add(time.Duration(m)*time.Minute + time.Duration(t.second)*time.Second)
}

// Config returns the configuration with defaults applied.
func (f *Fleet) Config() Config { return f.cfg }

// Compromised returns the ground truth: one Incident per compromised thing,
// ordered by start time. The slice is a copy.
func (f *Fleet) Compromised() []Incident {
	out := make([]Incident, len(f.incidents))
	for i, in := range f.incidents {
		in.Behaviors = slices.Clone(in.Behaviors)
		out[i] = in
	}
	return out
}

// Salts separate the random streams drawn for the same (thing, minute).
const (
	saltThing uint64 = iota + 1
	saltIncident
	saltMinute
	saltDisconnect
	saltReport
)

func itoa(n int) string { return strconv.Itoa(n) }

// pad5 formats n with at least five digits, so names sort in number order.
func pad5(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 5 {
		s = "0" + s
	}
	return s
}
