package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestRepeatedTokenParameters: a token request that repeats a parameter is
// refused with invalid_request and changes nothing (the code and the refresh
// token still work afterwards). /userinfo refuses an access token in the URL.
func TestRepeatedTokenParameters(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, dat)
	app := srv.CreateClient(t, portal())
	rp := newRP(t, srv, app)
	ar, code := signInForCode(t, rp, srv.NewBrowser(t), dat)
	base := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {app.RedirectURI()},
		"code_verifier": {ar.PKCE.Verifier}}
	for name, second := range map[string]string{
		"grant_type":    "client_credentials",
		"code":          "another-code",
		"redirect_uri":  "https://attacker.example/callback",
		"code_verifier": "w" + strings.Repeat("x", 42),
		"client_id":     app.ID,
		"scope":         "openid",
	} {
		form := url.Values{}
		for k, v := range base {
			form[k] = append([]string(nil), v...)
		}
		if len(form[name]) == 0 {
			form[name] = []string{second}
		}
		form[name] = append(form[name], second)
		status, body := srv.PostForm(t, "/oauth2/token", app, form)
		if status != http.StatusBadRequest || body["error"] != "invalid_request" {
			t.Errorf("%s twice: %d %v, want 400 invalid_request", name, status, body)
		}
	}
	status, body := srv.PostForm(t, "/oauth2/token", app, base)
	if status != http.StatusOK {
		t.Fatalf("the code after the refused requests: %d %v", status, body)
	}
	access, _ := body["access_token"].(string)
	refresh, _ := body["refresh_token"].(string)

	refreshForm := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh, refresh}}
	if status, body := srv.PostForm(t, "/oauth2/token", app, refreshForm); status != http.StatusBadRequest || body["error"] != "invalid_request" {
		t.Errorf("refresh_token twice: %d %v, want 400 invalid_request", status, body)
	}
	refreshForm["refresh_token"] = []string{refresh}
	if status, body := srv.PostForm(t, "/oauth2/token", app, refreshForm); status != http.StatusOK {
		t.Errorf("the refresh token after the refused request: %d %v", status, body)
	}

	// RFC 6750 §2.3: no access token in the URL.
	resp, err := srv.HTTP.Get(srv.URL("/userinfo?access_token=" + url.QueryEscape(access)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"invalid_request"`) {
		t.Errorf("userinfo with the access token in the query: %d %s, want 400 invalid_request", resp.StatusCode, b)
	}
}
