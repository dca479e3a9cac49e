package app_test

import (
	"net/http"
	"net/url"
	"testing"
)

// csrfSecret returns the browser's CSRF cookie.
func (b *browser) csrfSecret() *http.Cookie {
	u, _ := url.Parse(b.n.url)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "dinhdanh_csrf" {
			return c
		}
	}
	b.t.Fatal("the browser has no CSRF cookie")
	return nil
}

// formsCSRFTokenOfBeforeTheLogin is the subtest "CSRF token of before the
// login": a login renews the token, so a form of a page shown before it is
// refused with the CSRF page after it.
func formsCSRFTokenOfBeforeTheLogin(t *testing.T, n *node) {
	b := n.browser(t)
	b.loginPage()
	pre, preSecret := b.csrf(), b.csrfSecret().Value
	b.code(authorizeQuery("portal", portalCallback, "openid"), binhPID, binhPassword)
	if !b.hasSession() {
		t.Fatal("the login started no session")
	}
	if b.csrfSecret().Value == preSecret {
		t.Error("the login kept the CSRF secret")
	}
	before := n.snapshot(t)
	wantPage(t, b.post("/logout", url.Values{"csrf_token": {pre}}), http.StatusForbidden, "vi", "error.csrf")
	n.unchanged(t, before)
	if !b.hasSession() {
		t.Fatal("a refused logout cleared the session cookie")
	}
	// The token of the pages shown after the login is accepted.
	if r := b.post("/logout", url.Values{"csrf_token": {b.csrf()}}); r.status != http.StatusOK && r.status != http.StatusSeeOther {
		t.Fatalf("logout with the current token: %d\n%s", r.status, excerpt(r.body))
	}
}

// formsCSRFTokenOfAnotherSession is the subtest "CSRF token of another
// session": the token is bound to the browser's session, so even with the
// same CSRF secret the token of another session is refused.
func formsCSRFTokenOfAnotherSession(t *testing.T, n *node) {
	b, other := n.browser(t), n.browser(t)
	b.code(authorizeQuery("portal", portalCallback, "openid"), binhPID, binhPassword)
	other.code(authorizeQuery("portal", portalCallback, "openid"), binhPID, binhPassword)
	// The other browser gets this browser's secret: its token differs by
	// its session alone.
	u, _ := url.Parse(n.url)
	secret := b.csrfSecret()
	other.jar.SetCookies(u, []*http.Cookie{{Name: secret.Name, Value: secret.Value, Path: "/"}})
	if other.csrf() == b.csrf() {
		t.Fatal("two sessions with one secret have the same token")
	}
	before := n.snapshot(t)
	wantPage(t, b.post("/logout", url.Values{"csrf_token": {other.csrf()}}), http.StatusForbidden, "vi", "error.csrf")
	n.unchanged(t, before)
	if !b.hasSession() {
		t.Fatal("a refused logout cleared the session cookie")
	}
	if r := b.post("/logout", url.Values{"csrf_token": {b.csrf()}}); r.status != http.StatusOK && r.status != http.StatusSeeOther {
		t.Fatalf("logout with the session's own token: %d\n%s", r.status, excerpt(r.body))
	}
}
