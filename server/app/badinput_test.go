package app_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// The requirement under test: bad input of any kind — malformed identifiers,
// unknown clients, redirect URIs that are not registered exactly, PKCE
// mistakes, replayed codes and refresh tokens, missing CSRF tokens, oversized
// fields and bodies, invalid UTF-8 — gets a clear error (a page in the user's
// language, or RFC 6749 JSON), never a redirect to an unregistered URI, and
// changes nothing.

// Fixtures shared by the tests below.
const (
	portalCallback   = "https://portal.example.vn/callback"
	loopbackCallback = "http://127.0.0.1:8765/cb"
	partnerCallback  = "https://partner.example.vn/cb"

	anPID      = "001090012345" // Hà Nội, male, born 1990
	anEmail    = "an@example.vn"
	anPassword = "mật khẩu của An 2024"

	binhPID      = "079195001234" // Hồ Chí Minh, female, born 1995
	binhEmail    = "binh@example.vn"
	binhPassword = "mật khẩu của Bình 2024"

	representedTaxCode = "0100109106"
	otherTaxCode       = "0100233488" // valid, but nobody represents it
)

// node is one in-process dinhdanh server, administered through the same
// service as the command line.
type node struct {
	cfg   *config.Config
	app   *app.App
	srv   *httptest.Server
	admin *admin.Service
	raw   *sql.DB // a second connection to the SQLite file, for snapshots
	url   string

	portalSecret  string
	partnerSecret string
	serviceSecret string
	an, binh      *identity.Account
}

// logSink sends the server's warnings to the test log and remembers errors:
// bad input must never cause one.
type logSink struct {
	mu     sync.Mutex
	t      *testing.T
	errors []string
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := strings.TrimSpace(string(p))
	if strings.Contains(line, "level=ERROR") {
		s.errors = append(s.errors, line)
	}
	s.t.Log("server: " + line)
	return len(p), nil
}

func newNode(t *testing.T) *node {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 19456, 2
	cfg.BruteForce.BaseDelay = config.Duration(time.Millisecond)
	cfg.BruteForce.MaxDelay = config.Duration(4 * time.Millisecond)

	// The issuer must be known before the node is assembled: take the
	// listener's address first, start serving afterwards.
	srv := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + srv.Listener.Addr().String()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	sink := &logSink{t: t}
	log := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	a, err := app.New(ctx, cfg, db, log)
	if err != nil {
		db.Close()
		t.Fatalf("assembling the node: %v", err)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	raw, err := sql.Open("sqlite", "file:"+cfg.DatabasePath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatalf("opening the database for snapshots: %v", err)
	}
	t.Cleanup(func() {
		srv.Close()
		raw.Close()
		db.Close()
		sink.mu.Lock()
		defer sink.mu.Unlock()
		for _, e := range sink.errors {
			t.Errorf("the server logged an error: %s", e)
		}
	})
	n := &node{cfg: cfg, app: a, srv: srv, raw: raw, url: srv.URL,
		admin: admin.NewService(admin.Service{Store: a.Store, Eph: a.Eph, Sessions: a.Sessions, Guard: a.Guard, Hasher: a.Hasher,
			MinPasswordLength: cfg.Password.MinLength, Actor: "cli"}, a.Audit)}
	if n.url != cfg.Issuer {
		t.Fatalf("server URL %s differs from the issuer %s", n.url, cfg.Issuer)
	}
	n.setUp(t)
	return n
}

// setUp registers the clients and accounts every test uses, as an operator
// would with the command line.
func (n *node) setUp(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var err error
	_, n.portalSecret, err = n.admin.CreateClient(ctx, admin.ClientSpec{ID: "portal", Name: "Cổng dịch vụ công tỉnh",
		FirstParty: true, RedirectURIs: []string{portalCallback, loopbackCallback},
		Scopes: []string{"openid", "profile", "email", "phone", "personal_id", "business", "offline_access"}})
	if err != nil {
		t.Fatalf("creating client portal: %v", err)
	}
	if _, _, err = n.admin.CreateClient(ctx, admin.ClientSpec{ID: "native", Name: "Ứng dụng di động", Public: true,
		FirstParty: true, RedirectURIs: []string{loopbackCallback}, Scopes: []string{"openid", "profile", "offline_access"}}); err != nil {
		t.Fatalf("creating client native: %v", err)
	}
	_, n.partnerSecret, err = n.admin.CreateClient(ctx, admin.ClientSpec{ID: "partner", Name: "Ứng dụng đối tác",
		RedirectURIs: []string{partnerCallback}, Scopes: []string{"openid", "profile", "email"}})
	if err != nil {
		t.Fatalf("creating client partner: %v", err)
	}
	_, n.serviceSecret, err = n.admin.CreateClient(ctx, admin.ClientSpec{ID: "service", Name: "Trục liên thông LGSP",
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"reports.read"}})
	if err != nil {
		t.Fatalf("creating client service: %v", err)
	}
	now := time.Now()
	n.an, _, err = n.admin.CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityCitizen, PersonalID: anPID,
		FullName: "Nguyễn Văn An", Birthdate: "1990-05-17", Gender: "male", Email: anEmail, Password: anPassword}, now)
	if err != nil {
		t.Fatalf("creating account An: %v", err)
	}
	n.binh, _, err = n.admin.CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityCitizen, PersonalID: binhPID,
		FullName: "Trần Thị Bình", Birthdate: "1995-03-08", Gender: "female", Email: binhEmail, Password: binhPassword}, now)
	if err != nil {
		t.Fatalf("creating account Bình: %v", err)
	}
	if _, err := n.admin.LinkRepresentative(ctx, n.an, representedTaxCode, "Công ty TNHH Sao Mai", "legal_representative"); err != nil {
		t.Fatalf("linking An to a business: %v", err)
	}
}

// ---------------------------------------------------------------------------
// State snapshots.

// snapshot is what a bad request must leave untouched: counts read through
// the store's interfaces, and digests of the durable tables and of the live
// ephemeral records, read from the same database file.
type snapshot map[string]string

func (n *node) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	st := n.app.Store
	s := snapshot{}
	accts, err := st.ListAccounts(ctx, store.AccountFilter{Limit: 1000})
	if err != nil {
		t.Fatalf("listing accounts: %v", err)
	}
	consents, reps, sessions := 0, 0, 0
	for _, a := range accts {
		cs, err := st.ListConsents(ctx, a.ID)
		if err != nil {
			t.Fatalf("listing consents: %v", err)
		}
		rs, err := st.Representations(ctx, a.ID)
		if err != nil {
			t.Fatalf("listing representations: %v", err)
		}
		ss, err := n.app.Eph.RecordsBySubject(ctx, store.KindSSOSession, a.ID)
		if err != nil {
			t.Fatalf("listing sessions: %v", err)
		}
		consents, reps, sessions = consents+len(cs), reps+len(rs), sessions+len(ss)
	}
	clients, err := st.ListClients(ctx)
	if err != nil {
		t.Fatalf("listing clients: %v", err)
	}
	s["accounts (ListAccounts)"] = fmt.Sprint(len(accts))
	s["consents (ListConsents)"] = fmt.Sprint(consents)
	s["representations"] = fmt.Sprint(reps)
	s["clients (ListClients)"] = fmt.Sprint(len(clients))
	s["SSO sessions"] = fmt.Sprint(sessions)
	for _, table := range []string{"accounts", "businesses", "representations", "clients", "consents", "refresh_tokens"} {
		s["table "+table] = n.digest(t, "SELECT * FROM "+table+" ORDER BY 1, 2")
	}
	s["active refresh tokens"] = n.digest(t, "SELECT signature FROM refresh_tokens WHERE active=1 ORDER BY 1")
	now := time.Now().UnixMilli()
	for _, kind := range []store.RecordKind{store.KindAuthorizeCode, store.KindPKCE, store.KindOIDC, store.KindAccessToken,
		store.KindLoginFlow, store.KindSSOSession} {
		s["records "+string(kind)] = n.digest(t, "SELECT key, request_id, subject, data, used FROM records WHERE kind=$1 AND expires_at>$2 ORDER BY key",
			string(kind), now)
	}
	return s
}

