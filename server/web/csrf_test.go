package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// csrfRequest returns a POST carrying cookies and the form token.
func csrfRequest(token string, cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(url.Values{CSRFField: {token}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	_ = r.ParseForm()
	return r
}

func TestCSRFCookieName(t *testing.T) {
	for _, secure := range []bool{false, true} {
		k := &Kit{SecureCookie: secure, SessionCookie: "sid"}
		w := httptest.NewRecorder()
		token := k.CSRFToken(w, httptest.NewRequest(http.MethodGet, "/", nil))
		set := w.Result().Cookies()
		if len(set) != 1 {
			t.Fatalf("secure=%v: %d cookies set", secure, len(set))
		}
		c := set[0]
		want := "dinhdanh_csrf"
		if secure {
			want = "__Host-dinhdanh_csrf"
		}
		if c.Name != want || c.Secure != secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly {
			t.Fatalf("secure=%v: cookie %+v, want %s (Secure=%v, Path=/, no Domain, HttpOnly)", secure, c, want, secure)
		}
		if token == c.Value || strings.Contains(token, c.Value) {
			t.Fatalf("secure=%v: the page token reveals the secret", secure)
		}
		if !k.CheckCSRF(csrfRequest(token, &http.Cookie{Name: c.Name, Value: c.Value})) {
			t.Fatalf("secure=%v: the token of the cookie is refused", secure)
		}
		// The cookie of the other name does not count.
		other := "__Host-dinhdanh_csrf"
		if secure {
			other = "dinhdanh_csrf"
		}
		if k.CheckCSRF(csrfRequest(token, &http.Cookie{Name: other, Value: c.Value})) {
			t.Fatalf("secure=%v: the token was accepted with the cookie %s", secure, other)
		}
	}
}

func TestCSRFTokenBoundToSession(t *testing.T) {
	k := &Kit{SessionCookie: "sid"}
	secret := &http.Cookie{Name: "dinhdanh_csrf", Value: strings.Repeat("s", 43)}
	sessA := &http.Cookie{Name: "sid", Value: strings.Repeat("a", 43)}
	sessB := &http.Cookie{Name: "sid", Value: strings.Repeat("b", 43)}
	none := CSRFTokenFor(secret.Value, "")
	a := CSRFTokenFor(secret.Value, sessA.Value)
	cases := []struct {
		name    string
		token   string
		cookies []*http.Cookie
		ok      bool
	}{
		{"no session, its token", none, []*http.Cookie{secret}, true},
		{"session, its token", a, []*http.Cookie{secret, sessA}, true},
		{"session, the token of before it", none, []*http.Cookie{secret, sessA}, false},
		{"session, another session's token", a, []*http.Cookie{secret, sessB}, false},
		{"no session, a session's token", a, []*http.Cookie{secret}, false},
		{"the secret itself", secret.Value, []*http.Cookie{secret}, false},
		{"no secret cookie", none, nil, false},
		{"short secret", CSRFTokenFor("short", ""), []*http.Cookie{{Name: "dinhdanh_csrf", Value: "short"}}, false},
		{"empty token", "", []*http.Cookie{secret}, false},
	}
	for _, tc := range cases {
		if got := k.CheckCSRF(csrfRequest(tc.token, tc.cookies...)); got != tc.ok {
			t.Errorf("%s: CheckCSRF = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestRotateCSRF(t *testing.T) {
	k := &Kit{SessionCookie: "sid"}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: "dinhdanh_csrf", Value: strings.Repeat("s", 43)})
	r.AddCookie(&http.Cookie{Name: "dinhdanh_lang", Value: "en"})
	before := k.CSRFToken(httptest.NewRecorder(), r)
	w := httptest.NewRecorder()
	secret := k.RotateCSRF(w, r)
	if c := w.Result().Cookies(); len(c) != 1 || c[0].Value != secret {
		t.Fatalf("RotateCSRF set %+v", c)
	}
	after := k.CSRFToken(httptest.NewRecorder(), r)
	if after == before || after != CSRFTokenFor(secret, "") {
		t.Fatal("the request does not see the new secret")
	}
	if c, err := r.Cookie("dinhdanh_lang"); err != nil || c.Value != "en" {
		t.Fatal("RotateCSRF lost another cookie of the request")
	}
	if n := len(r.Cookies()); n != 2 {
		t.Fatalf("the request has %d cookies, want 2", n)
	}
}
