package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
)

// Options are what a Directory takes besides its configuration. Zero
// values are replaced by the defaults documented on each field.
type Options struct {
	// Dialer opens TCP connections. Default: a *net.Dialer.
	Dialer Dialer
	// Now is the clock (health checks, down marks, group cache, sync times). Default: time.Now.
	Now func() time.Time
	// Log receives what operators need to know (outages, ambiguous entries). Default: discarded.
	Log *slog.Logger
	// TLSConfig is the base TLS configuration; CAFile and ServerName of the
	// directory are applied over it. Default: TLS 1.2 or later, system roots.
	TLSConfig *tls.Config
	// GroupCacheTTL is how long the groups read for logins are reused. Default 1 minute.
	GroupCacheTTL time.Duration
	// Leases, when not nil, lets one node at a time synchronise a directory
	// (see Set.SyncWith). Nil: runs are not coordinated.
	Leases store.Leases
	// Audit, when not nil, records refused and forced synchronisations.
	Audit *audit.Recorder
	// Actor is the actor of those audit records. Default "directory".
	Actor string
	// LoginTimeout bounds the directories' part of one login (every search,
	// bind and group read, over every directory tried), within the caller's
	// own deadline; running out is an outage (authn.ErrUnavailable).
	// Default DefaultLoginTimeout.
	LoginTimeout time.Duration
}

// DefaultLoginTimeout is the default of Options.LoginTimeout: well under the
// server's 30-second write timeout, so that the person always gets a page.
const DefaultLoginTimeout = 20 * time.Second

// settings are the per-server values derived from a configuration.
type settings struct {
	dialer         Dialer
	now            func() time.Time
	connectTimeout time.Duration
	timeout        time.Duration
	maxIdle        int
	bindDN         string
	bindPassword   string
}

// Directory is one configured staff directory: its servers in failover
// order, each with pooled connections, and its mapping of entries to
// officials' accounts.
type Directory struct {
	cfg      config.Directory
	servers  []*server
	log      *slog.Logger
	now      func() time.Time
	username string   // the attribute whose value is the username
	attrs    []string // attributes read for a person
	groupTTL time.Duration

	// search sends every search of the directory, with the paged-results
	// control when pageSize is not 0; tests record the requests through it.
	search func(c *conn, req *ldap.SearchRequest, pageSize uint32) (*ldap.SearchResult, error)

	groupsMu sync.Mutex
	groups   *groupIndex

	breaker *breaker
}

