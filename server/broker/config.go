package broker

import (
	"crypto/subtle"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ruledetect/ruledetect"
)

// DefaultListen is the address a Broker listens on when Config.Listen is
// empty: every interface, MQTT's registered port.
const DefaultListen = ":1883"

// DefaultMaxPacketSize is the largest MQTT packet a Broker takes by default:
// AWS IoT Core's 128 KB limit on a publish or connect request. A larger
// packet closes the connection (a Disconnect for the engine), as in AWS IoT.
const DefaultMaxPacketSize = 128 * 1024

// Config configures a Broker. Engine and one of Passwords or Authenticate
// are required; everything else has a default.
type Config struct {
	// Engine receives the broker's inputs (unless Ingester is set) and
	// validates client ids as thing names.
	Engine *ruledetect.Engine
	// Ingester, when set, receives the inputs instead of Engine: a durable
	// log that appends each one before it applies it to Engine.
	Ingester Ingester

	// Listen is the TCP address to listen on (default DefaultListen);
	// "127.0.0.1:0" picks a free port, which Broker.Addr reports.
	Listen string
	// TLSCertFile and TLSKeyFile, when both set, make the listener speak
	// MQTT over TLS with that PEM certificate (chain) and key.
	TLSCertFile, TLSKeyFile string

	// Passwords maps a thing name (the client id) to its password, which
	// must not be empty.
	Passwords map[string]string
	// Authenticate, when set, is asked instead of Passwords whether
	// password is the password of thing. It is called from the connecting
	// client's goroutine and must be safe for concurrent use.
	Authenticate func(thing string, password []byte) bool

	// MaxPacketSize is the largest MQTT packet accepted, in bytes (default
	// DefaultMaxPacketSize).
	MaxPacketSize uint32

	// ACL says which topics each client may publish and subscribe to
	// (default DefaultACL()).
	ACL *ACL

	// Now stamps every input with the time it was received (default
	// time.Now). Tests pass a fake clock.
	Now func() time.Time
	// Logger receives the broker's logs and those of the MQTT server
	// underneath (default: discard).
	Logger *slog.Logger
}

// resolved is a Config with its defaults filled in and its parts checked.
type resolved struct {
	Config
	tls *tls.Config
}

func (cfg Config) resolve() (resolved, error) {
	c := resolved{Config: cfg}
	if c.Engine == nil {
		return c, fmt.Errorf("%w: Engine is required", ErrInvalidConfig)
	}
	if c.Passwords == nil && c.Authenticate == nil {
		return c, fmt.Errorf("%w: one of Passwords or Authenticate is required (an open broker would let any device speak for any thing)", ErrInvalidConfig)
	}
	if c.Authenticate == nil {
		for thing, pw := range c.Passwords {
			if pw == "" {
				return c, fmt.Errorf("%w: thing %q has an empty password (a client sending none would get in)", ErrInvalidConfig, thing)
			}
		}
		c.Authenticate = passwordTable(c.Passwords)
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.MaxPacketSize == 0 {
		c.MaxPacketSize = DefaultMaxPacketSize
	}
	if c.ACL == nil {
		c.ACL = DefaultACL()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	if c.tls, err = tlsConfig(c.TLSCertFile, c.TLSKeyFile); err != nil {
		return c, err
	}
	return c, nil
}

// passwordTable checks passwords against a copy of table, in constant time
// for a known thing.
func passwordTable(table map[string]string) func(string, []byte) bool {
	own := make(map[string][]byte, len(table))
	for thing, pw := range table {
		own[thing] = []byte(pw)
	}
	return func(thing string, password []byte) bool {
		want, ok := own[thing]
		return ok && subtle.ConstantTimeCompare(want, password) == 1
	}
}
