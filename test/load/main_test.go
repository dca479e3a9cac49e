package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		backend string
		nodes   int
		start   bool
		urls    []string
		pids    []int
	}{
		{args: nil, backend: "sqlite", nodes: 1, start: true},
		{args: []string{"--backend", "sqlite", "--nodes", "1"}, backend: "sqlite", nodes: 1, start: true},
		{args: []string{"--backend", "postgres"}, backend: "postgres", nodes: 2, start: true},
		{args: []string{"--backend", "postgres", "--nodes", "3"}, backend: "postgres", nodes: 3, start: true},
		{args: []string{"--backend", "both"}, backend: "both", nodes: 2, start: true},
		{args: []string{"--url", "http://127.0.0.1:8080/", "--cli", "dinhdanh"}, backend: "sqlite", nodes: 1,
			urls: []string{"http://127.0.0.1:8080"}},
		{args: []string{"--url", "http://127.0.0.1:8080, http://localhost:8081", "--pid", "10,11", "--cli", "dinhdanh"},
			backend: "sqlite", nodes: 1, urls: []string{"http://127.0.0.1:8080", "http://localhost:8081"}, pids: []int{10, 11}},
	} {
		o, err := parseFlags(tc.args, io.Discard)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if o.backend != tc.backend || o.nodes != tc.nodes || o.start != tc.start || !slices.Equal(o.urls, tc.urls) ||
			!slices.Equal(o.pids, tc.pids) {
			t.Errorf("%q: backend %s, nodes %d, start %v, urls %q, pids %v; want %s, %d, %v, %q, %v", tc.args,
				o.backend, o.nodes, o.start, o.urls, o.pids, tc.backend, tc.nodes, tc.start, tc.urls, tc.pids)
		}
	}
	if o, err := parseFlags([]string{"--backend", "both", "--nodes", "3"}, io.Discard); err != nil ||
		!slices.Equal(o.backends(), []string{"sqlite", "postgres"}) || o.nodes != 3 {
		t.Errorf("--backend both --nodes 3: %v, %v", o, err)
	}
}

func TestParseFlagsRefuses(t *testing.T) {
	const cli = "--cli=dinhdanh"
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"--nodes", "2"}, "--backend sqlite"},
		{[]string{"--backend", "sqlite", "--nodes", "3"}, "SQLite runs one node"},
		{[]string{"--nodes", "0"}, "--nodes 0: at least 1"},
		{[]string{"--backend", "postgres", "--nodes", "0"}, "--nodes 0: at least 1"},
		{[]string{"--backend", "postgres", "--nodes", "-1"}, "at least 1"},
		{[]string{"--backend", "postgres", "--nodes", "99"}, "at most"},
		{[]string{"--backend", "mysql"}, `--backend "mysql": sqlite, postgres or both`},
		{[]string{"--backend", ""}, "sqlite, postgres or both"},
		{[]string{"--url", "http://127.0.0.1:8080,http://10.1.2.3:8080", cli}, `"http://10.1.2.3:8080": only loopback`},
		{[]string{"--url", "http://127.0.0.1:8080,http://example.com:8080", cli}, "only loopback"},
		{[]string{"--url", "http://127.0.0.1:8080,", cli}, "want http://HOST:PORT"},
		{[]string{"--url", "http://127.0.0.1:8080,http://127.0.0.1:8080/", cli}, "twice"},
		{[]string{"--url", "http://127.0.0.1:8080", "--backend", "postgres", cli}, "--backend and --nodes choose what --start runs"},
		{[]string{"--url", "http://127.0.0.1:8080,http://127.0.0.1:8081", "--nodes", "2", cli}, "--backend and --nodes"},
		{[]string{"--url", "http://127.0.0.1:8080,http://127.0.0.1:8081", "--pid", "12", cli}, "1 process ids for 2 URLs"},
		{[]string{"--url", "http://127.0.0.1:8080", "--pid", "12,x", cli}, "want process ids"},
		{[]string{"--backend", "postgres", "--pid", "12"}, "--pid goes with --url"},
		{[]string{"--url", "http://127.0.0.1:8080"}, "--url needs --cli"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// fakeIdP plays a deployment of nodes that share their state (as dinhdanh
// nodes share PostgreSQL and Redis) just enough for the scenarios, and
// records which node served each request.
type fakeIdP struct {
	t     *testing.T
	fx    *fixture
	nodes []*httptest.Server

	mu      sync.Mutex
	served  []served
	flows   map[string]fakeFlow // by flow id
	codes   map[string]string   // code → PKCE challenge
	refresh map[string]bool     // live refresh tokens
}

type served struct {
	node int
	step string // method and path
}

type fakeFlow struct {
	cookie, csrf, state, challenge string
}

func newFakeIdP(t *testing.T, fx *fixture, n int) *fakeIdP {
	f := &fakeIdP{t: t, fx: fx, flows: map[string]fakeFlow{}, codes: map[string]string{}, refresh: map[string]bool{}}
	for i := range n {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.served = append(f.served, served{node: i, step: r.Method + " " + r.URL.Path})
			f.mu.Unlock()
			f.serve(w, r)
		}))
		t.Cleanup(srv.Close)
		f.nodes = append(f.nodes, srv)
	}
	return f
}

