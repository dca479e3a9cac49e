package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-ldap/ldap/v3"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/ldaptest"
	"github.com/dinhdanh/dinhdanh/ui"
)

// backchannelEvent is the member of the events claim that makes a JWT a
// logout token (OpenID Connect Back-Channel Logout 1.0 §2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// deliveryWait bounds the wait for a back-channel logout to arrive: the
// server works its queue every second.
const deliveryWait = 10 * time.Second

// User agents of the browsers in the account console tests, and how the
// console describes them.
const (
	firefoxWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
	chromeAndroid  = "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
)

// person is who signs in, and with what.
type person struct{ identifier, password string }

var (
	datSignIn  = person{dat.PersonalID, dat.Password}
	hangSignIn = person{hang.PersonalID, hang.Password}
	binhSignIn = person{binh.Username, binh.Password}
)

// rpSpec describes a relying party of the logout tests.
type rpSpec struct {
	Name       string
	FirstParty bool
	// Frontchannel registers a front-channel logout URI besides the back-channel one.
	Frontchannel bool
	// PostLogout registers a post-logout redirect URI.
	PostLogout bool
	// IDTokenAlg is RS256 (default), ES256 or EdDSA; logout tokens use it too.
	IDTokenAlg string
}

// rpState is whether the relying party's back-channel endpoint answers.
type rpState int

const (
	rpUp          rpState = iota
	rpUnavailable         // answers 503
	rpOffline             // its listener is closed: connections are refused
)

// logoutToken is a logout token that the relying party received and verified.
type logoutToken struct {
	SID, Sub, JTI    string
	IssuedAt, Expiry time.Time
	// ReceivedAt is when the relying party received it.
	ReceivedAt time.Time
	Header     map[string]any
	Claims     map[string]any
}

// logoutRP is a relying party with a web server of its own on loopback. It
// signs people in through dinhdanh with go-oidc and x/oauth2, remembers the
// session (sid) of every ID token it got, and receives back-channel logout
// tokens, which it verifies as OpenID Connect Back-Channel Logout 1.0 §2.6
// requires: signature, iss, aud and exp through go-oidc; iat; the events
// member; no nonce; sid and sub naming a session it has; jti not seen before.
// It also serves its front-channel logout URI and post-logout redirect URI.
type logoutRP struct {
	*relyingParty
	base           string // http://127.0.0.1:PORT
	endSession     string // the provider's end_session_endpoint
	logoutVerifier *oidc.IDTokenVerifier

	mu           sync.Mutex
	state        rpState
	http         *http.Server
	sessions     map[string]string // sid → sub of the ID tokens received
	received     []logoutToken
	jtis         map[string]bool
	problems     []string     // logout requests that failed verification
	posts        int          // requests to the back-channel URI, whatever the answer
	frontchannel []url.Values // queries of the front-channel URI's requests
}

// Paths of the relying party's endpoints.
const (
	rpCallback     = "/callback"
	rpBackchannel  = "/backchannel-logout"
	rpFrontchannel = "/frontchannel-logout"
	rpLoggedOut    = "/logged-out"
)

// startRP starts the relying party's server, registers its client with the
// command line (confidential, back-channel logout URI at the server) and
// discovers the provider. The server stops when the test ends; a logout
// token that failed verification then fails the test.
func startRP(t *testing.T, srv *harness.Server, spec rpSpec) *logoutRP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rp := &logoutRP{base: "http://" + ln.Addr().String(), sessions: map[string]string{}, jtis: map[string]bool{}}
	rp.serve(ln)
	t.Cleanup(func() {
		rp.mu.Lock()
		defer rp.mu.Unlock()
		if rp.http != nil {
			_ = rp.http.Close()
		}
		for _, p := range rp.problems {
			t.Errorf("%s: %s", spec.Name, p)
		}
	})
	cs := harness.ClientSpec{Name: spec.Name, FirstParty: spec.FirstParty, RedirectURIs: []string{rp.base + rpCallback},
		Scopes: []string{"openid", "profile", "email", "offline_access"}, IDTokenAlg: spec.IDTokenAlg,
		BackchannelLogoutURI: rp.base + rpBackchannel}
	if cs.IDTokenAlg == "" {
		cs.IDTokenAlg = "RS256"
	}
	if spec.Frontchannel {
		cs.FrontchannelLogoutURI = rp.base + rpFrontchannel
	}
	if spec.PostLogout {
		cs.PostLogoutRedirectURIs = []string{rp.base + rpLoggedOut}
	}
	c := srv.CreateClient(t, cs)
	if c.BackchannelLogoutURI != cs.BackchannelLogoutURI || c.FrontchannelLogoutURI != cs.FrontchannelLogoutURI ||
		!slices.Equal(c.PostLogoutRedirectURIs, cs.PostLogoutRedirectURIs) {
		t.Fatalf("client create --json printed the logout settings %q %q %q, want %q %q %q", c.BackchannelLogoutURI,
			c.FrontchannelLogoutURI, c.PostLogoutRedirectURIs, cs.BackchannelLogoutURI, cs.FrontchannelLogoutURI, cs.PostLogoutRedirectURIs)
	}
	rp.relyingParty = newRP(t, srv, c)
	// A logout token is validated like an ID token (§2.6 step 3), with the
	// client's ID-token algorithm; go-oidc checks no nonce, which is right
	// here: a logout token must not have one.
	rp.logoutVerifier = rp.provider.Verifier(&oidc.Config{ClientID: c.ID, SupportedSigningAlgs: []string{c.IDTokenAlg}})
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := rp.provider.Claims(&meta); err != nil || meta.EndSession == "" {
		t.Fatalf("discovery advertises no end_session_endpoint (%v)", err)
	}
	rp.endSession = meta.EndSession
	return rp
}

// serve answers on the listener.
func (rp *logoutRP) serve(ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc(rpBackchannel, rp.handleBackchannel)
	mux.HandleFunc("GET "+rpFrontchannel, func(w http.ResponseWriter, r *http.Request) {
		rp.mu.Lock()
		rp.frontchannel = append(rp.frontchannel, r.URL.Query())
		rp.mu.Unlock()
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("<!doctype html><title>logged out</title>"))
	})
	mux.HandleFunc("GET "+rpLoggedOut, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<!doctype html><title>goodbye</title>"))
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	rp.http = hs
	go func() { _ = hs.Serve(ln) }()
}

// setState makes the back-channel endpoint answer, answer 503, or refuse
// connections (closing the listener; coming back listens on the same port).
func (rp *logoutRP) setState(t *testing.T, s rpState) {
	t.Helper()
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if s == rpOffline && rp.http != nil {
		_ = rp.http.Close()
		rp.http = nil
	}
	if s != rpOffline && rp.http == nil {
		addr := strings.TrimPrefix(rp.base, "http://")
		var ln net.Listener
		var err error
		for range 50 {
			if ln, err = net.Listen("tcp", addr); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("the relying party cannot listen on %s again: %v", addr, err)
		}
		rp.serve(ln)
	}
	rp.state = s
}

func (rp *logoutRP) problem(format string, args ...any) {
	rp.problems = append(rp.problems, fmt.Sprintf(format, args...))
}

