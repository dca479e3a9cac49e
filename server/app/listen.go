package app

import (
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/dinhdanh/dinhdanh/config"
)

// metricsMaxConnections is the cap on the connections of the operator
// listener of /metrics: a scraper or two and an operator's curl.
const metricsMaxConnections = 16

// NewHTTPServer returns an http.Server of h with the timeouts and the header
// cap of cfg (config.Server). Serve it on a listener wrapped by
// ConnLimit.Listener, which caps the connections.
func NewHTTPServer(cfg config.Server, h http.Handler, log *slog.Logger) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: cfg.ReadHeaderTimeout.D(), ReadTimeout: cfg.ReadTimeout.D(),
		WriteTimeout: cfg.WriteTimeout.D(), IdleTimeout: cfg.IdleTimeout.D(), MaxHeaderBytes: cfg.MaxHeaderBytes}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	}
	return srv
}

// ConnLimit caps the connections that the listeners it wraps hold open
// together. A listener wrapped by it accepts a connection only while fewer
// than the cap are open: above it, Accept waits, and new connections wait in
// the kernel's listen backlog (once that is full the kernel drops their SYNs
// and clients retry), costing the process nothing. A connection frees its
// slot when it is closed, which the server's read-header, read and idle
// timeouts guarantee for a client that stalls.
type ConnLimit struct {
	slots chan struct{}
}

// NewConnLimit returns a cap of n connections (n ≥ 1).
func NewConnLimit(n int) *ConnLimit {
	if n < 1 {
		n = 1
	}
	return &ConnLimit{slots: make(chan struct{}, n)}
}

// Listener returns ln capped by l. Closing it closes ln and ends a waiting
// Accept with net.ErrClosed; connections already accepted are not closed.
func (l *ConnLimit) Listener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, slots: l.slots, done: make(chan struct{})}
}

// Open returns the number of connections that hold a slot.
func (l *ConnLimit) Open() int { return len(l.slots) }

type limitListener struct {
	net.Listener
	slots chan struct{}
	once  sync.Once
	done  chan struct{}
}

func (ll *limitListener) Accept() (net.Conn, error) {
	select {
	case ll.slots <- struct{}{}:
	case <-ll.done:
		return nil, net.ErrClosed
	}
	c, err := ll.Listener.Accept()
	if err != nil {
		<-ll.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-ll.slots }}, nil
}

func (ll *limitListener) Close() error {
	ll.once.Do(func() { close(ll.done) })
	return ll.Listener.Close()
}

// limitConn gives its slot back once, on the first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
