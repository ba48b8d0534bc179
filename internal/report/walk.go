package report

import (
	"errors"
	"github.com/ruledetect/ruledetect/internal/echo"
	"strconv"
)

// The walker turns a source's tokens into a Report. It knows the report's
// structure: every key in its long and short spelling (mixed freely, as the
// Python agent mixes them), the types, and which violations reject the report
// and which only drop a value.
//
// Strictness, by level:
//   - top level, header, custom_metrics: unknown keys reject the report (a
//     misspelt block would otherwise vanish silently, and the service rejects
//     a malformed custom metric).
//   - inside metrics: unknown keys are skipped and recorded in Dropped; the
//     legacy FreeRTOS defender library sends a kernel_metrics block there.
//   - everywhere: a known key twice (also as long + short) or a known key
//     with a value of the wrong type rejects the report.

// Metric names used in Dropped.
const (
	metricTCPPorts = "aws:listening-tcp-ports"
	metricUDPPorts = "aws:listening-udp-ports"
	metricDestIPs  = "aws:destination-ip-addresses"
)

// walkError is a rule violation found by the walker.
type walkError string

func (e walkError) Error() string { return string(e) }

// walk decodes one report from s into r.
func (d *Decoder) walk(s source, r *Report) error {
	d.begin(r)
	if err := d.walkTop(s); err != nil {
		return d.wrap(err)
	}
	return nil
}

// begin readies the walker to decode a report into r.
func (d *Decoder) begin(r *Report) {
	r.Reset()
	d.r = r
	d.path.n = 0
	d.seen = d.seen[:0]
}

// wrap gives err the path where the walker stopped.
func (d *Decoder) wrap(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	out := &Error{Path: d.path.String(), Msg: err.Error()}
	var se *errSyntax
	if errors.As(err, &se) {
		out.Err = se.err
	}
	return out
}

// drop records a value left out at the current path: counted always, listed
// while fewer than MaxListedDrops are, so that a report of a million bad
// ports costs a count, not a million paths.
func (d *Decoder) drop(metric, reason string) {
	d.r.DroppedCount++
	if len(d.r.Dropped) < MaxListedDrops {
		d.r.Dropped = append(d.r.Dropped, Dropped{Metric: metric, Path: d.path.String(), Reason: reason})
	}
}

// dropf is drop with a reason built only when the drop is listed.
func (d *Decoder) dropf(metric string, reason func() string) {
	if len(d.r.Dropped) < MaxListedDrops {
		d.drop(metric, reason())
		return
	}
	d.r.DroppedCount++
}

// Field bits, per object.
const (
	fHeader uint8 = 1 << iota
	fMetrics
	fCustom
)

func (d *Decoder) walkTop(s source) error {
	var o object
	err := o.begin(d, s, "header, metrics, custom_metrics or hed, met, cmet")
	if err != nil {
		return err
	}
	for o.next() {
		switch string(o.key) {
		case "header", "hed":
			if err = o.known(fHeader, "header", "hed"); err == nil {
				err = d.walkHeader(s)
			}
		case "metrics", "met":
			if err = o.known(fMetrics, "metrics", "met"); err == nil {
				err = d.walkMetrics(s)
			}
		case "custom_metrics", "cmet":
			if err = o.known(fCustom, "custom_metrics", "cmet"); err == nil {
				err = d.walkCustom(s)
			}
		default:
			err = o.unknown()
		}
		if err != nil {
			return err
		}
	}
	switch {
	case o.err != nil:
		return o.err
	case !o.saw(fHeader):
		return walkError("missing header")
	case !o.saw(fMetrics | fCustom):
		return walkError("missing metrics and custom_metrics: a report needs at least one")
	}
	return nil
}

func (d *Decoder) walkHeader(s source) error {
	var o object
	err := o.begin(d, s, "report_id, version or rid, v")
	if err != nil {
		return err
	}
	const fID, fVersion uint8 = 1, 2
	for o.next() {
		switch string(o.key) {
		case "report_id", "rid":
			if err := o.known(fID, "report_id", "rid"); err != nil {
				return err
			}
			id, err := s.integer()
			if err != nil {
				return err
			}
			if id <= 0 {
				return walkError("report_id must be a positive integer, got " + strconv.FormatInt(id, 10))
			}
			d.r.ReportID = id
		case "version", "v":
			if err := o.known(fVersion, "version", "v"); err != nil {
				return err
			}
			v, err := s.str()
			if err != nil {
				return err
			}
			if !validVersion(v) {
				return walkError("version must be \"Major.Minor\", got " + strconv.Quote(string(v)))
			}
			d.r.Version = d.intern(v)
		default:
			return o.unknown()
		}
	}
	switch {
	case o.err != nil:
		return o.err
	case !o.saw(fID):
		return walkError("missing report_id")
	case !o.saw(fVersion):
		return walkError("missing version")
	}
	return nil
}