// handleBackchannel receives a logout token (§2.5) and validates it (§2.6).
func (rp *logoutRP) handleBackchannel(w http.ResponseWriter, r *http.Request) {
	rp.mu.Lock()
	rp.posts++
	state := rp.state
	rp.mu.Unlock()
	if state == rpUnavailable {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	fail := func(format string, args ...any) {
		rp.mu.Lock()
		rp.problem(format, args...)
		rp.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_request"}`))
	}
	if r.Method != http.MethodPost {
		fail("the back-channel logout request used %s, want POST", r.Method)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		fail("the back-channel logout request has Content-Type %q, want application/x-www-form-urlencoded", ct)
		return
	}
	if err := r.ParseForm(); err != nil {
		fail("the back-channel logout request's body: %v", err)
		return
	}
	raw := r.PostForm.Get("logout_token")
	if raw == "" || len(r.PostForm) != 1 {
		fail("the back-channel logout request has the form %v, want exactly logout_token", r.PostForm)
		return
	}
	tok, err := rp.verifyLogoutToken(r.Context(), raw)
	if err != nil {
		fail("logout token refused: %v (%s)", err, raw)
		return
	}
	rp.mu.Lock()
	rp.received = append(rp.received, *tok)
	rp.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// verifyLogoutToken validates a logout token as §2.6 asks.
func (rp *logoutRP) verifyLogoutToken(ctx context.Context, raw string) (*logoutToken, error) {
	// Steps 1–3: signature with a key of the provider's JWKS and the client's
	// algorithm, iss, aud, exp; iat is checked below.
	idt, err := rp.logoutVerifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("go-oidc: %w", err)
	}
	header, err := jwtSegment(raw, 0)
	if err != nil {
		return nil, err
	}
	if header["alg"] != rp.client.IDTokenAlg {
		return nil, fmt.Errorf("signed with %v, want the client's ID-token algorithm %s", header["alg"], rp.client.IDTokenAlg)
	}
	if header["typ"] != "logout+jwt" {
		return nil, fmt.Errorf("typ %v, want logout+jwt (explicit typing, §2.4)", header["typ"])
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, err
	}
	tok := &logoutToken{Header: header, Claims: claims, Expiry: idt.Expiry, IssuedAt: idt.IssuedAt, ReceivedAt: time.Now()}
	tok.SID, _ = claims["sid"].(string)
	tok.Sub, _ = claims["sub"].(string)
	tok.JTI, _ = claims["jti"].(string)
	if _, ok := claims["iat"].(float64); !ok {
		return nil, errors.New("no iat")
	}
	now := time.Now()
	if tok.IssuedAt.After(now.Add(time.Minute)) || tok.IssuedAt.Before(now.Add(-5*time.Minute)) {
		return nil, fmt.Errorf("iat %v is not recent", tok.IssuedAt)
	}
	if !tok.Expiry.After(tok.IssuedAt) || tok.Expiry.Sub(tok.IssuedAt) > 10*time.Minute {
		return nil, fmt.Errorf("exp %v is not shortly after iat %v", tok.Expiry, tok.IssuedAt)
	}
	// Step 4: sub, sid or both.
	if tok.SID == "" && tok.Sub == "" {
		return nil, errors.New("neither sid nor sub")
	}
	// Step 5: the events claim with the back-channel logout member, a JSON object.
	events, ok := claims["events"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("events is %v, want a JSON object", claims["events"])
	}
	if ev, ok := events[backchannelEvent].(map[string]any); !ok {
		return nil, fmt.Errorf("events %v lacks the member %s as a JSON object (%v)", events, backchannelEvent, ev)
	}
	// Step 6: no nonce.
	if _, ok := claims["nonce"]; ok {
		return nil, errors.New("a logout token must not have a nonce")
	}
	// Step 7: not a replay of a token already accepted.
	if tok.JTI == "" {
		return nil, errors.New("no jti")
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.jtis[tok.JTI] {
		return nil, fmt.Errorf("jti %s was already received", tok.JTI)
	}
	// Steps 8–9: iss (go-oidc) and sid/sub name a session of this relying party.
	sub, known := rp.sessions[tok.SID]
	if tok.SID == "" || !known {
		return nil, fmt.Errorf("sid %q is not a session this relying party got an ID token for (%v)", tok.SID, rp.sessions)
	}
	if tok.Sub != sub {
		return nil, fmt.Errorf("sub %q, but the ID tokens of session %s were for %q", tok.Sub, tok.SID, sub)
	}
	rp.jtis[tok.JTI] = true
	return tok, nil
}

// jwtSegment decodes one part of a compact JWS.
func jwtSegment(raw string, i int) (map[string]any, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a compact JWS: %d parts", len(parts))
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(data, &m)
}

// signIn runs the authorization code flow in the browser: through the login
// page when the browser has no session (or prompt=login asks for one), the
// consent page when the client needs one, or straight back by single
// sign-on. The relying party remembers the session of the ID token.
func (rp *logoutRP) signIn(t *testing.T, b *harness.Browser, p person, scopes []string, extra ...oauth2.AuthCodeOption) *tokens {
	t.Helper()
	if scopes == nil {
		scopes = openidProfile
	}
	ar, resp := rp.authorize(t, b, scopes, extra...)
	if resp.Page != nil && resp.Page.Path() == "/login" {
		resp = login(t, b, resp, p.identifier, p.password)
	}
	if resp.Page != nil && resp.Page.Path() == "/consent" {
		resp = allow(t, b, resp.Page)
	}
	toks := rp.exchange(t, ar, rp.code(t, ar, resp))
	rp.remember(t, toks)
	return toks
}

// remember records the session of the tokens' ID token, as the relying
// party's own session store would.
func (rp *logoutRP) remember(t *testing.T, toks *tokens) {
	t.Helper()
	sid := sidOf(toks)
	if sid == "" {
		t.Fatalf("the ID token for %s has no sid", rp.client.Name)
	}
	rp.mu.Lock()
	rp.sessions[sid] = toks.IDToken.Subject
	rp.mu.Unlock()
}

// tokensFor returns the logout tokens received for the session.
func (rp *logoutRP) tokensFor(sid string) []logoutToken {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	var out []logoutToken
	for _, tok := range rp.received {
		if tok.SID == sid {
			out = append(out, tok)
		}
	}
	return out
}

// receivedSIDs returns the sessions of the logout tokens received, in order.
func (rp *logoutRP) receivedSIDs() []string {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	var out []string
	for _, tok := range rp.received {
		out = append(out, tok.SID)
	}
	return out
}

// postCount returns how many requests reached the back-channel URI.
func (rp *logoutRP) postCount() int {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.posts
}

// waitLogout waits for a verified logout token for each session and returns them.
func (rp *logoutRP) waitLogout(t *testing.T, sids ...string) []logoutToken {
	t.Helper()
	var out []logoutToken
	for _, sid := range sids {
		eventually(t, deliveryWait, func() string {
			return fmt.Sprintf("%s received no logout token for session %s (tokens for %q, %d requests, problems %q)",
				rp.client.Name, sid, rp.receivedSIDs(), rp.postCount(), rp.problemList())
		}, func() bool { return len(rp.tokensFor(sid)) > 0 })
		toks := rp.tokensFor(sid)
		if len(toks) != 1 {
			t.Errorf("%s received %d logout tokens for session %s, want 1", rp.client.Name, len(toks), sid)
		}
		out = append(out, toks[0])
	}
	return out
}

func (rp *logoutRP) problemList() []string {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return slices.Clone(rp.problems)
}

// noLogout checks that no logout token for the session has arrived.
func (rp *logoutRP) noLogout(t *testing.T, sid string) {
	t.Helper()
	if toks := rp.tokensFor(sid); len(toks) > 0 {
		t.Errorf("%s received a logout token for session %s, which did not end", rp.client.Name, sid)
	}
}

// frontchannelQueries returns the queries the front-channel URI was loaded with.
func (rp *logoutRP) frontchannelQueries() []url.Values {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return slices.Clone(rp.frontchannel)
}

// frontchannelURI is what the logout page should load for the session.
func (rp *logoutRP) frontchannelURI(sid string) string {
	return rp.base + rpFrontchannel + "?" + url.Values{"iss": {rp.srv.Issuer}, "sid": {sid}}.Encode()
}

// logoutURL is the RP-initiated logout request with the parameters.
func (rp *logoutRP) logoutURL(params url.Values) string {
	if len(params) == 0 {
		return rp.endSession
	}
	return rp.endSession + "?" + params.Encode()
}

// refreshFails checks that the refresh token is refused with invalid_grant.
func (rp *logoutRP) refreshFails(t *testing.T, refreshToken, why string) {
	t.Helper()
	if _, err := rp.refresh(refreshToken); err == nil {
		t.Errorf("%s: the refresh token of %s still works %s", rp.client.Name, rp.client.Name, why)
	} else if code := grantError(t, err); code != "invalid_grant" {
		t.Errorf("%s: refreshing %s gave %q, want invalid_grant", rp.client.Name, why, code)
	}
}

// eventually polls cond until it holds, failing the test with what() after timeout.
func eventually(t *testing.T, timeout time.Duration, what func() string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loggedOutPage is what the logged-out page shows.
type loggedOutPage struct {
	Page *harness.Page
	// Frames are the front-channel logout URIs it loads.
	Frames []string
	// Continue is where it sends the browser afterwards ("" for nowhere).
	Continue string
	// Link is the target of its button.
	Link string
}

// checkLoggedOut checks that the navigation ended on the logged-out page,
// without a redirect anywhere outside the identity provider.
func checkLoggedOut(t *testing.T, resp *harness.Response) loggedOutPage {
	t.Helper()
	if resp.Redirect != nil {
		t.Fatalf("want the logged-out page, the browser was sent to %s:%s", resp.Redirect, resp)
	}
	page := resp.Page
	var cards []harness.Element
	for _, el := range page.ByClass("card") {
		if _, ok := el.Attrs["data-logged-out"]; ok {
			cards = append(cards, el)
		}
	}
	if page.Status != http.StatusOK || len(cards) != 1 {
		t.Fatalf("want the logged-out page, got %s with status %d:%s\n%s", page.Path(), page.Status, resp, page.Body)
	}
	lo := loggedOutPage{Page: page, Continue: cards[0].Attrs["data-continue"]}
	for _, f := range page.ByClass("frontchannel-frame") {
		lo.Frames = append(lo.Frames, f.Attrs["src"])
	}
	if links := cards[0].ByTag("a"); len(links) > 0 {
		lo.Link = links[len(links)-1].Attrs["href"]
	}
	return lo
}

// loadFrames loads each front-channel logout URI, as the page's frames do.
func loadFrames(t *testing.T, frames []string) {
	t.Helper()
	c := &http.Client{Timeout: harness.RequestTimeout}
	for _, src := range frames {
		resp, err := c.Get(src)
		if err != nil {
			t.Fatalf("loading the front-channel frame %s: %v", src, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("the front-channel frame %s answered %d", src, resp.StatusCode)
		}
	}
}

// frameSources checks the CSP of the logged-out page: it allows frames from
// exactly the origins given, and nothing else.
func frameSources(t *testing.T, page *harness.Page, origins ...string) {
	t.Helper()
	csp := page.Header.Get("Content-Security-Policy")
	var got []string
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 && f[0] == "frame-src" {
			got = f[1:]
		}
	}
	slices.Sort(got)
	want := slices.Clone(origins)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the logged-out page's CSP frame-src is %q, want %q (%s)", got, want, csp)
	}
}

// loggedIn checks that the browser's session is still the one given.
func loggedIn(t *testing.T, b *harness.Browser, sid string) {
	t.Helper()
	page := b.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
	for _, row := range sessionRows(t, page) {
		if row.Current {
			if row.ID != sid {
				t.Fatalf("the browser's session is %s, want %s", row.ID, sid)
			}
			return
		}
	}
	t.Fatalf("the account console marks no session as the current one:\n%s", page.Body)
}

// loggedOut checks that the browser has no session any more.
func loggedOut(t *testing.T, b *harness.Browser) {
	t.Helper()
	resp := b.Get(t, "/account")
	if resp.Page == nil || resp.Page.Path() != "/login" {
		t.Fatalf("the browser is still logged in: /account led to%s", resp)
	}
}

// sessionRow is one session in the account console.
type sessionRow struct {
	ID, Device, Address, Level string
	Current                    bool
	Apps                       []string
	Started, LastUsed          string
	End                        *harness.Form
}

// sessionRows reads the sessions section of the account console.
func sessionRows(t *testing.T, page *harness.Page) []sessionRow {
	t.Helper()
	lang := page.Lang()
	var out []sessionRow
	for _, el := range page.ByClass("consent-row") {
		var end *harness.Form
		for _, f := range harness.ParseForms(el.Inner, page.URL) {
			if strings.HasSuffix(f.Action, "/account/sessions/end") {
				end = f
			}
		}
		if end == nil {
			continue // a consent
		}
		row := sessionRow{ID: end.Value("session"), End: end}
		if h := el.ByTag("h3"); len(h) == 1 {
			row.Device = h[0].Text
			if tags := h[0].ByClass("tag"); len(tags) == 1 {
				row.Current = tags[0].Text == ui.T(lang, "account.session_current")
				row.Device = strings.TrimSpace(strings.TrimSuffix(row.Device, tags[0].Text))
			}
		}
		dts, dds := el.ByTag("dt"), el.ByTag("dd")
		if len(dts) != len(dds) {
			t.Fatalf("a session row has %d terms and %d descriptions:\n%s", len(dts), len(dds), el.Inner)
		}
		for i, dt := range dts {
			switch dt.Text {
			case ui.T(lang, "account.session_address"):
				row.Address = dds[i].Text
			case ui.T(lang, "account.session_level"):
				row.Level = dds[i].Text
			case ui.T(lang, "account.session_started"):
				row.Started = dds[i].Text
			case ui.T(lang, "account.session_last_seen"):
				row.LastUsed = dds[i].Text
			case ui.T(lang, "account.session_apps"):
				for _, li := range dds[i].ByTag("li") {
					row.Apps = append(row.Apps, li.Text)
				}
			}
		}
		out = append(out, row)
	}
	return out
}

// delivery is one back-channel notification as "logout deliveries --json" prints it.
type delivery struct {
	ID        int64  `json:"id"`
	ClientID  string `json:"client_id"`
	URI       string `json:"uri"`
	Sub       string `json:"sub"`
	SID       string `json:"sid"`
	Reason    string `json:"reason"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	Next      string `json:"next_attempt_at"`
	LastError string `json:"last_error"`
}

// deliveryQueue is the output of "logout deliveries --json".
type deliveryQueue struct {
	Counts     map[string]int64 `json:"counts"`
	Deliveries []delivery       `json:"deliveries"`
}

// deliveries runs "dinhdanh logout deliveries --json".
func deliveries(t *testing.T, srv *harness.Server) deliveryQueue {
	t.Helper()
	out := srv.CLI(t, "", "logout", "deliveries", "--json", "--limit", "1000")
	var q deliveryQueue
	if err := json.Unmarshal([]byte(out), &q); err != nil {
		t.Fatalf("logout deliveries --json printed %q: %v", out, err)
	}
	return q
}

// settledDeliveries reads the queue once no notification of the sessions
// is pending any more: a client may receive its notice a moment before the
// node records the delivery.
func settledDeliveries(t *testing.T, srv *harness.Server, sids ...string) deliveryQueue {
	t.Helper()
	var q deliveryQueue
	eventually(t, 15*time.Second, func() string { return fmt.Sprintf("deliveries still pending: %+v", q) }, func() bool {
		q = deliveries(t, srv)
		for _, sid := range sids {
			for _, d := range q.of(sid) {
				if d.State == "pending" {
					return false
				}
			}
		}
		return true
	})
	return q
}

// of returns the deliveries of the session.
func (q deliveryQueue) of(sid string) []delivery {
	var out []delivery
	for _, d := range q.Deliveries {
		if d.SID == sid {
			out = append(out, d)
		}
	}
	return out
}

// checkDeliveries checks that the session's notifications went to exactly
// the clients given, for the reason given, and are in the state given.
func checkDeliveries(t *testing.T, q deliveryQueue, sid, sub, reason, state string, clients ...*logoutRP) {
	t.Helper()
	var got, want []string
	for _, d := range q.of(sid) {
		got = append(got, d.ClientID)
		if d.Reason != reason || d.State != state || d.Sub != sub {
			t.Errorf("the notification of %s for session %s: reason %q state %q sub %q, want %q %q %q (%+v)",
				d.ClientID, sid, d.Reason, d.State, d.Sub, reason, state, sub, d)
		}
	}
	for _, c := range clients {
		want = append(want, c.client.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("session %s was announced to %q, want %q", sid, got, want)
	}
}

// metricsToken is the bearer token of /metrics on servers started
// withMetricsToken.
const metricsToken = "e2e-metrics-scraper-token-4f1c9a7be2d04c58"

// withMetricsToken serves /metrics on the server's listener to requests
// carrying metricsToken (metrics.token_file).
func withMetricsToken(t *testing.T) harness.Option {
	t.Helper()
	path := filepath.Join(t.TempDir(), "metrics.token")
	if err := os.WriteFile(path, []byte(metricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return harness.WithEnv("DINHDANH_METRICS_TOKEN_FILE", path)
}

// metrics reads the server's /metrics (Prometheus text format, served
// withMetricsToken) as "name{labels}" → value.
func metrics(t *testing.T, srv *harness.Server) map[string]float64 {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL("/metrics"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := srv.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics answered %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("/metrics: bad line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// Names of the logout metrics.
const (
	queuePending   = `dinhdanh_backchannel_logout_queue{state="pending"}`
	queueDelivered = `dinhdanh_backchannel_logout_queue{state="delivered"}`
	queueFailed    = `dinhdanh_backchannel_logout_queue{state="failed"}`
	attemptsOK     = `dinhdanh_backchannel_logout_attempts_total{outcome="delivered"}`
	attemptsRetry  = `dinhdanh_backchannel_logout_attempts_total{outcome="retry"}`
	attemptsFailed = `dinhdanh_backchannel_logout_attempts_total{outcome="failed"}`
)

// sidOf returns the session id in the tokens' ID token.
func sidOf(toks *tokens) string {
	sid, _ := toks.Claims["sid"].(string)
	return sid
}

// TestSingleLogout signs a citizen in to three applications through one
// SSO session and logs out at one of them (RP-initiated logout with
// id_token_hint): the session ends at all three by back-channel logout, the
// logged-out page loads the front-channel URIs, and refresh tokens issued
// through the session stop working except the offline_access one.
func TestSingleLogout(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, withMetricsToken(t))
	sub := srv.CreateCitizen(t, dat)
	portalRP := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true, Frontchannel: true, PostLogout: true})
	motcua := startRP(t, srv, rpSpec{Name: "Một cửa điện tử", FirstParty: true, IDTokenAlg: "ES256"})
	hospital := startRP(t, srv, rpSpec{Name: "Đặt lịch khám – Bệnh viện Đa khoa tỉnh", Frontchannel: true, IDTokenAlg: "EdDSA"})

	// Discovery advertises the logout features.
	var meta struct {
		EndSession          string `json:"end_session_endpoint"`
		Backchannel         bool   `json:"backchannel_logout_supported"`
		BackchannelSession  bool   `json:"backchannel_logout_session_supported"`
		Frontchannel        bool   `json:"frontchannel_logout_supported"`
		FrontchannelSession bool   `json:"frontchannel_logout_session_supported"`
	}
	if err := portalRP.provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	if meta.EndSession != srv.URL("/oauth2/logout") || !meta.Backchannel || !meta.BackchannelSession || !meta.Frontchannel || !meta.FrontchannelSession {
		t.Errorf("discovery advertises logout as %+v", meta)
	}

	b := srv.NewBrowser(t)
	atPortal := portalRP.signIn(t, b, datSignIn, openidProfile)
	sid := sidOf(atPortal)
	ar, resp := motcua.authorize(t, b, []string{"openid", "profile", "offline_access"})
	singleRedirect(t, resp, motcua.client.RedirectURI())
	atMotcua := motcua.exchange(t, ar, motcua.code(t, ar, resp))
	motcua.remember(t, atMotcua)
	atHospital := hospital.signIn(t, b, datSignIn, openidProfile)
	// The relying party's checks have teeth: an ID token is no logout token.
	if _, err := portalRP.verifyLogoutToken(t.Context(), atPortal.RawIDToken); err == nil {
		t.Fatal("the relying party accepts an ID token as a logout token")
	}
	for name, toks := range map[string]*tokens{"Một cửa": atMotcua, "hospital": atHospital} {
		if sidOf(toks) != sid {
			t.Fatalf("%s got the session %s, want the single sign-on session %s", name, sidOf(toks), sid)
		}
		if toks.RefreshToken == "" {
			t.Fatalf("%s got no refresh token", name)
		}
	}

	// The portal logs the person out, in English, back to its registered page.
	resp = b.Get(t, portalRP.logoutURL(url.Values{"id_token_hint": {atPortal.RawIDToken},
		"post_logout_redirect_uri": {portalRP.base + rpLoggedOut}, "state": {"trở-về-42"}, "ui_locales": {"en"}}))
	lo := checkLoggedOut(t, resp)
	if lo.Page.Lang() != "en" {
		t.Errorf("the logged-out page is in %q, want en (ui_locales)", lo.Page.Lang())
	}
	wantNext := portalRP.base + rpLoggedOut + "?state=" + url.QueryEscape("trở-về-42")
	if lo.Continue != wantNext || lo.Link != wantNext {
		t.Errorf("the logged-out page continues to %q (button %q), want the registered URI with the state: %q", lo.Continue, lo.Link, wantNext)
	}
	wantFrames := []string{portalRP.frontchannelURI(sid), hospital.frontchannelURI(sid)}
	if !slices.Equal(sorted(lo.Frames), sorted(wantFrames)) {
		t.Errorf("the logged-out page loads the frames\n  %q\nwant\n  %q", lo.Frames, wantFrames)
	}
	frameSources(t, lo.Page, portalRP.base, hospital.base)
	if b.Cookie("dinhdanh_session") != "" {
		t.Errorf("the session cookie is still set after the logout")
	}
	loadFrames(t, lo.Frames)
	for _, rp := range []*logoutRP{portalRP, hospital} {
		q := rp.frontchannelQueries()
		if len(q) != 1 || q[0].Get("iss") != srv.Issuer || q[0].Get("sid") != sid {
			t.Errorf("%s's front-channel logout URI was loaded with %v, want iss %s and sid %s", rp.client.Name, q, srv.Issuer, sid)
		}
	}
	if q := motcua.frontchannelQueries(); len(q) != 0 {
		t.Errorf("Một cửa registered no front-channel URI but was loaded with %v", q)
	}

	// Every application of the session is told, each with its own token.
	jtis := map[string]bool{}
	for _, rp := range []*logoutRP{portalRP, motcua, hospital} {
		tok := rp.waitLogout(t, sid)[0]
		if tok.Sub != sub {
			t.Errorf("%s's logout token has sub %q, want %q", rp.client.Name, tok.Sub, sub)
		}
		if aud := tok.Claims["aud"]; aud != rp.client.ID && fmt.Sprint(aud) != fmt.Sprint([]any{rp.client.ID}) {
			t.Errorf("%s's logout token has aud %v, want %s", rp.client.Name, aud, rp.client.ID)
		}
		jtis[tok.JTI] = true
	}
	if len(jtis) != 3 {
		t.Errorf("the three logout tokens share jti values: %v", jtis)
	}
	checkDeliveries(t, settledDeliveries(t, srv, sid), sid, sub, "logout", "delivered", portalRP, motcua, hospital)
	m := metrics(t, srv)
	if m[queueDelivered] != 3 || m[queuePending] != 0 || m[queueFailed] != 0 || m[attemptsOK] != 3 || m[attemptsRetry] != 0 {
		t.Errorf("/metrics after three deliveries: %v", m)
	}

	// Refresh tokens of the session are revoked; the offline one lives on.
	portalRP.refreshFails(t, atPortal.RefreshToken, "after the logout")
	hospital.refreshFails(t, atHospital.RefreshToken, "after the logout")
	if tok, err := motcua.refresh(atMotcua.RefreshToken); err != nil {
		t.Errorf("the offline_access refresh token stopped working at the logout: %v", err)
	} else if motcua.verify(t, tok).IDToken.Subject != sub {
		t.Errorf("the offline refresh gave another subject")
	}

	// The browser must log in again.
	loggedOut(t, b)
	_, resp = hospital.authorize(t, b, openidProfile)
	resp.MustPage(t, http.StatusOK, "/login")
}

// TestPostLogoutRedirect checks post_logout_redirect_uri (exact match with
// one of the client's registered URIs, else no redirect), state, POST
// requests, and the confirmation page shown when a logout request cannot be
// tied to the session.
func TestPostLogoutRedirect(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, hang)
	portalRP := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true, PostLogout: true})
	other := startRP(t, srv, rpSpec{Name: "Một cửa điện tử", FirstParty: true, PostLogout: true})
	registered := portalRP.base + rpLoggedOut

	t.Run("unregistered URI", func(t *testing.T) {
		var ended []string
		for _, uri := range []string{
			other.base + rpLoggedOut, // another client's
			registered + "/", registered + "?x=1", strings.ToUpper(registered), registered + "#top",
			"https://evil.example.com/logged-out",
		} {
			b := srv.NewBrowser(t)
			toks := portalRP.signIn(t, b, hangSignIn, nil)
			resp := b.Get(t, portalRP.logoutURL(url.Values{"id_token_hint": {toks.RawIDToken},
				"post_logout_redirect_uri": {uri}, "state": {"s1"}}))
			lo := checkLoggedOut(t, resp)
			for _, h := range resp.Hops {
				if h.Location != "" && !strings.HasPrefix(h.Location, srv.Issuer) {
					t.Errorf("post_logout_redirect_uri %q: redirected to %s", uri, h.Location)
				}
			}
			if lo.Continue != "" || lo.Link != "/login" {
				t.Errorf("post_logout_redirect_uri %q is not registered, but the page continues to %q (button %q)", uri, lo.Continue, lo.Link)
			}
			// The logout itself happened: the hint named the session.
			loggedOut(t, b)
			ended = append(ended, sidOf(toks))
		}
		portalRP.waitLogout(t, ended...)
	})

	t.Run("registered URI by POST", func(t *testing.T) {
		b := srv.NewBrowser(t)
		toks := portalRP.signIn(t, b, hangSignIn, nil)
		resp := b.Send(t, http.MethodPost, portalRP.endSession, url.Values{"id_token_hint": {toks.RawIDToken},
			"post_logout_redirect_uri": {registered}, "state": {"a b&c"}, "ui_locales": {"en-US vi"}})
		lo := checkLoggedOut(t, resp)
		if lo.Page.Lang() != "en" {
			t.Errorf("the logged-out page of a POSTed request is in %q, want en (ui_locales in the body)", lo.Page.Lang())
		}
		if want := registered + "?state=a+b%26c"; lo.Continue != want {
			t.Errorf("the logged-out page continues to %q, want %q", lo.Continue, want)
		}
		portalRP.waitLogout(t, sidOf(toks))
		loggedOut(t, b)
	})

	t.Run("confirmation", func(t *testing.T) {
		b := srv.NewBrowser(t)
		toks := portalRP.signIn(t, b, hangSignIn, nil)
		sid := sidOf(toks)
		// Without id_token_hint the request cannot be tied to the session.
		for _, params := range []url.Values{
			{},
			{"client_id": {portalRP.client.ID}, "post_logout_redirect_uri": {registered}, "state": {"xyz"}},
		} {
			page := checkConfirmation(t, b.Get(t, portalRP.logoutURL(params)), false)
			if params.Has("client_id") && !strings.Contains(page.Body, portalRP.client.Name) {
				t.Errorf("the confirmation page does not name the application asking")
			}
			// "No" keeps the session.
			resp := b.Submit(t, page.Form(t, "/oauth2/logout"), map[string]string{"confirm": "no"})
			kept := resp.MustPage(t, http.StatusOK, "/oauth2/logout")
			if !strings.Contains(kept.Body, ui.T(kept.Lang(), "logout.kept")) {
				t.Errorf("answering no does not say the person is still logged in:\n%s", kept.Body)
			}
			loggedIn(t, b, sid)
		}
		if n := len(deliveries(t, srv).of(sid)); n != 0 {
			t.Errorf("answering no queued %d notifications", n)
		}
		// Without the CSRF token, "yes" does nothing.
		page := checkConfirmation(t, b.Get(t, portalRP.logoutURL(url.Values{"client_id": {portalRP.client.ID}})), false)
		vals, err := page.Form(t, "/oauth2/logout").Values(map[string]string{"confirm": "yes"})
		if err != nil {
			t.Fatal(err)
		}
		vals.Del("csrf_token")
		if r := b.Send(t, http.MethodPost, "/oauth2/logout", vals); r.Page == nil || r.Page.Status != http.StatusForbidden {
			t.Errorf("confirming without the CSRF token:%s", r)
		}
		loggedIn(t, b, sid)
		// "Yes" logs out and continues to the registered URI with the state.
		page = checkConfirmation(t, b.Get(t, portalRP.logoutURL(url.Values{"client_id": {portalRP.client.ID},
			"post_logout_redirect_uri": {registered}, "state": {"xyz"}})), false)
		lo := checkLoggedOut(t, b.Submit(t, page.Form(t, "/oauth2/logout"), map[string]string{"confirm": "yes"}))
		if lo.Continue != registered+"?state=xyz" {
			t.Errorf("after confirming, the page continues to %q, want %q", lo.Continue, registered+"?state=xyz")
		}
		tok := portalRP.waitLogout(t, sid)[0]
		if tok.Sub != sub {
			t.Errorf("logout token sub %q, want %q", tok.Sub, sub)
		}
		loggedOut(t, b)
		portalRP.refreshFails(t, toks.RefreshToken, "after the confirmed logout")
	})

	t.Run("nobody logged in", func(t *testing.T) {
		b := srv.NewBrowser(t)
		lo := checkLoggedOut(t, b.Get(t, portalRP.logoutURL(url.Values{"client_id": {portalRP.client.ID},
			"post_logout_redirect_uri": {registered}, "state": {"q"}})))
		if lo.Continue != registered+"?state=q" || len(lo.Frames) != 0 {
			t.Errorf("without a session: continue %q frames %q", lo.Continue, lo.Frames)
		}
	})
}

// checkConfirmation checks that the navigation ended on the logout
// confirmation page (stale: the one that says the request belongs to an
// earlier login) and returns it.
func checkConfirmation(t *testing.T, resp *harness.Response, stale bool) *harness.Page {
	t.Helper()
	page := resp.MustPage(t, http.StatusOK, "/oauth2/logout")
	lang := page.Lang()
	if h := page.ByTag("h1"); len(h) != 1 || h[0].Text != ui.T(lang, "logout.confirm_title") {
		t.Fatalf("want the logout confirmation page, got:\n%s", page.Body)
	}
	if got := strings.Contains(page.Body, ui.T(lang, "logout.stale")); got != stale {
		t.Errorf("the confirmation page says the request belongs to an earlier login: %v, want %v", got, stale)
	}
	if opts := page.Form(t, "/oauth2/logout").Options("confirm"); !slices.Equal(opts, []string{"yes", "no"}) {
		t.Errorf("the confirmation page offers %q, want yes and no", opts)
	}
	return page
}

// TestIDTokenHintRefused sends forged and replayed id_token_hint values:
// a forged one is refused with a 400 page, a replayed one (of an earlier
// session of the same browser) only leads to the confirmation page; the
// session stays in both cases.
func TestIDTokenHintRefused(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, dat)
	earlier := srv.CreateCitizen(t, hang)
	portalRP := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true, PostLogout: true})
	motcua := startRP(t, srv, rpSpec{Name: "Một cửa điện tử", FirstParty: true})
	b := srv.NewBrowser(t)

	first := portalRP.signIn(t, b, hangSignIn, nil)
	// A new login of another person in the same browser (prompt=login)
	// replaces the session; the replaced one is announced.
	current := portalRP.signIn(t, b, datSignIn, nil, oauth2.SetAuthURLParam("prompt", "login"))
	sid := sidOf(current)
	if sid == sidOf(first) {
		t.Fatalf("a new login kept the session %s", sid)
	}
	atMotcua := motcua.signIn(t, b, datSignIn, nil)
	portalRP.waitLogout(t, sidOf(first))
	checkDeliveries(t, settledDeliveries(t, srv, sidOf(first)), sidOf(first), earlier, "replaced", "delivered", portalRP)

	// An ID token of another issuer: a second identity provider with the same people and clients.
	elsewhere := harness.Start(t)
	elsewhere.CreateCitizen(t, dat)
	foreignRP := newRP(t, elsewhere, elsewhere.CreateClient(t, harness.ClientSpec{Name: "Cổng", FirstParty: true,
		ID: portalRP.client.ID, RedirectURIs: []string{portalRP.client.RedirectURI()}}))
	fb := elsewhere.NewBrowser(t)
	ar, resp := foreignRP.authorize(t, fb, openidProfile)
	foreign := foreignRP.exchange(t, ar, foreignRP.code(t, ar, login(t, fb, resp, dat.PersonalID, dat.Password)))

	parts := strings.Split(current.RawIDToken, ".")
	claims := jwtPayload(t, current.RawIDToken)
	claims["sid"] = sidOf(first)
	swappedSID := parts[0] + "." + b64JSON(t, claims) + "." + parts[2]
	claims = jwtPayload(t, first.RawIDToken)
	claims["sid"] = sid // an old token made to name the current session
	revived := parts[0] + "." + b64JSON(t, claims) + "." + strings.Split(first.RawIDToken, ".")[2]
	unsigned := b64JSON(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + b64JSON(t, jwtPayload(t, current.RawIDToken)) + "."
	badSig := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("x", 256)))

	for name, hint := range map[string]string{
		"another issuer":                  foreign.RawIDToken,
		"payload changed":                 swappedSID,
		"old token made to name this sid": revived,
		"alg none":                        unsigned,
		"bad signature":                   badSig,
		"garbage":                         "garbage",
		"three dots":                      "a.b.c",
		"an access token":                 current.AccessToken,
	} {
		resp := b.Get(t, portalRP.logoutURL(url.Values{"id_token_hint": {hint},
			"post_logout_redirect_uri": {portalRP.base + rpLoggedOut}, "state": {"s"}}))
		page := resp.MustPage(t, http.StatusBadRequest, "/oauth2/logout")
		lang := page.Lang()
		if h := page.ByTag("h1"); len(h) != 1 || h[0].Text != ui.T(lang, "error.title.logout") ||
			!strings.Contains(page.Body, ui.T(lang, "error.logout_hint")) {
			t.Errorf("%s: want the invalid-logout page, got:\n%s", name, page.Body)
		}
		for _, f := range page.Forms() {
			if strings.HasSuffix(f.Action, "/oauth2/logout") {
				t.Errorf("%s: the error page offers to log out", name)
			}
		}
		loggedIn(t, b, sid)
	}
	// A hint of another client than client_id.
	resp = b.Get(t, portalRP.logoutURL(url.Values{"id_token_hint": {atMotcua.RawIDToken}, "client_id": {portalRP.client.ID}}))
	page := resp.MustPage(t, http.StatusBadRequest, "/oauth2/logout")
	if !strings.Contains(page.Body, ui.T(page.Lang(), "error.logout_client")) {
		t.Errorf("a hint of another client: want the client mismatch error, got:\n%s", page.Body)
	}
	loggedIn(t, b, sid)

	// The replayed hint: a valid ID token of the earlier session.
	page = checkConfirmation(t, b.Get(t, portalRP.logoutURL(url.Values{"id_token_hint": {first.RawIDToken},
		"post_logout_redirect_uri": {portalRP.base + rpLoggedOut}, "state": {"s"}})), true)
	loggedIn(t, b, sid)
	b.Submit(t, page.Form(t, "/oauth2/logout"), map[string]string{"confirm": "no"}).MustPage(t, http.StatusOK, "/oauth2/logout")
	loggedIn(t, b, sid)
	if n := len(deliveries(t, srv).of(sid)); n != 0 {
		t.Errorf("refused hints queued %d notifications for the current session", n)
	}
	portalRP.noLogout(t, sid)
	motcua.noLogout(t, sid)
	if _, err := motcua.refresh(atMotcua.RefreshToken); err != nil {
		t.Errorf("after refused logout requests the session's refresh token fails: %v", err)
	}

	// The current session's own hint logs out at once.
	checkLoggedOut(t, b.Get(t, portalRP.logoutURL(url.Values{"id_token_hint": {current.RawIDToken}})))
	portalRP.waitLogout(t, sid)
	motcua.waitLogout(t, sid)
	loggedOut(t, b)
}

// b64JSON encodes a value as a JWS segment.
func b64JSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// TestBackchannelRetry takes relying parties down during a logout: the
// notification stays pending with its attempts and last error visible to
// operators (the deliveries command and /metrics) and arrives once the
// relying party is back; one that never comes back stays pending, not
// failed, until the give-up age (24 hours).
func TestBackchannelRetry(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, withMetricsToken(t))
	sub := srv.CreateCitizen(t, hang)
	up := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true})
	flaky := startRP(t, srv, rpSpec{Name: "Một cửa điện tử", FirstParty: true})
	gone := startRP(t, srv, rpSpec{Name: "Quản lý văn bản", FirstParty: true})
	b := srv.NewBrowser(t)
	sid := sidOf(up.signIn(t, b, hangSignIn, nil))
	flaky.signIn(t, b, hangSignIn, nil)
	gone.signIn(t, b, hangSignIn, nil)
	flaky.setState(t, rpUnavailable)
	gone.setState(t, rpOffline)

	// The logout button of the account console.
	console := b.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
	checkLoggedOut(t, b.Submit(t, console.Form(t, "/logout"), nil))
	up.waitLogout(t, sid)

	var q deliveryQueue
	eventually(t, deliveryWait, func() string { return fmt.Sprintf("no second attempt: %+v", q.of(sid)) }, func() bool {
		q = deliveries(t, srv)
		n := 0
		for _, d := range q.of(sid) {
			if d.ClientID != up.client.ID && d.Attempts >= 2 {
				n++
			}
		}
		return n == 2
	})
	for _, d := range q.of(sid) {
		switch d.ClientID {
		case up.client.ID:
			if d.State != "delivered" || d.Attempts != 1 || d.LastError != "" {
				t.Errorf("the notification of the reachable application: %+v", d)
			}
		case flaky.client.ID, gone.client.ID:
			if d.State != "pending" || d.LastError == "" || d.Next == "-" || d.Sub != sub || d.Reason != "logout" {
				t.Errorf("the notification of an unreachable application: %+v, want pending with its last error", d)
			}
		}
		if d.ClientID == flaky.client.ID && !strings.Contains(d.LastError, "503") {
			t.Errorf("the last error of the 503 answers is %q", d.LastError)
		}
	}
	if q.Counts["pending"] != 2 || q.Counts["delivered"] != 1 || q.Counts["failed"] != 0 {
		t.Errorf("deliveries counts %v", q.Counts)
	}
	m := metrics(t, srv)
	if m[queuePending] != 2 || m[queueDelivered] != 1 || m[attemptsRetry] < 4 || m[attemptsFailed] != 0 {
		t.Errorf("/metrics while two applications are down: %v", m)
	}
	if n := flaky.postCount(); n < 2 {
		t.Errorf("the application answering 503 was tried %d times", n)
	}

	// The flaky application comes back and gets the token it missed.
	flaky.setState(t, rpUp)
	tok := flaky.waitLogout(t, sid)[0]
	if tok.Sub != sub {
		t.Errorf("late logout token sub %q", tok.Sub)
	}
	q = deliveries(t, srv)
	for _, d := range q.of(sid) {
		if d.ClientID == flaky.client.ID && (d.State != "delivered" || d.Attempts < 3) {
			t.Errorf("the retried notification: %+v, want delivered after at least 3 attempts", d)
		}
		if d.ClientID == gone.client.ID && (d.State != "pending" || d.Attempts < 2) {
			t.Errorf("the notification of the application that is still down: %+v, want pending", d)
		}
	}
	m = metrics(t, srv)
	if m[queuePending] != 1 || m[queueDelivered] != 2 || m[queueFailed] != 0 || m[attemptsOK] != 2 || m[attemptsFailed] != 0 {
		t.Errorf("/metrics after the retry: %v", m)
	}
}

// TestBackchannelAcrossRestart logs out while a relying party is down and
// restarts dinhdanh before it comes back: the queued notification survives
// the restart and the new process delivers it.
func TestBackchannelAcrossRestart(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, withMetricsToken(t))
	sub := srv.CreateCitizen(t, dat)
	rp := startRP(t, srv, rpSpec{Name: "Một cửa điện tử", FirstParty: true})
	survivor := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true})
	b := srv.NewBrowser(t)
	toks := rp.signIn(t, b, datSignIn, nil)
	sid := sidOf(toks)
	// Another browser's session must outlive the restart.
	other := srv.NewBrowser(t)
	otherSID := sidOf(survivor.signIn(t, other, datSignIn, nil))
	rp.setState(t, rpOffline)

	checkLoggedOut(t, b.Get(t, rp.logoutURL(url.Values{"id_token_hint": {toks.RawIDToken}})))
	var before delivery
	eventually(t, deliveryWait, func() string { return "the notification was never attempted" }, func() bool {
		ds := deliveries(t, srv).of(sid)
		if len(ds) == 1 && ds[0].Attempts >= 1 {
			before = ds[0]
			return true
		}
		return false
	})
	if before.State != "pending" || before.LastError == "" {
		t.Fatalf("before the restart: %+v, want pending with an error", before)
	}

	srv.Restart(t)
	after := deliveries(t, srv).of(sid)
	if len(after) != 1 || after[0].ID != before.ID || after[0].State != "pending" || after[0].Attempts < before.Attempts {
		t.Fatalf("after the restart the queue holds %+v, want %+v still pending", after, before)
	}
	rp.setState(t, rpUp)
	tok := rp.waitLogout(t, sid)[0]
	if tok.Sub != sub {
		t.Errorf("logout token sub %q, want %q", tok.Sub, sub)
	}
	eventually(t, deliveryWait, func() string { return "the delivery is not recorded as delivered" }, func() bool {
		ds := deliveries(t, srv).of(sid)
		return len(ds) == 1 && ds[0].State == "delivered"
	})
	if m := metrics(t, srv); m[attemptsOK] != 1 || m[queueDelivered] != 1 || m[queuePending] != 0 {
		t.Errorf("/metrics of the restarted process: %v, want the delivery counted by it", m)
	}
	// What ended before the restart stays ended; the other session lives on.
	rp.refreshFails(t, toks.RefreshToken, "after the logout and a restart")
	loggedOut(t, b)
	loggedIn(t, other, otherSID)
	survivor.noLogout(t, otherSID)
}

// TestAccountConsoleSessions lists the sessions of two browsers in the
// account console, ends the other browser's session, then signs out
// everywhere: every application of both sessions is notified.
func TestAccountConsoleSessions(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, dat)
	portalRP := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true, Frontchannel: true})
	motcua := startRP(t, srv, rpSpec{Name: "Một cửa điện tử", FirstParty: true})
	hospital := startRP(t, srv, rpSpec{Name: "Đặt lịch khám – Bệnh viện Đa khoa tỉnh", Frontchannel: true})

	laptop := srv.NewBrowser(t)
	laptop.UserAgent = firefoxWindows
	phone := srv.NewBrowser(t)
	phone.UserAgent = chromeAndroid
	atLaptop := portalRP.signIn(t, laptop, datSignIn, nil)
	laptopSID := sidOf(atLaptop)
	motcua.signIn(t, laptop, datSignIn, nil)
	atPhone := motcua.signIn(t, phone, datSignIn, nil)
	phoneSID := sidOf(atPhone)
	hospital.signIn(t, phone, datSignIn, nil)

	console := laptop.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
	rows := sessionRows(t, console)
	if len(rows) != 2 {
		t.Fatalf("the account console lists %d sessions, want 2:\n%s", len(rows), console.Body)
	}
	want := []sessionRow{
		{ID: laptopSID, Current: true, Device: "Firefox · Windows", Address: "127.0.0.1", Level: "LoA1",
			Apps: []string{portalRP.client.Name, motcua.client.Name}},
		{ID: phoneSID, Device: "Chrome · Android", Address: "127.0.0.1", Level: "LoA1",
			Apps: []string{motcua.client.Name, hospital.client.Name}},
	}
	for i, w := range want {
		r := rows[i]
		if r.ID != w.ID || r.Current != w.Current || r.Device != w.Device || r.Address != w.Address || r.Level != w.Level ||
			!slices.Equal(r.Apps, w.Apps) || r.Started == "" || r.LastUsed == "" {
			t.Errorf("session row %d:\n  %+v\nwant\n  %+v", i, r, w)
		}
	}

	// End the phone's session from the laptop.
	resp := laptop.Submit(t, rows[1].End, nil)
	page := resp.MustPage(t, http.StatusOK, "/account/sessions/end")
	if n := page.ByClass("notice"); len(n) != 1 || n[0].Text != ui.T(page.Lang(), "account.session_ended") {
		t.Errorf("ending a session shows the notice %v", n)
	}
	if rows := sessionRows(t, page); len(rows) != 1 || rows[0].ID != laptopSID {
		t.Errorf("after ending the phone's session the console lists %+v", rows)
	}
	motcua.waitLogout(t, phoneSID)
	hospital.waitLogout(t, phoneSID)
	checkDeliveries(t, settledDeliveries(t, srv, phoneSID), phoneSID, sub, "logout", "delivered", motcua, hospital)
	loggedOut(t, phone)
	loggedIn(t, laptop, laptopSID)
	portalRP.noLogout(t, laptopSID)
	motcua.noLogout(t, laptopSID)
	motcua.refreshFails(t, atPhone.RefreshToken, "after its session was ended in the console")
	if _, err := portalRP.refresh(atLaptop.RefreshToken); err != nil {
		t.Errorf("the laptop's refresh token stopped working when the phone's session ended: %v", err)
	}

	// A session of another person cannot be ended, nor a made-up one.
	srv.CreateCitizen(t, hang)
	stranger := srv.NewBrowser(t)
	strangerSID := sidOf(hospital.signIn(t, stranger, hangSignIn, nil))
	for _, target := range []string{strangerSID, "no-such-session"} {
		vals, _ := rows[0].End.Values(nil)
		vals.Set("session", target)
		if r := laptop.Send(t, http.MethodPost, "/account/sessions/end", vals); r.Page == nil || r.Page.Status != http.StatusNotFound {
			t.Errorf("ending the session %q of someone else:%s", target, r)
		}
	}
	loggedIn(t, stranger, strangerSID)

	// The phone logs in again; then the laptop signs out everywhere.
	atPhone = motcua.signIn(t, phone, datSignIn, nil)
	phoneSID = sidOf(atPhone)
	hospital.signIn(t, phone, datSignIn, nil)
	console = laptop.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
	if n := len(sessionRows(t, console)); n != 2 {
		t.Fatalf("the console lists %d sessions, want 2", n)
	}
	lo := checkLoggedOut(t, laptop.Submit(t, console.Form(t, "/account/sessions/end-all"), nil))
	wantFrames := []string{portalRP.frontchannelURI(laptopSID), hospital.frontchannelURI(phoneSID)}
	if !slices.Equal(sorted(lo.Frames), sorted(wantFrames)) {
		t.Errorf("signing out everywhere loads the frames\n  %q\nwant\n  %q", lo.Frames, wantFrames)
	}
	frameSources(t, lo.Page, portalRP.base, hospital.base)
	portalRP.waitLogout(t, laptopSID)
	motcua.waitLogout(t, laptopSID, phoneSID)
	hospital.waitLogout(t, phoneSID)
	q := settledDeliveries(t, srv, laptopSID, phoneSID)
	checkDeliveries(t, q, laptopSID, sub, "logout_all", "delivered", portalRP, motcua)
	checkDeliveries(t, q, phoneSID, sub, "logout_all", "delivered", motcua, hospital)
	loggedOut(t, laptop)
	loggedOut(t, phone)
	portalRP.refreshFails(t, atLaptop.RefreshToken, "after signing out everywhere")
	motcua.refreshFails(t, atPhone.RefreshToken, "after signing out everywhere")
	// Someone else's session is untouched.
	loggedIn(t, stranger, strangerSID)
	hospital.noLogout(t, strangerSID)
}

// TestAdministratorEndsSessions ends an account's sessions with "dinhdanh
// account end-sessions" and locks another with "dinhdanh account lock": the
// applications of every session are notified.
func TestAdministratorEndsSessions(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	datSub := srv.CreateCitizen(t, dat)
	binhSub, _ := srv.CreateOfficial(t, binh)
	portalRP := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true})
	qlvb := startRP(t, srv, rpSpec{Name: "Quản lý văn bản và điều hành", FirstParty: true, IDTokenAlg: "ES256"})

	t.Run("end-sessions", func(t *testing.T) {
		b1, b2 := srv.NewBrowser(t), srv.NewBrowser(t)
		t1 := portalRP.signIn(t, b1, datSignIn, nil)
		qlvb.signIn(t, b1, datSignIn, nil)
		t2 := qlvb.signIn(t, b2, datSignIn, nil)
		out := srv.CLI(t, "", "account", "end-sessions", dat.PersonalID)
		if !strings.Contains(out, "ended 2 session(s)") {
			t.Errorf("account end-sessions printed %q, want 2 sessions ended", out)
		}
		portalRP.waitLogout(t, sidOf(t1))
		qlvb.waitLogout(t, sidOf(t1), sidOf(t2))
		q := settledDeliveries(t, srv, sidOf(t1), sidOf(t2))
		checkDeliveries(t, q, sidOf(t1), datSub, "admin", "delivered", portalRP, qlvb)
		checkDeliveries(t, q, sidOf(t2), datSub, "admin", "delivered", qlvb)
		loggedOut(t, b1)
		loggedOut(t, b2)
		portalRP.refreshFails(t, t1.RefreshToken, "after account end-sessions")
		qlvb.refreshFails(t, t2.RefreshToken, "after account end-sessions")
		// The person may log in again.
		portalRP.signIn(t, b1, datSignIn, nil)
	})

	t.Run("lock", func(t *testing.T) {
		b := srv.NewBrowser(t)
		toks := qlvb.signIn(t, b, binhSignIn, nil)
		if toks.Claims["account_kind"] != "official" {
			t.Fatalf("the official logged in as %v", toks.Claims["account_kind"])
		}
		srv.CLI(t, "", "account", "lock", "--reason", "nghỉ việc", binh.Username)
		qlvb.waitLogout(t, sidOf(toks))
		checkDeliveries(t, settledDeliveries(t, srv, sidOf(toks)), sidOf(toks), binhSub, "disabled", "delivered", qlvb)
		loggedOut(t, b)
		qlvb.refreshFails(t, toks.RefreshToken, "after the account was locked")
		_, resp := qlvb.authorize(t, b, openidProfile)
		if r := login(t, b, resp, binh.Username, binh.Password); r.Page == nil || r.Page.Status != http.StatusForbidden {
			t.Errorf("a locked official logged in:%s", r)
		}
	})
}

// TestSessionExpiry lets sessions expire on a server with short timeouts:
// the official login of a person ends after the officials' shorter idle
// timeout while the same person's citizen login lives on, then ends after
// the citizens' idle timeout; another citizen's session slides while in
// use and ends at the absolute lifetime even so. Every end is announced by
// back-channel logout.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	const (
		officialIdle = 2 * time.Second
		citizenIdle  = 6 * time.Second
		absolute     = 11 * time.Second
	)
	srv := harness.Start(t,
		harness.WithEnv("DINHDANH_SESSION_IDLE_TIMEOUT", citizenIdle.String()),
		harness.WithEnv("DINHDANH_SESSION_ABSOLUTE_LIFETIME", absolute.String()),
		harness.WithEnv("DINHDANH_SESSION_OFFICIAL_IDLE_TIMEOUT", officialIdle.String()))
	tuanSub := srv.CreateCitizen(t, tuan)
	srv.CreateOfficial(t, harness.Official{Username: "pm.tuan", Name: tuan.Name, Agency: "Ủy ban nhân dân tỉnh",
		PersonalID: tuan.PersonalID})
	hangSub := srv.CreateCitizen(t, hang)
	rp := startRP(t, srv, rpSpec{Name: "Một cửa điện tử", FirstParty: true})

	asOfficial, asCitizen, busy := srv.NewBrowser(t), srv.NewBrowser(t), srv.NewBrowser(t)
	start := time.Now()
	atOfficial := rp.signIn(t, asOfficial, person{"pm.tuan", tuan.Password}, nil)
	citizenStart := time.Now()
	atCitizen := rp.signIn(t, asCitizen, person{tuan.PersonalID, tuan.Password}, nil)
	atBusy := rp.signIn(t, busy, hangSignIn, nil)
	officialSID, citizenSID, busySID := sidOf(atOfficial), sidOf(atCitizen), sidOf(atBusy)
	if atOfficial.Claims["account_kind"] != "official" || atCitizen.Claims["account_kind"] != "citizen" {
		t.Fatalf("logged in as %v and %v, want official and citizen", atOfficial.Claims["account_kind"], atCitizen.Claims["account_kind"])
	}

	// The official login ends first; the citizen logins, as old, live on.
	rp.waitLogout(t, officialSID)
	if age := time.Since(start); age < citizenIdle-time.Second {
		rp.noLogout(t, citizenSID)
		rp.noLogout(t, busySID)
	} else {
		t.Errorf("the official's session was announced %s after the login, too late to compare with citizens' (idle %s)", age, citizenIdle)
	}
	loggedOut(t, asOfficial)
	rp.refreshFails(t, atOfficial.RefreshToken, "after the official's session expired")

	// The busy citizen keeps using the session until the absolute lifetime
	// ends it; meanwhile the idle citizen session expires.
	var busyEnd time.Duration
	for {
		resp := busy.Get(t, "/account")
		if resp.Page != nil && resp.Page.Path() == "/login" {
			busyEnd = time.Since(start)
			break
		}
		resp.MustPage(t, http.StatusOK, "/account")
		if time.Since(start) > absolute+5*time.Second {
			t.Fatalf("the busy session outlived its absolute lifetime %s", absolute)
		}
		time.Sleep(time.Second)
	}
	if busyEnd < citizenIdle+time.Second {
		t.Errorf("the busy session ended after %s, before its idle timeout %s although it was in use (no sliding)", busyEnd, citizenIdle)
	}
	if busyEnd < absolute-time.Second {
		t.Errorf("the busy session ended after %s, before its absolute lifetime %s", busyEnd, absolute)
	}
	citizenEnd := rp.waitLogout(t, citizenSID)[0].ReceivedAt.Sub(citizenStart)
	if citizenEnd < citizenIdle || citizenEnd >= absolute {
		t.Errorf("the idle citizen session was announced %s after its login, want after its idle timeout %s (and before the absolute lifetime %s)",
			citizenEnd, citizenIdle, absolute)
	}
	rp.waitLogout(t, busySID)
	q := settledDeliveries(t, srv, officialSID, citizenSID, busySID)
	checkDeliveries(t, q, officialSID, tuanSub, "expired", "delivered", rp)
	checkDeliveries(t, q, citizenSID, tuanSub, "expired", "delivered", rp)
	checkDeliveries(t, q, busySID, hangSub, "expired", "delivered", rp)
	loggedOut(t, asCitizen)
	rp.refreshFails(t, atCitizen.RefreshToken, "after the idle session expired")
	rp.refreshFails(t, atBusy.RefreshToken, "after the session reached its absolute lifetime")
}

// Officials of the Sở Nội vụ in the LDAP fixtures (testdata/logout.ldif).
var (
	lanSignIn  = person{"lan.pt", "Văn-thư-Sở-Nội-vụ-2025"}
	minhSignIn = person{"minh.dq", "Chuyên-viên-tổ-chức-2025"}
)

// TestDirectorySyncDisableEndsSessions signs two officials in with their
// LDAP staff-directory passwords; one is then locked in the directory and
// the other removed from it. Each synchronisation that disables an account
// ends the official's sessions and notifies their applications.
func TestDirectorySyncDisableEndsSessions(t *testing.T) {
	t.Parallel()
	dir := ldaptest.Start(t, ldaptest.Options{LDIF: []string{filepath.Join("testdata", "logout.ldif")}})
	people := "ou=people,ou=logout," + ldaptest.Suffix
	cfg := fmt.Sprintf(`directories:
  - name: so-noi-vu
    agency: Sở Nội vụ
    urls: [%q]
    bind_dn: %q
    bind_password: %q
    users:
      base_dn: %q
    sync:
      interval: 0s
`, dir.URL, ldaptest.ServiceDN, ldaptest.ServicePassword, people)
	cfgFile := filepath.Join(t.TempDir(), "dinhdanh.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := harness.Start(t, harness.WithEnv("DINHDANH_CONFIG", cfgFile))
	qlvb := startRP(t, srv, rpSpec{Name: "Quản lý văn bản và điều hành", FirstParty: true})
	portalRP := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true})

	lanB, minhB := srv.NewBrowser(t), srv.NewBrowser(t)
	atLan := qlvb.signIn(t, lanB, lanSignIn, nil)
	portalRP.signIn(t, lanB, lanSignIn, nil)
	atMinh := qlvb.signIn(t, minhB, minhSignIn, nil)
	lanSID, minhSID := sidOf(atLan), sidOf(atMinh)
	for _, toks := range []*tokens{atLan, atMinh} {
		wantClaims(t, "ID token of a directory login", toks.Claims, map[string]any{"account_kind": "official", "organization": "Sở Nội vụ"})
	}

	sync := func(t *testing.T, args ...string) map[string]any {
		t.Helper()
		out := srv.CLI(t, "", append([]string{"directory", "sync", "so-noi-vu", "--json"}, args...)...)
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("directory sync --json printed %q: %v", out, err)
		}
		return res
	}
	sync(t, "--full")

	// Locked in the directory: the next (incremental) run disables the account.
	admin := dir.Admin(t)
	mod := ldap.NewModifyRequest("uid=lan.pt,"+people, nil)
	mod.Replace("pwdAccountLockedTime", []string{"000001010000Z"})
	if err := admin.Modify(mod); err != nil {
		t.Fatalf("locking lan.pt in the directory: %v", err)
	}
	if res := sync(t); res["disabled"] != float64(1) {
		t.Fatalf("the sync after the lock: %v, want one account disabled", res)
	}
	qlvb.waitLogout(t, lanSID)
	portalRP.waitLogout(t, lanSID)
	lanSub := atLan.IDToken.Subject
	checkDeliveries(t, settledDeliveries(t, srv, lanSID), lanSID, lanSub, "disabled", "delivered", qlvb, portalRP)
	loggedOut(t, lanB)
	qlvb.refreshFails(t, atLan.RefreshToken, "after the directory disabled the official")
	if in := srv.Introspect(t, qlvb.client, atLan.AccessToken); in["active"] != false {
		t.Errorf("the access token of an official the directory disabled introspects %v", in)
	}
	if in := srv.Introspect(t, qlvb.client, atMinh.AccessToken); in["active"] != true {
		t.Errorf("another official's access token introspects %v", in)
	}
	loggedIn(t, minhB, minhSID)
	qlvb.noLogout(t, minhSID)
	_, resp := qlvb.authorize(t, lanB, openidProfile)
	if r := login(t, lanB, resp, lanSignIn.identifier, lanSignIn.password); r.Page == nil || r.Page.Status != http.StatusForbidden {
		t.Errorf("an official locked in the directory logged in:%s", r)
	}

	// Removed from the directory: the full run disables the account.
	if err := admin.Del(ldap.NewDelRequest("uid=minh.dq,"+people, nil)); err != nil {
		t.Fatal(err)
	}
	if res := sync(t, "--full"); res["disabled"] != float64(1) {
		t.Fatalf("the full sync after the removal: %v, want one account disabled", res)
	}
	qlvb.waitLogout(t, minhSID)
	checkDeliveries(t, settledDeliveries(t, srv, minhSID), minhSID, atMinh.IDToken.Subject, "disabled", "delivered", qlvb)
	loggedOut(t, minhB)
	qlvb.refreshFails(t, atMinh.RefreshToken, "after the official left the directory")
}
