package browser

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

func TestMain(m *testing.M) { os.Exit(harness.RunTests(m)) }

// stepTimeout bounds one step of a test in the browser.
const stepTimeout = 30 * time.Second

// chromium returns the path of the browser, skipping the test when there is
// none (failing it in CI).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "Chromium is not installed: run test/services/install-browser.sh (make test does) to run the browser tests"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newTab starts a headless Chromium with a fresh profile, and the further
// options opts, and returns a context of one tab.
func newTab(t *testing.T, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := chromium(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
	}, opts...)...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	return ctx
}

// addAuthenticator gives the tab a virtual platform authenticator that keeps
// passkeys and verifies its user, and returns its id.
func addAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	f := false
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{EnableUI: &f}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// step runs actions with the step timeout.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v (page %s)", what, err, location(ctx))
	}
}

func location(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(sctx, chromedp.Location())
	return loc
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitPath waits until the tab is at a URL whose origin is origin and whose
// path is path.
func waitPath(t *testing.T, ctx context.Context, origin, path string) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	last := ""
	for time.Now().Before(deadline) {
		last = location(ctx)
		if u, err := url.Parse(last); err == nil && u.Scheme+"://"+u.Host == origin && u.Path == path {
			// The page is there; let its scripts run.
			step(t, ctx, "waiting for "+path, chromedp.WaitReady(chromedp.CSS("body")))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the browser did not reach %s%s; it is at %s\n%s", origin, path, last, bodyText(ctx))
}

func bodyText(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(sctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	return s
}

// msg returns the message key in the language of the page the tab shows.
// The tab may be between two pages (a form just posted): it waits for a
// document with a language.
func msg(t *testing.T, ctx context.Context, key string, args ...any) string {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		lang, err := chromedp.Run(sctx, chromedp.Evaluate[string]("document.documentElement ? document.documentElement.lang : ''"))
		cancel()
		if err == nil && lang != "" {
			return ui.T(lang, key, args...)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the page at %s has no language", location(ctx))
	return ""
}

// waitText waits until the text of the first element matching css contains want.
func waitText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	got := ""
	for time.Now().Before(deadline) {
		expr := fmt.Sprintf("(function(){var e=document.querySelector(%q);return e?e.textContent:''})()", css)
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		got, _ = chromedp.Run(sctx, chromedp.Evaluate[string](expr))
		cancel()
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s says %q, want %q (page %s)", css, got, want, location(ctx))
}

// relyingParty is an application that signs people in with go-oidc.
type relyingParty struct {
	URL      string
	client   *harness.Client
	config   oauth2.Config
	verifier *oidc.IDTokenVerifier
	ctx      context.Context

	mu      sync.Mutex
	pending map[string]authState
	results chan rpResult
}

type authState struct {
	nonce, verifier string
}

type rpResult struct {
	claims map[string]any
	err    string
}

// startRP listens on the loopback interface and registers the client whose
// redirect URI it serves, with scopes (openid and profile when none).
func startRP(t *testing.T, srv *harness.Server, scopes ...string) *relyingParty {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"openid", "profile"}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rp := &relyingParty{URL: "http://" + ln.Addr().String(), pending: map[string]authState{}, results: make(chan rpResult, 4)}
	rp.client = srv.CreateClient(t, harness.ClientSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true,
		RedirectURIs: []string{rp.URL + "/callback"}, Scopes: scopes})
	rp.ctx = oidc.ClientContext(context.Background(), &http.Client{Timeout: harness.RequestTimeout})
	provider, err := oidc.NewProvider(rp.ctx, srv.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	rp.verifier = provider.Verifier(&oidc.Config{ClientID: rp.client.ID})
	rp.config = oauth2.Config{ClientID: rp.client.ID, ClientSecret: rp.client.Secret, Endpoint: provider.Endpoint(),
		RedirectURL: rp.URL + "/callback", Scopes: scopes}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", rp.start)
	mux.HandleFunc("GET /callback", rp.callback)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return rp
}

// start sends the browser to the identity provider; ?acr=, ?prompt= and
// ?claims= go into the request as acr_values, prompt and claims.
func (rp *relyingParty) start(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := harness.Random(16), harness.Random(16), oauth2.GenerateVerifier()
	rp.mu.Lock()
	rp.pending[state] = authState{nonce: nonce, verifier: verifier}
	rp.mu.Unlock()
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if acr := r.URL.Query().Get("acr"); acr != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", acr))
	}
	if p := r.URL.Query().Get("prompt"); p != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", p))
	}
	if c := r.URL.Query().Get("claims"); c != "" {
		opts = append(opts, oauth2.SetAuthURLParam("claims", c))
	}
	http.Redirect(w, r, rp.config.AuthCodeURL(state, opts...), http.StatusFound)
}

// callback redeems the code and verifies the ID token (signature against the
// JWKS, issuer, audience, expiry, nonce), then reports its claims.
func (rp *relyingParty) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rp.mu.Lock()
	st, ok := rp.pending[q.Get("state")]
	delete(rp.pending, q.Get("state"))
	rp.mu.Unlock()
	res := rpResult{}
	switch {
	case !ok:
		res.err = "unknown state"
	case q.Get("error") != "":
		res.err = q.Get("error")
	default:
		tok, err := rp.config.Exchange(rp.ctx, q.Get("code"), oauth2.VerifierOption(st.verifier))
		if err != nil {
			res.err = "exchange: " + err.Error()
			break
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := rp.verifier.Verify(rp.ctx, raw)
		if err != nil {
			res.err = "verify: " + err.Error()
			break
		}
		if idt.Nonce != st.nonce {
			res.err = "nonce mismatch"
			break
		}
		if err := idt.Claims(&res.claims); err != nil {
			res.err = err.Error()
		}
	}
	rp.results <- res
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!DOCTYPE html><html lang="vi"><title>Cổng dịch vụ công</title><p id="rp-done">Đã đăng nhập</p></html>`)
}

// result waits for the next login to reach the application.
func (rp *relyingParty) result(t *testing.T) map[string]any {
	t.Helper()
	select {
	case res := <-rp.results:
		if res.err != "" {
			t.Fatalf("the application got %s", res.err)
		}
		return res.claims
	case <-time.After(stepTimeout):
		t.Fatal("no login reached the application")
	}
	return nil
}

func wantACR(t *testing.T, where string, claims map[string]any, acr string, amr ...string) {
	t.Helper()
	got := []string{}
	if list, ok := claims["amr"].([]any); ok {
		for _, m := range list {
			s, _ := m.(string)
			got = append(got, s)
		}
	}
	if claims["acr"] != acr || !slices.Equal(got, amr) {
		t.Errorf("%s: acr %v amr %v, want %s %v", where, claims["acr"], got, acr, amr)
	}
}

// presence makes the authenticator confirm user presence by itself, or wait.
func presence(t *testing.T, ctx context.Context, auth webauthn.AuthenticatorID, on bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, webauthn.SetAutomaticPresenceSimulation,
		webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: auth, Enabled: on}); err != nil {
		t.Fatalf("WebAuthn.setAutomaticPresenceSimulation: %v", err)
	}
}

// passkeyLogin logs in on the login page with a passkey: the page's autofill
// request (conditional mediation) answers by itself where the browser offers
// it; otherwise, after a moment, the passkey button is pressed. It returns
// when the browser left the login page for the application or the page shows
// why the passkey was refused.
func passkeyLogin(t *testing.T, ctx context.Context, app string) {
	t.Helper()
	status := `[data-webauthn="passwordless"] .webauthn-status`
	settled := func() bool {
		loc := location(ctx)
		if strings.HasPrefix(loc, app) {
			return true
		}
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		text, _ := chromedp.Run(sctx, chromedp.Evaluate[string](fmt.Sprintf(
			"(function(){var e=document.querySelector(%q);return e?e.textContent:''})()", status)))
		return text != ""
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if settled() {
			t.Log("the passkey was used from the login page's autofill (conditional mediation)")
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Log("no autofill answer: pressing the passkey button")
	step(t, ctx, "logging in with the passkey", chromedp.Click(chromedp.CSS(`[data-webauthn="passwordless"] [data-webauthn-start]`)))
	deadline = time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) && !settled() {
		time.Sleep(100 * time.Millisecond)
	}
}

var citizen = harness.Citizen{PersonalID: "001099012345", Name: "Nguyễn Hữu Đạt", Birthdate: "1999-03-14",
	Gender: "male", Email: "dat.nguyen@example.vn", Password: "Hà-Nội-mùa-thu-1999"}

// TestPasskeys registers a passkey in the account console, logs out, logs
// in with the passkey alone (from the login page's autofill), is refused
// when the authenticator's counter goes back, uses the passkey as the second
// factor after a password, and removes it after confirming who it is with
// the passkey's button; the ID tokens' acr and amr are checked by the
// application.
func TestPasskeys(t *testing.T) {
	ctx := newTab(t)
	// Under a policy that lets a person who set up a factor log in with the
	// password alone (mfa.enrolled_minimum LoA1), for the last part.
	srv := harness.Start(t, harness.WithLocalhostIssuer(), harness.WithEnv("DINHDANH_MFA_ENROLLED_MINIMUM", "LoA1"))
	sub := srv.CreateCitizen(t, citizen)
	rp := startRP(t, srv)
	idp := srv.Issuer
	auth := addAuthenticator(t, ctx)

	// Log in to the console with the password.
	step(t, ctx, "opening the console", chromedp.Navigate(srv.URL("/account")))
	waitPath(t, ctx, idp, "/login")
	if ac := eval[string](t, ctx, `document.getElementById("identifier").getAttribute("autocomplete")`); ac != "username webauthn" {
		t.Errorf("the identifier field's autocomplete is %q: passkeys are not offered in autofill", ac)
	}
	step(t, ctx, "logging in with the password",
		chromedp.SendKeys(chromedp.ID("identifier"), citizen.PersonalID),
		chromedp.SendKeys(chromedp.ID("password"), citizen.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/account")

	// Register a passkey: the account's first factor, so the recovery codes follow.
	step(t, ctx, "opening the security page", chromedp.Click(chromedp.CSS(`a[href="/account/security"]`)))
	waitPath(t, ctx, idp, "/account/security")
	step(t, ctx, "creating a passkey",
		chromedp.SendKeys(chromedp.ID("key_name"), "Máy tính ở nhà"),
		chromedp.Click(chromedp.CSS(`.key-add button[data-passkey="true"]`)))
	waitPath(t, ctx, idp, "/account/security/codes")
	if n := eval[int](t, ctx, `document.querySelectorAll(".recovery-codes code").length`); n != 10 {
		t.Fatalf("%d recovery codes shown, want 10", n)
	}
	step(t, ctx, "leaving the codes", chromedp.Click(chromedp.CSS(`.card a.button`)))
	waitPath(t, ctx, idp, "/account/security")
	waitText(t, ctx, ".key-row", "Máy tính ở nhà")
	waitText(t, ctx, ".key-row .tag", msg(t, ctx, "security.passkey"))
	creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth})
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential || string(creds.Credentials[0].UserHandle) != sub {
		t.Fatalf("the authenticator holds %+v (%v), want one resident credential for %s", creds, err, sub)
	}

	// Log out.
	step(t, ctx, "back to the console", chromedp.Navigate(srv.URL("/account")))
	waitPath(t, ctx, idp, "/account")
	step(t, ctx, "logging out", chromedp.Click(chromedp.CSS(`form.logout-form button`)))
	waitPath(t, ctx, idp, "/logout")

	// Log in to the application with the passkey alone: the login page
	// offers it in the identifier field's autofill (conditional mediation),
	// which the virtual authenticator answers by itself; where the browser
	// has no autofill for passkeys, the button does it.
	step(t, ctx, "opening the application", chromedp.Navigate(rp.URL+"/start"))
	passkeyLogin(t, ctx, rp.URL)
	claims := rp.result(t)
	waitPath(t, ctx, rp.URL, "/callback")
	wantACR(t, "passwordless login", claims, "LoA2", "hwk", "user")
	if claims["sub"] != sub {
		t.Errorf("sub %v, want %s", claims["sub"], sub)
	}

	// A copy of the passkey whose signature counter is behind is refused.
	cred := *creds.Credentials[0]
	now, err := chromedp.Call(ctx, webauthn.GetCredential, webauthn.GetCredentialParams{AuthenticatorID: auth, CredentialID: cred.CredentialID})
	if err != nil {
		t.Fatal(err)
	}
	counter := now.Credential.SignCount
	// The counter is set in place (WebAuthn.setCredentialProperties): a
	// copy removed and added again would carry the authenticator's newer
	// credential fields, which an authenticator without them refuses.
	setCounter := func(n float64) {
		t.Helper()
		if _, err := chromedp.Call(ctx, webauthn.SetCredentialProperties, webauthn.SetCredentialPropertiesParams{
			AuthenticatorID: auth, CredentialID: cred.CredentialID, SignCount: &n}); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Call(ctx, webauthn.GetCredential, webauthn.GetCredentialParams{AuthenticatorID: auth, CredentialID: cred.CredentialID})
		if err != nil || got.Credential.SignCount != n {
			t.Fatalf("the credential's signature counter is %v (%v), want %v", got, err, n)
		}
	}
	setCounter(0)
	step(t, ctx, "logging out", chromedp.Navigate(srv.URL("/account")))
	waitPath(t, ctx, idp, "/account")
	step(t, ctx, "logging out", chromedp.Click(chromedp.CSS(`form.logout-form button`)))
	waitPath(t, ctx, idp, "/logout")
	step(t, ctx, "opening the application", chromedp.Navigate(rp.URL+"/start"))
	passkeyLogin(t, ctx, rp.URL)
	waitText(t, ctx, `[data-webauthn="passwordless"] .webauthn-status`, msg(t, ctx, "webauthn.refused.sign_count"))
	if loc := location(ctx); !strings.HasPrefix(loc, idp+"/login?") {
		t.Fatalf("the copied passkey left the login page for %s", loc)
	}
	setCounter(counter + 10)

	// The passkey as the second factor: the application asks for LoA2 and
	// a fresh login; after the password, only the key is asked.
	// The person does not pick the passkey from the autofill this time: the
	// authenticator waits for a touch that does not come.
	presence(t, ctx, auth, false)
	step(t, ctx, "opening the application for LoA2", chromedp.Navigate(rp.URL+"/start?acr=LoA2&prompt=login"))
	waitPath(t, ctx, idp, "/login")
	step(t, ctx, "logging in with the password",
		chromedp.SendKeys(chromedp.ID("identifier"), citizen.Email),
		chromedp.SendKeys(chromedp.ID("password"), citizen.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/login/mfa")
	presence(t, ctx, auth, true)
	if n := eval[int](t, ctx, `document.querySelectorAll("input[type=password]").length`); n != 0 {
		t.Errorf("the second-factor page asks for a password again")
	}
	step(t, ctx, "using the passkey as the second factor",
		chromedp.Click(chromedp.CSS(`[data-webauthn="login"] [data-webauthn-start]`)))
	claims = rp.result(t)
	wantACR(t, "password and passkey", claims, "LoA2", "pwd", "hwk", "user", "mfa")

	// The console on a phone: nothing wider than the screen.
	step(t, ctx, "a phone's screen", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	step(t, ctx, "opening the security page", chromedp.Navigate(srv.URL("/account/security")))
	waitPath(t, ctx, idp, "/account/security")
	if wide := eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`); wide {
		t.Errorf("the security page scrolls sideways on a 360px screen")
	}

	// A new login with the password alone (under this policy citizens need no more) is not
	// enough to remove a factor: the console asks to confirm who it is, and
	// the passkey's button on that page does it.
	presence(t, ctx, auth, false)
	step(t, ctx, "opening the application", chromedp.Navigate(rp.URL+"/start?prompt=login"))
	waitPath(t, ctx, idp, "/login")
	step(t, ctx, "logging in with the password",
		chromedp.SendKeys(chromedp.ID("identifier"), citizen.PersonalID),
		chromedp.SendKeys(chromedp.ID("password"), citizen.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	wantACR(t, "password only", rp.result(t), "LoA1", "pwd")
	presence(t, ctx, auth, true)
	step(t, ctx, "opening the security page", chromedp.Navigate(srv.URL("/account/security")))
	waitPath(t, ctx, idp, "/account/security")
	step(t, ctx, "removing the passkey", chromedp.Click(chromedp.CSS(`.key-row form button`)))
	waitPath(t, ctx, idp, "/login/reauth")
	if n := eval[int](t, ctx, `document.querySelectorAll("#password").length`); n != 1 {
		t.Fatalf("the confirmation page has no password field")
	}
	step(t, ctx, "confirming with the passkey", chromedp.Click(chromedp.CSS(`[data-webauthn="passwordless"] [data-webauthn-start]`)))
	waitPath(t, ctx, idp, "/account/security")
	step(t, ctx, "removing the passkey", chromedp.Click(chromedp.CSS(`.key-row form button`)))
	waitPath(t, ctx, idp, "/account/security")
	waitText(t, ctx, "main", msg(t, ctx, "security.key_removed"))
	waitText(t, ctx, "main", msg(t, ctx, "security.no_keys"))
	if n := eval[int](t, ctx, `document.querySelectorAll(".key-row").length`); n != 0 {
		t.Errorf("%d keys still listed", n)
	}

	// The audit log has each step, the refused copy included.
	db, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(srv.DataDir, "dinhdanh.db"), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	events, err := db.ListAudit(context.Background(), sub, 200)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	for _, want := range []string{"mfa.webauthn_registered", "login.success", "webauthn.sign_count_regression", "mfa.success",
		"reauth.success", "mfa.webauthn_removed"} {
		if !slices.Contains(types, want) {
			t.Errorf("the audit log lacks %s: %v", want, types)
		}
	}
}
