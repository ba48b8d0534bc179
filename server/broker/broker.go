// Package broker is an MQTT broker, embeddable in a service, that feeds an
// Engine the way AWS IoT Core feeds Device Defender: devices connect to it,
// their connects, disconnects, messages and authorization failures become
// cloud-side events, and the metrics reports they publish on
// $aws/things/THING/defender/metrics/json or …/cbor are ingested and
// answered on …/accepted or …/rejected with the service's payloads.
//
// It is built on github.com/mochi-mqtt/server/v2 (MQTT 3.1.1 and 5) with a
// hook of its own.
//
// # Identity
//
// A device's MQTT client id is its thing name. Its credentials are bound to
// that name: the password is looked up by client id, and a username, when
// the device sends one, must equal the client id, so a device cannot speak
// for another thing by connecting under that thing's name. Client ids that
// are not valid thing names, or that contain '/', '+' or '#' (which would
// make ${iot:ClientId} in a topic filter span or widen levels), are refused
// with "identifier rejected".
//
// # What the engine sees
//
// Every input is stamped with the time the broker received it (Config.Now);
// device clocks play no part. The embedding service drives the engine's
// clock with Engine.Advance from a ticker so that quiet periods close.
//
//   - A successful connect is a Connect with the connection's source IP.
//     Failed attempts (bad credentials, a username that is not the client id,
//     an invalid client id, a will the ACL denies) are counted in Stats().FailedConnects; the engine
//     has no input for them yet.
//   - The end of a connection is a Disconnect. A connection taken over by a
//     new one with the same client id is disconnected before the new connect
//     is applied, as AWS IoT does.
//   - A PUBLISH the device sends is a Sent message (topic, payload size); a
//     PUBLISH written to the device is a Received message. Device Defender's
//     reserved topics are no exception: the metrics are documented as the
//     number of messages a device sends or receives, naming no exception,
//     so a report is a Sent message and its reply, when the device
//     subscribed to it, a Received one. A profile
//     that wants application traffic only scopes its behavior with a
//     NOT_IN dimension on $aws/#.
//   - A publish or subscribe the ACL denies is an AuthorizationFailure on
//     its topic; so is a will on a topic the thing may not publish to, and
//     such a connect is refused. (The engine takes topic names only, so a denied subscription
//     to a wildcard filter is rejected by it and counted in
//     Stats().Rejected.Invalid.)
//   - A report published to $aws/things/THING/defender/metrics/json or
//     …/cbor is ingested for THING with IngestReport and answered on the
//     topic plus "/accepted" or "/rejected", in the report's own format. As
//     the service allows, a client may publish reports on behalf of another
//     thing when the ACL lets it publish to that thing's topic; the default
//     ACL lets a client publish only its own.
//
// Inputs the engine rejects are counted in Stats().Rejected by reason, and
// logged at debug level.
package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// ErrInvalidConfig is the error every configuration problem New reports
// matches with errors.Is.
var ErrInvalidConfig = errors.New("broker: invalid configuration")

// Broker is a running MQTT broker that feeds an Engine. Create it with New,
// run it with Serve, stop it with Close (or by cancelling Serve's context).
type Broker struct {
	server *mqtt.Server
	hook   *hook
	tcp    *gatedTCP
	log    *slog.Logger

	serveOnce sync.Once
	closeOnce sync.Once
	closed    chan struct{}
	closeErr  error
}

// New validates cfg, binds the listening address and returns a Broker that
// accepts no connection until Serve is called. The address is bound here so
// that Addr reports the real port when cfg.Listen asks for port 0.
func New(cfg Config) (*Broker, error) {
	c, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = c.MaxPacketSize
	s := mqtt.New(&mqtt.Options{
		Capabilities: caps,
		InlineClient: true, // the broker publishes the report replies itself
		Logger:       c.Logger,
	})
	h := newHook(s, c)
	if err := s.AddHook(h, nil); err != nil {
		return nil, fmt.Errorf("broker: add hook: %w", err)
	}
	tcp := newGatedTCP(listeners.Config{ID: "mqtt", Address: c.Listen, TLSConfig: c.tls})
	if err := s.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", c.Listen, err)
	}
	return &Broker{server: s, hook: h, tcp: tcp, log: c.Logger, closed: make(chan struct{})}, nil
}

// Addr returns the address the broker listens on, e.g. "127.0.0.1:38211".
func (b *Broker) Addr() string { return b.tcp.Address() }

// Serve accepts connections until ctx is done or Close is called, then
// closes the broker: it disconnects every client (each disconnect reaches
// the engine) and returns once they are all gone. It returns nil after such
// a shutdown, and an error if the broker could not start. Serve may be
// called once.
func (b *Broker) Serve(ctx context.Context) error {
	started := false
	var err error
	b.serveOnce.Do(func() {
		started = true
		err = b.server.Serve()
	})
	if !started {
		return errors.New("broker: Serve called twice")
	}
	if err != nil {
		_ = b.Close()
		return fmt.Errorf("broker: serve: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-b.closed:
	}
	return b.Close()
}

// Close stops accepting connections, disconnects every client and waits for
// their disconnects to be applied. It is safe to call more than once and
// from any goroutine.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.tcp.shutGate() // see gatedTCP: no connection is half counted when mochi closes
		b.closeErr = b.server.Close()
		close(b.closed)
	})
	return b.closeErr
}

// Publish sends payload on topic to every subscribed client the ACL lets
// receive it, at most at QoS 1, as the broker itself (no ACL check for the
// sender). A service uses it to send alerts to an MQTT topic.
func (b *Broker) Publish(topic string, payload []byte) error {
	if err := b.server.Publish(topic, payload, false, 1); err != nil {
		return fmt.Errorf("broker: publish on %q: %w", topic, err)
	}
	return nil
}

// Stats returns the broker's counters since New.
func (b *Broker) Stats() Stats { return b.hook.stats.snapshot() }

// tlsConfig builds the listener's TLS configuration from a certificate and
// key file pair, or returns nil for plain TCP.
func tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("%w: TLSCertFile and TLSKeyFile must be set together", ErrInvalidConfig)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: TLS key pair: %w", ErrInvalidConfig, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