// New prepares a directory from its configuration; no connection is opened
// until one is needed. The configuration must have passed config.Validate.
func New(cfg config.Directory, o Options) (*Directory, error) {
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{KeepAlive: 30 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.GroupCacheTTL <= 0 {
		o.GroupCacheTTL = time.Minute
	}
	password := cfg.BindPassword
	if cfg.BindPasswordFile != "" {
		b, err := os.ReadFile(cfg.BindPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("directory %s: bind_password_file: %w", cfg.Name, err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSConfig != nil {
		tc = o.TLSConfig.Clone()
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("directory %s: ca_file: %w", cfg.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("directory %s: ca_file %s holds no PEM certificate", cfg.Name, cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.ServerName != "" {
		tc.ServerName = cfg.ServerName
	}
	d := &Directory{cfg: cfg, log: o.Log.With("directory", cfg.Name), now: o.Now, groupTTL: o.GroupCacheTTL}
	d.search = sendSearch
	st := settings{dialer: o.Dialer, now: o.Now, connectTimeout: cfg.ConnectTimeout.D(), timeout: cfg.Timeout.D(),
		maxIdle: cfg.MaxIdleConns, bindDN: cfg.BindDN, bindPassword: password}
	for _, u := range cfg.URLs {
		s, err := newServer(u, cfg.StartTLS, tc, st)
		if err != nil {
			return nil, fmt.Errorf("directory %s: %w", cfg.Name, err)
		}
		d.servers = append(d.servers, s)
	}
	d.username = cfg.Users.Attributes.Username
	if d.username == "" {
		d.username = cfg.Users.LoginAttributes[0]
	}
	d.attrs = d.personAttributes()
	d.breaker = newBreaker(cfg.Breaker, o.Now, d.log)
	return d, nil
}

// Name returns the directory's name.
func (d *Directory) Name() string { return d.cfg.Name }

// Agency returns the agency the directory serves.
func (d *Directory) Agency() string { return d.cfg.Agency }

// Config returns the directory's configuration.
func (d *Directory) Config() config.Directory { return d.cfg }

// Close closes every pooled connection.
func (d *Directory) Close() {
	for _, s := range d.servers {
		s.search.close()
		s.binds.close()
	}
}

// ErrUnreachable wraps the error of a directory none of whose servers could
// be used.
var ErrUnreachable = errors.New("directory: no server could be reached")

// withConn runs f on a connection of the first server that can be used, in
// the configured order, servers that failed recently last. A pooled
// connection that turns out broken is replaced by a new one on the same
// server once; a server that cannot be reached is marked down and the next
// one is tried. service chooses the search pool (bound as the service
// account) or the bind pool.
//
// The directory's circuit breaker decides first: while it is open the
// request fails at once with ErrBreakerOpen, and the outcome of every
// request it lets through is counted (see breaker.done).
func (d *Directory) withConn(ctx context.Context, service bool, f func(c *conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	probe, err := d.breaker.allow()
	if err != nil {
		return fmt.Errorf("%s: %w", d.cfg.Name, err)
	}
	err = d.tryServers(ctx, service, f)
	failed, abandoned := breakerOutcome(err)
	d.breaker.done(probe, failed, abandoned)
	return err
}

// tryServers is withConn without the circuit breaker.
func (d *Directory) tryServers(ctx context.Context, service bool, f func(c *conn) error) error {
	order := make([]*server, 0, len(d.servers))
	var down []*server
	for _, s := range d.servers {
		if s.isDown() {
			down = append(down, s)
		} else {
			order = append(order, s)
		}
	}
	order = append(order, down...)
	var errs []error
	for _, s := range order {
		p := s.binds
		if service {
			p = s.search
		}
		for attempt := 0; attempt < 2; attempt++ {
			c, err := p.get(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if !isNetwork(err) {
					return err
				}
				errs = append(errs, err)
				break
			}
			err = run(ctx, c, func() error { return f(c) })
			if err == nil || !isNetwork(err) {
				p.put(c)
				s.markUp()
				return err
			}
			c.Close()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", s.url, err))
			if !c.reused {
				break // a new connection failed: the server is the problem
			}
		}
		d.log.Warn("directory server unreachable", "url", s.url, "err", errs[len(errs)-1])
		s.markDown()
	}
	return fmt.Errorf("%w: %s: %w", ErrUnreachable, d.cfg.Name, errors.Join(errs...))
}

// Ping opens a connection to each server and binds as the service account,
// reporting each server's error (nil for a server that works).
func (d *Directory) Ping(ctx context.Context) map[string]error {
	out := map[string]error{}
	for _, s := range d.servers {
		c, err := s.open(ctx, true)
		if err == nil {
			err = run(ctx, c, func() error {
				_, err := c.Search(ldap.NewSearchRequest(d.cfg.Users.BaseDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
					1, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
				return err
			})
			c.Close()
		}
		out[s.url] = err
	}
	return out
}

// IdleConnections returns the number of pooled connections of every server,
// search and bind pools together.
func (d *Directory) IdleConnections() int {
	n := 0
	for _, s := range d.servers {
		n += s.search.idleCount() + s.binds.idleCount()
	}
	return n
}

// sendSearch sends a search, paged when pageSize is not 0.
func sendSearch(c *conn, req *ldap.SearchRequest, pageSize uint32) (*ldap.SearchResult, error) {
	if pageSize > 0 {
		return c.SearchWithPaging(req, pageSize)
	}
	return c.Search(req)
}

func scope(s string) int {
	if s == "one" {
		return ldap.ScopeSingleLevel
	}
	return ldap.ScopeWholeSubtree
}
