package broker

import (
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/ruledetect/ruledetect"
)

// hook is the mochi-mqtt hook that authenticates devices, enforces the ACL
// and turns what the broker sees into Engine inputs (see the package
// documentation for what becomes what).
type hook struct {
	mqtt.HookBase
	server *mqtt.Server
	e      *ruledetect.Engine
	in     Ingester // nil: the Engine, through thing handles
	acl    *ACL
	auth   func(thing string, password []byte) bool
	now    func() time.Time
	log    *slog.Logger
	stats  counters

	// conns maps each established *mqtt.Client to its conn.
	conns sync.Map
}

// conn is one established connection: the thing handle made once for all
// its inputs, and where it came from.
type conn struct {
	thing *ruledetect.Thing
	ip    netip.Addr
	// ended is set when the connection's Disconnect has been applied: at a
	// takeover (before the new connection's Connect) or when it closes.
	ended atomic.Bool
}

func newHook(s *mqtt.Server, c resolved) *hook {
	return &hook{server: s, e: c.Engine, in: c.Ingester, acl: c.ACL, auth: c.Authenticate, now: c.Now, log: c.Logger}
}

// ID names the hook in mochi's logs.
func (h *hook) ID() string { return "ruledetect" }

// Provides lists the events the hook handles.
func (h *hook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck,
		mqtt.OnSessionEstablish, mqtt.OnSessionEstablished, mqtt.OnDisconnect,
		mqtt.OnPublish, mqtt.OnPacketSent:
		return true
	}
	return false
}

// checkClientID refuses client ids that cannot stand for ${iot:ClientId} in
// a topic filter or for THING in $aws/things/THING/…: the empty id (for
// which the server would assign a random one) and ids with '/', '+' or '#'.
// Whether the id is a valid thing name is the engine's rule (Engine.Thing).
func checkClientID(id string) error {
	if id == "" {
		return errors.New("client id is empty; it must be the thing name")
	}
	if i := strings.IndexAny(id, "/+#"); i >= 0 {
		return errors.New("client id contains '" + id[i:i+1] + "', which a topic level cannot hold")
	}
	return nil
}

// OnConnect refuses client ids that cannot be thing names, with "identifier
// rejected", before any credential is looked at.
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	id := pk.Connect.ClientIdentifier
	err := checkClientID(id)
	if err == nil {
		_, err = h.e.Thing(id)
	}
	if err != nil {
		h.stats.invalidClientID.Add(1)
		h.log.Info("connect refused: invalid client id", "client", id, "remote", cl.Net.Remote, "error", err)
		_ = h.server.SendConnack(cl, packets.ErrClientIdentifierNotValid, false, nil)
		return packets.ErrClientIdentifierNotValid
	}
	// Outbound topic aliases would leave delivered PUBLISH packets without
	// their topic, which the Received input needs; the broker uses none.
	cl.Properties.Props.TopicAliasMaximum = 0
	return nil
}

// OnConnectAuthenticate binds the credentials to the client id: a username,
// when sent, must be the client id, and the password must be the thing's.
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	if u := pk.Connect.Username; len(u) > 0 && string(u) != cl.ID {
		h.stats.wrongUsername.Add(1)
		h.log.Info("connect refused: username is not the client id", "client", cl.ID, "remote", cl.Net.Remote)
		h.failedAttempt(cl)
		return false
	}
	if !h.auth(cl.ID, pk.Connect.Password) {
		h.stats.badCredentials.Add(1)
		h.log.Info("connect refused: bad credentials", "client", cl.ID, "remote", cl.Net.Remote)
		h.failedAttempt(cl)
		return false
	}
	// The broker publishes a will without asking the ACL, so the ACL is
	// asked here: a will on a topic the thing may not publish to is a denied
	// publish, and the connection is refused rather than the will dropped.
	if pk.Connect.WillFlag && !h.acl.CanPublish(cl.ID, pk.Connect.WillTopic) {
		h.stats.deniedPublish.Add(1)
		h.stats.willDenied.Add(1)
		if c := h.conn(cl); c != nil {
			err := h.authorizationFailure(c, ruledetect.AuthorizationFailure{Time: h.now(), Topic: pk.Connect.WillTopic})
			h.applied(&h.stats.authFailures, "authorization failure", cl.ID, err)
		}
		h.log.Info("connect refused: will topic not allowed", "client", cl.ID, "remote", cl.Net.Remote, "topic", pk.Connect.WillTopic)
		h.failedAttempt(cl)
		return false
	}
	return true
}

// failedAttempt applies a refused connection attempt of a valid client id:
// it counts toward aws:num-connection-attempts and nothing else.
func (h *hook) failedAttempt(cl *mqtt.Client) {
	err := h.failedConnect(ruledetect.Connect{Thing: cl.ID, Time: h.now(), SourceIP: remoteIP(cl.Net.Remote), Failed: true})
	h.applied(&h.stats.failedConnects, "failed connect", cl.ID, err)
}

// OnSessionEstablish runs before a new connection takes over an existing
// one with the same client id; the old connection's Disconnect is applied
// here so that the engine sees it before the new Connect.
func (h *hook) OnSessionEstablish(cl *mqtt.Client, _ packets.Packet) {
	if old, ok := h.server.Clients.Get(cl.ID); ok && old != cl {
		if v, ok := h.conns.Load(old); ok {
			h.disconnect(v.(*conn))
		}
	}
}

