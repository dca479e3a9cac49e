package app_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/oauth"
)

// statementTimeout is the node's database.statement_timeout in these tests:
// short, so that a paused PostgreSQL costs little.
const statementTimeout = time.Second

// fault is one way a backend fails, with the longest a request may take
// while it lasts.
type fault struct {
	name    string
	bound   time.Duration
	inject  func(t *testing.T, n *outageNode)
	recover func(t *testing.T, n *outageNode)
}

// faults are the outages every endpoint is tried against, on a node of
// its own PostgreSQL and Redis (test/services).
var faults = []fault{
	{name: "redis stopped", bound: 3 * time.Second,
		inject: func(t *testing.T, n *outageNode) { n.redis.Stop(t) }, recover: func(t *testing.T, n *outageNode) { n.redis.Start(t) }},
	{name: "postgres stopped", bound: 3 * time.Second,
		inject: func(t *testing.T, n *outageNode) { n.pg.Stop(t) }, recover: func(t *testing.T, n *outageNode) { n.pg.Start(t) }},
	// Paused: every process of the server (its process group) stops
	// answering, connections stay open. The statement timeout bounds each
	// store call; the node's own checks (ping) are bounded by it too.
	{name: "postgres frozen", bound: 4*statementTimeout + time.Second,
		inject:  func(t *testing.T, n *outageNode) { signalTree(t, n.pg.Pid(), syscall.SIGSTOP) },
		recover: func(t *testing.T, n *outageNode) { signalTree(t, n.pg.Pid(), syscall.SIGCONT) }},
}

// signalTree sends sig to the process pid and its children (the
// postmaster and its backends, which leave its process group).
func signalTree(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if pid == 0 {
		t.Fatal("the server is not running")
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so read after ")".
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			_ = syscall.Kill(child, sig)
		}
	}
}

// outageFixture is what the rows need: a client not read yet (the node
// caches clients it read, which would hide a PostgreSQL outage from client
// authentication), and access tokens issued before the outage.
type outageFixture struct {
	client, secret string
	access         string // an opaque or JWT access token of the client (client_credentials)
}

