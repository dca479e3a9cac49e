package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// requestTimeout bounds every single HTTP request, so a scenario ends at
// most this long after its duration even when the server hangs.
const requestTimeout = 30 * time.Second

// loopbackDialer refuses every address that is not a loopback address.
func loopbackDialer() *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("refusing to connect to %s: the load command drives loopback addresses only", address)
			}
			return nil
		}}
}

// newTransport returns the transport every scenario shares: enough idle
// connections that no worker opens a new one once warmed up.
func newTransport(concurrency int) *http.Transport {
	return &http.Transport{
		DialContext:         loopbackDialer().DialContext,
		MaxIdleConns:        4*concurrency + 16,
		MaxIdleConnsPerHost: 4*concurrency + 16,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// api talks to the nodes under load. It is its own load balancer, and a
// stricter one than a deployment would have: every HTTP request, whichever
// worker sends it, goes to the node after the one the previous request went
// to (one turn shared by all workers). The steps of one login and the links
// of one refresh chain are spread over the nodes like any other requests,
// where a balancer with sticky sessions would keep a browser on one node, so
// every node must carry on what another one started.
type api struct {
	nodes []string // base URLs, http://HOST:PORT
	next  atomic.Uint64
	tr    *http.Transport
	hc    *http.Client // no cookies, no redirects
	fx    *fixture
}

func newAPI(nodes []string, tr *http.Transport, fx *fixture) *api {
	return &api{nodes: nodes, tr: tr, fx: fx,
		hc: &http.Client{Transport: tr, CheckRedirect: noRedirect, Timeout: requestTimeout}}
}

// url returns the absolute URL of pathQuery (a path with its query) on the
// next node in turn.
func (a *api) url(pathQuery string) string {
	n := a.next.Add(1) - 1
	return a.nodes[n%uint64(len(a.nodes))] + pathQuery
}

// httpError is an answer that is not 2xx or 3xx.
type httpError struct {
	step   string
	status int
	body   string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("%s: HTTP %d: %s", e.step, e.status, e.body)
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// do sends a request and reads the whole answer (so the connection is reused).
func do(ctx context.Context, hc *http.Client, step string, req *http.Request) (*http.Response, []byte, error) {
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", step, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading the answer: %w", step, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return nil, nil, &httpError{step: step, status: resp.StatusCode, body: snippet(body)}
	}
	return resp, body, nil
}

// postForm posts a form, with HTTP Basic client authentication when id is set
// (RFC 6749 §2.3.1: both parts form-encoded first).
func postForm(ctx context.Context, hc *http.Client, step, u string, form url.Values, id, secret string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return do(ctx, hc, step, req)
}

func get(ctx context.Context, hc *http.Client, step, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	return do(ctx, hc, step, req)
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
}

func isJWT(s string) bool { return strings.Count(s, ".") == 2 && !strings.Contains(s, " ") }

func decodeTokens(step string, body []byte, wantID, wantRefresh bool) (*tokenResponse, error) {
	var t tokenResponse
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("%s: malformed answer: %v: %s", step, err, snippet(body))
	}
	switch {
	case !isJWT(t.AccessToken):
		return nil, fmt.Errorf("%s: the access token is not a JWT: %s", step, snippet(body))
	case !strings.EqualFold(t.TokenType, "bearer"):
		return nil, fmt.Errorf("%s: token_type %q", step, t.TokenType)
	case wantID && !isJWT(t.IDToken):
		return nil, fmt.Errorf("%s: no ID token: %s", step, snippet(body))
	case wantRefresh && t.RefreshToken == "":
		return nil, fmt.Errorf("%s: no refresh token: %s", step, snippet(body))
	}
	return &t, nil
}

// clientCredentials gets a JWT access token for the service client.
func (a *api) clientCredentials(ctx context.Context) (*tokenResponse, error) {
	_, body, err := postForm(ctx, a.hc, "token (client_credentials)", a.url("/oauth2/token"),
		url.Values{"grant_type": {"client_credentials"}}, a.fx.ccID, a.fx.ccSecret)
	if err != nil {
		return nil, err
	}
	return decodeTokens("token (client_credentials)", body, false, false)
}

// introspect asks about a token that must be active.
func (a *api) introspect(ctx context.Context, token string) error {
	_, body, err := postForm(ctx, a.hc, "introspect", a.url("/oauth2/introspect"),
		url.Values{"token": {token}}, a.fx.ccID, a.fx.ccSecret)
	if err != nil {
		return err
	}
	var ans struct {
		Active   bool   `json:"active"`
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return fmt.Errorf("introspect: malformed answer: %v: %s", err, snippet(body))
	}
	if !ans.Active || ans.ClientID != a.fx.ccID {
		return fmt.Errorf("introspect: a live token is reported as %s", snippet(body))
	}
	return nil
}

// refresh redeems a refresh token and returns the new tokens.
func (a *api) refresh(ctx context.Context, token string) (*tokenResponse, error) {
	_, body, err := postForm(ctx, a.hc, "token (refresh_token)", a.url("/oauth2/token"),
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, a.fx.webID, a.fx.webSecret)
	if err != nil {
		return nil, err
	}
	return decodeTokens("token (refresh_token)", body, true, true)
}

var (
	csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	flowField = regexp.MustCompile(`name="flow" value="([^"]+)"`)
)

func randToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// login runs the whole browser login of a citizen with a password, in a
// browser of its own (a fresh cookie jar): GET /oauth2/auth with PKCE S256 →
// GET /login (the form) → POST /login → the redirect to the client with the
// code (not followed) → POST /oauth2/token. Each of the four requests goes to
// the next node in turn.
func (a *api) login(ctx context.Context, personalID string) (*tokenResponse, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: a.tr, Jar: jar, CheckRedirect: noRedirect, Timeout: requestTimeout}
	verifier := randToken(32)
	sum := sha256.Sum256([]byte(verifier))
	state, nonce := randToken(16), randToken(16)
	q := url.Values{
		"response_type": {"code"}, "client_id": {a.fx.webID}, "redirect_uri": {a.fx.redirectURI},
		"scope": {"openid profile"}, "state": {state}, "nonce": {nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	resp, _, err := get(ctx, hc, "authorize", a.url("/oauth2/auth?"+q.Encode()))
	if err != nil {
		return nil, err
	}
	loc, err := resp.Location()
	if err != nil || loc.Path != "/login" || loc.Query().Get("flow") == "" {
		return nil, fmt.Errorf("authorize: HTTP %d to %q, want a redirect to /login?flow=…", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The redirect's path and query go to the next node, whatever host it
	// names (the issuer's, node 1): the browser's cookies go along, since a
	// cookie of 127.0.0.1 is sent to every port of it.
	_, page, err := get(ctx, hc, "login form", a.url(loc.RequestURI()))
	if err != nil {
		return nil, err
	}
	csrf, flow := csrfField.FindSubmatch(page), flowField.FindSubmatch(page)
	if csrf == nil || flow == nil {
		return nil, fmt.Errorf("login form: no csrf_token or flow field in the page: %s", snippet(page))
	}

	form := url.Values{"flow": {html.UnescapeString(string(flow[1]))}, "csrf_token": {html.UnescapeString(string(csrf[1]))},
		"identifier": {personalID}, "password": {a.fx.password}}
	resp, page, err = postForm(ctx, hc, "login post", a.url("/login"), form, "", "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 3 {
		return nil, fmt.Errorf("login post: HTTP %d, want a redirect: %s", resp.StatusCode, snippet(page))
	}
	back, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("login post: %w", err)
	}
	cb := *back
	cb.RawQuery = ""
	bq := back.Query()
	switch {
	case cb.String() != a.fx.redirectURI:
		return nil, fmt.Errorf("login post: redirected to %q, want the client's redirect URI", back)
	case bq.Get("error") != "":
		return nil, fmt.Errorf("login post: the client is sent error=%s: %s", bq.Get("error"), bq.Get("error_description"))
	case bq.Get("state") != state:
		return nil, errors.New("login post: the state came back changed")
	case bq.Get("code") == "":
		return nil, fmt.Errorf("login post: no code in %q", back)
	}

	_, body, err := postForm(ctx, a.hc, "token (authorization_code)", a.url("/oauth2/token"), url.Values{
		"grant_type": {"authorization_code"}, "code": {bq.Get("code")}, "redirect_uri": {a.fx.redirectURI},
		"code_verifier": {verifier},
	}, a.fx.webID, a.fx.webSecret)
	if err != nil {
		return nil, err
	}
	return decodeTokens("token (authorization_code)", body, true, true)
}

// worker is the state one load worker keeps between iterations.
type worker struct {
	id      int
	n       int    // iterations started
	refresh string // the worker's current refresh token
}

// scenario is one measured workload.
type scenario struct {
	name string
	// setup prepares a worker before the clock starts (may be nil).
	setup func(ctx context.Context, w *worker) error
	// iter is one measured iteration.
	iter func(ctx context.Context, w *worker) error
	// recover repairs a worker after a failed iteration, off the clock (may be nil).
	recover func(ctx context.Context, w *worker) error
}

// runScenario runs the workload with c workers: a warm-up that is not
// counted, then duration measured. Every loop checks the clock before each
// iteration, so the scenario ends by itself.
// cpu, when not nil, reads the CPU time used so far by the nodes, by the
// services beside them, by this process and by the whole machine; the
// result then tells how many cores each used.
func runScenario(ctx context.Context, sc scenario, c int, warmup, duration time.Duration, cpu func() cpuTimes) (*result, error) {
	workers := make([]*worker, c)
	var setupErr error
	var once sync.Once
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = &worker{id: i}
		if sc.setup == nil {
			continue
		}
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			if err := sc.setup(ctx, w); err != nil {
				once.Do(func() { setupErr = err })
			}
		}(workers[i])
	}
	wg.Wait()
	if setupErr != nil {
		return nil, fmt.Errorf("%s: preparing the workers: %w", sc.name, setupErr)
	}

	phase := func(d time.Duration, col *collector) time.Duration {
		start := time.Now()
		deadline := start.Add(d)
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var lat []time.Duration
				var errs int
				var msgs []string
				for ctx.Err() == nil && time.Now().Before(deadline) {
					w.n++
					t0 := time.Now()
					err := sc.iter(ctx, w)
					took := time.Since(t0)
					if ctx.Err() != nil {
						break
					}
					if err == nil {
						lat = append(lat, took)
						continue
					}
					errs++
					if len(msgs) < maxShownErrors {
						msgs = append(msgs, err.Error())
					}
					if sc.recover != nil {
						if rerr := sc.recover(ctx, w); rerr != nil && len(msgs) < maxShownErrors {
							msgs = append(msgs, "repairing the worker: "+rerr.Error())
						}
					}
				}
				if col != nil {
					col.add(lat, errs, msgs)
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	if warmup > 0 {
		phase(warmup, nil)
	}
	col := &collector{}
	var cpu0 cpuTimes
	if cpu != nil {
		cpu0 = cpu()
	}
	elapsed := phase(duration, col)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := col.result(sc.name, c, elapsed)
	if cpu != nil {
		cpu1 := cpu()
		srv, svc, self := cpu1.server-cpu0.server, cpu1.services-cpu0.services, cpu1.self-cpu0.self
		res.serverCores = srv.Seconds() / elapsed.Seconds()
		res.servicesCores = svc.Seconds() / elapsed.Seconds()
		res.selfCores = self.Seconds() / elapsed.Seconds()
		res.otherCores = max(0, (cpu1.machine-cpu0.machine-srv-svc-self).Seconds()/elapsed.Seconds())
	}
	return res, nil
}

// scenarios returns the workloads by their short names.
func (a *api) scenarios(pool []string) map[string]scenario {
	nAcc := len(a.fx.accounts)
	return map[string]scenario{
		"cc": {
			name: "client credentials",
			iter: func(ctx context.Context, w *worker) error {
				_, err := a.clientCredentials(ctx)
				return err
			},
		},
		"introspect": {
			name: "introspection",
			iter: func(ctx context.Context, w *worker) error {
				return a.introspect(ctx, pool[(w.id*7919+w.n)%len(pool)])
			},
		},
		"refresh": {
			name: "refresh (rotation)",
			setup: func(ctx context.Context, w *worker) error {
				t, err := a.login(ctx, a.fx.accounts[w.id%nAcc])
				if err != nil {
					return err
				}
				w.refresh = t.RefreshToken
				return nil
			},
			iter: func(ctx context.Context, w *worker) error {
				t, err := a.refresh(ctx, w.refresh)
				if err != nil {
					return err
				}
				w.refresh = t.RefreshToken
				return nil
			},
			// A failed rotation may have spent the token: start a new chain.
			recover: func(ctx context.Context, w *worker) error {
				t, err := a.login(ctx, a.fx.accounts[w.id%nAcc])
				if err != nil {
					return err
				}
				w.refresh = t.RefreshToken
				return nil
			},
		},
		"login": {
			name: "password login",
			iter: func(ctx context.Context, w *worker) error {
				_, err := a.login(ctx, a.fx.accounts[(w.id+w.n)%nAcc])
				return err
			},
		},
	}
}

// tokenPool gets n live JWT access tokens for introspection.
func (a *api) tokenPool(ctx context.Context, n, parallel int) ([]string, error) {
	pool := make([]string, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan int)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t, err := a.clientCredentials(ctx)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					continue
				}
				pool[i] = t.AccessToken
			}
		}()
	}
	for i := range pool {
		next <- i
	}
	close(next)
	wg.Wait()
	return pool, first
}
