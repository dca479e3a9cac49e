package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/store/redisstore"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// TestPostgresIsNotMigratedByServe checks that a node refuses a PostgreSQL
// database whose schema is older than it understands, saying what to do,
// and serves it once "dinhdanh migrate" (sqlstore.DB.Migrate) ran.
func TestPostgresIsNotMigratedByServe(t *testing.T) {
	ctx := t.Context()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Database.URL = services.Postgres(t)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	_, err := app.OpenStore(ctx, cfg, true)
	if !errors.Is(err, sqlstore.ErrSchemaTooOld) || !strings.Contains(err.Error(), "dinhdanh migrate") {
		t.Fatalf("OpenStore(empty PostgreSQL) = %v, want ErrSchemaTooOld naming 'dinhdanh migrate'", err)
	}
	raw, err := app.OpenDatabase(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		t.Fatalf("OpenStore after migrating: %v", err)
	}
	defer db.Close()
	if db.Engine() != "postgres" {
		t.Fatalf("Engine() = %q, want postgres", db.Engine())
	}
}

// outageNode is one in-process node on a PostgreSQL and a Redis of its own.
type outageNode struct {
	pg      *services.PostgresServer
	redis   *services.RedisServer
	app     *app.App
	srv     *httptest.Server
	secret  string
	cleanup func()
}

func newOutageNode(t *testing.T, tune ...func(*config.Config)) *outageNode {
	t.Helper()
	ctx := t.Context()
	n := &outageNode{pg: services.StartPostgres(t), redis: services.StartRedis(t)}
	cfg := config.Default()
	for _, f := range tune {
		f(cfg)
	}
	cfg.DataDir = t.TempDir()
	cfg.Database.URL = n.pg.NewDatabase(t)
	cfg.Redis.Addrs = config.Addresses{n.redis.Addr}
	n.srv = httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + n.srv.Listener.Addr().String()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	raw, err := app.OpenDatabase(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	if n.app, err = app.New(ctx, cfg, db, log); err != nil {
		t.Fatal(err)
	}
	if _, ok := n.app.Eph.(*redisstore.Store); !ok {
		t.Fatalf("the ephemeral store is a %T, want Redis", n.app.Eph)
	}
	n.srv.Config.Handler = n.app.Handler
	n.srv.Start()
	t.Cleanup(func() {
		n.srv.Close()
		n.app.Close()
		db.Close()
	})
	if _, n.secret, err = n.app.Admin("cli").CreateClient(ctx, admin.ClientSpec{ID: "lgsp", Name: "Trục liên thông LGSP",
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"reports.read"}}); err != nil {
		t.Fatal(err)
	}
	return n
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// do sends a request and returns the status, the Content-Type and the body.
func (n *outageNode) do(t *testing.T, method, path string, form url.Values, header ...string) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, n.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("lgsp", n.secret)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func (n *outageNode) token(t *testing.T) (int, string) {
	t.Helper()
	status, _, body := n.do(t, http.MethodPost, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}})
	return status, body
}

// ready returns /health/ready's status and its answer for each backend.
func (n *outageNode) ready(t *testing.T) (int, map[string]string) {
	t.Helper()
	status, _, body := n.do(t, http.MethodGet, "/health/ready", nil)
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("/health/ready answered %q", body)
	}
	return status, m
}

// wantUnavailable checks the 503 answers: JSON for the API, a page for people.
func (n *outageNode) wantUnavailable(t *testing.T, backend string) {
	t.Helper()
	if status, m := n.ready(t); status != http.StatusServiceUnavailable || m[backend] != "unreachable" || m["status"] != "not ready" {
		t.Fatalf("/health/ready = %d %v, want 503 with %s unreachable", status, m, backend)
	}
	if status, _, _ := n.do(t, http.MethodGet, "/health/live", nil); status != http.StatusOK {
		t.Fatalf("/health/live = %d during the outage, want 200", status)
	}
	status, body := n.token(t)
	var e struct{ Error string }
	if status != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &e) != nil || e.Error != "temporarily_unavailable" {
		t.Fatalf("token endpoint during the outage: %d %s, want 503 temporarily_unavailable", status, body)
	}
	status, ctype, page := n.do(t, http.MethodGet, "/account", nil, "Accept", "text/html", "Accept-Language", "en")
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(page, "503") {
		t.Fatalf("a page during the outage: %d %s, want the 503 page:\n%s", status, ctype, page)
	}
	// What a node serves from memory stays available.
	if status, _, _ := n.do(t, http.MethodGet, "/.well-known/openid-configuration", nil); status != http.StatusOK {
		t.Fatalf("discovery during the outage: %d", status)
	}
}

// wantRecovered waits until the node serves again by itself.
func (n *outageNode) wantRecovered(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, m := n.ready(t)
		tokStatus, body := n.token(t)
		if status == http.StatusOK && tokStatus == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node did not recover: ready %d %v; token %d %s", status, m, tokStatus, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOutages takes Redis and then PostgreSQL away from a running node: it
// answers 503 (JSON or page), reports not-ready, stays live, and serves again
// by itself when they return.
func TestOutages(t *testing.T) {
	n := newOutageNode(t)
	if status, m := n.ready(t); status != http.StatusOK || m["database"] != "ok" || m["redis"] != "ok" {
		t.Fatalf("/health/ready = %d %v, want 200 with database and redis ok", status, m)
	}
	if status, body := n.token(t); status != http.StatusOK {
		t.Fatalf("token: %d %s", status, body)
	}

	// Without the background checks running, the first request that fails
	// because Redis is gone already answers 503, not 500.
	n.redis.Stop(t)
	if status, body := n.token(t); status != http.StatusServiceUnavailable {
		t.Fatalf("token right after Redis stopped: %d %s, want 503", status, body)
	}
	n.wantUnavailable(t, "redis")
	n.redis.Start(t)
	n.wantRecovered(t)

	// With the background checks, an outage is noticed by itself.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	n.app.Background(ctx)
	n.pg.Stop(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if status, _ := n.ready(t); status == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the node still reports ready without PostgreSQL")
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.wantUnavailable(t, "database")
	n.pg.Start(t)
	n.wantRecovered(t)
	if status, m := n.ready(t); status != http.StatusOK || m["database"] != "ok" || m["redis"] != "ok" {
		t.Fatalf("/health/ready after recovery = %d %v", status, m)
	}
}