func newOutageFixture(t *testing.T, n *outageNode, name string) *outageFixture {
	t.Helper()
	f := &outageFixture{}
	var err error
	c, secret, err := n.app.Admin("cli").CreateClient(t.Context(), admin.ClientSpec{ID: name, Name: "Ứng dụng " + name,
		GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials"}, Scopes: []string{"openid", "reports.read"},
		RedirectURIs: []string{"https://app.example.gov.vn/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	f.client, f.secret = c.ID, secret
	status, body := n.tokenAs(t, f.client, f.secret)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token before the outage: %d %s", status, body)
	}
	f.access = tok.AccessToken
	// The node keeps a client it read for a few seconds; a client read
	// before the outage would hide it from client authentication.
	n.app.Provider.Storage.ForgetClient(f.client)
	return f
}

func (n *outageNode) tokenAs(t *testing.T, id, secret string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, n.srv.URL+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// endpoint is one row of the table: a request, and what it must get during
// an outage.
type endpoint struct {
	name string
	// request builds the request; f holds the fixture's client and token.
	request func(base string, f *outageFixture) *http.Request
	// want is "json" (503 temporarily_unavailable in RFC 6749 JSON),
	// "problem" (503 RFC 7807 problem), "page" (503 page for people),
	// "ready" (503 naming the backend), or "200" (served from memory: no
	// backend needed).
	want string
}

func form(method, base, path string, v url.Values) *http.Request {
	req, _ := http.NewRequest(method, base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func page(method, base, path string, v url.Values) *http.Request {
	var req *http.Request
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, base+path+"?"+v.Encode(), nil)
	} else {
		req = form(method, base, path, v)
	}
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Language", "en")
	return req
}

func basic(req *http.Request, f *outageFixture) *http.Request {
	req.SetBasicAuth(f.client, f.secret)
	return req
}

func bearer(req *http.Request, f *outageFixture) *http.Request {
	req.Header.Set("Authorization", "Bearer "+f.access)
	return req
}

// endpoints is every endpoint of a node.
var endpoints = []endpoint{
	{"discovery (prepared bytes)", func(b string, _ *outageFixture) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, b+"/.well-known/openid-configuration", nil)
		return r
	}, "200"},
	{"jwks (from memory)", func(b string, _ *outageFixture) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, b+"/.well-known/jwks.json", nil)
		return r
	}, "200"},
	{"health/live", func(b string, _ *outageFixture) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, b+"/health/live", nil)
		return r
	}, "200"},
	{"health/ready", func(b string, _ *outageFixture) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, b+"/health/ready", nil)
		return r
	}, "ready"},
	{"token client_credentials", func(b string, f *outageFixture) *http.Request {
		return basic(form(http.MethodPost, b, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}), f)
	}, "json"},
	{"token authorization_code", func(b string, f *outageFixture) *http.Request {
		return basic(form(http.MethodPost, b, "/oauth2/token", url.Values{"grant_type": {"authorization_code"},
			"code": {"ory_ac_x.y"}, "redirect_uri": {"https://app.example.gov.vn/cb"}}), f)
	}, "json"},
	{"token refresh_token", func(b string, f *outageFixture) *http.Request {
		return basic(form(http.MethodPost, b, "/oauth2/token", url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {"ory_rt_x.y"}}), f)
	}, "json"},
	{"introspection of a valid token", func(b string, f *outageFixture) *http.Request {
		return basic(form(http.MethodPost, b, "/oauth2/introspect", url.Values{"token": {f.access}}), f)
	}, "json"},
	{"revocation", func(b string, f *outageFixture) *http.Request {
		return basic(form(http.MethodPost, b, "/oauth2/revoke", url.Values{"token": {f.access}}), f)
	}, "json"},
	{"userinfo", func(b string, f *outageFixture) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, b+"/userinfo", nil)
		return bearer(r, f)
	}, "json"},
	{"admin API with a bearer token", func(b string, f *outageFixture) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, b+"/admin/api/clients", nil)
		return bearer(r, f)
	}, "problem"},
	{"authorize", func(b string, f *outageFixture) *http.Request {
		return page(http.MethodGet, b, "/oauth2/auth", url.Values{"client_id": {f.client}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"state-123456789"}})
	}, "page"},
	{"login page", func(b string, _ *outageFixture) *http.Request {
		return page(http.MethodGet, b, "/login", url.Values{"flow": {"f-123"}})
	}, "page"},
	{"login POST", func(b string, _ *outageFixture) *http.Request {
		return page(http.MethodPost, b, "/login", url.Values{"flow": {"f-123"}, "identifier": {"001099012345"}, "password": {"x"}})
	}, "page"},
	{"consent", func(b string, _ *outageFixture) *http.Request {
		return page(http.MethodGet, b, "/consent", url.Values{"flow": {"f-123"}})
	}, "page"},
	{"logout", func(b string, _ *outageFixture) *http.Request {
		return page(http.MethodGet, b, "/oauth2/logout", url.Values{})
	}, "page"},
	{"account console", func(b string, _ *outageFixture) *http.Request {
		return page(http.MethodGet, b, "/account", url.Values{})
	}, "page"},
}

// checkOutageAnswer checks one answer against the row's expectation.
func checkOutageAnswer(t *testing.T, e endpoint, status int, ctype, body string, backend string) {
	t.Helper()
	switch e.want {
	case "200":
		if status != http.StatusOK {
			t.Errorf("%s: %d %s, want 200 (no backend needed)", e.name, status, body)
		}
	case "json":
		var v struct{ Error string }
		if status != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &v) != nil || v.Error != "temporarily_unavailable" {
			t.Errorf("%s: %d %s, want 503 temporarily_unavailable", e.name, status, body)
		}
	case "problem":
		var v struct{ Status int }
		if status != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &v) != nil || v.Status != 503 {
			t.Errorf("%s: %d %s %s, want a 503 problem", e.name, status, ctype, body)
		}
	case "page":
		if status != http.StatusServiceUnavailable || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "503") {
			t.Errorf("%s: %d %s, want the 503 page: %.300s", e.name, status, ctype, body)
		}
	case "ready":
		var v map[string]string
		if status != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &v) != nil || v[backend] != "unreachable" {
			t.Errorf("%s: %d %s, want 503 with %s unreachable", e.name, status, body, backend)
		}
	}
}

