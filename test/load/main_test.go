package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/harness"
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

func TestMain(m *testing.M) { os.Exit(harness.RunTests(m)) }

// deployment of real nodes: dinhdanh nodes in the test process, started
// through test/harness, sharing one SQLite file (their durable and
// ephemeral state, seal key and issuer), as the nodes of a deployment share
// PostgreSQL and Redis; it records which node served each request.
type nodes struct {
	servers []*harness.Server

	mu     sync.Mutex
	served []served
}

type served struct {
	node int
	step string // method and path
}

// startNodes starts n nodes on one SQLite file and provisions them through
// the command line as the load command does (provision, two accounts).
func startNodes(t *testing.T, n int) (*nodes, *fixture) {
	t.Helper()
	d := &nodes{}
	backend := harness.SharedSQLite(t)
	for i := range n {
		s := harness.StartInProcess(t, harness.WithBackend(backend), harness.WithMiddleware(d.record(i)))
		d.servers = append(d.servers, s)
	}
	fx, err := provision(t.Context(), &cli{argv: []string{harness.Binary(t)}, env: d.servers[0].Env()}, 2, "RS256", 2)
	if err != nil {
		t.Fatalf("provisioning: %v", err)
	}
	d.log() // the readiness probes of the start
	return d, fx
}

// record returns the middleware of node i.
func (d *nodes) record(i int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d.mu.Lock()
			d.served = append(d.served, served{node: i, step: r.Method + " " + r.URL.Path})
			d.mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}
}

// urls returns the nodes' own base URLs.
func (d *nodes) urls() []string {
	var urls []string
	for _, s := range d.servers {
		urls = append(urls, s.Base)
	}
	return urls
}

// log returns the requests served so far and forgets them.
func (d *nodes) log() []served {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.served
	d.served = nil
	return s
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
	f, fx := startNodes(t, 2)
	a := newAPI(f.urls(), newTransport(1), fx)
	ctx := t.Context()

	var cc *tokenResponse
	for range 3 {
		var err error
		if cc, err = a.clientCredentials(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.introspect(ctx, cc.AccessToken); err != nil {
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
	f, fx := startNodes(t, 2)
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
	f, fx := startNodes(t, 3)
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
		count := make([]int, len(f.servers))
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
