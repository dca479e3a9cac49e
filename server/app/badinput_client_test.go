package app_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/web"
)

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

// csrf returns the CSRF token the browser's pages carry now: the one
// web.CSRFTokenFor derives from its CSRF cookie (set by the first page it
// saw) and its current session cookie.
func (b *browser) csrf() string {
	u, _ := url.Parse(b.n.url)
	secret, session := "", ""
	for _, c := range b.jar.Cookies(u) {
		switch c.Name {
		case "dinhdanh_csrf", "__Host-dinhdanh_csrf":
			secret = c.Value
		case b.n.cfg.Session.CookieName:
			session = c.Value
		}
	}
	if secret == "" {
		b.t.Fatal("the browser has no CSRF cookie")
	}
	return web.CSRFTokenFor(secret, session)
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
