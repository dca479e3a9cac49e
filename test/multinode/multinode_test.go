package multinode

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/services"
)

func TestMain(m *testing.M) { os.Exit(harness.RunTests(m)) }

// The people and applications of the tests.
var (
	lan = harness.Citizen{PersonalID: "001199007788", Name: "Vũ Ngọc Lan", Birthdate: "1999-05-20", Gender: "female",
		Email: "lan.vu@example.vn", Password: "Hồ-Gươm-sương-sớm-1999"}
	minh = harness.Citizen{PersonalID: "036092004455", Name: "Đỗ Quang Minh", Birthdate: "1992-01-09", Gender: "male",
		Email: "minh.do@example.vn", Password: "Nam-Định-thành-Nam-92"}
)

const (
	portalRedirect = "https://dichvucong.example.gov.vn/oidc/callback"
	motcuaRedirect = "https://motcua.example.gov.vn/auth/callback"
)

// balancer is the load balancer in front of the nodes: one public address
// (the issuer), and the test chooses which node serves each request.
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

// to sends the following requests to the node.
func (b *balancer) to(n *harness.Server) {
	u, err := url.Parse("http://" + n.Addr)
	if err != nil {
		panic(err)
	}
	b.target.Store(u)
}

// cluster is a deployment: nodes sharing one PostgreSQL database and one
// Redis deployment, behind a balancer whose address is their issuer.
type cluster struct {
	env   map[string]string
	lb    *balancer
	nodes []*harness.Server
}

// newCluster prepares the environment of the nodes: the database, Redis
// (DINHDANH_REDIS_* in redisEnv), one seal key file for all, and the issuer.
func newCluster(t *testing.T, dbURL string, redisEnv map[string]string) *cluster {
	t.Helper()
	sealKey := make([]byte, 32)
	if _, err := rand.Read(sealKey); err != nil {
		t.Fatal(err)
	}
	sealPath := filepath.Join(t.TempDir(), "seal.key")
	if err := os.WriteFile(sealPath, []byte(base64.StdEncoding.EncodeToString(sealKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cluster{lb: newBalancer(t), env: map[string]string{
		"DINHDANH_DATABASE_URL":                 dbURL,
		"DINHDANH_KEYS_SEAL_KEY_FILE":           sealPath,
		"DINHDANH_KEYS_ROTATION_CHECK_INTERVAL": "1s",
		"DINHDANH_LOG_LEVEL":                    "info",
	}}
	c.env["DINHDANH_ISSUER"] = c.lb.URL
	for k, v := range redisEnv {
		c.env[k] = v
	}
	return c
}

// run runs a dinhdanh command with the cluster's configuration and returns
// its combined output and exit code.
func (c *cluster) run(t *testing.T, timeout time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(t), args...)
	cmd.Dir = t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DINHDANH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "DINHDANH_LISTEN=127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("dinhdanh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), 0
}

// start starts one more node.
func (c *cluster) start(t *testing.T) *harness.Server {
	t.Helper()
	var opts []harness.Option
	for k, v := range c.env {
		opts = append(opts, harness.WithEnv(k, v))
	}
	n := harness.Start(t, opts...)
	c.nodes = append(c.nodes, n)
	return n
}

// browser returns a person's browser that goes through the balancer.
func (c *cluster) browser(t *testing.T) *harness.Browser {
	b := c.nodes[0].NewBrowser(t)
	b.Origin = c.lb.URL
	return b
}

// rp is an application signing people in with go-oidc, discovering the
// provider through the balancer.
type rp struct {
	client   *harness.Client
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	config   oauth2.Config
	ctx      context.Context
}

func (c *cluster) rp(t *testing.T, client *harness.Client) *rp {
	t.Helper()
	ctx := oidc.ClientContext(t.Context(), &http.Client{Timeout: harness.RequestTimeout})
	p, err := oidc.NewProvider(ctx, c.lb.URL)
	if err != nil {
		t.Fatalf("discovery through the balancer: %v", err)
	}
	return &rp{client: client, provider: p, ctx: ctx,
		verifier: p.Verifier(&oidc.Config{ClientID: client.ID}),
		config: oauth2.Config{ClientID: client.ID, ClientSecret: client.Secret, Endpoint: p.Endpoint(),
			RedirectURL: client.RedirectURI(), Scopes: []string{"openid", "profile", "offline_access"}}}
}

// on returns the application's configuration with the token endpoint of one node.
func (a *rp) on(n *harness.Server) oauth2.Config {
	cfg := a.config
	cfg.Endpoint.TokenURL = n.URL("/oauth2/token")
	return cfg
}

// request is one authorization request with PKCE, state and nonce.
type request struct {
	state, nonce string
	pkce         harness.PKCE
	url          string
}

func (a *rp) request() *request {
	r := &request{state: harness.Random(16), nonce: harness.Random(16), pkce: harness.NewPKCE()}
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(r.nonce)}, r.pkce.AuthOptions()...)
	r.url = a.config.AuthCodeURL(r.state, opts...)
	return r
}