// OnSessionEstablished applies the Connect of an accepted connection and
// keeps its conn for the inputs that follow.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	at := h.now()
	thing, err := h.e.Thing(cl.ID) // checked in OnConnect
	if err != nil {
		h.stats.count(nil, err)
		return
	}
	c := &conn{thing: thing, ip: remoteIP(cl.Net.Remote)}
	h.conns.Store(cl, c)
	err = h.connect(c, ruledetect.Connect{Time: at, SourceIP: c.ip})
	h.applied(&h.stats.connects, "connect", cl.ID, err)
}

// OnDisconnect applies the Disconnect of a connection that ends, unless a
// takeover applied it already.
func (h *hook) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	if v, ok := h.conns.LoadAndDelete(cl); ok {
		h.disconnect(v.(*conn))
	}
}

func (h *hook) disconnect(c *conn) {
	if !c.ended.CompareAndSwap(false, true) {
		return
	}
	err := h.disconnected(c, ruledetect.Disconnect{Time: h.now()})
	h.applied(&h.stats.disconnects, "disconnect", c.thing.Name(), err)
}

// OnACLCheck enforces the ACL. write is true for a publish; false for a
// subscription (topic is then a filter) and for a delivery to cl (a topic).
// Every refusal is an authorization failure of cl on that topic.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	var ok bool
	if write {
		ok = h.acl.CanPublish(cl.ID, topic)
	} else {
		ok = h.acl.CanSubscribe(cl.ID, topic)
	}
	if ok {
		return true
	}
	if write {
		h.stats.deniedPublish.Add(1)
	} else {
		h.stats.deniedSubscribe.Add(1)
	}
	if c := h.conn(cl); c != nil {
		err := h.authorizationFailure(c, ruledetect.AuthorizationFailure{Time: h.now(), Topic: topic})
		h.applied(&h.stats.authFailures, "authorization failure", cl.ID, err)
	}
	return false
}

// OnPublish applies a message a device published, and ingests and answers
// it when it is a metrics report. It runs before the broker acknowledges a
// QoS 1 publish (PUBACK), so that with a durable log an acknowledged message
// is in the log: a crash after the PUBACK loses nothing the device was told
// was received.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // the broker's own replies; their deliveries are counted in OnPacketSent
	}
	at := h.now()
	c := h.conn(cl)
	if c == nil {
		return pk, nil
	}
	err := h.message(c, ruledetect.Message{
		Time: at, Direction: ruledetect.Sent, Topic: pk.TopicName, Bytes: int64(len(pk.Payload)), SourceIP: c.ip,
	})
	h.applied(&h.stats.sent, "message sent", cl.ID, err)
	if thing, format, ok := reportTopic(pk.TopicName); ok {
		h.report(c, thing, format, pk.TopicName, pk.Payload, at)
	}
	return pk, nil
}

// report ingests a metrics report for thing and publishes the service's
// reply on the report topic's /accepted or /rejected topic.
func (h *hook) report(c *conn, thing string, format ruledetect.ReportFormat, topic string, payload []byte, at time.Time) {
	res, err := h.ingestReport(c, thing, at, format, payload)
	h.applied(&h.stats.reports, "report", thing, err)
	r := acceptedReply(thing, res, at)
	if err != nil {
		r = rejectedReply(thing, err, at)
	}
	body, err2 := r.encode(format)
	if err2 == nil {
		err2 = h.server.Publish(replyTopic(topic, err == nil), body, false, 1)
	}
	if err2 != nil {
		h.stats.replyErrors.Add(1)
		h.log.Warn("report reply not published", "thing", thing, "topic", topic, "error", err2)
	}
}

// OnPacketSent applies a message delivered to a device once its PUBLISH
// has been written to the connection.
func (h *hook) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if pk.FixedHeader.Type != packets.Publish || cl.Net.Inline {
		return
	}
	c := h.conn(cl)
	if c == nil {
		return
	}
	err := h.message(c, ruledetect.Message{
		Time: h.now(), Direction: ruledetect.Received, Topic: pk.TopicName, Bytes: int64(len(pk.Payload)),
	})
	h.applied(&h.stats.received, "message received", cl.ID, err)
}

// conn returns cl's conn. A client not (or no longer) in the table, such
// as one whose stored session is delivered before OnSessionEstablished
// runs, gets a transient one.
func (h *hook) conn(cl *mqtt.Client) *conn {
	if v, ok := h.conns.Load(cl); ok {
		return v.(*conn)
	}
	thing, err := h.e.Thing(cl.ID)
	if err != nil {
		h.stats.count(nil, err)
		return nil
	}
	return &conn{thing: thing, ip: remoteIP(cl.Net.Remote)}
}

// applied counts an input's outcome and logs a rejection.
func (h *hook) applied(counter *atomic.Uint64, kind, thing string, err error) {
	h.stats.count(counter, err)
	if err != nil {
		h.log.Debug("input rejected by the engine", "kind", kind, "thing", thing, "error", err)
	}
}

// remoteIP returns the IP of a "host:port" remote address, or the zero
// Addr when there is none (an inline or unusual connection).
func remoteIP(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
