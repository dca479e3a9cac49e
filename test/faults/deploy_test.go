package faults

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// The soak: go test ./test/faults -soak [-soak.duration 10m] repeats each
// fault until its share of the duration has passed.
var (
	soak         = flag.Bool("soak", false, "repeat each fault for -soak.duration instead of once")
	soakDuration = flag.Duration("soak.duration", 3*time.Minute, "with -soak: how long each test repeats its fault")
)

func TestMain(m *testing.M) { os.Exit(harness.RunTests(m)) }

// cycles returns how a test repeats its fault: once, or with -soak until
// -soak.duration has passed (at least once).
func cycles() func() bool {
	n := 0
	end := time.Now().Add(*soakDuration)
	return func() bool {
		n++
		if n == 1 {
			return true
		}
		return *soak && time.Now().Before(end)
	}
}

// Bounds of the short version; they hold with room on a loaded 2-core machine.
const (
	// statementTimeout is the nodes' database.statement_timeout.
	statementTimeout = 2 * time.Second
	// outageAnswer bounds any answer during an outage: the statement timeout
	// and the time to write the answer.
	outageAnswer = statementTimeout + 3*time.Second
	// detectWithin bounds the time until readiness turns red.
	detectWithin = 10 * time.Second
	// recoverWithin bounds the time from the backend's return until the
	// node serves writes again.
	recoverWithin = 20 * time.Second
)

// The people and applications of the tests.
var people = []harness.Citizen{
	{PersonalID: "001199007788", Name: "Vũ Ngọc Lan", Birthdate: "1999-05-20", Gender: "female",
		Email: "lan.vu@example.vn", Password: "Hồ-Gươm-sương-sớm-1999"},
	{PersonalID: "036092004455", Name: "Đỗ Quang Minh", Birthdate: "1992-01-09", Gender: "male",
		Email: "minh.do@example.vn", Password: "Nam-Định-thành-Nam-92"},
	{PersonalID: "079188001234", Name: "Trần Thị Hồng", Birthdate: "1988-11-02", Gender: "female",
		Email: "hong.tran@example.vn", Password: "Sông-Hương-núi-Ngự-88"},
}

const (
	portalRedirect = "https://dichvucong.example.gov.vn/oidc/callback"
	motcuaRedirect = "https://motcua.example.gov.vn/auth/callback"
)

// balancer is the load balancer in front of the nodes: one public address
// (the issuer); the test chooses the node behind it.
type balancer struct {
	*httptest.Server
	target atomic.Pointer[url.URL]
}

func newBalancer(t *testing.T) *balancer {
	b := &balancer{}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(b.target.Load())
			r.Out.Host = r.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "the load balancer could not reach the node: "+err.Error(), http.StatusBadGateway)
		},
	}
	b.Server = httptest.NewServer(proxy)
	t.Cleanup(b.Close)
	return b
}

func (b *balancer) to(n *harness.Server) {
	u, _ := url.Parse("http://" + n.Addr)
	b.target.Store(u)
}

// deployment is nodes over one backend: PostgreSQL and Redis of the test's
// own (stopped, killed and frozen by it), or SQLite.
type deployment struct {
	pg    *services.PostgresServer
	rds   *services.RedisServer
	env   map[string]string
	lb    *balancer
	nodes []*harness.Server

	portal, motcua *harness.Client
	// sessionBound asks for no offline_access: the refresh tokens end with
	// the SSO session.
	sessionBound bool
}