// TestOutageAnswers tries every endpoint against each fault, through the
// whole node (its availability gate included): each answers 503 in the
// form its callers read (RFC 6749 JSON, an RFC 7807 problem, the page), or
// 200 when it needs no backend, within the fault's bound, and the node
// serves again once the backend is back.
func TestOutageAnswers(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("starts PostgreSQL and Redis of its own")
	}
	n := newOutageNode(t, func(c *config.Config) { c.Database.StatementTimeout = config.Duration(statementTimeout) })
	// The node checks its backends in the background, as deployed.
	n.app.Background(t.Context())
	for i, fl := range faults {
		t.Run(strings.ReplaceAll(fl.name, " ", "_"), func(t *testing.T) {
			f := newOutageFixture(t, n, "outage-"+string(rune('a'+i)))
			backend := "database"
			if strings.HasPrefix(fl.name, "redis") {
				backend = "redis"
			}
			fl.inject(t, n)
			recovered := false
			defer func() {
				if !recovered {
					fl.recover(t, n)
				}
			}()
			// The outage is noticed within a bounded time.
			noticed := time.Now()
			for {
				if status, _ := n.ready(t); status == http.StatusServiceUnavailable {
					break
				}
				if time.Since(noticed) > fl.bound+time.Second {
					t.Fatalf("/health/ready still 200 after %s", time.Since(noticed))
				}
				time.Sleep(50 * time.Millisecond)
			}
			askEveryEndpoint(t, n, f, fl.bound, backend)
			fl.recover(t, n)
			recovered = true
			n.wantRecovered(t)
		})
	}
}

// askEveryEndpoint sends every row of endpoints to the whole node and
// checks each answer (checkOutageAnswer) and that it came within bound.
func askEveryEndpoint(t *testing.T, n *outageNode, f *outageFixture, bound time.Duration, backend string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout: 30 * time.Second}
	for _, e := range endpoints {
		start := time.Now()
		resp, err := client.Do(e.request(n.srv.URL, f))
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		checkOutageAnswer(t, e, resp.StatusCode, resp.Header.Get("Content-Type"), string(b), backend)
		if took > bound {
			t.Errorf("%s took %s, more than %s", e.name, took, bound)
		}
	}
}

// TestOutageHandlers sends the OAuth endpoints' requests to the node's
// provider directly, as the first requests of an outage reach it before
// the node's checks notice anything: the endpoint itself must answer 503
// temporarily_unavailable, never invalid_client, {"active": false}, a
// revocation that looks done, or invalid_token.
func TestOutageHandlers(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("starts PostgreSQL and Redis of its own")
	}
	n := newOutageNode(t, func(c *config.Config) { c.Database.StatementTimeout = config.Duration(statementTimeout) })
	p := n.app.Provider
	handlers := map[string]http.HandlerFunc{"/oauth2/token": p.HandleToken, "/oauth2/introspect": p.HandleIntrospect,
		"/oauth2/revoke": p.HandleRevoke, "/userinfo": p.HandleUserinfo}
	for i, fl := range faults {
		t.Run(strings.ReplaceAll(fl.name, " ", "_"), func(t *testing.T) {
			f := newOutageFixture(t, n, "handlers-"+string(rune('a'+i)))
			fl.inject(t, n)
			recovered := false
			defer func() {
				if !recovered {
					fl.recover(t, n)
				}
			}()
			for _, e := range endpoints {
				req := e.request("http://node.test", f)
				h, ok := handlers[req.URL.Path]
				// A malformed refresh token is refused before any store is read.
				if !ok || e.name == "token refresh_token" {
					continue
				}
				rec := httptest.NewRecorder()
				start := time.Now()
				h(rec, req)
				took := time.Since(start)
				checkOutageAnswer(t, e, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String(), "")
				if took > fl.bound {
					t.Errorf("%s took %s, more than %s", e.name, took, fl.bound)
				}
			}
			// The admin API's token check says "unavailable", not "inactive".
			if _, err := p.ValidateAccessToken(t.Context(), f.access); err == nil || !isUnavailable(err) {
				t.Errorf("ValidateAccessToken during the outage: %v, want an oauth.ErrUnavailable error", err)
			}
			fl.recover(t, n)
			recovered = true
			n.wantRecovered(t)
		})
	}
}

