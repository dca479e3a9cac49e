package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// ---------------------------------------------------------------------------
// The token endpoint.

// tokenEnv is what the subtests of TestBadInputToken share: the node, an
// application and a browser that logs An in.
type tokenEnv struct {
	n *node
	a *api
	b *browser
}

// nativeCode returns a code of the public client native, with the PKCE
// verifier that redeems it.
func (env *tokenEnv) nativeCode() (code, verifier string) {
	verifier, challenge := pkce()
	q := authorizeQuery("native", loopbackCallback, "openid profile offline_access")
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	return env.b.code(q, anPID, anPassword), verifier
}

// nativeForm returns native's token request for the code ("" verifier: none).
func nativeForm(code, verifier string) url.Values {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {loopbackCallback}, "client_id": {"native"}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return f
}

// portalCode returns a code of the confidential client portal.
func (env *tokenEnv) portalCode() string {
	return env.b.code(authorizeQuery("portal", portalCallback, "openid profile offline_access"), anPID, anPassword)
}

// portalForm returns portal's token request for the code.
func portalForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {portalCallback}}
}

func TestBadInputToken(t *testing.T) {
	t.Parallel()
	n := newNode(t)
	env := &tokenEnv{n: n, a: n.api(t), b: n.browser(t)}

	t.Run("missing PKCE verifier", func(t *testing.T) { tokenMissingPKCEVerifier(t, env) })
	t.Run("wrong PKCE verifier", func(t *testing.T) { tokenWrongPKCEVerifier(t, env) })
	t.Run("control: right PKCE verifier", func(t *testing.T) { tokenControlRightPKCEVerifier(t, env) })
	t.Run("replayed code", func(t *testing.T) { tokenReplayedCode(t, env) })
	t.Run("replayed refresh token", func(t *testing.T) { tokenReplayedRefreshToken(t, env) })
	t.Run("refresh of a locked account", func(t *testing.T) { tokenRefreshOfALockedAccount(t, env) })
	t.Run("client authentication", func(t *testing.T) { tokenClientAuthentication(t, env) })
	t.Run("code of another client, redirect URI mismatch", func(t *testing.T) { tokenCodeOfAnotherClientRedirectURI(t, env) })
	t.Run("grant types and scopes", func(t *testing.T) { tokenGrantTypesAndScopes(t, env) })
	t.Run("empty, oversized and malformed bodies", func(t *testing.T) { tokenEmptyOversizedAndMalformedBodies(t, env) })
	t.Run("introspection, revocation and userinfo", func(t *testing.T) { tokenIntrospectionRevocationAndUserinfo(t, env) })
}

// tokenMissingPKCEVerifier is the subtest "missing PKCE verifier".
func tokenMissingPKCEVerifier(t *testing.T, env *tokenEnv) {
	n, a, b := env.n, env.a, env.b
	b.t, a.t = t, t
	code, verifier := env.nativeCode()
	before := n.snapshot(t)
	wantOAuthError(t, a.post("/oauth2/token", nativeForm(code, ""), "", ""), http.StatusBadRequest, "invalid_grant")
	// A PKCE failure spends the code (its record is marked used), so that a
	// verifier cannot be guessed by retrying; a retry marks the code reused.
	n.unchanged(t, before, "records pkce", "records code")
	wantOAuthError(t, a.post("/oauth2/token", nativeForm(code, verifier), "", ""), http.StatusBadRequest, "invalid_grant")
	n.unchanged(t, before, "records pkce", "records code")
}

