package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// ---------------------------------------------------------------------------
// The authorization endpoint.

func TestBadInputAuthorize(t *testing.T) {
	t.Parallel()
	n := newNode(t)

	t.Run("unknown client", func(t *testing.T) { authorizeUnknownClient(t, n) })
	t.Run("redirect URI not registered exactly (confidential client)", func(t *testing.T) { authorizeRedirectURINotRegisteredExactlyConfidential(t, n) })
	t.Run("redirect URI missing with several registered", func(t *testing.T) { authorizeRedirectURIMissingWithSeveralRegistered(t, n) })
	t.Run("repeated parameters", func(t *testing.T) { authorizeRepeatedParameters(t, n) })
	t.Run("response type other than code", func(t *testing.T) { authorizeResponseTypeOtherThanCode(t, n) })
	t.Run("loopback redirect URI: another port only for public clients", func(t *testing.T) { authorizeLoopbackRedirectURIAnotherPortOnly(t, n) })
	t.Run("public client without PKCE", func(t *testing.T) { authorizePublicClientWithoutPKCE(t, n) })
	t.Run("PKCE method plain refused", func(t *testing.T) { authorizePKCEMethodPlainRefused(t, n) })
	t.Run("PKCE refused for a logged-in person too", func(t *testing.T) { authorizePKCERefusedForALoggedIn(t, n) })
	t.Run("scope not allowed for the client", func(t *testing.T) { authorizeScopeNotAllowedForTheClient(t, n) })
	t.Run("parameter over 2048 bytes", func(t *testing.T) { authorizeParameterOver2048Bytes(t, n) })
	t.Run("invalid UTF-8 in a parameter", func(t *testing.T) { authorizeInvalidUTF8InAParameter(t, n) })
}

// authorizeUnknownClient is the subtest "unknown client".
func authorizeUnknownClient(t *testing.T, n *node) {
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
}

// authorizeRedirectURINotRegisteredExactlyConfidential is the subtest "redirect URI not registered exactly (confidential client)".
func authorizeRedirectURINotRegisteredExactlyConfidential(t *testing.T, n *node) {
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
}

// authorizeRedirectURIMissingWithSeveralRegistered is the subtest "redirect URI missing with several registered".
func authorizeRedirectURIMissingWithSeveralRegistered(t *testing.T, n *node) {
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
}

// authorizeRepeatedParameters is the subtest "repeated parameters".
func authorizeRepeatedParameters(t *testing.T, n *node) {
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
}

// authorizeResponseTypeOtherThanCode is the subtest "response type other than code".
func authorizeResponseTypeOtherThanCode(t *testing.T, n *node) {
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
}

// authorizeLoopbackRedirectURIAnotherPortOnly is the subtest "loopback redirect URI: another port only for public clients".
func authorizeLoopbackRedirectURIAnotherPortOnly(t *testing.T, n *node) {
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
}

// authorizePublicClientWithoutPKCE is the subtest "public client without PKCE".
func authorizePublicClientWithoutPKCE(t *testing.T, n *node) {
	b := n.browser(t)
	before := n.snapshot(t)
	q := authorizeQuery("native", loopbackCallback, "openid profile")
	r := b.get("/oauth2/auth?" + q.Encode())
	wantRedirectError(t, r, loopbackCallback, "invalid_request", q.Get("state"))
	n.unchanged(t, before)
}

// authorizePKCEMethodPlainRefused is the subtest "PKCE method plain refused".
func authorizePKCEMethodPlainRefused(t *testing.T, n *node) {
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
}

// authorizePKCERefusedForALoggedIn is the subtest "PKCE refused for a logged-in person too".
func authorizePKCERefusedForALoggedIn(t *testing.T, n *node) {
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
}

// authorizeScopeNotAllowedForTheClient is the subtest "scope not allowed for the client".
func authorizeScopeNotAllowedForTheClient(t *testing.T, n *node) {
	b := n.browser(t)
	before := n.snapshot(t)
	q := authorizeQuery("partner", partnerCallback, "openid personal_id")
	r := b.get("/oauth2/auth?" + q.Encode())
	wantRedirectError(t, r, partnerCallback, "invalid_scope", q.Get("state"))
	n.unchanged(t, before)
}

// authorizeParameterOver2048Bytes is the subtest "parameter over 2048 bytes".
func authorizeParameterOver2048Bytes(t *testing.T, n *node) {
	b := n.browser(t)
	before := n.snapshot(t)
	q := authorizeQuery("portal", portalCallback, "openid")
	q.Set("state", strings.Repeat("s", 2049))
	r := b.get("/oauth2/auth?" + q.Encode())
	wantPage(t, r, http.StatusBadRequest, "vi", "error.field_too_long")
	n.unchanged(t, before)
}

// authorizeInvalidUTF8InAParameter is the subtest "invalid UTF-8 in a parameter".
func authorizeInvalidUTF8InAParameter(t *testing.T, n *node) {
	b := n.browser(t)
	before := n.snapshot(t)
	r := b.get("/oauth2/auth?client_id=portal&response_type=code&scope=openid&redirect_uri=" +
		url.QueryEscape(portalCallback) + "&state=abc%FF%FEdefgh")
	wantPage(t, r, http.StatusBadRequest, "vi", "error.invalid_utf8")
	n.unchanged(t, before)
}
