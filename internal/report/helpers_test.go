package report

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net/netip"
	"strconv"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"
)

// norm returns a copy of r with empty slices made nil, so Reports decoded
// into fresh and reused values compare equal.
func norm(r *Report) Report {
	c := r.Clone()
	nilIfEmpty(&c.ListeningTCP.Ports)
	nilIfEmpty(&c.ListeningUDP.Ports)
	nilIfEmpty(&c.Established.RemoteAddrs)
	nilIfEmpty(&c.Dropped)
	nilIfEmpty(&c.Custom)
	for i := range c.Custom {
		nilIfEmpty(&c.Custom[i].Numbers)
		nilIfEmpty(&c.Custom[i].Strings)
		nilIfEmpty(&c.Custom[i].IPs)
	}
	return c
}

func nilIfEmpty[S ~[]E, E any](s *S) {
	if len(*s) == 0 {
		*s = nil
	}
}

// decodeJSON decodes b with a fresh Decoder into a fresh Report.
func decodeJSON(t testing.TB, b []byte) (Report, error) {
	t.Helper()
	var d Decoder
	var r Report
	err := d.DecodeJSON(b, &r)
	return r, err
}

func decodeCBOR(t testing.TB, b []byte) (Report, error) {
	t.Helper()
	var d Decoder
	var r Report
	err := d.DecodeCBOR(b, &r)
	return r, err
}

// jsonToCBOR re-encodes a JSON document as CBOR token by token, keeping key
// order and duplicate keys, so both formats can be fed the same report,
// malformed or not. Containers are indefinite-length (the reference files
// cover definite lengths); numbers are unsigned or negative integers when
// the literal is an integer that fits, else float64. It fails on invalid
// JSON.
func jsonToCBOR(b []byte) ([]byte, error) {
	d := jsontext.NewDecoder(bytesReader(b), jsontext.AllowDuplicateNames(true))
	var out []byte
	for {
		tok, err := d.ReadToken()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok.Kind() {
		case '{':
			out = append(out, 0xbf)
		case '[':
			out = append(out, 0x9f)
		case '}', ']':
			out = append(out, 0xff)
		case 'n':
			out = append(out, 0xf6)
		case 't':
			out = append(out, 0xf5)
		case 'f':
			out = append(out, 0xf4)
		case '"':
			s := tok.String()
			out = appendHead(out, 3, uint64(len(s)))
			out = append(out, s...)
		case '0':
			out = appendNumber(out, tok.String())
		default:
			return nil, errors.New("unexpected token")
		}
	}
}

func appendNumber(out []byte, lit string) []byte {
	if u, err := strconv.ParseUint(lit, 10, 64); err == nil {
		return appendHead(out, 0, u)
	}
	if i, err := strconv.ParseInt(lit, 10, 64); err == nil && i < 0 {
		return appendHead(out, 1, uint64(-1-i))
	}
	f, _ := strconv.ParseFloat(lit, 64) // ±Inf on overflow, like the decoder
	out = append(out, 0xfb)
	return binary.BigEndian.AppendUint64(out, math.Float64bits(f))
}

func appendHead(out []byte, major byte, v uint64) []byte {
	m := major << 5
	switch {
	case v < 24:
		return append(out, m|byte(v))
	case v <= math.MaxUint8:
		return append(out, m|24, byte(v))
	case v <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(out, m|25), uint16(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(out, m|26), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(out, m|27), v)
}

type byteReader struct {
	b []byte
}

func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func bytesReader(b []byte) io.Reader { return &byteReader{b} }

// Wire types: a Report written back as a long-key report for fxamacker/cbor,
// for the re-encoding round trips.
type (
	wireReport struct {
		Header  wireHeader      `cbor:"header"`
		Metrics wireMetrics     `cbor:"metrics"`
		Custom  cbor.RawMessage `cbor:"custom_metrics,omitempty"` // ordered, built by hand
	}
	wireHeader struct {
		ReportID int64  `cbor:"report_id"`
		Version  string `cbor:"version"`
	}
	wireMetrics struct {
		TCP  *wirePorts       `cbor:"listening_tcp_ports,omitempty"`
		UDP  *wirePorts       `cbor:"listening_udp_ports,omitempty"`
		Net  map[string]int64 `cbor:"network_stats,omitempty"`
		Conn *wireTCPConns    `cbor:"tcp_connections,omitempty"`
	}
	wirePorts struct {
		Ports []wirePort `cbor:"ports"`
		Total int64      `cbor:"total"`
	}
	wirePort struct {
		Port uint16 `cbor:"port"`
	}
	wireTCPConns struct {
		Established wireEstablished `cbor:"established_connections"`
	}
	wireEstablished struct {
		Connections []wireConn `cbor:"connections"`
		Total       int64      `cbor:"total"`
	}
	wireConn struct {
		RemoteAddr string `cbor:"remote_addr"`
	}
)

// toWire writes r back as a report: what a well-behaved agent would send
// for the values r holds.
func toWire(t testing.TB, r *Report) wireReport {
	w := wireReport{Header: wireHeader{ReportID: r.ReportID, Version: r.Version}}
	ports := func(pl PortList) *wirePorts {
		if !pl.Present {
			return nil
		}
		p := &wirePorts{Ports: []wirePort{}, Total: pl.Total}
		for _, v := range pl.Ports {
			p.Ports = append(p.Ports, wirePort{v})
		}
		return p
	}
	w.Metrics.TCP = ports(r.ListeningTCP)
	w.Metrics.UDP = ports(r.ListeningUDP)
	if ns := r.NetworkStats; ns.Present {
		w.Metrics.Net = map[string]int64{"bytes_in": ns.BytesIn, "bytes_out": ns.BytesOut, "packets_in": ns.PacketsIn, "packets_out": ns.PacketsOut}
	}
	if e := r.Established; e.Present {
		w.Metrics.Conn = &wireTCPConns{Established: wireEstablished{Connections: []wireConn{}, Total: e.Total}}
		for _, a := range e.RemoteAddrs {
			w.Metrics.Conn.Established.Connections = append(w.Metrics.Conn.Established.Connections,
				wireConn{netip.AddrPortFrom(a, 443).String()})
		}
	}
	if len(r.Custom) > 0 {
		w.Custom = appendHead(nil, 5, uint64(len(r.Custom)))
		for _, c := range r.Custom {
			var v any
			switch c.Kind {
			case Number:
				v = c.Number
			case NumberList:
				v = append([]float64{}, c.Numbers...)
			case StringList:
				v = append([]string{}, c.Strings...)
			case IPList:
				s := []string{}
				for _, a := range c.IPs {
					s = append(s, a.String())
				}
				v = s
			}
			k, err := cbor.Marshal(c.Name)
			require.NoError(t, err)
			e, err := cbor.Marshal([]map[string]any{{c.Kind.String(): v}})
			require.NoError(t, err)
			w.Custom = append(append(w.Custom, k...), e...)
		}
	}
	return w
}

// requireRoundTrip re-encodes r with fxamacker/cbor and requires the CBOR
// decoder to give r back (without what r had dropped).
func requireRoundTrip(t testing.TB, r *Report) {
	t.Helper()
	b, err := cbor.Marshal(toWire(t, r))
	require.NoError(t, err)
	got, err := decodeCBOR(t, b)
	require.NoError(t, err, "re-encoded report %x", b)
	want := norm(r)
	want.Dropped, want.DroppedCount = nil, 0
	require.Equal(t, want, norm(&got))
}

func newJSONDecoder(b []byte) *jsontext.Decoder {
	return jsontext.NewDecoder(bytesReader(b), JSONOptions())
}