// code returns the code at the redirect URI the navigation ended at.
func (a *rp) code(t *testing.T, r *request, resp *harness.Response) string {
	t.Helper()
	u := resp.MustRedirect(t, a.client.RedirectURI())
	q := u.Query()
	if q.Get("state") != r.state || q.Get("code") == "" {
		t.Fatalf("the redirect %s carries no code for the request", u)
	}
	return q.Get("code")
}

// exchange redeems the code at the node and verifies the ID token.
func (a *rp) exchange(t *testing.T, n *harness.Server, r *request, code string) (*oauth2.Token, *oidc.IDToken) {
	t.Helper()
	cfg := a.on(n)
	tok, err := cfg.Exchange(a.ctx, code, r.pkce.ExchangeOption())
	if err != nil {
		t.Fatalf("exchanging the code at %s: %v", n.Addr, err)
	}
	idt := a.verify(t, tok)
	if idt.Nonce != r.nonce {
		t.Fatalf("ID token nonce %q, want %q", idt.Nonce, r.nonce)
	}
	return tok, idt
}

func (a *rp) verify(t *testing.T, tok *oauth2.Token) *oidc.IDToken {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	idt, err := a.verifier.Verify(a.ctx, raw)
	if err != nil {
		t.Fatalf("verifying the ID token: %v", err)
	}
	return idt
}