// digest returns the number of rows of the query and a hash of their values.
func (n *node) digest(t *testing.T, query string, args ...any) string {
	t.Helper()
	rows, err := n.raw.Query(query, args...)
	if err != nil {
		t.Fatalf("snapshot query %q: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	count := 0
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			fmt.Fprintf(h, "%v\x00", v)
		}
		h.Write([]byte{'\n'})
		count++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d rows %x", count, h.Sum(nil)[:6])
}

// unchanged fails t when the state differs from before, apart from the
// entries named in except.
func (n *node) unchanged(t *testing.T, before snapshot, except ...string) {
	t.Helper()
	after := n.snapshot(t)
	keys := make([]string, 0, len(before))
	for k := range before {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(except, k) {
			continue
		}
		if before[k] != after[k] {
			t.Errorf("bad input changed the state: %s: before %s, after %s", k, before[k], after[k])
		}
	}
}

// ---------------------------------------------------------------------------
// Browsers and API clients.

// browser is a person's browser: it keeps cookies and does not follow
// redirects, so that every Location can be checked.
type browser struct {
	t      *testing.T
	n      *node
	jar    *cookiejar.Jar
	c      *http.Client
	header http.Header
}

func (n *node) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, n: n, jar: jar, header: http.Header{},
		c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// english returns a browser that asks for English pages.
func (n *node) englishBrowser(t *testing.T) *browser {
	b := n.browser(t)
	b.header.Set("Accept-Language", "en-GB,en;q=0.9")
	return b
}

type response struct {
	status      int
	header      http.Header
	body        string
	setsSession bool // a non-empty SSO session cookie was set
}

func (r *response) location() string { return r.header.Get("Location") }

func (b *browser) do(method, path, contentType string, body io.Reader) *response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.n.url+path, body)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	return readResponse(b.t, resp, b.n.cfg.Session.CookieName)
}

func readResponse(t *testing.T, resp *http.Response, sessionCookie string) *response {
	t.Helper()
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	r := &response{status: resp.StatusCode, header: resp.Header, body: string(data)}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			r.setsSession = true
		}
	}
	return r
}

func (b *browser) get(path string) *response { return b.do(http.MethodGet, path, "", nil) }

func (b *browser) post(path string, form url.Values) *response {
	return b.do(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// csrf returns the browser's CSRF cookie (set by the first page it saw).
func (b *browser) csrf() string {
	u, _ := url.Parse(b.n.url)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "dinhdanh_csrf" {
			return c.Value
		}
	}
	b.t.Fatal("the browser has no CSRF cookie")
	return ""
}

// hasSession reports whether the browser holds an SSO session cookie.
func (b *browser) hasSession() bool {
	u, _ := url.Parse(b.n.url)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == b.n.cfg.Session.CookieName && c.Value != "" {
			return true
		}
	}
	return false
}

var flowInput = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// flowOf returns the flow id of a form page.
func flowOf(t *testing.T, r *response) string {
	t.Helper()
	m := flowInput.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no flow in the page (status %d):\n%s", r.status, excerpt(r.body))
	}
	return html.UnescapeString(m[1])
}

// loginPage starts a console login and returns its flow id.
func (b *browser) loginPage() string {
	b.t.Helper()
	r := b.get("/login")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login?flow=") {
		b.t.Fatalf("GET /login: %d %q, want a redirect to a new flow", r.status, r.location())
	}
	r = b.get(r.location())
	if r.status != http.StatusOK {
		b.t.Fatalf("login page: status %d", r.status)
	}
	return flowOf(b.t, r)
}

// login posts the login form.
func (b *browser) login(flow, identifier, password string) *response {
	b.t.Helper()
	return b.post("/login", url.Values{"flow": {flow}, "identifier": {identifier}, "password": {password}, "csrf_token": {b.csrf()}})
}

// authorizeQuery returns an authorization request of the client.
func authorizeQuery(clientID, redirectURI, scope string) url.Values {
	return url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {scope},
		"redirect_uri": {redirectURI}, "state": {"trạng-thái-12345"}, "nonce": {"nonce-1234567890"}}
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = rand.Text() + rand.Text() // 52 characters of base32
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// startAuthorize sends an authorization request, logs in when asked, and
// returns the first answer that is not the login page.
func (b *browser) startAuthorize(q url.Values, identifier, password string) *response {
	b.t.Helper()
	r := b.get("/oauth2/auth?" + q.Encode())
	if strings.HasPrefix(r.location(), "/login?flow=") {
		page := b.get(r.location())
		if page.status != http.StatusOK {
			b.t.Fatalf("login page: status %d", page.status)
		}
		r = b.login(flowOf(b.t, page), identifier, password)
	}
	return r
}

// code completes an authorization request and returns the code sent to redirectURI.
func (b *browser) code(q url.Values, identifier, password string) string {
	b.t.Helper()
	r := b.startAuthorize(q, identifier, password)
	redirectURI := q.Get("redirect_uri")
	loc := r.location()
	if r.status/100 != 3 || !strings.HasPrefix(loc, redirectURI+"?") {
		b.t.Fatalf("authorization: %d %q, want a redirect to %s\n%s", r.status, loc, redirectURI, excerpt(r.body))
	}
	u, _ := url.Parse(loc)
	if u.Query().Get("state") != q.Get("state") {
		b.t.Errorf("state = %q, want %q", u.Query().Get("state"), q.Get("state"))
	}
	code := u.Query().Get("code")
	if code == "" {
		b.t.Fatalf("no code in %q", loc)
	}
	return code
}

// api is an application calling the JSON endpoints.
type api struct {
	t *testing.T
	n *node
}

func (n *node) api(t *testing.T) *api { return &api{t: t, n: n} }

// post sends a form, authenticating with HTTP Basic when secret is not "".
func (a *api) post(path string, form url.Values, clientID, secret string) *response {
	a.t.Helper()
	return a.raw(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), clientID, secret)
}

func (a *api) raw(method, path, contentType string, body io.Reader, clientID, secret string) *response {
	a.t.Helper()
	req, err := http.NewRequest(method, a.n.url+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	c := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	return readResponse(a.t, resp, a.n.cfg.Session.CookieName)
}

// bearer calls a resource with an access token.
func (a *api) bearer(path, token string) *response {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.n.url+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	return readResponse(a.t, resp, a.n.cfg.Session.CookieName)
}

// tokens is a successful token response.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

func (a *api) exchange(form url.Values, clientID, secret string) tokens {
	a.t.Helper()
	r := a.post("/oauth2/token", form, clientID, secret)
	if r.status != http.StatusOK {
		a.t.Fatalf("token request: %d %s", r.status, r.body)
	}
	var tk tokens
	if err := json.Unmarshal([]byte(r.body), &tk); err != nil || tk.AccessToken == "" {
		a.t.Fatalf("token response %s: %v", r.body, err)
	}
	return tk
}

// active introspects a token as the portal client.
func (a *api) active(token, hint string) bool {
	a.t.Helper()
	r := a.post("/oauth2/introspect", url.Values{"token": {token}, "token_type_hint": {hint}}, "portal", a.n.portalSecret)
	if r.status != http.StatusOK {
		a.t.Fatalf("introspection: %d %s", r.status, r.body)
	}
	var v struct {
		Active bool `json:"active"`
	}
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		a.t.Fatalf("introspection response %s: %v", r.body, err)
	}
	return v.Active
}

// ---------------------------------------------------------------------------
// Assertions.

// catalogs holds every message of each language, read from ui/messages.
var catalogs = func() map[string]map[string]string {
	m := map[string]map[string]string{}
	dir := filepath.Join("..", "..", "ui", "messages")
	for _, lang := range []string{"vi", "en"} {
		files, err := filepath.Glob(filepath.Join(dir, lang, "*.json"))
		if err != nil {
			panic(err)
		}
		c := map[string]string{}
		for _, f := range append([]string{filepath.Join(dir, lang+".json")}, files...) {
			data, err := os.ReadFile(f)
			if err != nil {
				panic(err)
			}
			if err := json.Unmarshal(data, &c); err != nil {
				panic(err)
			}
		}
		m[lang] = c
	}
	return m
}()

var verb = regexp.MustCompile(`%[sdv]`)

// foreignText returns a phrase of the other language's catalog found in a
// page of lang (text unescaped), or "".
func foreignText(lang, text string) string {
	other := "en"
	if lang == "en" {
		other = "vi"
	}
	for key, msg := range catalogs[other] {
		if catalogs[lang][key] == msg {
			continue
		}
		for _, part := range verb.Split(msg, -1) {
			if part = strings.TrimSpace(part); len(part) >= 16 && strings.Contains(text, part) {
				return part
			}
		}
	}
	return ""
}

// wantPage checks an HTML page: its status, its language, the message of key
// in that language (formatted with args), no phrase of the other language,
// and no redirect anywhere.
func wantPage(t *testing.T, r *response, status int, lang, key string, args ...any) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d\n%s", r.status, status, excerpt(r.body))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want an HTML page", ct)
	}
	if loc := r.location(); loc != "" {
		t.Errorf("an error page redirects to %q", loc)
	}
	if !strings.Contains(r.body, `<html lang="`+lang+`">`) {
		t.Errorf("the page is not in %q:\n%s", lang, excerpt(r.body))
	}
	text := html.UnescapeString(r.body)
	want := ui.T(lang, key, args...)
	if want == key {
		t.Fatalf("no message %q", key)
	}
	if !strings.Contains(text, want) {
		t.Errorf("the page does not say %q (%s):\n%s", want, key, excerpt(r.body))
	}
	if f := foreignText(lang, text); f != "" {
		t.Errorf("the %s page contains %q, from the other language", lang, f)
	}
}