// newPostgresRedis starts a PostgreSQL and a Redis server of the test's own,
// migrates the database and starts n nodes on them behind a balancer whose
// address is their issuer.
//
// With durable, PostgreSQL has the settings of production (fsync and
// synchronous_commit on): an immediate shutdown or a crash then keeps every
// commit it acknowledged, which the tests' usual servers do not promise.
func newPostgresRedis(t *testing.T, n int, durable bool) *deployment {
	t.Helper()
	d := &deployment{rds: services.StartRedis(t), lb: newBalancer(t)}
	if durable {
		pg, err := services.LaunchPostgres(true)
		var me *services.MissingError
		switch {
		case errors.As(err, &me) && os.Getenv("CI") == "":
			t.Skip(err.Error())
		case err != nil:
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := pg.Close(); err != nil {
				t.Error(err)
			}
		})
		d.pg = pg
	} else {
		d.pg = services.StartPostgres(t)
	}
	dbURL := d.pg.NewDatabase(t)
	cfg := config.Default()
	cfg.Database.URL = dbURL
	db, err := app.OpenDatabase(t.Context(), cfg)
	if err != nil {
		t.Fatalf("opening PostgreSQL: %v", err)
	}
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("migrating PostgreSQL: %v", err)
	}
	db.Close()
	d.env = map[string]string{
		"DINHDANH_DATABASE_URL":               dbURL,
		"DINHDANH_DATABASE_STATEMENT_TIMEOUT": statementTimeout.String(),
		"DINHDANH_REDIS_ADDRS":                d.rds.Addr,
		"DINHDANH_KEYS_SEAL_KEY_FILE":         sealKey(t),
		"DINHDANH_ISSUER":                     d.lb.URL,
	}
	for range n {
		d.start(t)
	}
	d.lb.to(d.nodes[0])
	d.fixtures(t)
	return d
}

// newSQLite starts one node whose data directory is dataDir.
func newSQLite(t *testing.T, dataDir string, env ...string) *deployment {
	t.Helper()
	d := &deployment{lb: newBalancer(t), env: map[string]string{"DINHDANH_DATA_DIR": dataDir}}
	d.env["DINHDANH_ISSUER"] = d.lb.URL
	for i := 0; i+1 < len(env); i += 2 {
		d.env[env[i]] = env[i+1]
	}
	d.start(t)
	d.lb.to(d.nodes[0])
	d.fixtures(t)
	return d
}

func sealKey(t *testing.T) string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seal.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// start starts one more node.
func (d *deployment) start(t *testing.T) *harness.Server {
	t.Helper()
	var opts []harness.Option
	for k, v := range d.env {
		opts = append(opts, harness.WithEnv(k, v))
	}
	n := harness.Start(t, opts...)
	d.nodes = append(d.nodes, n)
	return n
}

// fixtures registers the applications and the people.
func (d *deployment) fixtures(t *testing.T) {
	t.Helper()
	n := d.nodes[0]
	d.portal = n.CreateClient(t, harness.ClientSpec{ID: "cong-dvc", Name: "Cổng dịch vụ công tỉnh", FirstParty: true,
		RedirectURIs: []string{portalRedirect}, Scopes: []string{"openid", "profile", "offline_access"}})
	d.motcua = n.CreateClient(t, harness.ClientSpec{ID: "mot-cua", Name: "Một cửa điện tử",
		RedirectURIs: []string{motcuaRedirect}, Scopes: []string{"openid", "profile", "offline_access"}})
	for _, p := range people {
		n.CreateCitizen(t, p)
	}
}

// browser returns a person's browser that goes through the balancer.
func (d *deployment) browser(t *testing.T) *harness.Browser {
	b := d.nodes[0].NewBrowser(t)
	b.Origin = d.lb.URL
	return b
}

// authorize starts an authorization request of the client in the browser
// and returns where it ended and the PKCE verifier.
func (d *deployment) authorize(t *testing.T, b *harness.Browser, c *harness.Client) (*harness.Response, harness.PKCE, string) {
	t.Helper()
	p := harness.NewPKCE()
	state := harness.Random(12)
	q := url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {c.RedirectURI()},
		"scope": {"openid profile offline_access"}, "state": {state}, "nonce": {harness.Random(12)},
		"code_challenge": {p.Challenge}, "code_challenge_method": {"S256"}}
	if d.sessionBound {
		q.Set("scope", "openid profile")
	}
	return b.Get(t, d.lb.URL+"/oauth2/auth?"+q.Encode()), p, state
}