func (f *fakeIdP) urls() []string {
	var urls []string
	for _, s := range f.nodes {
		urls = append(urls, s.URL)
	}
	return urls
}

// log returns the requests served so far and forgets them.
func (f *fakeIdP) log() []served {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.served
	f.served = nil
	return s
}

func (f *fakeIdP) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(status int, format string, a ...any) { http.Error(w, fmt.Sprintf(format, a...), status) }
	tokens := func(refresh bool) {
		ans := map[string]any{"access_token": "h." + randToken(8) + ".s", "token_type": "Bearer"}
		if refresh {
			rt := randToken(16)
			f.refresh[rt] = true
			ans["refresh_token"], ans["id_token"] = rt, "h.id.s"
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ans)
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /oauth2/auth":
		q := r.URL.Query()
		if q.Get("client_id") != f.fx.webID || q.Get("redirect_uri") != f.fx.redirectURI || q.Get("code_challenge_method") != "S256" {
			fail(http.StatusBadRequest, "bad authorization request %s", r.URL.RawQuery)
			return
		}
		id := randToken(8)
		fl := fakeFlow{cookie: randToken(8), csrf: randToken(8), state: q.Get("state"), challenge: q.Get("code_challenge")}
		f.flows[id] = fl
		http.SetCookie(w, &http.Cookie{Name: "csrf", Value: fl.cookie, Path: "/", HttpOnly: true})
		// An absolute URL on the node that answered, as an issuer's would be.
		http.Redirect(w, r, "http://"+r.Host+"/login?flow="+id, http.StatusSeeOther)
	case "GET /login":
		fl, ok := f.flows[r.URL.Query().Get("flow")]
		if c, err := r.Cookie("csrf"); !ok || err != nil || c.Value != fl.cookie {
			fail(http.StatusForbidden, "no flow or not this browser's (cookie %v)", err)
			return
		}
		fmt.Fprintf(w, `<form method="post" action="/login"><input type="hidden" name="flow" value="%s">`+
			`<input type="hidden" name="csrf_token" value="%s"></form>`, html.EscapeString(r.URL.Query().Get("flow")), html.EscapeString(fl.csrf))
	case "POST /login":
		fl, ok := f.flows[r.PostFormValue("flow")]
		c, err := r.Cookie("csrf")
		switch {
		case !ok || err != nil || c.Value != fl.cookie || r.PostFormValue("csrf_token") != fl.csrf:
			fail(http.StatusForbidden, "CSRF check failed (cookie %v)", err)
			return
		case !slices.Contains(f.fx.accounts, r.PostFormValue("identifier")) || r.PostFormValue("password") != f.fx.password:
			fail(http.StatusOK, "wrong password")
			return
		}
		delete(f.flows, r.PostFormValue("flow"))
		code := randToken(8)
		f.codes[code] = fl.challenge
		http.Redirect(w, r, f.fx.redirectURI+"?"+url.Values{"code": {code}, "state": {fl.state}}.Encode(), http.StatusSeeOther)
	case "POST /oauth2/token":
		id, secret, _ := r.BasicAuth()
		switch r.PostFormValue("grant_type") {
		case "client_credentials":
			if id != f.fx.ccID || secret != f.fx.ccSecret {
				fail(http.StatusUnauthorized, "invalid_client")
				return
			}
			tokens(false)
		case "authorization_code":
			challenge, ok := f.codes[r.PostFormValue("code")]
			sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
			if id != f.fx.webID || secret != f.fx.webSecret || !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
				fail(http.StatusBadRequest, "invalid_grant")
				return
			}
			delete(f.codes, r.PostFormValue("code"))
			tokens(true)
		case "refresh_token":
			rt := r.PostFormValue("refresh_token")
			if id != f.fx.webID || secret != f.fx.webSecret || !f.refresh[rt] {
				fail(http.StatusBadRequest, "invalid_grant")
				return
			}
			delete(f.refresh, rt)
			tokens(true)
		default:
			fail(http.StatusBadRequest, "unsupported_grant_type")
		}
	case "POST /oauth2/introspect":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"active": true, "client_id": f.fx.ccID})
	default:
		http.NotFound(w, r)
	}
}