// wantText checks that a page shows a literal phrase.
func wantText(t *testing.T, r *response, phrase string) {
	t.Helper()
	if !strings.Contains(html.UnescapeString(r.body), phrase) {
		t.Errorf("the page does not say %q", phrase)
	}
}

// wantOAuthError checks an RFC 6749 JSON error.
func wantOAuthError(t *testing.T, r *response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (%s)", r.status, status, excerpt(r.body))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON", ct)
	}
	if loc := r.location(); loc != "" {
		t.Errorf("an API error redirects to %q", loc)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.body)
	}
	if e.Error != code {
		t.Errorf("error = %q, want %q (%s)", e.Error, code, r.body)
	}
}

// wantNoRedirectTo checks that nothing was sent to an unregistered URI.
func wantNoRedirectTo(t *testing.T, r *response, uri string) {
	t.Helper()
	loc := r.location()
	if loc == "" {
		return
	}
	if u, err := url.Parse(uri); err == nil && strings.HasPrefix(strings.ToLower(loc), strings.ToLower(u.Scheme+"://"+u.Host)) {
		t.Errorf("redirected to the unregistered %q: Location %q", uri, loc)
	}
}

// wantNoLinkTo checks that a page neither links nor refers to an
// unregistered URI (its own language links carry the query percent-encoded).
func wantNoLinkTo(t *testing.T, r *response, uri string) {
	t.Helper()
	if strings.Contains(html.UnescapeString(r.body), uri) {
		t.Errorf("the page shows the unregistered %q", uri)
	}
}

