package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

// TestEnrolmentDoesNotRaiseTheSession: a level comes only from factors
// presented. A session of the password alone that sets up a first factor in
// the console stays at LoA1: the next application it opens asks for the new
// factor. A security-key registration begun before the account had a
// factor is refused at its finish once it has one. And a citizen who set up
// an authenticator app is asked for it at every later login.
func TestEnrolmentDoesNotRaiseTheSession(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, harness.WithLocalhostIssuer())
	sub := srv.CreateCitizen(t, dat)
	rp := newRP(t, srv, srv.CreateClient(t, portal("openid", "profile")))

	// The password alone, in the console.
	b := srv.NewBrowser(t)
	login(t, b, b.Get(t, "/account"), dat.PersonalID, dat.Password).MustPage(t, http.StatusOK, "/account")
	page := b.Get(t, "/account/security").MustPage(t, http.StatusOK, "/account/security")
	var csrf string
	for _, e := range page.ByClass("key-add") {
		csrf = e.Attrs["data-csrf"]
	}
	if csrf == "" {
		t.Fatalf("the security page offers no security key:\n%s", page.Body)
	}

	// A security key's registration begins while the account has no factor.
	status, begun := b.PostJSON(t, "/account/security/keys/begin", map[string]any{"csrf_token": csrf, "name": "Khóa USB"})
	if status != http.StatusOK || begun["ceremony"] == nil {
		t.Fatalf("beginning a first security key: %d %v", status, begun)
	}

	// Meanwhile, the authenticator app: the account's first factor.
	resp := b.Get(t, linkTo(t, page, "/account/security/totp"))
	page, secret := readSetup(t, resp, http.StatusOK, "/account/security/totp")
	now := freshStep(t)
	resp = b.Submit(t, page.Form(t, "/account/security/totp"), map[string]string{"code": totpCode(t, secret, now)})
	codes, _ := recoveryCodes(t, resp.MustPage(t, http.StatusOK, "/account/security/codes"))

	// The key's registration finishes from a session of the password alone,
	// for an account that has a factor now: refused, sent to step up.
	key := newSoftKey(t, b.Origin)
	status, finished := b.PostJSON(t, "/account/security/keys/finish", map[string]any{"csrf_token": csrf,
		"ceremony": begun["ceremony"], "name": "Khóa USB", "credential": key.create(t, begun["options"])})
	if redirect, _ := finished["redirect"].(string); status != http.StatusOK || !strings.HasPrefix(redirect, "/login/step-up?acr=LoA2") {
		t.Errorf("finishing a security key at LoA1 for an account with a factor: %d %v", status, finished)
	}
	page = b.Get(t, "/account/security").MustPage(t, http.StatusOK, "/account/security")
	if !strings.Contains(page.Body, ui.T("vi", "security.no_keys")) {
		t.Errorf("a security key was added at LoA1 to an account with a factor:\n%s", page.Body)
	}

	// The session is still the password's: the application's login asks
	// for the app, and only its code gives LoA2.
	ar, resp := rp.authorize(t, b, openidProfile)
	page = resp.MustPage(t, http.StatusOK, "/login/mfa")
	if f := page.Form(t, "/login/mfa"); f.Value("method") != "totp" {
		t.Fatalf("the session that set up the app is not asked for it:\n%s", page.Body)
	}
	toks := rp.exchange(t, ar, rp.code(t, ar, submitCode(t, b, resp, totpCode(t, secret, now.Add(totpPeriod)))))
	wantClaims(t, "ID token after the app's code", toks.Claims, map[string]any{"sub": sub, "acr": "LoA2",
		"amr": []string{"pwd", "otp", "mfa"}})

	// Another day, another browser: the password, then the app.
	b2 := srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b2, openidProfile)
	resp = login(t, b2, resp, dat.Email, dat.Password)
	page = resp.MustPage(t, http.StatusOK, "/login/mfa")
	if f := page.Form(t, "/login/mfa"); f.Value("method") != "totp" {
		t.Fatalf("a citizen who set up the app is not asked for it at the next login:\n%s", page.Body)
	}
	// (The app's codes of this time step are used: a recovery code stands in.)
	page = b2.Get(t, "/login/mfa?flow="+page.Form(t, "/login/mfa").Value("flow")+"&method=recovery").MustPage(t, http.StatusOK, "/login/mfa")
	page = b2.Submit(t, page.Form(t, "/login/mfa"), map[string]string{"code": codes[0]}).MustPage(t, http.StatusOK, "/login/mfa")
	toks = rp.exchange(t, ar, rp.code(t, ar, b2.Get(t, linkTo(t, page, "/login/resume"))))
	wantClaims(t, "ID token of the next login", toks.Claims, map[string]any{"sub": sub, "acr": "LoA2"})
}