func isUnavailable(err error) bool { return errors.Is(err, oauth.ErrUnavailable) }

// readAnswer is the true answer of a row that needs no write on a full
// disk: its status and a piece of its body.
type readAnswer struct {
	status int
	has    string
}

// sqliteFullReads are the rows that, sent to the endpoint itself (before
// the node's checks notice the full disk), need no write: SQLite still
// reads, so they give the true answer for their request. Introspection
// reads the token (active); userinfo reads it too and refuses it for want
// of the openid scope (the fixture's token is a client_credentials one);
// an unknown code is invalid_grant. Every other OAuth row writes (a token,
// a revocation) and answers 503 temporarily_unavailable, or is refused
// before any store is read (a malformed refresh token).
var sqliteFullReads = map[string]readAnswer{
	"introspection of a valid token": {http.StatusOK, `"active":true`},
	"userinfo":                       {http.StatusForbidden, `"insufficient_scope"`},
	"token authorization_code":       {http.StatusBadRequest, `"invalid_grant"`},
}

// sqliteFullFirst adds the rows that, asked first through the whole node,
// are refused on their own input or need no write, the true answer with
// reads working: the malformed refresh token (invalid_grant), the admin
// API for a token without an admin role (403 problem), authorize without
// PKCE (the invalid_request page), an unknown login or consent flow (400
// page), a login POST without its form token (403 "form has expired"), a
// logout and the console without a session (signed out; to the login).
var sqliteFullFirst = map[string]readAnswer{
	"token refresh_token":           {http.StatusBadRequest, `"invalid_grant"`},
	"admin API with a bearer token": {http.StatusForbidden, `"status":403`},
	"authorize":                     {http.StatusBadRequest, "invalid_request"},
	"login page":                    {http.StatusBadRequest, "<html"},
	"login POST":                    {http.StatusForbidden, "<html"},
	"consent":                       {http.StatusBadRequest, "<html"},
	"logout":                        {http.StatusOK, "<html"},
	"account console":               {http.StatusSeeOther, "/login"},
}

// checkReadAnswer checks a row's answer against its true answer a.
func checkReadAnswer(t *testing.T, e endpoint, a readAnswer, status int, body string) {
	t.Helper()
	if status != a.status || !strings.Contains(body, a.has) {
		t.Errorf("%s on a full disk: %d %.300s, want %d with %s (needs no write)", e.name, status, body, a.status, a.has)
	}
}