// wantRedirectError checks an authorization error sent to the client's
// registered redirect URI (trusted), with the state.
func wantRedirectError(t *testing.T, r *response, redirectURI, code, state string) {
	t.Helper()
	loc := r.location()
	if r.status/100 != 3 || !strings.HasPrefix(loc, redirectURI+"?") {
		t.Fatalf("answer %d %q, want an error at %s\n%s", r.status, loc, redirectURI, excerpt(r.body))
	}
	u, _ := url.Parse(loc)
	if got := u.Query().Get("error"); got != code {
		t.Errorf("error = %q, want %q (%s)", got, code, loc)
	}
	if got := u.Query().Get("state"); got != state {
		t.Errorf("state = %q, want %q", got, state)
	}
	if u.Query().Get("code") != "" {
		t.Errorf("a code was issued with the error: %s", loc)
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if i := strings.Index(s, `</main>`); i >= 0 {
		s = s[:i]
	}
	if len(s) > 800 {
		s = s[:800] + "…"
	}
	return s
}

// failures returns the recent failed logins the administrators see for the account.
func (n *node) failures(t *testing.T, a *identity.Account) admin.LockStatus {
	t.Helper()
	st, err := n.admin.Status(context.Background(), a)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return st
}

// addressFailures returns the failed-login counter of the loopback address.
func (n *node) addressFailures(t *testing.T) int64 {
	t.Helper()
	c, err := n.app.Eph.Count(context.Background(), authn.AddressKey("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ---------------------------------------------------------------------------
// Registration.

func validRegistration(flow, csrf string) url.Values {
	return url.Values{"flow": {flow}, "csrf_token": {csrf}, "personal_id": {"036088012345"}, "full_name": {"Lê Văn Cường"},
		"birthdate": {"1988-11-20"}, "gender": {"male"}, "email": {"cuong@example.vn"}, "phone": {"0912 345 678"},
		"password": {"mật khẩu của Cường"}, "password_confirm": {"mật khẩu của Cường"}}
}

func TestBadInputRegistration(t *testing.T) {
	t.Parallel()
	n := newNode(t)
	b := n.browser(t)
	page := b.get("/register")
	if page.status != http.StatusOK {
		t.Fatalf("GET /register: %d", page.status)
	}
	flow := flowOf(t, page)

	cases := []struct {
		name   string
		change func(url.Values)
		status int
		field  string // the message key shown by the field
		phrase string // a distinctive Vietnamese phrase of that message
	}{
		{"personal ID: format", func(f url.Values) { f.Set("personal_id", "03608801234") }, http.StatusBadRequest,
			"error.personal_id.format", "phải gồm đúng 12 chữ số"},
		{"personal ID: letters", func(f url.Values) { f.Set("personal_id", "03608801234X") }, http.StatusBadRequest,
			"error.personal_id.format", "phải gồm đúng 12 chữ số"},
		{"personal ID: full-width digits", func(f url.Values) { f.Set("personal_id", "０３６０８８０１２３４５") }, http.StatusBadRequest,
			"error.personal_id.format", "phải gồm đúng 12 chữ số"},
		{"personal ID: province", func(f url.Values) { f.Set("personal_id", "003088012345") }, http.StatusBadRequest,
			"error.personal_id.province", "không phải là mã tỉnh"},
		{"personal ID: birth year mismatch", func(f url.Values) { f.Set("birthdate", "1989-11-20") }, http.StatusBadRequest,
			"error.personal_id.birth_year", "Năm sinh không khớp"},
		{"personal ID: gender mismatch", func(f url.Values) { f.Set("gender", "female") }, http.StatusBadRequest,
			"error.personal_id.gender", "Giới tính không khớp"},
		{"personal ID taken", func(f url.Values) {
			f.Set("personal_id", anPID)
			f.Set("birthdate", "1990-05-17")
		}, http.StatusConflict, "error.personal_id.taken", "đã được dùng để đăng ký tài khoản"},
		{"email taken", func(f url.Values) { f.Set("email", "AN@example.vn") }, http.StatusConflict,
			"error.email.taken", "đã được dùng cho một tài khoản khác"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b.t = t
			before := n.snapshot(t)
			form := validRegistration(flow, b.csrf())
			tc.change(form)
			r := b.post("/register", form)
			wantPage(t, r, tc.status, "vi", tc.field)
			wantText(t, r, tc.phrase)
			// Exactly one problem is reported: the field's.
			wantText(t, r, ui.T("vi", "error.form.summary", 1))
			if !strings.Contains(r.body, `aria-invalid="true"`) {
				t.Error("no field is marked invalid")
			}
			if r.setsSession {
				t.Error("a failed registration set a session cookie")
			}
			n.unchanged(t, before)
		})
	}

	t.Run("English page", func(t *testing.T) {
		e := n.englishBrowser(t)
		flow := flowOf(t, e.get("/register"))
		before := n.snapshot(t)
		form := validRegistration(flow, e.csrf())
		form.Set("personal_id", "003088012345")
		r := e.post("/register", form)
		wantPage(t, r, http.StatusBadRequest, "en", "error.personal_id.province")
		wantText(t, r, "not a valid province code")
		n.unchanged(t, before)

		form.Set("personal_id", "036088012345")
		form.Set("gender", "female")
		r = e.post("/register?lang=en", form)
		wantPage(t, r, http.StatusBadRequest, "en", "error.personal_id.gender")
		n.unchanged(t, before)
	})

	t.Run("invalid UTF-8", func(t *testing.T) {
		b.t = t
		for _, field := range []string{"full_name", "personal_id", "email", "password", "flow"} {
			before := n.snapshot(t)
			form := validRegistration(flow, b.csrf())
			form.Set(field, form.Get(field)+"\xff\xfe")
			r := b.post("/register", form)
			wantPage(t, r, http.StatusBadRequest, "vi", "error.invalid_utf8")
			wantText(t, r, "ký tự không hợp lệ")
			n.unchanged(t, before)
		}
		// An invalid key is refused as well.
		before := n.snapshot(t)
		form := validRegistration(flow, b.csrf())
		form.Set("ghi_chú\xc3", "x")
		wantPage(t, b.post("/register", form), http.StatusBadRequest, "vi", "error.invalid_utf8")
		n.unchanged(t, before)
	})

	t.Run("field over 2048 bytes", func(t *testing.T) {
		b.t = t
		for _, field := range []string{"full_name", "email", "password"} {
			before := n.snapshot(t)
			form := validRegistration(flow, b.csrf())
			form.Set(field, strings.Repeat("ă", 1025)) // 2050 bytes
			r := b.post("/register", form)
			wantPage(t, r, http.StatusBadRequest, "vi", "error.field_too_long")
			n.unchanged(t, before)
		}
	})

	t.Run("CSRF token missing or wrong", func(t *testing.T) {
		b.t = t
		before := n.snapshot(t)
		form := validRegistration(flow, "")
		form.Del("csrf_token")
		wantPage(t, b.post("/register", form), http.StatusForbidden, "vi", "error.csrf")
		form.Set("csrf_token", strings.Repeat("A", 43))
		wantPage(t, b.post("/register", form), http.StatusForbidden, "vi", "error.csrf")
		n.unchanged(t, before)
	})

	t.Run("unknown flow", func(t *testing.T) {
		b.t = t
		before := n.snapshot(t)
		form := validRegistration("no-such-flow", b.csrf())
		wantPage(t, b.post("/register", form), http.StatusBadRequest, "vi", "error.flow_expired")
		n.unchanged(t, before)
	})

	// The same form with nothing wrong is accepted: the refusals above come
	// from the one field each case changed.
	t.Run("control: valid registration", func(t *testing.T) {
		b.t = t
		before, _ := n.app.Store.ListAccounts(context.Background(), store.AccountFilter{})
		r := b.post("/register", validRegistration(flow, b.csrf()))
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login?flow=") {
			t.Fatalf("valid registration: %d %q\n%s", r.status, r.location(), excerpt(r.body))
		}
		after, _ := n.app.Store.ListAccounts(context.Background(), store.AccountFilter{})
		if len(after) != len(before)+1 {
			t.Errorf("accounts: %d → %d, want one more", len(before), len(after))
		}
	})
}

// ---------------------------------------------------------------------------
// Tax codes (business link through the administration service).

func TestBadInputBusinessLink(t *testing.T) {
	t.Parallel()
	n := newNode(t)
	ctx := context.Background()
	for _, tc := range []struct{ name, taxCode, reason string }{
		{"format: short", "010010910", "format"},
		{"format: letters", "01001O9106", "format"},
		{"format: misplaced hyphen", "010010910-6001", "format"},
		{"checksum", "0100109107", "checksum"},
		{"zero", "0100000000", "zero"},
		{"branch 000", "0100109106-000", "branch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := n.snapshot(t)
			rep, err := n.admin.LinkRepresentative(ctx, n.binh, tc.taxCode, "Công ty Cổ phần Ánh Dương", "authorised_staff")
			if err == nil {
				t.Fatalf("tax code %q accepted: %+v", tc.taxCode, rep)
			}
			var p admin.Problems
			if !errors.As(err, &p) || len(p) != 1 || p[0].Field != "tax_code" {
				t.Fatalf("error = %v, want one problem with field tax_code", err)
			}
			want := &identity.InvalidError{Field: "tax_code", Reason: tc.reason}
			if p[0].Message != want.Error() {
				t.Errorf("message = %q, want %q", p[0].Message, want.Error())
			}
			reps, err := n.app.Store.Representations(ctx, n.binh.ID)
			if err != nil || len(reps) != 0 {
				t.Errorf("representations = %v, %v; want none", reps, err)
			}
			n.unchanged(t, before)
		})
	}
	t.Run("unknown business without a name", func(t *testing.T) {
		before := n.snapshot(t)
		if _, err := n.admin.LinkRepresentative(ctx, n.binh, otherTaxCode, "", "legal_representative"); err == nil {
			t.Fatal("a link to a business that does not exist was made")
		}
		n.unchanged(t, before)
	})
	t.Run("bad role", func(t *testing.T) {
		before := n.snapshot(t)
		if _, err := n.admin.LinkRepresentative(ctx, n.binh, otherTaxCode, "Công ty Cổ phần Ánh Dương", "owner"); err == nil {
			t.Fatal("an unknown role was accepted")
		}
		n.unchanged(t, before)
	})
}

// ---------------------------------------------------------------------------
// The authorization endpoint.

func TestBadInputAuthorize(t *testing.T) {
	t.Parallel()
	n := newNode(t)

	t.Run("unknown client", func(t *testing.T) {
		b := n.browser(t)
		for _, id := range []string{"no-such-client", "", "portal\x00", "portal "} {
			before := n.snapshot(t)
			q := authorizeQuery(id, "https://evil.example/cb", "openid")
			r := b.get("/oauth2/auth?" + q.Encode())
			wantPage(t, r, http.StatusBadRequest, "vi", "error.unknown_client")
			wantText(t, r, "chưa được đăng ký với hệ thống")
			wantNoRedirectTo(t, r, "https://evil.example/cb")
			wantNoLinkTo(t, r, "https://evil.example/cb")
			n.unchanged(t, before)
		}
		e := n.englishBrowser(t)
		r := e.get("/oauth2/auth?" + authorizeQuery("no-such-client", "https://evil.example/cb", "openid").Encode())
		wantPage(t, r, http.StatusBadRequest, "en", "error.unknown_client")
		r = n.browser(t).get("/oauth2/auth?lang=en&" + authorizeQuery("no-such-client", portalCallback, "openid").Encode())
		wantPage(t, r, http.StatusBadRequest, "en", "error.unknown_client")
	})

	t.Run("redirect URI not registered exactly (confidential client)", func(t *testing.T) {
		b := n.browser(t)
		for _, uri := range []string{
			"https://evil.example/callback",
			portalCallback + "/",                       // trailing slash
			"https://PORTAL.example.vn/callback",       // case of the host
			"https://portal.example.vn/Callback",       // case of the path
			"HTTPS://portal.example.vn/callback",       // case of the scheme
			portalCallback + "?next=/admin",            // extra query
			portalCallback + "#frag",                   // fragment
			"https://portal.example.vn:8443/callback",  // another port
			"https://portal.example.vn:443/callback",   // explicit default port
			"http://portal.example.vn/callback",        // another scheme
			"https://portal.example.vn.evil/callback",  // another host
			"https://portal.example.vn/callback/../cb", // dot segments
			"http://127.0.0.1:9999/cb",                 // loopback, another port: confidential clients may not
			"http://localhost:8765/cb",                 // loopback by name
			"http://[::1]:8765/cb",                     // loopback, IPv6
			partnerCallback,                            // another client's URI
		} {
			before := n.snapshot(t)
			r := b.get("/oauth2/auth?" + authorizeQuery("portal", uri, "openid profile").Encode())
			wantPage(t, r, http.StatusBadRequest, "vi", "error.redirect_uri")
			wantText(t, r, "không chuyển bạn về ứng dụng")
			wantNoRedirectTo(t, r, uri)
			wantNoLinkTo(t, r, uri)
			if r.location() != "" {
				t.Errorf("%s: Location %q", uri, r.location())
			}
			n.unchanged(t, before)
		}
		e := n.englishBrowser(t)
		r := e.get("/oauth2/auth?" + authorizeQuery("portal", portalCallback+"/", "openid").Encode())
		wantPage(t, r, http.StatusBadRequest, "en", "error.redirect_uri")
		wantText(t, r, "you have not been sent back")
	})

	t.Run("redirect URI missing with several registered", func(t *testing.T) {
		b := n.browser(t)
		before := n.snapshot(t)
		q := authorizeQuery("portal", "", "openid")
		q.Del("redirect_uri")
		r := b.get("/oauth2/auth?" + q.Encode())
		wantPage(t, r, http.StatusBadRequest, "vi", "error.oauth", "invalid_request")
		wantText(t, r, "Không thể hoàn tất đăng nhập")
		if strings.Contains(r.body, "The ") {
			t.Errorf("the Vietnamese page carries an English explanation:\n%s", excerpt(r.body))
		}
		n.unchanged(t, before)
	})

	t.Run("repeated parameters", func(t *testing.T) {
		b := n.browser(t)
		for _, extra := range []string{
			"&redirect_uri=" + url.QueryEscape("https://evil.example/cb"),
			"&redirect_uri=" + url.QueryEscape(portalCallback),
			"&client_id=partner",
			"&state=another-state-123",
			"&response_type=code",
		} {
			before := n.snapshot(t)
			r := b.get("/oauth2/auth?" + authorizeQuery("portal", portalCallback, "openid").Encode() + extra)
			wantPage(t, r, http.StatusBadRequest, "vi", "error.oauth", "invalid_request")
			wantNoRedirectTo(t, r, "https://evil.example/cb")
			n.unchanged(t, before)
		}
		// The same parameter in the query and in a POSTed body.
		before := n.snapshot(t)
		r := b.post("/oauth2/auth?redirect_uri="+url.QueryEscape("https://evil.example/cb"), authorizeQuery("portal", portalCallback, "openid"))
		wantPage(t, r, http.StatusBadRequest, "vi", "error.oauth", "invalid_request")
		wantNoRedirectTo(t, r, "https://evil.example/cb")
		n.unchanged(t, before)
	})

	t.Run("response type other than code", func(t *testing.T) {
		b := n.browser(t)
		for _, rt := range []string{"token", "id_token", "code token", "none"} {
			before := n.snapshot(t)
			q := authorizeQuery("portal", portalCallback, "openid")
			q.Set("response_type", rt)
			r := b.get("/oauth2/auth?" + q.Encode())
			loc := r.location()
			if r.status/100 != 3 || !strings.HasPrefix(loc, portalCallback) {
				t.Fatalf("response_type %q: %d %q, want an error at the registered URI", rt, r.status, loc)
			}
			u, _ := url.Parse(loc)
			params := u.Query()
			if u.Fragment != "" {
				params, _ = url.ParseQuery(u.Fragment)
			}
			if params.Get("error") != "unsupported_response_type" || params.Get("code") != "" || params.Get("access_token") != "" {
				t.Errorf("response_type %q: %s", rt, loc)
			}
			n.unchanged(t, before)
		}
	})

	t.Run("loopback redirect URI: another port only for public clients", func(t *testing.T) {
		_, challenge := pkce()
		q := authorizeQuery("native", "http://127.0.0.1:9999/cb", "openid profile")
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
		r := n.browser(t).get("/oauth2/auth?" + q.Encode())
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login?flow=") {
			t.Errorf("public client, loopback on another port: %d %q, want the login page", r.status, r.location())
		}
		for _, uri := range []string{"http://127.0.0.1:9999/other", "http://localhost:9999/cb", "http://127.0.0.1:9999/cb?x=1"} {
			before := n.snapshot(t)
			q.Set("redirect_uri", uri)
			r := n.browser(t).get("/oauth2/auth?" + q.Encode())
			wantPage(t, r, http.StatusBadRequest, "vi", "error.redirect_uri")
			wantNoRedirectTo(t, r, uri)
			n.unchanged(t, before)
		}
	})

	t.Run("public client without PKCE", func(t *testing.T) {
		b := n.browser(t)
		before := n.snapshot(t)
		q := authorizeQuery("native", loopbackCallback, "openid profile")
		r := b.get("/oauth2/auth?" + q.Encode())
		wantRedirectError(t, r, loopbackCallback, "invalid_request", q.Get("state"))
		n.unchanged(t, before)
	})

	t.Run("PKCE method plain refused", func(t *testing.T) {
		for _, client := range []string{"native", "portal"} {
			b := n.browser(t)
			before := n.snapshot(t)
			redirect := loopbackCallback
			q := authorizeQuery(client, redirect, "openid")
			q.Set("code_challenge", strings.Repeat("p", 43))
			q.Set("code_challenge_method", "plain")
			r := b.get("/oauth2/auth?" + q.Encode())
			wantRedirectError(t, r, redirect, "invalid_request", q.Get("state"))
			n.unchanged(t, before)

			// No method means plain.
			q.Del("code_challenge_method")
			r = b.get("/oauth2/auth?" + q.Encode())
			wantRedirectError(t, r, redirect, "invalid_request", q.Get("state"))
			n.unchanged(t, before)
		}
	})

	t.Run("PKCE refused for a logged-in person too", func(t *testing.T) {
		// With an SSO session the code would be issued at once: the PKCE
		// check must come first.
		b := n.browser(t)
		_, challenge := pkce()
		q := authorizeQuery("native", loopbackCallback, "openid profile")
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
		b.code(q, anPID, anPassword)
		before := n.snapshot(t)
		q.Del("code_challenge")
		q.Del("code_challenge_method")
		r := b.get("/oauth2/auth?" + q.Encode())
		wantRedirectError(t, r, loopbackCallback, "invalid_request", q.Get("state"))
		n.unchanged(t, before)
	})

	t.Run("scope not allowed for the client", func(t *testing.T) {
		b := n.browser(t)
		before := n.snapshot(t)
		q := authorizeQuery("partner", partnerCallback, "openid personal_id")
		r := b.get("/oauth2/auth?" + q.Encode())
		wantRedirectError(t, r, partnerCallback, "invalid_scope", q.Get("state"))
		n.unchanged(t, before)
	})

	t.Run("parameter over 2048 bytes", func(t *testing.T) {
		b := n.browser(t)
		before := n.snapshot(t)
		q := authorizeQuery("portal", portalCallback, "openid")
		q.Set("state", strings.Repeat("s", 2049))
		r := b.get("/oauth2/auth?" + q.Encode())
		wantPage(t, r, http.StatusBadRequest, "vi", "error.field_too_long")
		n.unchanged(t, before)
	})

	t.Run("invalid UTF-8 in a parameter", func(t *testing.T) {
		b := n.browser(t)
		before := n.snapshot(t)
		r := b.get("/oauth2/auth?client_id=portal&response_type=code&scope=openid&redirect_uri=" +
			url.QueryEscape(portalCallback) + "&state=abc%FF%FEdefgh")
		wantPage(t, r, http.StatusBadRequest, "vi", "error.invalid_utf8")
		n.unchanged(t, before)
	})
}