// refresh redeems a refresh token at the node.
func (a *rp) refresh(n *harness.Server, refreshToken string) (*oauth2.Token, error) {
	cfg := a.on(n)
	return cfg.TokenSource(a.ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// login fills in the login page the navigation ended on.
func login(t *testing.T, b *harness.Browser, resp *harness.Response, who harness.Citizen) *harness.Response {
	t.Helper()
	page := resp.MustPage(t, http.StatusOK, "/login")
	return b.Submit(t, page.Form(t, "/login"), map[string]string{"identifier": who.PersonalID, "password": who.Password})
}

// get fetches a path of a node and returns the status and body.
func get(n *harness.Server, path string, header ...string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, n.URL(path), nil)
	if err != nil {
		return 0, "", err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := n.HTTP.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// eventually retries check every 100ms until it returns nil or the time is up.
func eventually(t *testing.T, within time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// clientCredentials asks the node for a token with the client credentials grant.
func clientCredentials(t *testing.T, n *harness.Server, c *harness.Client) (int, map[string]any) {
	t.Helper()
	return n.PostForm(t, "/oauth2/token", c, url.Values{"grant_type": {"client_credentials"}})
}

// TestThreeNodes runs three "dinhdanh serve" processes on one PostgreSQL and
// one Redis and moves people and applications between them, through a node
// crash, a Redis restart and a PostgreSQL outage.
func TestThreeNodes(t *testing.T) {
	pg := services.StartPostgres(t)
	rds := services.StartRedis(t)
	// Strict rotation (no reuse window): the reuse checks below present
	// rotated tokens again within seconds.
	c := newCluster(t, pg.NewDatabase(t), map[string]string{"DINHDANH_REDIS_ADDRS": rds.Addr,
		"DINHDANH_TOKENS_REFRESH_REUSE_WINDOW": "0"})

	// A node refuses a database that was never migrated, and says what to do.
	out, code := c.run(t, 60*time.Second, "serve")
	if code == 0 || !strings.Contains(out, "dinhdanh migrate") {
		t.Fatalf("serve on an empty PostgreSQL database: exit code %d, output:\n%s\nwant a refusal that names 'dinhdanh migrate'", code, out)
	}
	out, code = c.run(t, 60*time.Second, "migrate")
	if code != 0 || !strings.Contains(out, "applied migrations") {
		t.Fatalf("migrate: exit code %d:\n%s", code, out)
	}
	if out, code = c.run(t, 60*time.Second, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate again: exit code %d:\n%s", code, out)
	}

	n1, n2, n3 := c.start(t), c.start(t), c.start(t)
	nodes := []*harness.Server{n1, n2, n3}
	c.lb.to(n1)

	// Every node signs with the same keys and publishes the same JWKS.
	sameJWKS := func() error {
		var first string
		for _, n := range nodes {
			status, body, err := get(n, "/.well-known/jwks.json")
			if err != nil || status != http.StatusOK {
				return fmt.Errorf("node %s: JWKS: %d %v", n.Addr, status, err)
			}
			if first == "" {
				first = body
			} else if body != first {
				return fmt.Errorf("node %s publishes other keys than node %s", n.Addr, nodes[0].Addr)
			}
		}
		return nil
	}
	if err := sameJWKS(); err != nil {
		t.Fatal(err)
	}

	portal := n1.CreateClient(t, harness.ClientSpec{ID: "cong-dvc", Name: "Cổng dịch vụ công tỉnh", FirstParty: true,
		RedirectURIs: []string{portalRedirect}, Scopes: []string{"openid", "profile", "offline_access"}})
	motcua := n2.CreateClient(t, harness.ClientSpec{ID: "mot-cua", Name: "Một cửa điện tử",
		RedirectURIs: []string{motcuaRedirect}, Scopes: []string{"openid", "profile", "offline_access"}})
	service := n3.CreateClient(t, harness.ClientSpec{ID: "lgsp", Name: "Nền tảng tích hợp LGSP",
		Grants: []string{"client_credentials"}, Scopes: []string{"lgsp.read"}})
	lanSub := n1.CreateCitizen(t, lan)
	n3.CreateCitizen(t, minh)
	portalRP, motcuaRP := c.rp(t, portal), c.rp(t, motcua)

	// Log in through node 1, exchange the code on node 2, refresh on node 3.
	b := c.browser(t)
	req := portalRP.request()
	resp := login(t, b, b.Get(t, req.url), lan)
	tok, idt := portalRP.exchange(t, n2, req, portalRP.code(t, req, resp))
	if idt.Subject != lanSub {
		t.Fatalf("ID token subject %s, want %s", idt.Subject, lanSub)
	}
	var claims struct {
		SID string `json:"sid"`
	}
	if err := idt.Claims(&claims); err != nil || claims.SID == "" {
		t.Fatalf("the ID token has no sid (%v)", err)
	}
	refreshed, err := portalRP.refresh(n3, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refreshing at node 3: %v", err)
	}
	if refreshed.RefreshToken == "" || refreshed.RefreshToken == tok.RefreshToken {
		t.Fatal("node 3 did not rotate the refresh token")
	}
	portalRP.verify(t, refreshed)
	t.Logf("one SSO session in Redis: %s", ssoSessionBytes(t, rds.Addr))

	// SSO into a second application through node 2: no login page, the
	// consent page (a third party), the same session.
	c.lb.to(n2)
	req2 := motcuaRP.request()
	resp = b.Get(t, req2.url)
	consent := resp.MustPage(t, http.StatusOK, "/consent")
	resp = b.Submit(t, consent.Form(t, "/consent"), map[string]string{"decision": "allow"})
	motTok, motIDT := motcuaRP.exchange(t, n1, req2, motcuaRP.code(t, req2, resp))
	var motClaims struct {
		SID string `json:"sid"`
	}
	if err := motIDT.Claims(&motClaims); err != nil || motIDT.Subject != lanSub || motClaims.SID != claims.SID {
		t.Fatalf("SSO through node 2: subject %s sid %s, want %s and the session %s (%v)", motIDT.Subject, motClaims.SID, lanSub, claims.SID, err)
	}

	// Revoke on node 1; introspection on node 3 reports the tokens inactive.
	if got := n3.Introspect(t, portal, refreshed.AccessToken); got["active"] != true {
		t.Fatalf("before revocation, node 3 introspects the access token as %v", got)
	}
	n1.Revoke(t, portal, refreshed.RefreshToken, "refresh_token")
	for _, tk := range []string{refreshed.RefreshToken, refreshed.AccessToken} {
		if got := n3.Introspect(t, portal, tk); got["active"] != false {
			t.Fatalf("after revocation on node 1, node 3 introspects a token as %v", got)
		}
	}
	// The token rotated away at node 3 is refused at node 2 (reuse).
	if _, err := portalRP.refresh(n2, tok.RefreshToken); err == nil {
		t.Fatal("node 2 accepted a refresh token rotated away at node 3")
	}

	// Two nodes rotating the same refresh token at once: one wins, the other
	// is treated as reuse (and revokes the family).
	errs := make(chan error, 2)
	for _, n := range []*harness.Server{n1, n3} {
		go func() { _, err := motcuaRP.refresh(n, motTok.RefreshToken); errs <- err }()
	}
	won := 0
	for range 2 {
		if err := <-errs; err == nil {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d of 2 nodes rotated the same refresh token", won)
	}

	// Node 2 dies (SIGKILL) in the middle of a login: the person finishes it on node 3.
	c.lb.to(n2)
	b2 := c.browser(t)
	req3 := portalRP.request()
	loginPage := b2.Get(t, req3.url).MustPage(t, http.StatusOK, "/login")
	n2.Kill(t)
	c.lb.to(n3)
	resp = b2.Submit(t, loginPage.Form(t, "/login"), map[string]string{"identifier": minh.PersonalID, "password": minh.Password})
	minhTok, _ := portalRP.exchange(t, n1, req3, portalRP.code(t, req3, resp))
	nodes = []*harness.Server{n1, n3}

	// A signing key rotated on one node is published by every node within
	// the rotation check interval; it signs only after the JWKS max-age, so
	// meanwhile every node still signs with the old key.
	before := jwtKID(t, ccToken(t, n3, service))
	m := regexp.MustCompile(`new ES256 key (\S+):`).FindStringSubmatch(n1.RotateKeys(t, "ES256"))
	if m == nil {
		t.Fatal("keys rotate did not name the new key")
	}
	eventually(t, 10*time.Second, "every node publishes the new key", func() error {
		for i, n := range nodes {
			if _, body, err := get(n, "/.well-known/jwks.json"); err != nil || !strings.Contains(body, `"`+m[1]+`"`) {
				return fmt.Errorf("node %d does not publish %s (%v)", i+1, m[1], err)
			}
		}
		return sameJWKS()
	})
	for i, n := range nodes {
		if kid := jwtKID(t, ccToken(t, n, service)); kid != before {
			t.Fatalf("node %d signs with %s right after the rotation, want the old key %s", i+1, kid, before)
		}
	}

	// Redis restarts empty: people log in again; accounts, clients,
	// credentials, consents and refresh tokens are all still there.
	rds.Restart(t)
	for _, n := range nodes {
		eventually(t, 15*time.Second, "ready after Redis restarted", func() error {
			if status, body, err := get(n, "/health/ready"); err != nil || status != http.StatusOK {
				return fmt.Errorf("%d %s %v", status, body, err)
			}
			return nil
		})
	}
	c.lb.to(n1)
	req4 := motcuaRP.request()
	resp = b.Get(t, req4.url)
	// The SSO session is gone: the login page again; the consent is remembered.
	resp = login(t, b, resp, lan)
	_, idt4 := motcuaRP.exchange(t, n3, req4, motcuaRP.code(t, req4, resp))
	if idt4.Subject != lanSub {
		t.Fatalf("after the Redis restart the subject is %s, want %s", idt4.Subject, lanSub)
	}
	if _, err := portalRP.refresh(n3, minhTok.RefreshToken); err != nil {
		t.Fatalf("a refresh token issued before the Redis restart: %v", err)
	}
	if status, body := clientCredentials(t, n1, service); status != http.StatusOK {
		t.Fatalf("client credentials after the Redis restart: %d %v", status, body)
	}

	// PostgreSQL stops: nodes answer 503 (JSON for APIs, a page for people)
	// and report not-ready, and stay live.
	pg.Stop(t)
	for i, n := range nodes {
		eventually(t, 15*time.Second, fmt.Sprintf("node %d not ready without PostgreSQL", i+1), func() error {
			status, body, err := get(n, "/health/ready")
			if err != nil || status != http.StatusServiceUnavailable || !strings.Contains(body, `"database":"unreachable"`) {
				return fmt.Errorf("%d %s %v", status, body, err)
			}
			return nil
		})
		if status, _, err := get(n, "/health/live"); err != nil || status != http.StatusOK {
			t.Fatalf("node %d: /health/live = %d, %v without PostgreSQL", i+1, status, err)
		}
		status, body := clientCredentials(t, n, service)
		if status != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
			t.Fatalf("node %d: token request without PostgreSQL: %d %v", i+1, status, body)
		}
		status, page, err := get(n, "/account", "Accept", "text/html")
		if err != nil || status != http.StatusServiceUnavailable || !strings.Contains(page, "<html") {
			t.Fatalf("node %d: a page without PostgreSQL: %d, %v:\n%s", i+1, status, err, page)
		}
	}
	// PostgreSQL is back: the nodes recover by themselves.
	pg.Start(t)
	for i, n := range nodes {
		eventually(t, 30*time.Second, fmt.Sprintf("node %d ready again", i+1), func() error {
			if status, body, err := get(n, "/health/ready"); err != nil || status != http.StatusOK {
				return fmt.Errorf("%d %s %v", status, body, err)
			}
			if status, body := clientCredentials(t, n, service); status != http.StatusOK {
				return fmt.Errorf("client credentials: %d %v", status, body)
			}
			return nil
		})
	}
	b3 := c.browser(t)
	req5 := portalRP.request()
	resp = login(t, b3, b3.Get(t, req5.url), minh)
	portalRP.exchange(t, n3, req5, portalRP.code(t, req5, resp))
}

// ccToken returns an access token from the client credentials grant at the node.
func ccToken(t *testing.T, n *harness.Server, c *harness.Client) string {
	t.Helper()
	status, body := clientCredentials(t, n, c)
	tok, _ := body["access_token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("client credentials at %s: %d %v", n.Addr, status, body)
	}
	return tok
}

// jwtKID returns the kid of a compact JWS.
func jwtKID(t *testing.T, token string) string {
	t.Helper()
	head, _, _ := strings.Cut(token, ".")
	data, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(data, &h); err != nil || h.KID == "" {
		t.Fatalf("JWS header %s: %v", data, err)
	}
	return h.KID
}

// ssoSessionBytes reports what the SSO sessions in Redis use: per session,
// the record and its entry in the subject's index, as MEMORY USAGE counts them.
func ssoSessionBytes(t *testing.T, addr string) string {
	t.Helper()
	ctx := t.Context()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	sum := func(pattern string) (int64, int, int64) {
		keys, err := c.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		var total, value int64
		for _, k := range keys {
			n, err := c.MemoryUsage(ctx, k, 0).Result()
			if err != nil {
				t.Fatal(err)
			}
			total += n
			if l, err := c.StrLen(ctx, k).Result(); err == nil {
				value += l
			}
		}
		return total, len(keys), value
	}
	records, n, value := sum("dinhdanh:r:sso:*")
	index, _, _ := sum("dinhdanh:s:sso:*")
	if n == 0 {
		t.Fatal("no SSO session in Redis")
	}
	per := (records + index) / int64(n)
	if per > 2048 {
		t.Errorf("one SSO session uses %d bytes in Redis, want at most 2048", per)
	}
	return fmt.Sprintf("%d sessions, %d bytes each (value %d bytes)", n, per, value/int64(n))
}

// TestRedisDeployments runs a node against a Redis Cluster and against a
// Sentinel-watched master, configured only through DINHDANH_REDIS_*: a login,
// the code exchange and a refresh go through each.
func TestRedisDeployments(t *testing.T) {
	pg := services.StartPostgres(t)
	for _, d := range []struct {
		name string
		env  func(t *testing.T) map[string]string
		log  string // what the node's start-up line says of its Redis
	}{
		{"Cluster", func(t *testing.T) map[string]string {
			return map[string]string{"DINHDANH_REDIS_ADDRS": strings.Join(services.StartRedisCluster(t).Addrs, ",")}
		}, "redis cluster"},
		{"Sentinel", func(t *testing.T) map[string]string {
			s := services.RedisSentinelDeployment(t)
			return map[string]string{"DINHDANH_REDIS_ADDRS": strings.Join(s.SentinelAddrs, ","),
				"DINHDANH_REDIS_MASTER_NAME": s.MasterName, "DINHDANH_REDIS_KEY_PREFIX": "sso-tinh:"}
		}, "redis sentinel dinhdanh"},
	} {
		t.Run(d.name, func(t *testing.T) {
			c := newCluster(t, pg.NewDatabase(t), d.env(t))
			if out, code := c.run(t, 60*time.Second, "migrate"); code != 0 {
				t.Fatalf("migrate: %d\n%s", code, out)
			}
			n := c.start(t)
			c.lb.to(n)
			portal := n.CreateClient(t, harness.ClientSpec{ID: "cong-dvc", Name: "Cổng dịch vụ công tỉnh", FirstParty: true,
				RedirectURIs: []string{portalRedirect}, Scopes: []string{"openid", "profile", "offline_access"}})
			n.CreateCitizen(t, lan)
			a := c.rp(t, portal)
			b := c.browser(t)
			req := a.request()
			tok, _ := a.exchange(t, n, req, a.code(t, req, login(t, b, b.Get(t, req.url), lan)))
			if _, err := a.refresh(n, tok.RefreshToken); err != nil {
				t.Fatalf("refresh: %v", err)
			}
			// SSO: a second authorization needs no login.
			req = a.request()
			a.exchange(t, n, req, a.code(t, req, b.Get(t, req.url)))
			if status, body, err := get(n, "/health/ready"); err != nil || status != http.StatusOK || !strings.Contains(body, `"redis":"ok"`) {
				t.Fatalf("/health/ready = %d %s %v", status, body, err)
			}
			if !strings.Contains(n.Log(), d.log) {
				t.Fatalf("the node's log does not say it uses a %s:\n%s", d.log, n.Log())
			}
		})
	}
}
