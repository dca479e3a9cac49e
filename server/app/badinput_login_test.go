package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// ---------------------------------------------------------------------------
// Login forms, consent, business choice, methods and paths.

func TestBadInputForms(t *testing.T) {
	t.Parallel()
	n := newNode(t)

	t.Run("login without CSRF token or with a wrong one", func(t *testing.T) { formsLoginWithoutCSRFTokenOrWith(t, n) })
	t.Run("unknown or expired flow", func(t *testing.T) { formsUnknownOrExpiredFlow(t, n) })
	t.Run("login fields over 2048 bytes and invalid UTF-8", func(t *testing.T) { formsLoginFieldsOver2048BytesAnd(t, n) })
	t.Run("body over 64 KiB", func(t *testing.T) { formsBodyOver64KiB(t, n) })
	t.Run("consent decision other than allow or deny", func(t *testing.T) { formsConsentDecisionOtherThanAllowOr(t, n) })
	t.Run("business the person does not represent", func(t *testing.T) { formsBusinessThePersonDoesNotRepresent(t, n) })
	t.Run("logout without CSRF token", func(t *testing.T) { formsLogoutWithoutCSRFToken(t, n) })
	t.Run("CSRF token of before the login", func(t *testing.T) { formsCSRFTokenOfBeforeTheLogin(t, n) })
	t.Run("CSRF token of another session", func(t *testing.T) { formsCSRFTokenOfAnotherSession(t, n) })
	t.Run("wrong method", func(t *testing.T) { formsWrongMethod(t, n) })
	t.Run("unknown paths", func(t *testing.T) { formsUnknownPaths(t, n) })
}

// formsLoginWithoutCSRFTokenOrWith is the subtest "login without CSRF token or with a wrong one".
func formsLoginWithoutCSRFTokenOrWith(t *testing.T, n *node) {
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
}

// formsUnknownOrExpiredFlow is the subtest "unknown or expired flow".
func formsUnknownOrExpiredFlow(t *testing.T, n *node) {
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
}

// formsLoginFieldsOver2048BytesAnd is the subtest "login fields over 2048 bytes and invalid UTF-8".
func formsLoginFieldsOver2048BytesAnd(t *testing.T, n *node) {
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
}

// formsBodyOver64KiB is the subtest "body over 64 KiB".
func formsBodyOver64KiB(t *testing.T, n *node) {
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
}