// ---------------------------------------------------------------------------
// The token endpoint.

func TestBadInputToken(t *testing.T) {
	t.Parallel()
	n := newNode(t)
	a := n.api(t)
	b := n.browser(t)

	nativeCode := func() (code, verifier string) {
		verifier, challenge := pkce()
		q := authorizeQuery("native", loopbackCallback, "openid profile offline_access")
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
		return b.code(q, anPID, anPassword), verifier
	}
	nativeForm := func(code, verifier string) url.Values {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {loopbackCallback}, "client_id": {"native"}}
		if verifier != "" {
			f.Set("code_verifier", verifier)
		}
		return f
	}
	portalCode := func() string {
		return b.code(authorizeQuery("portal", portalCallback, "openid profile offline_access"), anPID, anPassword)
	}
	portalForm := func(code string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {portalCallback}}
	}

	t.Run("missing PKCE verifier", func(t *testing.T) {
		b.t, a.t = t, t
		code, verifier := nativeCode()
		before := n.snapshot(t)
		wantOAuthError(t, a.post("/oauth2/token", nativeForm(code, ""), "", ""), http.StatusBadRequest, "invalid_grant")
		// fosite drops the PKCE binding on the first check, so that a
		// verifier cannot be guessed by retrying: the code is spent.
		n.unchanged(t, before, "records pkce")
		wantOAuthError(t, a.post("/oauth2/token", nativeForm(code, verifier), "", ""), http.StatusBadRequest, "invalid_grant")
		n.unchanged(t, before, "records pkce")
	})

	t.Run("wrong PKCE verifier", func(t *testing.T) {
		b.t, a.t = t, t
		for _, wrong := range []string{
			strings.Repeat("w", 43),  // well-formed, wrong
			"short",                  // under 43 characters
			strings.Repeat("w", 129), // over 128 characters
			strings.Repeat("é", 43),  // outside the verifier alphabet
		} {
			code, verifier := nativeCode()
			before := n.snapshot(t)
			wantOAuthError(t, a.post("/oauth2/token", nativeForm(code, wrong), "", ""), http.StatusBadRequest, "invalid_grant")
			n.unchanged(t, before, "records pkce")
			wantOAuthError(t, a.post("/oauth2/token", nativeForm(code, verifier), "", ""), http.StatusBadRequest, "invalid_grant")
			n.unchanged(t, before, "records pkce")
		}
	})

	t.Run("control: right PKCE verifier", func(t *testing.T) {
		b.t, a.t = t, t
		code, verifier := nativeCode()
		tk := a.exchange(nativeForm(code, verifier), "", "")
		if tk.RefreshToken == "" || tk.IDToken == "" {
			t.Errorf("tokens = %+v, want refresh and ID tokens", tk)
		}
	})

	t.Run("replayed code", func(t *testing.T) {
		b.t, a.t = t, t
		code := portalCode()
		first := a.exchange(portalForm(code), "portal", n.portalSecret)
		if !a.active(first.AccessToken, "access_token") || !a.active(first.RefreshToken, "refresh_token") {
			t.Fatal("the first exchange gave inactive tokens")
		}
		family := n.familyOf(t, first.RefreshToken)
		before := n.snapshot(t)
		r := a.post("/oauth2/token", portalForm(code), "portal", n.portalSecret)
		wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
		if strings.Contains(r.body, "access_token") {
			t.Errorf("the replay got tokens: %s", r.body)
		}
		// The tokens of the first exchange are revoked; nothing else changed.
		if a.active(first.AccessToken, "access_token") {
			t.Error("the access token of the first exchange is still active")
		}
		if a.active(first.RefreshToken, "refresh_token") {
			t.Error("the refresh token of the first exchange is still active")
		}
		r = a.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}, "portal", n.portalSecret)
		wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
		wantOAuthError(t, a.bearer("/userinfo", first.AccessToken), http.StatusUnauthorized, "invalid_token")
		n.unchanged(t, before, "table refresh_tokens", "active refresh tokens", "records at")
		if got := n.activeInFamily(t, family); got != 0 {
			t.Errorf("%d refresh tokens of the family are still active", got)
		}
	})

	t.Run("replayed refresh token", func(t *testing.T) {
		b.t, a.t = t, t
		first := a.exchange(portalForm(portalCode()), "portal", n.portalSecret)
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}
		second := a.exchange(refresh, "portal", n.portalSecret)
		if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
			t.Fatalf("the refresh token was not rotated: %+v", second)
		}
		family := n.familyOf(t, second.RefreshToken)
		if n.familyOf(t, first.RefreshToken) != family {
			t.Fatal("the rotated token is not of the same family")
		}
		before := n.snapshot(t)
		wantOAuthError(t, a.post("/oauth2/token", refresh, "portal", n.portalSecret), http.StatusBadRequest, "invalid_grant")
		// The whole family is revoked: the rotated token and the access tokens.
		if a.active(second.RefreshToken, "refresh_token") {
			t.Error("the rotated refresh token is still active after the replay")
		}
		if a.active(second.AccessToken, "access_token") {
			t.Error("the access token of the rotated pair is still active after the replay")
		}
		wantOAuthError(t, a.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}},
			"portal", n.portalSecret), http.StatusBadRequest, "invalid_grant")
		if got := n.activeInFamily(t, family); got != 0 {
			t.Errorf("%d refresh tokens of the family are still active", got)
		}
		n.unchanged(t, before, "table refresh_tokens", "active refresh tokens", "records at")
	})

	t.Run("refresh of a locked account", func(t *testing.T) {
		b.t, a.t = t, t
		first := a.exchange(portalForm(portalCode()), "portal", n.portalSecret)
		family := n.familyOf(t, first.RefreshToken)
		// Locked in the database without the administration's revocation
		// (as a lock replicated from elsewhere would be): the refresh itself
		// must notice, from the account read with the token.
		ctx := context.Background()
		acct, err := n.app.Store.GetAccount(ctx, n.an.ID)
		if err != nil {
			t.Fatal(err)
		}
		acct.Disabled, acct.DisabledReason = true, "test"
		if err := n.app.Store.UpdateAccount(ctx, acct); err != nil {
			t.Fatal(err)
		}
		defer func() {
			acct.Disabled, acct.DisabledReason = false, ""
			if err := n.app.Store.UpdateAccount(ctx, acct); err != nil {
				t.Fatal(err)
			}
		}()
		r := a.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}},
			"portal", n.portalSecret)
		wantOAuthError(t, r, http.StatusBadRequest, "invalid_grant")
		if strings.Contains(r.body, "access_token") {
			t.Errorf("a locked account got tokens: %s", r.body)
		}
		if got := n.activeInFamily(t, family); got != 0 {
			t.Errorf("%d refresh tokens of the locked account's family are still active", got)
		}
		if a.active(first.AccessToken, "access_token") {
			t.Error("the locked account's access token is still active")
		}
	})

	t.Run("client authentication", func(t *testing.T) {
		b.t, a.t = t, t
		code := portalCode()
		before := n.snapshot(t)
		for _, tc := range []struct {
			name, id, secret string
			form             url.Values
		}{
			{"wrong secret", "portal", "not-the-secret", portalForm(code)},
			{"another client's secret", "portal", n.partnerSecret, portalForm(code)},
			{"unknown client", "no-such-client", n.portalSecret, portalForm(code)},
			{"secret in the body for a client_secret_basic client, wrong", "", "", func() url.Values {
				f := portalForm(code)
				f.Set("client_id", "portal")
				f.Set("client_secret", "not-the-secret")
				return f
			}()},
		} {
			r := a.post("/oauth2/token", tc.form, tc.id, tc.secret)
			wantOAuthError(t, r, http.StatusUnauthorized, "invalid_client")
			n.unchanged(t, before)
		}
		// A request that names no client at all is malformed.
		wantOAuthError(t, a.post("/oauth2/token", portalForm(code), "", ""), http.StatusBadRequest, "invalid_request")
		n.unchanged(t, before)
		// The code was not spent by the failed attempts.
		a.exchange(portalForm(code), "portal", n.portalSecret)
	})

	t.Run("code of another client, redirect URI mismatch", func(t *testing.T) {
		b.t, a.t = t, t
		code := portalCode()
		before := n.snapshot(t)
		// A code issued to portal, presented by partner.
		f := portalForm(code)
		f.Set("redirect_uri", partnerCallback)
		wantOAuthError(t, a.post("/oauth2/token", f, "partner", n.partnerSecret), http.StatusBadRequest, "invalid_grant")
		n.unchanged(t, before)
		// The redirect URI differs from the authorization request's.
		for _, uri := range []string{portalCallback + "/", loopbackCallback, ""} {
			f := portalForm(code)
			f.Set("redirect_uri", uri)
			wantOAuthError(t, a.post("/oauth2/token", f, "portal", n.portalSecret), http.StatusBadRequest, "invalid_grant")
			n.unchanged(t, before)
		}
		// An unknown or malformed code.
		for _, c := range []string{"", "ory_ac_nothing.here", strings.Repeat("c", 3000), code + "x"} {
			f := portalForm(c)
			wantOAuthError(t, a.post("/oauth2/token", f, "portal", n.portalSecret), http.StatusBadRequest, "invalid_grant")
			n.unchanged(t, before)
		}
		// None of this spent the code.
		a.exchange(portalForm(code), "portal", n.portalSecret)
	})

	t.Run("grant types and scopes", func(t *testing.T) {
		a.t = t
		before := n.snapshot(t)
		for _, tc := range []struct {
			name, id, secret string
			form             url.Values
			status           int
			code             string
		}{
			{"unsupported grant type", "portal", n.portalSecret, url.Values{"grant_type": {"password"}, "username": {anPID}, "password": {anPassword}},
				http.StatusBadRequest, "unsupported_grant_type"},
			{"implicit is not a grant type", "portal", n.portalSecret, url.Values{"grant_type": {"implicit"}},
				http.StatusBadRequest, "unsupported_grant_type"},
			{"missing grant type", "portal", n.portalSecret, url.Values{"code": {"x"}}, http.StatusBadRequest, "invalid_request"},
			{"grant not registered for the client", "portal", n.portalSecret, url.Values{"grant_type": {"client_credentials"}},
				http.StatusBadRequest, "unauthorized_client"},
			{"refresh grant not registered", "service", n.serviceSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}},
				http.StatusBadRequest, "unauthorized_client"},
			{"scope not registered", "service", n.serviceSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"reports.write"}},
				http.StatusBadRequest, "invalid_scope"},
			{"unknown refresh token", "portal", n.portalSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"ory_rt_x.y"}},
				http.StatusBadRequest, "invalid_grant"},
		} {
			r := a.post("/oauth2/token", tc.form, tc.id, tc.secret)
			if r.status != tc.status {
				t.Errorf("%s: status %d, want %d (%s)", tc.name, r.status, tc.status, r.body)
			}
			wantOAuthError(t, r, tc.status, tc.code)
			n.unchanged(t, before)
		}
	})

	t.Run("empty, oversized and malformed bodies", func(t *testing.T) {
		a.t = t
		before := n.snapshot(t)
		r := a.raw(http.MethodPost, "/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(""), "portal", n.portalSecret)
		wantOAuthError(t, r, http.StatusBadRequest, "invalid_request")
		big := "grant_type=client_credentials&pad=" + strings.Repeat("a", 70<<10)
		r = a.raw(http.MethodPost, "/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(big), "service", n.serviceSecret)
		if r.status != http.StatusBadRequest && r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("a body over 64 KiB: status %d", r.status)
		}
		wantOAuthError(t, r, r.status, "invalid_request")
		r = a.raw(http.MethodPost, "/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=%zz"), "service", n.serviceSecret)
		wantOAuthError(t, r, http.StatusBadRequest, "invalid_request")
		r = a.raw(http.MethodPost, "/oauth2/token", "application/x-www-form-urlencoded",
			strings.NewReader("grant_type=client_credentials&scope=reports.read%FF"), "service", n.serviceSecret)
		if r.status == http.StatusOK {
			t.Errorf("invalid UTF-8 in a scope was accepted: %s", r.body)
		}
		n.unchanged(t, before)
	})

	t.Run("introspection, revocation and userinfo", func(t *testing.T) {
		a.t = t
		before := n.snapshot(t)
		// RFC 7662 asks for 401; fosite names the error request_unauthorized.
		r := a.post("/oauth2/introspect", url.Values{"token": {"x"}}, "portal", "not-the-secret")
		wantOAuthError(t, r, http.StatusUnauthorized, "request_unauthorized")
		r = a.post("/oauth2/introspect", url.Values{"token": {"x"}}, "", "")
		wantOAuthError(t, r, http.StatusUnauthorized, "request_unauthorized")
		r = a.post("/oauth2/revoke", url.Values{"token": {"x"}}, "portal", "not-the-secret")
		wantOAuthError(t, r, http.StatusUnauthorized, "invalid_client")
		r = a.raw(http.MethodGet, "/userinfo", "", nil, "", "")
		wantOAuthError(t, r, http.StatusUnauthorized, "invalid_request")
		wantOAuthError(t, a.bearer("/userinfo", "not.a.token"), http.StatusUnauthorized, "invalid_token")
		n.unchanged(t, before)
	})
}