func testFixture() *fixture {
	return &fixture{ccID: "load-cc", ccSecret: "cc-secret", webID: "load-web", webSecret: "web-secret",
		redirectURI: "http://127.0.0.1/callback", accounts: []string{"001099000001", "001099000002"}, password: "tai-thu-mật-khẩu"}
}

// alternates fails the test unless each request went to the other node
// than the one before it, and returns the steps.
func alternates(t *testing.T, log []served) []string {
	t.Helper()
	var steps []string
	for i, s := range log {
		steps = append(steps, fmt.Sprintf("node %d: %s", s.node, s.step))
		if i > 0 && s.node == log[i-1].node {
			t.Errorf("request %d (%s) went to node %d, as the request before it", i+1, s.step, s.node)
		}
	}
	if t.Failed() {
		t.Logf("requests:\n%s", strings.Join(steps, "\n"))
	}
	return steps
}

// One worker: every request goes to the other node than the one before, a
// login's four steps included, and the login works across the nodes (the
// browser's cookie follows it from one port to the other).
func TestRoundRobinAlternates(t *testing.T) {
	fx := testFixture()
	f := newFakeIdP(t, fx, 2)
	a := newAPI(f.urls(), newTransport(1), fx)
	ctx := t.Context()

	for range 3 {
		if _, err := a.clientCredentials(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.introspect(ctx, "h.p.s"); err != nil {
		t.Fatal(err)
	}
	alternates(t, f.log())

	tok, err := a.login(ctx, fx.accounts[0])
	if err != nil {
		t.Fatalf("a login spread over two nodes: %v", err)
	}
	log := f.log()
	steps := []string{"GET /oauth2/auth", "GET /login", "POST /login", "POST /oauth2/token"}
	if len(log) != len(steps) {
		t.Fatalf("the login sent %d requests, want %d: %v", len(log), len(steps), log)
	}
	for i, s := range log {
		if s.step != steps[i] {
			t.Errorf("login request %d: %s, want %s", i+1, s.step, steps[i])
		}
	}
	alternates(t, log)
	// The authorization request's redirect named the node that answered it;
	// the login form was still fetched from the other one.
	if log[0].node == log[1].node {
		t.Error("the redirect was followed on the node it named")
	}

	for range 3 {
		if tok, err = a.refresh(ctx, tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
	}
	alternates(t, f.log())
}

// The refresh scenario, setup and measured phase, through runScenario with
// one worker: no error, and the requests alternate throughout.
func TestRoundRobinRefreshScenario(t *testing.T) {
	fx := testFixture()
	f := newFakeIdP(t, fx, 2)
	a := newAPI(f.urls(), newTransport(1), fx)
	res, err := runScenario(t.Context(), a.scenarios(nil)["refresh"], 1, 0, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.errors != 0 || res.requests == 0 {
		t.Fatalf("%d refreshes, %d errors: %v", res.requests, res.errors, res.shown)
	}
	log := f.log()
	alternates(t, log)
	if n := len(log); n != 4+res.requests {
		t.Errorf("%d requests for one login and %d refreshes", n, res.requests)
	}
}

// Many workers share the turn: the nodes get the same number of requests,
// within one, and logins work even when their steps land anywhere.
func TestRoundRobinConcurrent(t *testing.T) {
	fx := testFixture()
	f := newFakeIdP(t, fx, 3)
	a := newAPI(f.urls(), newTransport(8), fx)
	sc := a.scenarios(nil)
	for _, name := range []string{"cc", "login"} {
		res, err := runScenario(t.Context(), sc[name], 8, 0, 200*time.Millisecond, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.errors != 0 || res.requests == 0 {
			t.Fatalf("%s: %d iterations, %d errors: %v", name, res.requests, res.errors, res.shown)
		}
		count := make([]int, len(f.nodes))
		for _, s := range f.log() {
			count[s.node]++
		}
		if slices.Max(count)-slices.Min(count) > 1 {
			t.Errorf("%s: requests per node %v, want equal within one", name, count)
		}
	}
}

// The accounting of a server with helper processes (PostgreSQL) finds the
// children of a process and adds up their CPU and memory.
func TestProcessTree(t *testing.T) {
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatalf("starting a child process: %v", err)
	}
	defer func() {
		child.Process.Kill()
		child.Wait()
	}()
	self := os.Getpid()
	tree, err := processTree(self)
	if err != nil {
		t.Fatal(err)
	}
	if tree[0] != self || !slices.Contains(tree, child.Process.Pid) {
		t.Fatalf("processTree(%d) = %v, want this process first and its child %d", self, tree, child.Process.Pid)
	}
	if only, err := processTree(child.Process.Pid); err != nil || !slices.Equal(only, []int{child.Process.Pid}) {
		t.Errorf("processTree of a process without children = %v, %v", only, err)
	}
	own, _ := processCPU(self)
	if all, err := treeCPU(self); err != nil || all < own {
		t.Errorf("treeCPU = %v, %v; less than the process's own %v", all, err, own)
	}
	pss, n, err := treePSS(self)
	if err != nil || n != len(tree) || pss <= 0 {
		t.Errorf("treePSS = %d KiB over %d processes, %v; want a size over %d", pss, n, err, len(tree))
	}
	if _, err := processTree(1 << 30); err == nil {
		t.Error("processTree of a process that does not exist: no error")
	}
}

// The comparison divides each scenario's PostgreSQL rate by its SQLite
// rate; PASS needs 0.70 or more and no error in either run.
func TestCompare(t *testing.T) {
	res := func(name string, requests, errors int) *result {
		return &result{name: name, requests: requests, errors: errors, elapsed: time.Second}
	}
	lite := &report{nodes: 1, results: []*result{res("client credentials", 1000, 0), res("refresh (rotation)", 1000, 0),
		res("introspection", 1000, 0), res("password login", 100, 0)}}
	pg := &report{nodes: 2, results: []*result{res("client credentials", 700, 0), res("refresh (rotation)", 699, 0),
		res("introspection", 2000, 3), res("password login", 90, 0)}}
	var b strings.Builder
	compare(&b, lite, pg)
	out := b.String()
	for _, want := range []string{
		"PostgreSQL + Redis (2 nodes) against SQLite (1 node)",
		"client credentials         1000.0              700.0    0.70  ≥ 0.70   PASS",
		"refresh (rotation)         1000.0              699.0    0.70  ≥ 0.70   MISS", // 0.699
		"introspection              1000.0             2000.0    2.00  ≥ 0.70   MISS", // errors
		"password login              100.0               90.0    0.90  ≥ 0.70   PASS",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the comparison lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Other processes") {
		t.Errorf("a warning about other processes, none measured:\n%s", out)
	}
}