// TestOutageAnswersSQLiteFull is the table of TestOutageAnswers for a
// SQLite node (its ephemeral state in SQLite too, no Redis) whose disk
// fills up: /health/ready turns red within readinessBound, then every row
// answers through the whole node as for the other faults (503 in the form
// its callers read, 200 for what is served from memory), and the OAuth
// endpoints asked directly (as the first requests before the node noticed)
// answer 503 temporarily_unavailable for every write, a true answer for a
// read (sqliteFullReads), never 500 nor a final-looking refusal, within the
// bound; once space is freed the node serves again by itself, with the
// token acknowledged before the fault still active.
func TestOutageAnswersSQLiteFull(t *testing.T) {
	const bound = 3 * time.Second
	dir := mountTmpfs(t, "4m")
	cfg := config.Default()
	cfg.DataDir = dir
	n := startWriteNode(t, cfg)
	n.waitReady(t, http.StatusOK)
	f := newOutageFixture(t, n, "sqlite-full")
	before := accessToken(t, n)

	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)
	freed := false
	defer func() {
		if !freed {
			_ = os.Remove(filler)
		}
	}()
	took := n.waitReady(t, http.StatusServiceUnavailable)
	t.Logf("disk full: not ready after %s", took)
	askEveryEndpoint(t, n, f, bound, "database")

	p := n.app.Provider
	handlers := map[string]http.HandlerFunc{"/oauth2/token": p.HandleToken, "/oauth2/introspect": p.HandleIntrospect,
		"/oauth2/revoke": p.HandleRevoke, "/userinfo": p.HandleUserinfo}
	for _, e := range endpoints {
		req := e.request("http://node.test", f)
		h, ok := handlers[req.URL.Path]
		if !ok {
			continue
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		h(rec, req)
		took := time.Since(start)
		status, body := rec.Code, rec.Body.String()
		if a, ok := sqliteFullReads[e.name]; ok {
			checkReadAnswer(t, e, a, status, body)
		} else if e.name != "token refresh_token" { // refused before any store is read
			checkOutageAnswer(t, e, status, rec.Header().Get("Content-Type"), body, "")
		}
		if took > bound {
			t.Errorf("%s took %s, more than %s", e.name, took, bound)
		}
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed = true
	took = n.waitReady(t, http.StatusOK)
	t.Logf("disk freed: ready after %s", took)
	n.wantRecovered(t)
	n.introspectActive(t, before)
}

// TestOutageAnswersSQLiteFullFirst sends each row of endpoints through the
// whole node as the first request on a full disk, before anything told the
// node (no background checks): the handler's own answer, or the gate's 503
// for a handler's 500, must be what TestOutageAnswersSQLiteFull expects of
// the endpoint asked directly: 503 in its callers' form for a write, a true
// answer for a read (sqliteFullReads), 200 for what is served from memory;
// never a 500, within the bound. Between rows the space is freed and the
// node turns ready again.
func TestOutageAnswersSQLiteFullFirst(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("fills and frees a disk once per endpoint")
	}
	const bound = 3 * time.Second
	dir := mountTmpfs(t, "4m")
	cfg := config.Default()
	cfg.DataDir = dir
	n := newWriteNode(t, cfg, false)
	n.waitReady(t, http.StatusOK)
	f := newOutageFixture(t, n, "sqlite-first")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout: 30 * time.Second}
	filler := filepath.Join(dir, "filler")
	for _, e := range endpoints {
		if e.want == "ready" {
			continue // asks the node's checks: TestOutageAnswersSQLiteFull
		}
		// The write probe's last success stands for writeProbeEvery (1 s):
		// let it lapse, so that the node's check sees the full disk.
		time.Sleep(1100 * time.Millisecond)
		fillDisk(t, filler)
		n.app.Provider.Storage.ForgetClient(f.client)
		start := time.Now()
		resp, err := client.Do(e.request(n.srv.URL, f))
		if err != nil {
			_ = os.Remove(filler)
			t.Fatalf("%s: %v", e.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		status, ctype, body := resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
		t.Logf("%s: %d %s", e.name, status, ctype)
		if a, ok := sqliteFullReads[e.name]; ok {
			checkReadAnswer(t, e, a, status, body)
		} else if a, ok := sqliteFullFirst[e.name]; ok {
			checkReadAnswer(t, e, a, status, body)
		} else {
			checkOutageAnswer(t, e, status, ctype, body, "")
		}
		if took > bound {
			t.Errorf("%s took %s, more than %s", e.name, took, bound)
		}
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		n.waitReady(t, http.StatusOK)
	}
	n.wantRecovered(t)
}
