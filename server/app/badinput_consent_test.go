package app_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Consent, business choice, logout, methods and paths: subtests of
// TestBadInputForms.

// formsConsentDecisionOtherThanAllowOr is the subtest "consent decision other than allow or deny".
func formsConsentDecisionOtherThanAllowOr(t *testing.T, n *node) {
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
}

// formsBusinessThePersonDoesNotRepresent is the subtest "business the person does not represent".
func formsBusinessThePersonDoesNotRepresent(t *testing.T, n *node) {
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
}

// formsLogoutWithoutCSRFToken is the subtest "logout without CSRF token".
func formsLogoutWithoutCSRFToken(t *testing.T, n *node) {
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
}

// formsWrongMethod is the subtest "wrong method".
func formsWrongMethod(t *testing.T, n *node) {
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
}

// formsUnknownPaths is the subtest "unknown paths".
func formsUnknownPaths(t *testing.T, n *node) {
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
}
