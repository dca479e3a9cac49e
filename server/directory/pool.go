package directory

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Dialer opens network connections; *net.Dialer is one. Tests and
// operators may replace it (a proxy, a recording dialer).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// healthCheckAfter is how long a connection may sit idle before it is
// checked (a read of the root DSE) on its way out of the pool.
const healthCheckAfter = 30 * time.Second

// downFor is how long a server that could not be reached is tried only after
// the other servers of its directory.
const downFor = 30 * time.Second

// server is one URL of a directory with its two pools of open connections:
// search connections stay bound as the service account; bind connections
// carry the password binds of people (each bind replaces the identity of the
// previous one, so they are never used to search).
type server struct {
	url            string
	addr           string
	ldaps          bool
	startTLS       bool
	tls            *tls.Config
	dialer         Dialer
	now            func() time.Time
	connectTimeout time.Duration
	timeout        time.Duration
	bindDN         string
	bindPassword   string

	search *pool
	binds  *pool

	mu        sync.Mutex
	downUntil time.Time
}

func newServer(raw string, startTLS bool, tlsConfig *tls.Config, o settings) (*server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	s := &server{url: raw, ldaps: u.Scheme == "ldaps", startTLS: startTLS, dialer: o.dialer, now: o.now,
		connectTimeout: o.connectTimeout, timeout: o.timeout, bindDN: o.bindDN, bindPassword: o.bindPassword}
	port := u.Port()
	if port == "" {
		port = "389"
		if s.ldaps {
			port = "636"
		}
	}
	s.addr = net.JoinHostPort(u.Hostname(), port)
	if s.ldaps || startTLS {
		c := tlsConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = u.Hostname()
		}
		s.tls = c
	}
	s.search = &pool{server: s, max: o.maxIdle, service: true}
	s.binds = &pool{server: s, max: o.maxIdle}
	return s, nil
}

// markDown records that the server could not be reached.
func (s *server) markDown() {
	s.mu.Lock()
	s.downUntil = s.now().Add(downFor)
	s.mu.Unlock()
}

// markUp records that the server answered.
func (s *server) markUp() {
	s.mu.Lock()
	s.downUntil = time.Time{}
	s.mu.Unlock()
}

// isDown reports whether the server failed recently.
func (s *server) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now().Before(s.downUntil)
}

// conn is one open connection.
type conn struct {
	*ldap.Conn
	raw      net.Conn
	lastUsed time.Time
	reused   bool // taken from the pool rather than just opened
}

// pool keeps idle connections of one server for reuse.
type pool struct {
	server  *server
	max     int
	service bool // connections are bound as the service account

	mu   sync.Mutex
	idle []*conn
}

// get returns an idle connection that is still healthy, or opens a new one.
func (p *pool) get(ctx context.Context) (*conn, error) {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		if c.IsClosing() {
			c.Close()
			continue
		}
		if p.server.now().Sub(c.lastUsed) > healthCheckAfter && !p.healthy(ctx, c) {
			c.Close()
			continue
		}
		c.reused = true
		return c, nil
	}
	c, err := p.server.open(ctx, p.service)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// healthy reads the root DSE, which every server answers.
func (p *pool) healthy(ctx context.Context, c *conn) bool {
	return run(ctx, c, func() error {
		_, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1,
			int(p.server.timeout/time.Second), false, "(objectClass=*)", []string{"1.1"}, nil))
		return err
	}) == nil
}

// put returns a connection to the pool, or closes it when it is broken or
// the pool is full.
func (p *pool) put(c *conn) {
	if c.IsClosing() {
		c.Close()
		return
	}
	c.lastUsed = p.server.now()
	p.mu.Lock()
	if len(p.idle) < p.max {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	c.Close()
}

// idleCount returns the number of pooled connections.
func (p *pool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// close closes every idle connection.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
}

// open dials the server, sets up TLS (ldaps:// or StartTLS) and, for a
// service connection, binds as the service account, all within the connect
// timeout. A connection whose setup failed at any step is closed.
func (s *server) open(ctx context.Context, service bool) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.connectTimeout)
	defer cancel()
	raw, err := s.dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, &outageError{server: s.url, op: "connect", err: err}
	}
	deadline, _ := ctx.Deadline()
	_ = raw.SetDeadline(deadline)
	var lc *ldap.Conn
	if s.ldaps {
		tc := tls.Client(raw, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, &outageError{server: s.url, op: "TLS handshake", err: err}
		}
		lc = ldap.NewConn(tc, true)
	} else {
		lc = ldap.NewConn(raw, false)
	}
	lc.Start()
	lc.SetTimeout(s.connectTimeout)
	c := &conn{Conn: lc, raw: raw}
	if s.startTLS {
		if err := run(ctx, c, func() error { return lc.StartTLS(s.tls) }); err != nil {
			// go-ldap leaves a connection whose StartTLS failed unusable: never reuse it.
			c.Close()
			raw.Close()
			return nil, &outageError{server: s.url, op: "StartTLS", err: err}
		}
	}
	if service {
		err := run(ctx, c, func() error { return lc.Bind(s.bindDN, s.bindPassword) })
		if err != nil {
			c.Close()
			// A server that did not answer within the connect timeout is
			// out of reach, whatever error the reader reports (go-ldap's
			// "unable to read LDAP response packet: i/o timeout" carries no
			// network code), never a misconfiguration.
			if isNetwork(err) || ctx.Err() != nil || !time.Now().Before(deadline) {
				return nil, &outageError{server: s.url, op: "service bind", err: err}
			}
			return nil, fmt.Errorf("%w: binding as the service account %s at %s: %v", errMisconfigured, s.bindDN, s.url, err)
		}
	}
	_ = raw.SetDeadline(time.Time{})
	lc.SetTimeout(s.timeout)
	return c, nil
}

// run calls f, closing the connection if ctx ends first so that f returns.
func run(ctx context.Context, c *conn, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	err := f()
	if !stop() && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// errMisconfigured is an error that another server of the same directory
// would give too: a rejected service account, a missing base DN.
var errMisconfigured = errors.New("directory: misconfigured")

// outageError says a server could not be used: the next one is tried.
type outageError struct {
	server string
	op     string
	err    error
}

func (e *outageError) Error() string { return e.op + " " + e.server + ": " + e.err.Error() }
func (e *outageError) Unwrap() error { return e.err }

// isNetwork reports whether err means the server or the connection is gone
// or too slow, rather than an answer about the request.
func isNetwork(err error) bool {
	var oe *outageError
	if errors.As(err, &oe) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return ldap.IsErrorAnyOf(err, ldap.ErrorNetwork, ldap.LDAPResultServerDown, ldap.LDAPResultConnectError,
		ldap.LDAPResultTimeout, ldap.LDAPResultBusy, ldap.LDAPResultUnavailable, ldap.LDAPResultTimeLimitExceeded)
}
