package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

func TestMain(m *testing.M) { os.Exit(harness.RunTests(m)) }

// relyingParty is an application that signs people in through dinhdanh with
// go-oidc and x/oauth2, as integrators are told to.
type relyingParty struct {
	srv      *harness.Server
	client   *harness.Client
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	config   oauth2.Config
	ctx      context.Context
}

// newRP discovers the provider and prepares the client's configuration; its
// ID tokens must be signed with the client's registered algorithm.
func newRP(t *testing.T, srv *harness.Server, c *harness.Client) *relyingParty {
	t.Helper()
	ctx := oidc.ClientContext(t.Context(), &http.Client{Timeout: harness.RequestTimeout})
	provider, err := oidc.NewProvider(ctx, srv.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	rp := &relyingParty{
		srv: srv, client: c, provider: provider, ctx: ctx,
		verifier: provider.Verifier(&oidc.Config{ClientID: c.ID, SupportedSigningAlgs: []string{c.IDTokenAlg}}),
		config: oauth2.Config{ClientID: c.ID, ClientSecret: c.Secret, Endpoint: provider.Endpoint(),
			RedirectURL: c.RedirectURI()},
	}
	if c.Public {
		// A public client has no secret: it sends only client_id (auth method "none").
		rp.config.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return rp
}

// authRequest is one authorization request of the relying party.
type authRequest struct {
	State, Nonce string
	PKCE         harness.PKCE
	URL          string
}

// newRequest builds an authorization request with PKCE S256, state and nonce.
func (rp *relyingParty) newRequest(scopes []string, extra ...oauth2.AuthCodeOption) *authRequest {
	ar := &authRequest{State: harness.Random(16), Nonce: harness.Random(16), PKCE: harness.NewPKCE()}
	cfg := rp.config
	cfg.Scopes = scopes
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(ar.Nonce)}, ar.PKCE.AuthOptions()...)
	ar.URL = cfg.AuthCodeURL(ar.State, append(opts, extra...)...)
	return ar
}

// authorize sends the browser to the authorization endpoint.
func (rp *relyingParty) authorize(t *testing.T, b *harness.Browser, scopes []string, extra ...oauth2.AuthCodeOption) (*authRequest, *harness.Response) {
	t.Helper()
	ar := rp.newRequest(scopes, extra...)
	return ar, b.Get(t, ar.URL)
}

// callback checks that the navigation ended at the client's redirect URI
// with the request's state and returns the query it carried.
func (rp *relyingParty) callback(t *testing.T, ar *authRequest, resp *harness.Response) url.Values {
	t.Helper()
	u := resp.MustRedirect(t, rp.client.RedirectURI())
	if got := u.Scheme + "://" + u.Host + u.Path; got != rp.client.RedirectURI() {
		t.Fatalf("redirected to %s, want the redirect URI %s", got, rp.client.RedirectURI())
	}
	q := u.Query()
	if q.Get("state") != ar.State {
		t.Fatalf("state at the redirect URI is %q, want %q (%s)", q.Get("state"), ar.State, u)
	}
	if iss := q.Get("iss"); iss != "" && iss != rp.srv.Issuer {
		t.Fatalf("iss at the redirect URI is %q, want %q", iss, rp.srv.Issuer)
	}
	return q
}

// code returns the authorization code at the redirect URI.
func (rp *relyingParty) code(t *testing.T, ar *authRequest, resp *harness.Response) string {
	t.Helper()
	q := rp.callback(t, ar, resp)
	if e := q.Get("error"); e != "" {
		t.Fatalf("authorization failed: %s: %s", e, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" {
		t.Fatalf("no code at the redirect URI: %s", resp.Redirect)
	}
	return code
}

// authError returns the error code at the redirect URI, failing when a code came instead.
func (rp *relyingParty) authError(t *testing.T, ar *authRequest, resp *harness.Response) string {
	t.Helper()
	q := rp.callback(t, ar, resp)
	if q.Get("code") != "" {
		t.Fatalf("want an error at the redirect URI, got a code: %s", resp.Redirect)
	}
	if q.Get("error") == "" {
		t.Fatalf("no error at the redirect URI: %s", resp.Redirect)
	}
	return q.Get("error")
}

// tokens are the results of a token request, with the verified ID token.
type tokens struct {
	*oauth2.Token
	RawIDToken string
	IDToken    *oidc.IDToken
	Claims     map[string]any
	Header     map[string]any
}

// exchange redeems the code with the PKCE verifier and verifies the ID token
// (issuer, audience, expiry, signature against the JWKS, nonce, at_hash).
func (rp *relyingParty) exchange(t *testing.T, ar *authRequest, code string) *tokens {
	t.Helper()
	tok, err := rp.config.Exchange(rp.ctx, code, ar.PKCE.ExchangeOption())
	if err != nil {
		t.Fatalf("exchanging the code: %v", err)
	}
	toks := rp.verify(t, tok)
	if toks.IDToken.Nonce != ar.Nonce {
		t.Fatalf("ID token nonce %q, want %q", toks.IDToken.Nonce, ar.Nonce)
	}
	return toks
}

// verify checks the ID token that came with tok.
func (rp *relyingParty) verify(t *testing.T, tok *oauth2.Token) *tokens {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatalf("the token response has no id_token")
	}
	idt, err := rp.verifier.Verify(rp.ctx, raw)
	if err != nil {
		t.Fatalf("verifying the ID token: %v", err)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Fatalf("at_hash: %v", err)
		}
	}
	toks := &tokens{Token: tok, RawIDToken: raw, IDToken: idt, Header: jwtHeader(t, raw)}
	if err := idt.Claims(&toks.Claims); err != nil {
		t.Fatal(err)
	}
	return toks
}