// tokenWrongPKCEVerifier is the subtest "wrong PKCE verifier".
func tokenWrongPKCEVerifier(t *testing.T, env *tokenEnv) {
	n, a, b := env.n, env.a, env.b
	b.t, a.t = t, t
	for _, wrong := range []string{
		strings.Repeat("w", 43),  // well-formed, wrong
		"short",                  // under 43 characters
		strings.Repeat("w", 129), // over 128 characters
		strings.Repeat("é", 43),  // outside the verifier alphabet
	} {
		code, verifier := env.nativeCode()
		before := n.snapshot(t)
		wantOAuthError(t, a.post("/oauth2/token", nativeForm(code, wrong), "", ""), http.StatusBadRequest, "invalid_grant")
		// The code is spent by the failure, and marked reused by the retry.
		n.unchanged(t, before, "records pkce", "records code")
		wantOAuthError(t, a.post("/oauth2/token", nativeForm(code, verifier), "", ""), http.StatusBadRequest, "invalid_grant")
		n.unchanged(t, before, "records pkce", "records code")
	}
}

// tokenControlRightPKCEVerifier is the subtest "control: right PKCE verifier".
func tokenControlRightPKCEVerifier(t *testing.T, env *tokenEnv) {
	a, b := env.a, env.b
	b.t, a.t = t, t
	code, verifier := env.nativeCode()
	tk := a.exchange(nativeForm(code, verifier), "", "")
	if tk.RefreshToken == "" || tk.IDToken == "" {
		t.Errorf("tokens = %+v, want refresh and ID tokens", tk)
	}
}

// tokenReplayedCode is the subtest "replayed code".
func tokenReplayedCode(t *testing.T, env *tokenEnv) {
	n, a, b := env.n, env.a, env.b
	b.t, a.t = t, t
	code := env.portalCode()
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
	// The replay also marks the code reused (so that an exchange still
	// writing its tokens revokes them).
	n.unchanged(t, before, "table refresh_tokens", "active refresh tokens", "records at", "records code")
	if got := n.activeInFamily(t, family); got != 0 {
		t.Errorf("%d refresh tokens of the family are still active", got)
	}
}

// tokenReplayedRefreshToken is the subtest "replayed refresh token".
func tokenReplayedRefreshToken(t *testing.T, env *tokenEnv) {
	n, a, b := env.n, env.a, env.b
	b.t, a.t = t, t
	first := a.exchange(portalForm(env.portalCode()), "portal", n.portalSecret)
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
	// The replay also marks the code reused (so that an exchange still
	// writing its tokens revokes them).
	n.unchanged(t, before, "table refresh_tokens", "active refresh tokens", "records at", "records code")
}

// tokenRefreshOfALockedAccount is the subtest "refresh of a locked account".
func tokenRefreshOfALockedAccount(t *testing.T, env *tokenEnv) {
	n, a, b := env.n, env.a, env.b
	b.t, a.t = t, t
	first := a.exchange(portalForm(env.portalCode()), "portal", n.portalSecret)
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
}

// tokenClientAuthentication is the subtest "client authentication".
func tokenClientAuthentication(t *testing.T, env *tokenEnv) {
	n, a, b := env.n, env.a, env.b
	b.t, a.t = t, t
	code := env.portalCode()
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
}

// tokenCodeOfAnotherClientRedirectURI is the subtest "code of another client, redirect URI mismatch".
func tokenCodeOfAnotherClientRedirectURI(t *testing.T, env *tokenEnv) {
	n, a, b := env.n, env.a, env.b
	b.t, a.t = t, t
	code := env.portalCode()
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
}

// tokenGrantTypesAndScopes is the subtest "grant types and scopes".
func tokenGrantTypesAndScopes(t *testing.T, env *tokenEnv) {
	n, a := env.n, env.a
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
}

// tokenEmptyOversizedAndMalformedBodies is the subtest "empty, oversized and malformed bodies".
func tokenEmptyOversizedAndMalformedBodies(t *testing.T, env *tokenEnv) {
	n, a := env.n, env.a
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
}

// tokenIntrospectionRevocationAndUserinfo is the subtest "introspection, revocation and userinfo".
func tokenIntrospectionRevocationAndUserinfo(t *testing.T, env *tokenEnv) {
	n, a := env.n, env.a
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
}