func (d *Decoder) walkMetrics(s source) error {
	var o object
	err := o.begin(d, s, "")
	if err != nil {
		return err
	}
	const fTCP, fUDP, fNet, fConn uint8 = 1, 2, 4, 8
	for o.next() {
		switch string(o.key) {
		case "listening_tcp_ports", "tp":
			if err = o.known(fTCP, "listening_tcp_ports", "tp"); err == nil {
				err = d.walkPorts(s, &d.r.ListeningTCP, metricTCPPorts)
			}
		case "listening_udp_ports", "up":
			if err = o.known(fUDP, "listening_udp_ports", "up"); err == nil {
				err = d.walkPorts(s, &d.r.ListeningUDP, metricUDPPorts)
			}
		case "network_stats", "ns":
			if err = o.known(fNet, "network_stats", "ns"); err == nil {
				err = d.walkNetworkStats(s)
			}
		case "tcp_connections", "tc":
			if err = o.known(fConn, "tcp_connections", "tc"); err == nil {
				err = d.walkTCPConnections(s)
			}
		default:
			err = o.unknown()
		}
		if err != nil {
			return err
		}
	}
	return o.err
}

// count reads a non-negative integer (total, network_stats, local_port).
func count(s source) (int64, error) {
	v, err := s.integer()
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, walkError("must be ≥ 0, got " + strconv.FormatInt(v, 10))
	}
	return v, nil
}

func (d *Decoder) walkPorts(s source, pl *PortList, metric string) error {
	pl.Present = true
	total, err := d.walkCountedList(s, "ports", "pts", func() error { return d.walkPort(s, pl, metric) })
	if total < 0 {
		total = int64(len(pl.Ports)) // no total: the ports listed
	}
	pl.Total = total
	return err
}

// walkCountedList reads a block of a list and its total, the shape of
// listening ports and established connections: {LIST: [...], "total": N}
// with long or short keys. elem reads one element of the list. It returns
// the total the block gives, or -1 without one.
func (d *Decoder) walkCountedList(s source, list, short string, elem func() error) (int64, error) {
	var o object
	err := o.begin(d, s, "")
	if err != nil {
		return -1, err
	}
	const fList, fTotal uint8 = 1, 2
	total := int64(-1)
	for o.next() {
		switch string(o.key) {
		case list, short:
			if err = o.known(fList, list, short); err == nil {
				err = d.eachElement(s, func(int) error { return elem() })
			}
		case "total", "t":
			if err = o.known(fTotal, "total", "t"); err == nil {
				total, err = count(s)
			}
		default:
			err = o.unknown()
		}
		if err != nil {
			return -1, err
		}
	}
	if o.err != nil {
		return -1, o.err
	}
	return total, nil
}

// walkPort reads one ports[] entry, appending its port when valid.
func (d *Decoder) walkPort(s source, pl *PortList, metric string) error {
	// The entries AWS's agents write are read in one step (plainPort);
	// every other entry, and every entry of another source, key by key.
	if js, ok := s.(*jsonScanner); ok {
		if port, ok := js.plainPort(); ok {
			pl.Ports = append(pl.Ports, uint16(port))
			return nil
		}
	}
	var o object
	err := o.begin(d, s, "")
	if err != nil {
		return err
	}
	const fPort, fIf uint8 = 1, 2
	port, valid := int64(0), false
	for o.next() {
		switch string(o.key) {
		case "port", "pt":
			if err := o.known(fPort, "port", "pt"); err != nil {
				return err
			}
			if port, err = s.integer(); err != nil {
				return err
			}
			valid = portInRange(port)
			if !valid {
				d.dropf(metric, func() string { return "port " + strconv.FormatInt(port, 10) + " outside 1..65535" })
			}
		case "interface", "if":
			if err := o.knownString(fIf, "interface", "if"); err != nil {
				return err
			}
		default:
			if err := o.unknown(); err != nil {
				return err
			}
		}
	}
	if o.err != nil {
		return o.err
	}
	if !o.saw(fPort) {
		d.drop(metric, "entry without a port")
	}
	if valid {
		pl.Ports = append(pl.Ports, uint16(port))
	}
	return nil
}