// refresh redeems a refresh token.
func (rp *relyingParty) refresh(refreshToken string) (*oauth2.Token, error) {
	return rp.config.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// userinfo calls the userinfo endpoint with the access token.
func (rp *relyingParty) userinfo(t *testing.T, accessToken string) (*oidc.UserInfo, map[string]any) {
	t.Helper()
	info, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken, TokenType: "Bearer"}))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var claims map[string]any
	if err := info.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return info, claims
}

// grantError returns the OAuth error code of a failed token request.
func grantError(t *testing.T, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want an OAuth error from the token endpoint, got %v", err)
	}
	return re.ErrorCode
}

// login fills in the login page the navigation ended on and submits it.
func login(t *testing.T, b *harness.Browser, resp *harness.Response, identifier, password string) *harness.Response {
	t.Helper()
	page := resp.MustPage(t, http.StatusOK, "/login")
	f := page.Form(t, "/login")
	if f.Value("csrf_token") == "" || f.Value("flow") == "" {
		t.Fatalf("the login form lacks its csrf_token or flow field:\n%s", page.Body)
	}
	return b.Submit(t, f, map[string]string{"identifier": identifier, "password": password})
}

// consentItem is one scope on the consent page with the claims it lists.
type consentItem struct {
	Scope  string
	Claims []string
}

// consentItems reads what the consent page says will be released.
func consentItems(page *harness.Page) []consentItem {
	var items []consentItem
	for _, el := range page.ByClass("consent-item") {
		var it consentItem
		if s := el.ByClass("consent-scope"); len(s) > 0 {
			it.Scope = s[0].Text
		}
		for _, li := range el.ByTag("li") {
			it.Claims = append(it.Claims, li.Text)
		}
		items = append(items, it)
	}
	return items
}

// wantConsent turns scope and claim names into the labels the page shows in lang.
func wantConsent(lang string, scopes ...consentItem) []consentItem {
	var out []consentItem
	for _, s := range scopes {
		it := consentItem{Scope: ui.T(lang, "scope."+s.Scope)}
		for _, c := range s.Claims {
			it.Claims = append(it.Claims, ui.T(lang, "claim."+c))
		}
		out = append(out, it)
	}
	return out
}

// checkConsentPage checks that the navigation ended on the consent page for
// the client and that it lists exactly the scopes and claims given (by name).
func checkConsentPage(t *testing.T, resp *harness.Response, clientName string, want ...consentItem) *harness.Page {
	t.Helper()
	page := resp.MustPage(t, http.StatusOK, "/consent")
	if lead := page.ByClass("lead"); len(lead) == 0 || !strings.Contains(lead[0].Text, clientName) {
		t.Errorf("the consent page does not name the client %q", clientName)
	}
	got := consentItems(page)
	exp := wantConsent(page.Lang(), want...)
	if !slices.EqualFunc(got, exp, func(a, b consentItem) bool { return a.Scope == b.Scope && slices.Equal(a.Claims, b.Claims) }) {
		t.Fatalf("the consent page (lang %q) lists\n  %q\nwant\n  %q", page.Lang(), got, exp)
	}
	return page
}

// allow submits the consent page with "allow", remembering the choice (the
// box the page leaves for the person to tick when the personal ID is asked
// for).
func allow(t *testing.T, b *harness.Browser, page *harness.Page) *harness.Response {
	t.Helper()
	return b.Submit(t, page.Form(t, "/consent"), map[string]string{"decision": "allow", "remember": "1"})
}

// singleRedirect checks that the authorization endpoint answered the first
// request with a redirect straight to the client: no page was shown.
func singleRedirect(t *testing.T, resp *harness.Response, redirectURI string) {
	t.Helper()
	if len(resp.Hops) != 1 || resp.Redirect == nil || !strings.HasPrefix(resp.Redirect.String(), redirectURI) {
		t.Fatalf("want /oauth2/auth to redirect straight to %s, got:%s", redirectURI, resp)
	}
	if h := resp.Hops[0]; h.Status != http.StatusSeeOther && h.Status != http.StatusFound {
		t.Fatalf("/oauth2/auth answered %d, want a redirect", h.Status)
	}
}

// jwtHeader decodes the protected header of a compact JWS.
func jwtHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	return jwtPart(t, token, 0)
}

// jwtPayload decodes the payload of a compact JWS without verifying it.
func jwtPayload(t *testing.T, token string) map[string]any {
	t.Helper()
	return jwtPart(t, token, 1)
}

func jwtPart(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("JWS part %d: %v", i, err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("JWS part %d: %v", i, err)
	}
	return m
}

// claimTime reads a NumericDate claim.
func claimTime(t *testing.T, claims map[string]any, name string) time.Time {
	t.Helper()
	v, ok := claims[name].(float64)
	if !ok {
		t.Fatalf("claim %s is %v (%T), want a number", name, claims[name], claims[name])
	}
	return time.Unix(int64(v), 0)
}

// wantClaims checks claims that must be present with the given values.
func wantClaims(t *testing.T, where string, claims map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		got, ok := claims[k]
		if !ok {
			t.Errorf("%s: claim %s is missing, want %v", where, k, v)
			continue
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(v)
		if string(gj) != string(wj) {
			t.Errorf("%s: claim %s = %s, want %s", where, k, gj, wj)
		}
	}
}

// noClaims checks claims that must be absent.
func noClaims(t *testing.T, where string, claims map[string]any, names ...string) {
	t.Helper()
	for _, n := range names {
		if v, ok := claims[n]; ok {
			t.Errorf("%s: claim %s = %v must not be released", where, n, v)
		}
	}
}
