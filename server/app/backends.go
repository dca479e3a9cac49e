package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/redisstore"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// Backend selection: durable state is in SQLite (database.url empty or
// "sqlite:…") or PostgreSQL ("postgres://…"); ephemeral state is in Redis
// when redis.addrs is set, else in the same database.

// OpenDatabase opens the configured database without checking or migrating
// its schema.
func OpenDatabase(ctx context.Context, cfg *config.Config) (*sqlstore.DB, error) {
	if url := cfg.PostgresURL(); url != "" {
		return sqlstore.OpenPostgresWith(ctx, url, sqlstore.PostgresOptions{MaxConns: cfg.Database.MaxOpenConns,
			StatementTimeout: cfg.Database.StatementTimeout.D()})
	}
	path := cfg.DatabasePath()
	if path == "" {
		return nil, errors.New("database.url: not a database this build supports")
	}
	return sqlstore.OpenSQLite(ctx, path, cfg.Database.MaxOpenConns)
}

// OpenStore opens the configured database and checks that its schema is the
// one this build understands. With migrate, the embedded SQLite database is
// first brought up to date (it is the single-node default and migrates
// itself); a PostgreSQL database is never migrated here, only by "dinhdanh
// migrate": a schema that is older is refused with sqlstore.ErrSchemaTooOld,
// one that is newer with sqlstore.ErrSchemaTooNew.
func OpenStore(ctx context.Context, cfg *config.Config, migrate bool) (*sqlstore.DB, error) {
	db, err := OpenDatabase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if migrate && db.Engine() == "sqlite" {
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := db.Check(ctx); err != nil {
		db.Close()
		if db.Engine() == "postgres" {
			return nil, fmt.Errorf("PostgreSQL: %w", err)
		}
		return nil, err
	}
	return db, nil
}

// OpenEphemeral returns the store of ephemeral state: Redis when
// redis.addrs is configured (it must answer), else db itself. Close it with
// CloseEphemeral. With Redis, go-redis's own messages go to log when it is
// not nil, and Redis must not evict keys: OpenEphemeral refuses a
// maxmemory-policy other than noeviction on any server holding the keys
// (every master of a Cluster, the Sentinels' master), or one it cannot
// read, unless redis.allow_eviction is true, when it logs a warning.
func OpenEphemeral(ctx context.Context, cfg *config.Config, db *sqlstore.DB, log *slog.Logger) (store.Ephemeral, error) {
	r := cfg.Redis
	if !r.Enabled() {
		return db, nil
	}
	if log != nil {
		redisstore.LogTo(log)
	}
	o := redisstore.Options{Addrs: r.Addrs, MasterName: r.MasterName, Cluster: r.Cluster, Username: r.Username,
		Password: r.Password, DB: r.DB, KeyPrefix: r.KeyPrefix, DialTimeout: r.DialTimeout.D(),
		ReadTimeout: r.ReadTimeout.D(), WriteTimeout: r.ReadTimeout.D()}
	if r.TLS {
		o.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		if r.TLSCAFile != "" {
			pem, err := os.ReadFile(r.TLSCAFile)
			if err != nil {
				return nil, fmt.Errorf("redis.tls_ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("redis.tls_ca_file: %s holds no PEM certificate", r.TLSCAFile)
			}
			o.TLS.RootCAs = pool
		}
	}
	rs, err := redisstore.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := (&evictionCheck{store: rs, allow: r.AllowEviction}).atStart(ctx, log); err != nil {
		rs.Close()
		return nil, err
	}
	return rs, nil
}

// CloseEphemeral closes an ephemeral store opened by OpenEphemeral when it is
// not the database (which its opener closes).
func CloseEphemeral(eph store.Ephemeral) error {
	if r, ok := eph.(*redisstore.Store); ok {
		return r.Close()
	}
	return nil
}

// pinger is a backend that can say whether it answers.
type pinger interface {
	Ping(ctx context.Context) error
}

// writeProber is a database that can say whether it takes writes.
type writeProber interface {
	pinger
	ProbeWrite(ctx context.Context, node string) error
}

// writeProbe is the database as readiness sees it: it answers and it takes
// writes. A full disk, a read-only file system or database (a PostgreSQL hot
// standby, default_transaction_read_only) or a server that does not answer
// in time all make it fail. The write (a heartbeat row of this node,
// sqlstore.DB.ProbeWrite) is made at most once per writeProbeEvery; in
// between its last result stands.
type writeProbe struct {
	db   writeProber
	node string

	mu   sync.Mutex
	last time.Time
	err  error
}

// writeProbeEvery is the shortest time between two writes of the probe.
const writeProbeEvery = time.Second

func newWriteProbe(db writeProber) *writeProbe {
	node, err := os.Hostname()
	if err != nil || node == "" {
		node = "node"
	}
	return &writeProbe{db: db, node: node}
}

// Ping implements pinger: the database answers, then takes a write.
func (p *writeProbe) Ping(ctx context.Context) error {
	if err := p.db.Ping(ctx); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.last.IsZero() && time.Since(p.last) < writeProbeEvery {
		return p.err
	}
	p.err = p.db.ProbeWrite(ctx, p.node)
	p.last = time.Now()
	if p.err != nil {
		p.err = fmt.Errorf("the database takes no writes: %w", p.err)
	}
	return p.err
}

// engine is one backend a node depends on, as /health/ready reports it.
type engine struct {
	name string // "database" or "redis"
	what string // for the log: "PostgreSQL", "SQLite", "Redis"
	ping pinger
}

// health knows whether the node's backends answer. A background loop pings
// them (see App.Background); /health/ready and a request whose handler
// fails with 500 ping them at once.
type health struct {
	engines []engine
	log     *slog.Logger
	timeout time.Duration
	// eviction judges Redis's maxmemory-policy; nil without Redis.
	eviction *evictionCheck

	down atomic.Bool // some engine did not answer at the last check

	mu      sync.Mutex
	last    time.Time
	results map[string]error
	running chan struct{} // closed when the check under way ends; nil when none
}

func newHealth(db *sqlstore.DB, eph store.Ephemeral, allowEviction bool, log *slog.Logger) *health {
	h := &health{log: log, timeout: 2 * time.Second, results: map[string]error{}}
	what := "SQLite"
	if db.Engine() == "postgres" {
		what = "PostgreSQL"
	}
	h.engines = append(h.engines, engine{name: "database", what: what, ping: newWriteProbe(db)})
	if p, ok := eph.(pinger); ok && eph != store.Ephemeral(db) {
		h.engines = append(h.engines, engine{name: "redis", what: "Redis", ping: p})
	}
	if rs, ok := eph.(*redisstore.Store); ok {
		h.eviction = &evictionCheck{store: rs, allow: allowEviction}
	}
	return h
}

// check pings every engine (at most once per fresh interval: a check younger
// than fresh is reused, and concurrent callers share one check) and returns
// each engine's error.
func (h *health) check(ctx context.Context, fresh time.Duration) map[string]error {
	h.mu.Lock()
	for {
		if fresh > 0 && time.Since(h.last) < fresh {
			res := h.results
			h.mu.Unlock()
			return res
		}
		if h.running == nil {
			break
		}
		wait := h.running
		h.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return map[string]error{"context": ctx.Err()}
		}
		h.mu.Lock()
		fresh = time.Hour // the check just ended is fresh enough
	}
	done := make(chan struct{})
	h.running = done
	h.mu.Unlock()

	res := make(map[string]error, len(h.engines))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, e := range h.engines {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.timeout)
			defer cancel()
			err := e.ping.Ping(pctx)
			mu.Lock()
			res[e.name] = err
			mu.Unlock()
		})
	}
	wg.Wait()

	// A check whose caller gave up (a stopping node, whose stores may be
	// closing under it) counts for nothing: neither its results nor a change
	// of state are kept or logged.
	gaveUp := ctx.Err() != nil
	h.mu.Lock()
	prev := h.results
	if !gaveUp {
		h.results, h.last = res, time.Now()
	}
	h.running = nil
	h.mu.Unlock()
	close(done)
	if gaveUp {
		return res
	}

	down := false
	for _, e := range h.engines {
		err, was := res[e.name], prev[e.name]
		switch {
		case err != nil && was == nil:
			h.log.Error("backend unreachable: answering 503 until it returns", "backend", e.what, "err", err)
		case err == nil && was != nil:
			h.log.Info("backend reachable again", "backend", e.what)
		}
		down = down || err != nil
	}
	h.down.Store(down)
	return res
}