// codeOf returns the code of the redirect the navigation ended with.
func codeOf(t *testing.T, c *harness.Client, resp *harness.Response, state string) string {
	t.Helper()
	u := resp.MustRedirect(t, c.RedirectURI())
	if u.Query().Get("state") != state || u.Query().Get("code") == "" {
		t.Fatalf("the redirect %s carries no code for the request", u)
	}
	return u.Query().Get("code")
}

// signIn logs the person in (or uses the browser's session), consents for a
// third-party client, and exchanges the code at node n: the tokens.
func (d *deployment) signIn(t *testing.T, b *harness.Browser, c *harness.Client, who harness.Citizen, n *harness.Server) tokens {
	t.Helper()
	resp, p, state := d.authorize(t, b, c)
	if resp.Page != nil && resp.Page.URL.Path == "/login" {
		resp = b.Submit(t, resp.Page.Form(t, "/login"), map[string]string{"identifier": who.PersonalID, "password": who.Password})
	}
	if resp.Page != nil && resp.Page.URL.Path == "/consent" {
		resp = b.Submit(t, resp.Page.Form(t, "/consent"), map[string]string{"decision": "allow"})
	}
	code := codeOf(t, c, resp, state)
	a := call(n, "/oauth2/token", c, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {c.RedirectURI()}, "code_verifier": {p.Verifier}})
	if a.status != http.StatusOK || a.str("refresh_token") == "" {
		t.Fatalf("exchanging the code at %s: %s", n.Addr, a)
	}
	return tokens{access: a.str("access_token"), refresh: a.str("refresh_token")}
}

type tokens struct{ access, refresh string }

// answer is one client-visible answer: status and JSON body, or the
// transport error, and how long it took.
type answer struct {
	status int
	body   map[string]any
	raw    string
	err    error
	took   time.Duration
}

func (a answer) class() string { return Class(a.status, a.err) }

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

func (a answer) String() string {
	if a.err != nil {
		return fmt.Sprintf("transport error after %s: %v", a.took.Round(time.Millisecond), a.err)
	}
	raw := a.raw
	if len(raw) > 300 {
		raw = raw[:300] + "…"
	}
	return fmt.Sprintf("%d after %s: %s", a.status, a.took.Round(time.Millisecond), raw)
}

// unavailable reports whether the answer is the truthful one of an outage:
// 503 with the RFC 6749 error temporarily_unavailable.
func (a answer) unavailable() bool {
	return a.status == http.StatusServiceUnavailable && a.str("error") == "temporarily_unavailable"
}