// familyOf returns the request id shared by the refresh tokens of the
// token's family.
func (n *node) familyOf(t *testing.T, refreshToken string) string {
	t.Helper()
	sig := refreshToken[strings.LastIndexByte(refreshToken, '.')+1:]
	rt, err := n.app.Store.GetRefreshToken(context.Background(), sig)
	if err != nil {
		t.Fatalf("refresh token: %v", err)
	}
	return rt.RequestID
}

// activeInFamily counts the active refresh tokens of a family.
func (n *node) activeInFamily(t *testing.T, requestID string) int {
	t.Helper()
	var count int
	if err := n.raw.QueryRow(`SELECT count(*) FROM refresh_tokens WHERE request_id=$1 AND active=1`, requestID).Scan(&count); err != nil {
		t.Fatal(err)
	}
	return count
}

// ---------------------------------------------------------------------------
// Login forms, consent, business choice, methods and paths.

func TestBadInputForms(t *testing.T) {
	t.Parallel()
	n := newNode(t)

	t.Run("login without CSRF token or with a wrong one", func(t *testing.T) {
		b := n.browser(t)
		flow := b.loginPage()
		other := n.browser(t)
		other.loginPage()
		before := n.snapshot(t)
		addr := n.addressFailures(t)
		for _, token := range []string{"", "short", strings.Repeat("A", 43), b.csrf() + "x"} {
			for _, password := range []string{anPassword, "wrong password"} {
				form := url.Values{"flow": {flow}, "identifier": {anPID}, "password": {password}}
				if token != "" {
					form.Set("csrf_token", token)
				}
				r := b.post("/login", form)
				wantPage(t, r, http.StatusForbidden, "vi", "error.csrf")
				wantText(t, r, "Biểu mẫu đã hết hạn")
				if r.setsSession {
					t.Error("a login without a valid CSRF token set a session cookie")
				}
			}
		}
		// Another browser's CSRF token does not help either.
		r := b.post("/login", url.Values{"flow": {flow}, "identifier": {anPID}, "password": {anPassword}, "csrf_token": {other.csrf()}})
		wantPage(t, r, http.StatusForbidden, "vi", "error.csrf")
		if b.hasSession() {
			t.Error("the browser holds a session")
		}
		if st := n.failures(t, n.an); len(st.Failures) != 0 || len(st.TemporarilyLocked) != 0 {
			t.Errorf("failures were counted: %+v", st)
		}
		if got := n.addressFailures(t); got != addr {
			t.Errorf("address failures %d → %d", addr, got)
		}
		n.unchanged(t, before)

		e := n.englishBrowser(t)
		flow = e.loginPage()
		r = e.post("/login", url.Values{"flow": {flow}, "identifier": {anPID}, "password": {anPassword}})
		wantPage(t, r, http.StatusForbidden, "en", "error.csrf")
		wantText(t, r, "The form has expired")
	})

	t.Run("unknown or expired flow", func(t *testing.T) {
		b := n.browser(t)
		b.loginPage()
		// A flow that expired a minute ago.
		if err := n.app.Eph.PutRecord(context.Background(), store.KindLoginFlow, &store.Record{Key: "expired-flow-0123456789",
			Data: []byte(`{"id":"expired-flow-0123456789","return":"/account"}`), ExpiresAt: time.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		for _, flow := range []string{"no-such-flow", "expired-flow-0123456789", "", strings.Repeat("f", 65)} {
			before := n.snapshot(t)
			r := b.login(flow, anPID, anPassword)
			wantPage(t, r, http.StatusBadRequest, "vi", "error.flow_expired")
			if r.setsSession {
				t.Error("a login with no flow set a session cookie")
			}
			if flow != "" {
				r = b.get("/login?flow=" + url.QueryEscape(flow))
				wantPage(t, r, http.StatusBadRequest, "vi", "error.flow_expired")
				for _, page := range []string{"/consent", "/login/business", "/register"} {
					wantPage(t, b.get(page+"?flow="+url.QueryEscape(flow)), http.StatusBadRequest, "vi", "error.flow_expired")
				}
			}
			n.unchanged(t, before)
		}
		if st := n.failures(t, n.an); len(st.Failures) != 0 {
			t.Errorf("failures were counted: %+v", st)
		}
		r := n.englishBrowser(t).get("/login?flow=no-such-flow")
		wantPage(t, r, http.StatusBadRequest, "en", "error.flow_expired")
	})

	t.Run("login fields over 2048 bytes and invalid UTF-8", func(t *testing.T) {
		b := n.browser(t)
		flow := b.loginPage()
		before := n.snapshot(t)
		addr := n.addressFailures(t)
		long := strings.Repeat("9", 2049)
		for _, tc := range []struct {
			identifier, password, key string
		}{
			{long, anPassword, "error.field_too_long"},
			{anPID, long, "error.field_too_long"},
			{anPID + "\xff", anPassword, "error.invalid_utf8"},
			{"an\xc3\x28@example.vn", anPassword, "error.invalid_utf8"},
			{anPID, anPassword + "\xed\xa0\x80", "error.invalid_utf8"}, // an encoded surrogate
		} {
			r := b.login(flow, tc.identifier, tc.password)
			wantPage(t, r, http.StatusBadRequest, "vi", tc.key)
			if r.setsSession {
				t.Error("a refused login set a session cookie")
			}
		}
		if st := n.failures(t, n.an); len(st.Failures) != 0 {
			t.Errorf("failures were counted: %+v", st)
		}
		if got := n.addressFailures(t); got != addr {
			t.Errorf("address failures %d → %d", addr, got)
		}
		n.unchanged(t, before)
		r := n.englishBrowser(t).get("/login?lang=en&flow=" + url.QueryEscape(flow) + "&identifier=" + url.QueryEscape(long))
		wantPage(t, r, http.StatusBadRequest, "en", "error.field_too_long")
	})

	t.Run("body over 64 KiB", func(t *testing.T) {
		b := n.browser(t)
		flow := b.loginPage()
		before := n.snapshot(t)
		form := url.Values{"flow": {flow}, "identifier": {anPID}, "password": {anPassword}, "csrf_token": {b.csrf()}}
		for i := 0; i < 40; i++ {
			form.Set(fmt.Sprintf("pad%d", i), strings.Repeat("x", 2000))
		}
		for _, path := range []string{"/login", "/register", "/consent", "/login/business", "/logout", "/oauth2/auth"} {
			r := b.post(path, form)
			wantPage(t, r, http.StatusRequestEntityTooLarge, "vi", "error.too_large")
			if r.setsSession {
				t.Error("an oversized login set a session cookie")
			}
		}
		if st := n.failures(t, n.an); len(st.Failures) != 0 {
			t.Errorf("failures were counted: %+v", st)
		}
		n.unchanged(t, before)
	})

	t.Run("consent decision other than allow or deny", func(t *testing.T) {
		b := n.browser(t)
		q := authorizeQuery("partner", partnerCallback, "openid profile email")
		r := b.startAuthorize(q, binhEmail, binhPassword)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/consent?flow=") {
			t.Fatalf("want the consent page, got %d %q", r.status, r.location())
		}
		consentPath := r.location()
		flow := flowOf(t, b.get(consentPath))
		other := n.browser(t)
		other.loginPage()
		before := n.snapshot(t)
		for _, decision := range []string{"", "maybe", "ALLOW", "allow ", "allow,deny"} {
			form := url.Values{"flow": {flow}, "decision": {decision}, "remember": {"1"}, "csrf_token": {b.csrf()}}
			r := b.post("/consent", form)
			wantPage(t, r, http.StatusBadRequest, "vi", "error.bad_request")
			wantNoRedirectTo(t, r, partnerCallback)
		}
		// Two decisions: the handler reads the first, which is no decision.
		r = b.post("/consent", url.Values{"flow": {flow}, "decision": {"maybe", "allow"}, "csrf_token": {b.csrf()}})
		wantPage(t, r, http.StatusBadRequest, "vi", "error.bad_request")
		r = b.post("/consent", url.Values{"flow": {flow}, "decision": {"allow"}})
		wantPage(t, r, http.StatusForbidden, "vi", "error.csrf")
		n.unchanged(t, before)
		if cs, _ := n.app.Store.ListConsents(context.Background(), n.binh.ID); len(cs) != 0 {
			t.Errorf("consents = %v, want none", cs)
		}
		// The flow is still waiting for a decision.
		if page := b.get(consentPath); page.status != http.StatusOK {
			t.Errorf("the consent page after bad decisions: %d", page.status)
		}
		r = b.post("/consent?lang=en", url.Values{"flow": {flow}, "decision": {"maybe"}, "csrf_token": {b.csrf()}})
		wantPage(t, r, http.StatusBadRequest, "en", "error.bad_request")
		// Another browser cannot use the flow.
		r = other.post("/consent", url.Values{"flow": {flow}, "decision": {"allow"}, "remember": {"1"}, "csrf_token": {other.csrf()}})
		wantPage(t, r, http.StatusBadRequest, "vi", "error.flow_expired")
		wantNoRedirectTo(t, r, partnerCallback)
		n.unchanged(t, before)
	})

	t.Run("business the person does not represent", func(t *testing.T) {
		b := n.browser(t)
		q := authorizeQuery("portal", portalCallback, "openid profile business")
		r := b.startAuthorize(q, anPID, anPassword)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login/business?flow=") {
			t.Fatalf("want the business page, got %d %q\n%s", r.status, r.location(), excerpt(r.body))
		}
		businessPath := r.location()
		flow := flowOf(t, b.get(businessPath))
		before := n.snapshot(t)
		for _, tc := range []url.Values{
			{"tax_code": {otherTaxCode}},
			{"tax_code": {"0100109107"}},                // malformed: checksum
			{"tax_code": {"abc"}},                       // malformed: format
			{"tax_code": {representedTaxCode + "-001"}}, // a branch is not the business
			{"tax_code": {" " + representedTaxCode}},
			{}, // no choice at all
		} {
			form := url.Values{"flow": {flow}, "csrf_token": {b.csrf()}}
			for k, v := range tc {
				form[k] = v
			}
			r := b.post("/login/business", form)
			wantPage(t, r, http.StatusBadRequest, "vi", "error.bad_request")
			wantNoRedirectTo(t, r, portalCallback)
			if strings.Contains(r.body, otherTaxCode) {
				t.Error("the page shows a business the person does not represent")
			}
		}
		n.unchanged(t, before)
		if page := b.get(businessPath); page.status != http.StatusOK {
			t.Errorf("the business page after bad choices: %d", page.status)
		}
		r = b.post("/login/business?lang=en", url.Values{"flow": {flow}, "tax_code": {otherTaxCode}, "csrf_token": {b.csrf()}})
		wantPage(t, r, http.StatusBadRequest, "en", "error.bad_request")
		n.unchanged(t, before)
		// The control: the business An represents is accepted.
		r = b.post("/login/business", url.Values{"flow": {flow}, "tax_code": {representedTaxCode}, "csrf_token": {b.csrf()}})
		if !strings.HasPrefix(r.location(), portalCallback+"?") {
			t.Errorf("the represented business: %d %q", r.status, r.location())
		}
	})

	t.Run("logout without CSRF token", func(t *testing.T) {
		b := n.browser(t)
		b.code(authorizeQuery("portal", portalCallback, "openid"), binhPID, binhPassword)
		before := n.snapshot(t)
		wantPage(t, b.post("/logout", url.Values{}), http.StatusForbidden, "vi", "error.csrf")
		wantPage(t, b.post("/logout", url.Values{"csrf_token": {strings.Repeat("z", 43)}}), http.StatusForbidden, "vi", "error.csrf")
		wantPage(t, b.post("/account/consents/revoke", url.Values{"client_id": {"portal"}}), http.StatusForbidden, "vi", "error.csrf")
		n.unchanged(t, before)
		if !b.hasSession() {
			t.Error("the session cookie was cleared")
		}
	})

	t.Run("wrong method", func(t *testing.T) {
		b := n.browser(t)
		a := n.api(t)
		before := n.snapshot(t)
		for _, tc := range []struct{ method, path string }{
			{http.MethodGet, "/logout"},
			{http.MethodPost, "/account"},
			{http.MethodPut, "/login"},
			{http.MethodDelete, "/register"},
			{http.MethodGet, "/account/consents/revoke"},
			{http.MethodPatch, "/oauth2/auth"},
		} {
			r := b.do(tc.method, tc.path, "", nil)
			wantPage(t, r, http.StatusMethodNotAllowed, "vi", "error.method_not_allowed")
			if r.header.Get("Allow") == "" {
				t.Errorf("%s %s: no Allow header", tc.method, tc.path)
			}
		}
		for _, tc := range []struct{ method, path, allow string }{
			{http.MethodGet, "/oauth2/token", "POST"},
			{http.MethodGet, "/oauth2/introspect", "POST"},
			{http.MethodGet, "/oauth2/revoke", "POST"},
			{http.MethodPut, "/oauth2/token", "POST"},
			{http.MethodPost, "/.well-known/openid-configuration", "GET"},
			{http.MethodPost, "/.well-known/jwks.json", "GET"},
			{http.MethodDelete, "/userinfo", "GET, POST"},
		} {
			r := a.raw(tc.method, tc.path, "", nil, "", "")
			wantOAuthError(t, r, http.StatusMethodNotAllowed, "invalid_request")
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
			}
		}
		e := n.englishBrowser(t)
		wantPage(t, e.get("/logout"), http.StatusMethodNotAllowed, "en", "error.method_not_allowed")
		n.unchanged(t, before)
	})

	t.Run("unknown paths", func(t *testing.T) {
		b := n.browser(t)
		before := n.snapshot(t)
		for _, path := range []string{"/khong-co-trang-nay", "/oauth2/unknown", "/login/nothing", "/.env", "/account/../../etc/passwd"} {
			r := b.get(path)
			if r.status/100 == 3 {
				r = b.get(r.location())
			}
			wantPage(t, r, http.StatusNotFound, "vi", "error.not_found")
			wantText(t, r, "Không tìm thấy trang")
		}
		r := n.englishBrowser(t).get("/khong-co-trang-nay")
		wantPage(t, r, http.StatusNotFound, "en", "error.not_found")
		// The language check can see the other language.
		if foreignText("vi", html.UnescapeString(r.body)) == "" {
			t.Error("foreignText finds no English in an English page")
		}
		r = b.get("/khong-co-trang-nay?lang=en")
		wantPage(t, r, http.StatusNotFound, "en", "error.not_found")
		n.unchanged(t, before)
	})
}