// run checks the engines every interval until ctx ends.
func (h *health) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.check(ctx, 0)
		}
	}
}

// handleReady serves /health/ready: 200 when every backend answers, else 503
// naming the one that does not. With Redis it reports maxmemory-policy
// ("redis_maxmemory_policy"), and 503 when Redis may evict keys without
// redis.allow_eviction (see evictionCheck; "redis_eviction" says why).
func (h *health) handleReady(w http.ResponseWriter, r *http.Request) {
	res := h.check(r.Context(), 250*time.Millisecond)
	body := map[string]string{"status": "ready"}
	status := http.StatusOK
	for _, e := range h.engines {
		if res[e.name] != nil {
			body[e.name] = "unreachable"
			body["status"] = "not ready"
			status = http.StatusServiceUnavailable
		} else {
			body[e.name] = "ok"
		}
	}
	if h.eviction != nil && res["redis"] == nil {
		ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
		v := h.eviction.ready(ctx, time.Second, h.log)
		cancel()
		if !h.eviction.report(v, body) {
			body["status"] = "not ready"
			status = http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// handleLive serves /health/live: the process runs and serves HTTP, whatever
// its backends do.
func handleLive(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"live"}`))
}

// availableWithoutBackends are paths served from memory: the health checks,
// the static assets, the discovery document and the published keys.
func availableWithoutBackends(path string) bool {
	switch path {
	case "/health/live", "/health/ready", oauth.PathDiscovery, oauth.PathJWKS:
		return true
	}
	return strings.HasPrefix(path, "/assets/")
}

// wantsJSON reports whether the request is an API call, answered in JSON.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return isAPI(r.URL.Path) || (strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html"))
}

// unavailable answers 503: RFC 6749-style JSON for an API call, the
// "unavailable" page in the person's language for a browser.
func unavailable(kit *web.Kit, w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "5")
	if strings.HasPrefix(r.URL.Path, "/admin/api/") || r.URL.Path == "/admin/api" {
		// The admin API speaks RFC 7807.
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"type":"unavailable","title":"Service unavailable","status":503,"detail":"A backend did not answer; nothing is known to have changed. Try again."}` + "\n"))
		return
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"temporarily_unavailable","error_description":"The service is temporarily unavailable. Try again in a few seconds."}` + "\n"))
		return
	}
	kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
}

// availability answers 503 while a backend is known to be unreachable, and
// turns a handler's 500 into 503 when a backend turns out to be unreachable
// at that moment (the handler failed because of the outage, not a bug).
func (h *health) availability(kit *web.Kit, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if availableWithoutBackends(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if h.down.Load() {
			// Look again at most once a second, so that a node recovers even
			// when nothing else checks.
			if anyDown(h.check(r.Context(), time.Second)) {
				unavailable(kit, w, r)
				return
			}
		}
		gw := &gateWriter{ResponseWriter: w, r: r, kit: kit, h: h}
		next.ServeHTTP(gw, r)
	})
}

func anyDown(res map[string]error) bool {
	for _, err := range res {
		if err != nil {
			return true
		}
	}
	return false
}

// gateWriter watches for a 500 and replaces it with a 503 when a backend is down.
type gateWriter struct {
	http.ResponseWriter
	r        *http.Request
	kit      *web.Kit
	h        *health
	wrote    bool
	replaced bool
}

func (g *gateWriter) WriteHeader(status int) {
	if g.wrote {
		return
	}
	g.wrote = true
	// A handler that answered 503 itself met a failing backend: the node's
	// state follows at once (so /health/ready and the next requests know).
	if status == http.StatusServiceUnavailable {
		g.h.check(g.r.Context(), 0)
	}
	// A fresh check: a cached one may predate the failure.
	if status == http.StatusInternalServerError && anyDown(g.h.check(g.r.Context(), 0)) {
		g.replaced = true
		// Drop what the handler prepared for its 500, but the headers every
		// answer carries and the cookies it set.
		h := g.ResponseWriter.Header()
		for k := range h {
			switch k {
			case "X-Request-Id", "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
				"Referrer-Policy", "Strict-Transport-Security", "Set-Cookie":
			default:
				h.Del(k)
			}
		}
		unavailable(g.kit, g.ResponseWriter, g.r)
		return
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gateWriter) Write(b []byte) (int, error) {
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	if g.replaced {
		return len(b), nil
	}
	return g.ResponseWriter.Write(b)
}

func (g *gateWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// ensureKeys makes sure every algorithm has a current signing key, under a
// lock shared by every node of the database, so that nodes starting together
// on an empty database create one key per algorithm, not one each.
func ensureKeys(ctx context.Context, db *sqlstore.DB, set *keys.Set, algs ...string) error {
	return db.Exclusive(ctx, "signing-keys", func(ctx context.Context) error {
		_, err := set.EnsureKeys(ctx, algs...)
		return err
	})
}