// portInRange reports whether p is a port a list of listening ports
// keeps; walkPort drops any other.
func portInRange(p int64) bool { return p >= 1 && p <= 65535 }

func (d *Decoder) walkNetworkStats(s source) error {
	var o object
	err := o.begin(d, s, "")
	if err != nil {
		return err
	}
	ns := &d.r.NetworkStats
	ns.Present = true
	for o.next() {
		var f uint8
		var dst *int64
		var long, short string
		switch string(o.key) {
		case "bytes_in", "bi":
			f, dst, long, short = 1, &ns.BytesIn, "bytes_in", "bi"
		case "bytes_out", "bo":
			f, dst, long, short = 2, &ns.BytesOut, "bytes_out", "bo"
		case "packets_in", "pi":
			f, dst, long, short = 4, &ns.PacketsIn, "packets_in", "pi"
		case "packets_out", "po":
			f, dst, long, short = 8, &ns.PacketsOut, "packets_out", "po"
		default:
			if err := o.unknown(); err != nil {
				return err
			}
			continue
		}
		if err := o.known(f, long, short); err != nil {
			return err
		}
		if *dst, err = count(s); err != nil {
			return err
		}
	}
	return o.err
}

func (d *Decoder) walkTCPConnections(s source) error {
	var o object
	err := o.begin(d, s, "")
	if err != nil {
		return err
	}
	for o.next() {
		if string(o.key) == "established_connections" || string(o.key) == "ec" {
			if err = o.known(1, "established_connections", "ec"); err == nil {
				err = d.walkEstablished(s)
			}
		} else {
			err = o.unknown()
		}
		if err != nil {
			return err
		}
	}
	return o.err
}

func (d *Decoder) walkEstablished(s source) error {
	c := &d.r.Established
	c.Present = true
	total, err := d.walkCountedList(s, "connections", "cs", func() error { return d.walkConnection(s) })
	if total < 0 {
		total = int64(len(c.RemoteAddrs)) // no total: the connections listed
	}
	c.Total = total
	return err
}

// walkConnection reads one connections[] entry, appending its remote IP.
func (d *Decoder) walkConnection(s source) error {
	var o object
	err := o.begin(d, s, "")
	if err != nil {
		return err
	}
	const fAddr, fPort, fIf uint8 = 1, 2, 4
	for o.next() {
		switch string(o.key) {
		case "remote_addr", "rad":
			if err := o.known(fAddr, "remote_addr", "rad"); err != nil {
				return err
			}
			b, err := s.str()
			if err != nil {
				return err
			}
			if a, ok := d.remote.get(b, parseRemoteAddr); ok {
				d.r.Established.RemoteAddrs = append(d.r.Established.RemoteAddrs, a)
			} else {
				d.dropf(metricDestIPs, func() string { return "remote_addr " + echo.Quote(b) + " is not ip:port" })
			}
		case "local_port", "lp":
			// Not used by any metric; any non-negative integer is accepted
			// (the Python agent sends 88888).
			if err = o.known(fPort, "local_port", "lp"); err == nil {
				_, err = count(s)
			}
		case "local_interface", "li":
			err = o.knownString(fIf, "local_interface", "li")
		default:
			err = o.unknown()
		}
		if err != nil {
			return err
		}
	}
	if o.err != nil {
		return o.err
	}
	if !o.saw(fAddr) {
		d.drop(metricDestIPs, "entry without a remote_addr")
	}
	return nil
}

// walkCustom reads custom_metrics: NAME → a one-element array holding an
// object with exactly one of number, number_list, string_list, ip_list.
func (d *Decoder) walkCustom(s source) error {
	if err := s.beginObject(); err != nil {
		return err
	}
	for {
		k, ok, err := s.key()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		name := d.intern(k)
		d.path.pushKey(name)
		if d.seenCustom(name) {
			return walkError("duplicate custom metric")
		}
		if err := d.walkCustomEntry(s, name); err != nil {
			return err
		}
		d.path.pop()
	}
}

// seenCustom reports whether name was already in this report, and notes it.
// Reports carry a handful of custom metrics (the service allows 100 per
// account), so a linear scan beats hashing; hostile reports with thousands of
// names are quadratic but bounded by the input size the caller accepts.
func (d *Decoder) seenCustom(name string) bool {
	for _, n := range d.seen {
		if n == name {
			return true
		}
	}
	d.seen = append(d.seen, name)
	return false
}