// httpClient is the client of the probes: no redirects, no cookies, a
// bound well above every bound the tests assert.
var httpClient = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// call posts a form to the node, authenticated as the client (nil: none).
func call(n *harness.Server, path string, c *harness.Client, form url.Values) answer {
	req, _ := http.NewRequest(http.MethodPost, n.URL(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c != nil {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	return do(req)
}

// fetch gets a path of the node.
func fetch(n *harness.Server, path, accept string) answer {
	req, _ := http.NewRequest(http.MethodGet, n.URL(path), nil)
	req.Header.Set("Accept", accept)
	return do(req)
}

func do(req *http.Request) answer {
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw), err: err, took: time.Since(start)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// refresh rotates a refresh token at the node.
func refresh(n *harness.Server, c *harness.Client, token string) answer {
	return call(n, "/oauth2/token", c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
}

// ready returns the node's /health/ready answer.
func ready(n *harness.Server) answer { return fetch(n, "/health/ready", "application/json") }

// writer rotates refresh-token chains without pause, as applications
// keeping people signed in do, through every fault: it records each
// rotation the server acknowledged in the ledger (the chain's latest
// token) and counts every answer by class. A chain keeps presenting its
// last acknowledged token after a failure, as a client does.
type writer struct {
	d      *deployment
	ledger Ledger
	tally  Tally
	// nodes returns the nodes to send to (round robin).
	nodes func() []*harness.Server
	// longest is the slowest answer, in nanoseconds.
	longest atomic.Int64
	stop    chan struct{}
	wg      sync.WaitGroup
}

// startWriter signs each person in once with the portal (a family each) and
// rotates the families until stopped.
func (d *deployment) startWriter(t *testing.T, nodes func() []*harness.Server) *writer {
	t.Helper()
	w := &writer{d: d, nodes: nodes, stop: make(chan struct{})}
	for i, p := range people {
		tok := d.signIn(t, d.browser(t), d.portal, p, nodes()[i%len(nodes())])
		w.ledger.Ack(p.PersonalID, tok.refresh)
	}
	for i, p := range people {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for k := i; ; k++ {
				select {
				case <-w.stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				ns := w.nodes()
				last, _ := w.ledger.Latest(p.PersonalID)
				a := refresh(ns[k%len(ns)], d.portal, last)
				if int64(a.took) > w.longest.Load() {
					w.longest.Store(int64(a.took))
				}
				w.tally.Add(a.class(), a.String())
				if a.status == http.StatusOK && a.str("refresh_token") != "" {
					w.ledger.Ack(p.PersonalID, a.str("refresh_token"))
				}
			}
		}()
	}
	return w
}

// halt stops the writer and waits for its requests to end.
func (w *writer) halt() {
	close(w.stop)
	w.wg.Wait()
}

// verify checks, after the writer stopped, that every chain's last
// acknowledged refresh token still works at the node: no acknowledged
// rotation was lost, no family was revoked.
func (w *writer) verify(t *testing.T, n *harness.Server) {
	t.Helper()
	lost := w.ledger.Verify(func(key, token string) error {
		a := refresh(n, w.d.portal, token)
		if a.status != http.StatusOK {
			return errors.New(a.String())
		}
		w.ledger.Ack(key, a.str("refresh_token"))
		return nil
	})
	for _, l := range lost {
		t.Errorf("an acknowledged refresh rotation is lost: %s", l)
	}
	t.Logf("acknowledged refresh rotations: %d; answers by class: %s", w.ledger.Acks(), w.tally.String())
}

// noFinalAnswers fails the test when the writer saw an answer a client takes
// as final (4xx), another server error than 503, or no answer at all.
func (w *writer) noFinalAnswers(t *testing.T) {
	t.Helper()
	for _, c := range []string{Class4xx, Class5xx, ClassTransport, ClassOther} {
		if n := w.tally.Count(c); n > 0 {
			t.Errorf("%d answers of class %s during the fault, the first: %s", n, c, w.tally.Example(c))
		}
	}
	if l := time.Duration(w.longest.Load()); l > outageAnswer {
		t.Errorf("the slowest refresh answer took %s, want at most %s", l.Round(time.Millisecond), outageAnswer)
	}
}

// untilReady measures the time until the node is ready and check passes.
func untilReady(t *testing.T, n *harness.Server, what string, check func() error) time.Duration {
	t.Helper()
	took, err := Until(t.Context(), recoverWithin, 50*time.Millisecond, func(context.Context) error {
		if a := ready(n); a.status != http.StatusOK {
			return fmt.Errorf("/health/ready: %s", a)
		}
		if check != nil {
			return check()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: node %s did not recover: %v", what, n.Addr, err)
	}
	return took
}

// untilNotReady measures the time until the node reports not ready.
func untilNotReady(t *testing.T, n *harness.Server, what string) time.Duration {
	t.Helper()
	took, err := Until(t.Context(), detectWithin, 50*time.Millisecond, func(context.Context) error {
		a := ready(n)
		if a.status != http.StatusServiceUnavailable {
			return fmt.Errorf("/health/ready: %s", a)
		}
		if a.took > outageAnswer {
			return fmt.Errorf("/health/ready took %s", a.took)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: node %s did not report it: %v", what, n.Addr, err)
	}
	return took
}
