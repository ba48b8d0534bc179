package broker

import (
	"errors"
	"net"
	"sync"

	"github.com/mochi-mqtt/server/v2/listeners"
)

// gatedTCP is mochi's TCP listener with a gate that Close can shut before
// the server closes. mochi counts a connection in its clients WaitGroup
// (Add) on the connection's own goroutine, after Accept, while Server.Close
// waits on that group: a connection accepted just as the broker closes
// would Add concurrently with the Wait, which the race detector reports
// and which can let Close return before that client is gone. The gate
// makes every accepted connection either reach its first read (mochi's Add
// comes before it on the same goroutine) or be refused, before Close goes on.
type gatedTCP struct {
	*listeners.TCP

	mu      sync.Mutex
	shut    bool
	pending sync.WaitGroup // accepted connections that have not yet read
}

func newGatedTCP(cfg listeners.Config) *gatedTCP { return &gatedTCP{TCP: listeners.NewTCP(cfg)} }

// Serve serves the wrapped listener, passing each connection on through
// the gate.
func (g *gatedTCP) Serve(establish listeners.EstablishFn) {
	g.TCP.Serve(func(id string, c net.Conn) error {
		g.mu.Lock()
		if g.shut {
			g.mu.Unlock()
			c.Close()
			return errors.New("broker: closing")
		}
		g.pending.Add(1)
		g.mu.Unlock()
		gc := &gatedConn{Conn: c, first: g.pending.Done}
		defer gc.passed() // a connection that never read passes too
		return establish(id, gc)
	})
}

// shutGate refuses further connections and waits until every accepted one
// has been counted by mochi (or has ended).
func (g *gatedTCP) shutGate() {
	g.mu.Lock()
	g.shut = true
	g.mu.Unlock()
	g.pending.Wait()
}

// gatedConn calls first once, at its first Read.
type gatedConn struct {
	net.Conn
	once  sync.Once
	first func()
}

func (c *gatedConn) passed() { c.once.Do(c.first) }

func (c *gatedConn) Read(p []byte) (int, error) {
	c.passed()
	return c.Conn.Read(p)
}