func (d *Decoder) walkCustomEntry(s source, name string) error {
	if err := s.beginArray(); err != nil {
		return err
	}
	more, err := s.more()
	if err != nil {
		return err
	}
	if !more {
		return walkError("want a one-element array, got an empty array")
	}
	d.path.pushIdx(0)
	cv := d.r.nextCustom()
	cv.Name = name
	dropped, err := d.walkCustomValue(s, cv)
	if err != nil {
		return err
	}
	d.path.pop()
	if dropped {
		d.r.Custom = d.r.Custom[:len(d.r.Custom)-1]
	}
	if more, err = s.more(); err != nil {
		return err
	}
	if more {
		d.path.pushIdx(1)
		return walkError("want a one-element array, got more elements")
	}
	return nil
}

// nextCustom extends r.Custom by one entry, reusing the slot's slices.
func (r *Report) nextCustom() *CustomValue {
	n := len(r.Custom)
	if n < cap(r.Custom) {
		r.Custom = r.Custom[:n+1]
		c := &r.Custom[n]
		*c = CustomValue{Numbers: c.Numbers[:0], Strings: c.Strings[:0], IPs: c.IPs[:0]}
		return c
	}
	r.Custom = append(r.Custom, CustomValue{})
	return &r.Custom[n]
}

const customKeys = "number, number_list, string_list or ip_list"

// walkCustomValue reads the {KIND: VALUE} object into cv and reports whether
// the value broke a value rule (and was recorded in Dropped).
func (d *Decoder) walkCustomValue(s source, cv *CustomValue) (dropped bool, err error) {
	if err := s.beginObject(); err != nil {
		return false, err
	}
	k, ok, err := s.key()
	if err != nil {
		return false, err
	}
	if !ok {
		return false, walkError("want an object with one of " + customKeys + ", got an empty object")
	}
	// reject records the first rule violation and keeps reading, so the
	// rest of the value is still checked for structure.
	reject := func(reason string) {
		if !dropped {
			dropped = true
			d.drop(cv.Name, reason)
		}
	}
	switch string(k) {
	case "number":
		d.path.pushKey("number")
		cv.Kind = Number
		var digits int
		if cv.Number, digits, err = s.number(); err != nil {
			return false, err
		}
		if why := numberRule(cv.Number, digits); why != "" {
			reject(why)
		}
	case "number_list":
		d.path.pushKey("number_list")
		cv.Kind = NumberList
		err = d.eachElement(s, func(int) error {
			f, digits, err := s.number()
			if err != nil {
				return err
			}
			if why := numberRule(f, digits); why != "" {
				reject(why)
			}
			cv.Numbers = append(cv.Numbers, f)
			return nil
		})
	case "string_list":
		d.path.pushKey("string_list")
		cv.Kind = StringList
		err = d.eachElement(s, func(int) error {
			b, err := s.str()
			if err != nil {
				return err
			}
			if why := stringRule(b); why != "" {
				reject(why)
			}
			if !dropped {
				cv.Strings = append(cv.Strings, d.intern(b))
			}
			return nil
		})
	case "ip_list":
		d.path.pushKey("ip_list")
		cv.Kind = IPList
		err = d.eachElement(s, func(int) error {
			b, err := s.str()
			if err != nil {
				return err
			}
			a, ok := d.ips.get(b, parseIP)
			if !ok {
				reject(strconv.Quote(string(b)) + " is not an IPv4 or IPv6 address")
			}
			cv.IPs = append(cv.IPs, a)
			return nil
		})
	default:
		return false, d.unknownKey(k, customKeys)
	}
	if err != nil {
		return false, err
	}
	d.path.pop()
	k, ok, err = s.key()
	if err != nil {
		return false, err
	}
	if ok {
		d.path.pushKey(string(k))
		return false, walkError("want exactly one of " + customKeys)
	}
	return dropped, nil
}

// eachElement reads an array, calling f for each element with its index on
// the path.
func (d *Decoder) eachElement(s source, f func(i int) error) error {
	if err := s.beginArray(); err != nil {
		return err
	}
	d.path.pushIdx(0)
	for i := 0; ; i++ {
		more, err := s.more()
		if err != nil {
			return err
		}
		if !more {
			break
		}
		d.path.setIdx(i)
		if err := f(i); err != nil {
			return err
		}
	}
	d.path.pop()
	return nil
}