// ---------------------------------------------------------------------------
// Brute force.

func TestBadInputBruteForce(t *testing.T) {
	t.Parallel()
	n := newNode(t)
	max := n.cfg.BruteForce.AccountMaxFailures
	lockMinutes := int(n.cfg.BruteForce.LockDuration.D().Minutes())
	const ghostPID = "001090099999" // well-formed, nobody's

	// errorMessage returns the form error a login page shows.
	formError := regexp.MustCompile(`(?s)<p id="form-error">(.*?)</p>`)
	errorMessage := func(r *response) string {
		m := formError.FindStringSubmatch(r.body)
		if m == nil {
			return ""
		}
		return html.UnescapeString(m[1])
	}

	b := n.browser(t)
	flow := b.loginPage()
	before := n.snapshot(t)
	for i := 1; i <= max; i++ {
		existing := b.login(flow, anPID, "wrong password "+fmt.Sprint(i))
		ghost := b.login(flow, ghostPID, "wrong password "+fmt.Sprint(i))
		if existing.status != ghost.status || errorMessage(existing) != errorMessage(ghost) {
			t.Errorf("attempt %d: an existing account answers %d %q, a missing one %d %q",
				i, existing.status, errorMessage(existing), ghost.status, errorMessage(ghost))
		}
		if existing.setsSession || ghost.setsSession {
			t.Errorf("attempt %d set a session cookie", i)
		}
		if i < max {
			wantPage(t, existing, http.StatusUnauthorized, "vi", "login.invalid_credentials")
			wantText(t, existing, "Thông tin đăng nhập không đúng")
			st := n.failures(t, n.an)
			if st.Failures["personal_id"] != int64(i) || len(st.TemporarilyLocked) != 0 {
				t.Errorf("after %d failures the administrators see %+v", i, st)
			}
		} else {
			wantPage(t, existing, http.StatusTooManyRequests, "vi", "login.too_many_attempts", lockMinutes)
			wantText(t, existing, "quá nhiều lần")
		}
	}
	st := n.failures(t, n.an)
	if !slices.Contains(st.TemporarilyLocked, "personal_id") {
		t.Fatalf("after %d failures the account is not locked: %+v", max, st)
	}
	if st.Disabled {
		t.Error("a temporary lock disabled the account")
	}
	// Nothing but the counters changed.
	n.unchanged(t, before)

	// During the lock even the right password is refused, with the same page.
	r := b.login(flow, anPID, anPassword)
	wantPage(t, r, http.StatusTooManyRequests, "vi", "login.too_many_attempts", lockMinutes)
	if r.setsSession || b.hasSession() {
		t.Error("a login during the lock set a session")
	}
	if g := b.login(flow, ghostPID, anPassword); g.status != r.status || errorMessage(g) != errorMessage(r) {
		t.Errorf("during the lock an existing account answers %d %q, a missing one %d %q",
			r.status, errorMessage(r), g.status, errorMessage(g))
	}
	n.unchanged(t, before)
	e := n.englishBrowser(t)
	r = e.login(e.loginPage(), anPID, anPassword)
	wantPage(t, r, http.StatusTooManyRequests, "en", "login.too_many_attempts", lockMinutes)
	wantText(t, r, "Too many unsuccessful sign-in attempts")

	// The operator lifts the lock; the right password then works.
	if err := n.admin.Unlock(context.Background(), n.an); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if st := n.failures(t, n.an); len(st.TemporarilyLocked) != 0 || len(st.Failures) != 0 {
		t.Errorf("after unlock: %+v", st)
	}
	r = b.login(flow, anPID, anPassword)
	if r.status != http.StatusSeeOther || !r.setsSession {
		t.Errorf("login after unlock: %d %q, session %v\n%s", r.status, r.location(), r.setsSession, excerpt(r.body))
	}
}
