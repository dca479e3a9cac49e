package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Applications that ask for more than a password.
const (
	qlvbRedirect = "https://qlvb.example.gov.vn/oidc/callback"
	dvc4Redirect = "https://dvc4.example.gov.vn/auth/callback"
)

// documents is the province's document-management system, used by officials.
func documents(scopes ...string) harness.ClientSpec {
	return harness.ClientSpec{Name: "Quản lý văn bản và điều hành", FirstParty: true, RedirectURIs: []string{qlvbRedirect},
		Scopes: scopes}
}

// onlineServices is a level-4 online public service: every login needs LoA2.
func onlineServices(scopes ...string) harness.ClientSpec {
	return harness.ClientSpec{Name: "Dịch vụ công trực tuyến toàn trình", FirstParty: true, RedirectURIs: []string{dvc4Redirect},
		Scopes: scopes, MinACR: "LoA2"}
}

// totpPeriod is the server's default time step.
const totpPeriod = 30 * time.Second

// code returns the authenticator app's code at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// freshStep waits, when the current time step ends within the next few
// seconds, for the next one, so that a test that reasons about steps does not
// race the server's clock across a boundary. It returns the time to compute
// codes from.
func freshStep(t *testing.T) time.Time {
	t.Helper()
	now := time.Now()
	into := time.Duration(now.UnixNano() % int64(totpPeriod))
	if into > totpPeriod-12*time.Second {
		time.Sleep(totpPeriod - into + 500*time.Millisecond)
	}
	return time.Now()
}

// readSetup reads the authenticator-app setup page the navigation ended on
// (at path, with status) and returns the secret of its manual key.
func readSetup(t *testing.T, resp *harness.Response, status int, path string) (*harness.Page, string) {
	t.Helper()
	page := resp.MustPage(t, status, path)
	var key strings.Builder
	for _, g := range page.ByClass("totp-key-group") {
		key.WriteString(strings.TrimSpace(g.Text))
	}
	if key.Len() != 32 {
		t.Fatalf("the manual key %q is not 32 base32 characters (160 bits)", key.String())
	}
	qr := false
	for _, img := range page.ByTag("img") {
		qr = qr || strings.HasPrefix(img.Attrs["src"], "data:image/png;base64,")
	}
	if !qr {
		t.Fatalf("the setup page shows no QR code image")
	}
	return page, key.String()
}

// recoveryCodes reads the recovery codes page.
func recoveryCodes(t *testing.T, page *harness.Page) (codes []string, next string) {
	t.Helper()
	for _, ol := range page.ByClass("recovery-codes") {
		for _, c := range ol.ByTag("code") {
			codes = append(codes, strings.TrimSpace(c.Text))
		}
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10:\n%s", len(codes), page.Body)
	}
	for _, a := range page.ByTag("a") {
		if strings.Contains(a.Attrs["class"], "button") {
			next = a.Attrs["href"]
		}
	}
	return codes, next
}

// linkTo returns the href of the page's first link whose path is path.
func linkTo(t *testing.T, page *harness.Page, path string) string {
	t.Helper()
	for _, a := range page.ByTag("a") {
		if h := a.Attrs["href"]; h == path || strings.HasPrefix(h, path+"?") {
			return h
		}
	}
	t.Fatalf("the page %s has no link to %s:\n%s", page.URL.Path, path, page.Body)
	return ""
}

// mfaError returns the text of the second-factor page's error summary.
func formError(page *harness.Page) string {
	for _, el := range page.ByClass("error-summary") {
		return el.Text
	}
	return ""
}

// submitCode submits a code on the second-factor page the navigation ended on.
func submitCode(t *testing.T, b *harness.Browser, resp *harness.Response, code string) *harness.Response {
	t.Helper()
	page := resp.MustPage(t, resp.Page.Status, "/login/mfa")
	return b.Submit(t, page.Form(t, "/login/mfa"), map[string]string{"code": code})
}

func TestOfficialEnrolsAuthenticatorApp(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, harness.WithDefaultAssurance(),
		harness.WithEnv("DINHDANH_BRUTE_FORCE_ACCOUNT_MAX_FAILURES", "3"),
		harness.WithEnv("DINHDANH_BRUTE_FORCE_BASE_DELAY", "0s"))
	sub, _ := srv.CreateOfficial(t, binh)
	app := srv.CreateClient(t, documents("openid", "profile"))
	rp := newRP(t, srv, app)

	// Officials need a second factor; this one has none: after the password
	// the login leads to setting one up.
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, openidProfile)
	resp = login(t, b, resp, binh.Username, binh.Password)
	page := resp.MustPage(t, http.StatusOK, "/login/mfa")
	if h1 := page.ByTag("h1"); len(h1) != 1 || h1[0].Text != ui.T("vi", "mfa.enrol_title") {
		t.Fatalf("want the enrolment page, got:\n%s", page.Body)
	}
	if b.Cookie("dinhdanh_session") == "" {
		t.Fatal("the password part of the login made no session")
	}
	resp = b.Get(t, linkTo(t, page, "/login/mfa/totp"))
	page, secret := readSetup(t, resp, http.StatusOK, "/login/mfa/totp")

	// A wrong first code leaves the setup open.
	resp = b.Submit(t, page.Form(t, "/login/mfa/totp"), map[string]string{"code": "000000"})
	page, again := readSetup(t, resp, http.StatusBadRequest, "/login/mfa/totp")
	if again != secret {
		t.Fatal("a wrong first code changed the secret")
	}
	now := freshStep(t)
	enrolCode := totpCode(t, secret, now)
	resp = b.Submit(t, page.Form(t, "/login/mfa/totp"), map[string]string{"code": enrolCode})
	codesPage := resp.MustPage(t, http.StatusOK, "/login/mfa/codes")
	codes, next := recoveryCodes(t, codesPage)
	// Setting the app up is not presenting it: the login goes on to the
	// second-factor page, which now asks for the app.
	if !strings.HasPrefix(next, "/login/mfa?flow=") || !strings.Contains(codesPage.Body, ui.T("vi", "recovery.present_next")) {
		t.Fatalf("the recovery codes page continues to %q:\n%s", next, codesPage.Body)
	}
	// The codes are shown once.
	if again := b.Get(t, strings.Replace(next, "/login/mfa?", "/login/mfa/codes?", 1)); again.Page == nil || strings.Contains(again.Page.Body, codes[0]) {
		t.Fatal("the recovery codes were shown a second time")
	}
	resp = b.Get(t, next)
	page = resp.MustPage(t, http.StatusOK, "/login/mfa")
	if f := page.Form(t, "/login/mfa"); f.Value("method") != "totp" || !f.Has("code") {
		t.Fatalf("after the enrolment, the second-factor page does not ask for the app's code:\n%s", page.Body)
	}
	// The code typed to set the app up does not count a second time.
	resp = submitCode(t, b, resp, enrolCode)
	page = resp.MustPage(t, http.StatusUnauthorized, "/login/mfa")
	if !strings.Contains(formError(page), ui.T("vi", "mfa.code_replayed")) {
		t.Fatalf("the enrolment's code presented again: want %q, got %q", ui.T("vi", "mfa.code_replayed"), formError(page))
	}
	// A recovery code presents the factor (the app's next code is kept for
	// the skew test below).
	page = b.Get(t, "/login/mfa?flow="+page.Form(t, "/login/mfa").Value("flow")+"&method=recovery").MustPage(t, http.StatusOK, "/login/mfa")
	page = b.Submit(t, page.Form(t, "/login/mfa"), map[string]string{"code": codes[0]}).MustPage(t, http.StatusOK, "/login/mfa")
	if !strings.Contains(page.Body, ui.T("vi", "mfa.recovery_used", 9)) {
		t.Fatalf("the page does not say 9 codes are left:\n%s", page.Body)
	}
	toks := rp.exchange(t, ar, rp.code(t, ar, b.Get(t, linkTo(t, page, "/login/resume"))))
	if toks.IDToken.Subject != sub {
		t.Errorf("sub %q, want %q", toks.IDToken.Subject, sub)
	}
	wantClaims(t, "ID token after enrolment and the factor", toks.Claims, map[string]any{"acr": "LoA2", "amr": []string{"pwd", "otp", "mfa"}})

	t.Run("log in with the app; a replay is refused; one step of skew", func(t *testing.T) {
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, openidProfile)
		resp = login(t, b, resp, "tt.binh", binh.Password)
		page := resp.MustPage(t, http.StatusOK, "/login/mfa")
		if f := page.Form(t, "/login/mfa"); f.Value("method") != "totp" || !f.Has("code") {
			t.Fatalf("the second-factor page does not ask for the app's code:\n%s", page.Body)
		}
		// The code of the enrolment, in the same time step: used already.
		resp = submitCode(t, b, resp, enrolCode)
		page = resp.MustPage(t, http.StatusUnauthorized, "/login/mfa")
		if !strings.Contains(formError(page), ui.T("vi", "mfa.code_replayed")) {
			t.Fatalf("a replayed code: want %q, got %q", ui.T("vi", "mfa.code_replayed"), formError(page))
		}
		// The next step's code (a phone clock a little ahead) is accepted.
		toks := rp.exchange(t, ar, rp.code(t, ar, submitCode(t, b, resp, totpCode(t, secret, now.Add(totpPeriod)))))
		wantClaims(t, "ID token", toks.Claims, map[string]any{"acr": "LoA2", "amr": []string{"pwd", "otp", "mfa"}})
	})

	t.Run("two steps ahead is refused; wrong codes count toward the lock", func(t *testing.T) {
		b := srv.NewBrowser(t)
		_, resp := rp.authorize(t, b, openidProfile)
		resp = login(t, b, resp, "tt.binh", binh.Password)
		resp = submitCode(t, b, resp, totpCode(t, secret, now.Add(2*totpPeriod)))
		page := resp.MustPage(t, http.StatusUnauthorized, "/login/mfa")
		if !strings.Contains(formError(page), ui.T("vi", "mfa.invalid_code")) {
			t.Fatalf("a code two steps ahead: got %q", formError(page))
		}
		resp = submitCode(t, b, resp, "123456")
		resp.MustPage(t, http.StatusUnauthorized, "/login/mfa")
		resp = submitCode(t, b, resp, "654321")
		page = resp.MustPage(t, http.StatusTooManyRequests, "/login/mfa")
		if !strings.Contains(formError(page), ui.T("vi", "mfa.too_many_attempts", 15)) {
			t.Fatalf("the third wrong code: got %q", formError(page))
		}
		// Locked: even the right code is refused now.
		resp = submitCode(t, b, resp, totpCode(t, secret, time.Now().Add(totpPeriod)))
		resp.MustPage(t, http.StatusTooManyRequests, "/login/mfa")
	})

	t.Run("recovery code", func(t *testing.T) {
		srv.CLI(t, "", "account", "unlock", "tt.binh")
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, openidProfile)
		resp = login(t, b, resp, "tt.binh", binh.Password)
		page := resp.MustPage(t, http.StatusOK, "/login/mfa")
		resp = b.Get(t, linkTo(t, page, "/login/mfa"+"?flow="+page.Form(t, "/login/mfa").Value("flow")+"&method=recovery"))
		page = resp.MustPage(t, http.StatusOK, "/login/mfa")
		if page.Form(t, "/login/mfa").Value("method") != "recovery" {
			t.Fatalf("no recovery code form:\n%s", page.Body)
		}
		resp = b.Submit(t, page.Form(t, "/login/mfa"), map[string]string{"code": strings.ToUpper(codes[2])})
		page = resp.MustPage(t, http.StatusOK, "/login/mfa")
		if !strings.Contains(page.Body, ui.T("vi", "mfa.recovery_used", 8)) {
			t.Fatalf("the page does not say 8 codes are left (one presented the factor after the enrolment):\n%s", page.Body)
		}
		toks := rp.exchange(t, ar, rp.code(t, ar, b.Get(t, linkTo(t, page, "/login/resume"))))
		wantClaims(t, "ID token", toks.Claims, map[string]any{"acr": "LoA2", "amr": []string{"pwd", "otp", "mfa"}})

		// A code is used once.
		b = srv.NewBrowser(t)
		_, resp = rp.authorize(t, b, openidProfile)
		resp = login(t, b, resp, "tt.binh", binh.Password)
		page = resp.MustPage(t, http.StatusOK, "/login/mfa")
		resp = b.Get(t, "/login/mfa?flow="+page.Form(t, "/login/mfa").Value("flow")+"&method=recovery")
		resp = b.Submit(t, resp.MustPage(t, http.StatusOK, "/login/mfa").Form(t, "/login/mfa"), map[string]string{"code": codes[2]})
		if page := resp.MustPage(t, http.StatusUnauthorized, "/login/mfa"); !strings.Contains(formError(page), ui.T("vi", "mfa.invalid_recovery")) {
			t.Fatalf("a used recovery code: got %q", formError(page))
		}
	})
}

// TestStepUpAsksOnlyForTheMissingFactor runs under an operator's policy
// that asks a citizen who set up a second factor for it only when the
// application or the request needs LoA2 (mfa.enrolled_minimum LoA1; the
// default asks at every login: TestEnrolmentDoesNotRaiseTheSession).
func TestStepUpAsksOnlyForTheMissingFactor(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, harness.WithEnv("DINHDANH_MFA_ENROLLED_MINIMUM", "LoA1"))
	sub := srv.CreateCitizen(t, dat)
	portalApp := srv.CreateClient(t, portal("openid", "profile"))
	services := srv.CreateClient(t, onlineServices("openid", "profile"))
	portalRP, servicesRP := newRP(t, srv, portalApp), newRP(t, srv, services)

	// The citizen sets up an authenticator app in the account console. It
	// is the account's first factor: no confirmation is asked, and the
	// recovery codes are shown.
	b := srv.NewBrowser(t)
	resp := login(t, b, b.Get(t, "/account"), dat.PersonalID, dat.Password)
	page := resp.MustPage(t, http.StatusOK, "/account")
	resp = b.Get(t, linkTo(t, page, "/account/security"))
	page = resp.MustPage(t, http.StatusOK, "/account/security")
	resp = b.Get(t, linkTo(t, page, "/account/security/totp"))
	page, secret := readSetup(t, resp, http.StatusOK, "/account/security/totp")
	now := freshStep(t)
	resp = b.Submit(t, page.Form(t, "/account/security/totp"), map[string]string{"code": totpCode(t, secret, now)})
	codes, next := recoveryCodes(t, resp.MustPage(t, http.StatusOK, "/account/security/codes"))
	if next != "/account/security" || len(codes) != 10 {
		t.Fatalf("recovery codes page continues to %q", next)
	}
	page = b.Get(t, next).MustPage(t, http.StatusOK, "/account/security")
	if len(page.Forms()) == 0 || !strings.Contains(page.Body, ui.T("vi", "security.totp_on")) {
		t.Fatalf("the security page does not show the app:\n%s", page.Body)
	}

	// Another day, another browser: under this policy citizens need only a
	// password, so the portal gets an LoA1 login even though the app is set up.
	b = srv.NewBrowser(t)
	ar, resp := portalRP.authorize(t, b, openidProfile)
	first := portalRP.exchange(t, ar, portalRP.code(t, ar, login(t, b, resp, dat.Email, dat.Password)))
	wantClaims(t, "portal ID token", first.Claims, map[string]any{"acr": "LoA1", "amr": []string{"pwd"}})

	// prompt=none cannot step up.
	ar, resp = servicesRP.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("prompt", "none"))
	if e := servicesRP.authError(t, ar, resp); e != "login_required" {
		t.Errorf("prompt=none below the client's level: %q, want login_required", e)
	}

	// The online services need LoA2: single sign-on asks for the missing
	// factor only, not the password again.
	ar, resp = servicesRP.authorize(t, b, openidProfile)
	page = resp.MustPage(t, http.StatusOK, "/login/mfa")
	if slices.ContainsFunc(resp.Hops, func(h harness.Hop) bool { return strings.Contains(h.URL, "/login?") }) {
		t.Errorf("the login page was shown for a step-up:%s", resp)
	}
	for _, f := range page.Forms() {
		if f.Has("password") || f.Has("identifier") {
			t.Fatalf("the step-up page asks for the password again:\n%s", page.Body)
		}
	}
	if lead := page.ByClass("lead"); len(lead) == 0 || !strings.Contains(lead[0].Text, services.Name) {
		t.Errorf("the step-up page does not name the application")
	}
	code := totpCode(t, secret, time.Now().Add(totpPeriod))
	stepped := servicesRP.exchange(t, ar, servicesRP.code(t, ar, submitCode(t, b, resp, code)))
	wantClaims(t, "online services ID token", stepped.Claims, map[string]any{"acr": "LoA2", "amr": []string{"pwd", "otp", "mfa"},
		"sid": first.Claims["sid"], "sub": sub})
	if claimTime(t, stepped.Claims, "auth_time") != claimTime(t, first.Claims, "auth_time") {
		t.Errorf("the step-up changed auth_time: the password was not asked again")
	}

	// The session is at LoA2 now: the portal, and the services again, need no page.
	ar, resp = portalRP.authorize(t, b, openidProfile)
	singleRedirect(t, resp, portalRedirect)
	again := portalRP.exchange(t, ar, portalRP.code(t, ar, resp))
	wantClaims(t, "portal ID token after the step-up", again.Claims, map[string]any{"acr": "LoA2", "amr": []string{"pwd", "otp", "mfa"}})
	ar, resp = servicesRP.authorize(t, b, openidProfile)
	singleRedirect(t, resp, dvc4Redirect)

	// acr_values asks for LoA2 too, on a client without a minimum.
	b = srv.NewBrowser(t)
	ar, resp = portalRP.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("acr_values", "LoA2 LoA1"))
	resp = login(t, b, resp, dat.Phone, dat.Password)
	resp.MustPage(t, http.StatusOK, "/login/mfa")
	page = b.Get(t, "/login/mfa?flow="+resp.Page.Form(t, "/login/mfa").Value("flow")+"&method=recovery").MustPage(t, http.StatusOK, "/login/mfa")
	resp = b.Submit(t, page.Form(t, "/login/mfa"), map[string]string{"code": codes[0]})
	page = resp.MustPage(t, http.StatusOK, "/login/mfa")
	toks := portalRP.exchange(t, ar, portalRP.code(t, ar, b.Get(t, linkTo(t, page, "/login/resume"))))
	wantClaims(t, "acr_values=LoA2 ID token", toks.Claims, map[string]any{"acr": "LoA2"})

	// Removing the app needs a fresh login with both factors: a session of
	// the password alone is asked to confirm (password, then a second
	// factor) and keeps its session.
	b = srv.NewBrowser(t)
	ar, resp = portalRP.authorize(t, b, openidProfile)
	portalRP.code(t, ar, login(t, b, resp, dat.Email, dat.Password))
	sessionCookie := b.Cookie("dinhdanh_session")
	page = b.Get(t, "/account/security").MustPage(t, http.StatusOK, "/account/security")
	resp = b.Submit(t, page.Form(t, "/account/security/totp/remove"), nil)
	page = resp.MustPage(t, http.StatusOK, "/login/reauth")
	resp = b.Submit(t, page.Form(t, "/login/reauth"), map[string]string{"password": "not the password"})
	page = resp.MustPage(t, http.StatusUnauthorized, "/login/reauth")
	resp = b.Submit(t, page.Form(t, "/login/reauth"), map[string]string{"password": dat.Password})
	page = resp.MustPage(t, http.StatusOK, "/login/mfa")
	if h1 := page.ByTag("h1"); len(h1) != 1 || h1[0].Text != ui.T("vi", "mfa.reauth_title") {
		t.Fatalf("want the confirmation's second step:\n%s", page.Body)
	}
	page = b.Get(t, "/login/mfa?flow="+page.Form(t, "/login/mfa").Value("flow")+"&method=recovery").MustPage(t, http.StatusOK, "/login/mfa")
	resp = b.Submit(t, page.Form(t, "/login/mfa"), map[string]string{"code": codes[1]})
	page = resp.MustPage(t, http.StatusOK, "/login/mfa")
	page = b.Get(t, linkTo(t, page, "/login/resume")).MustPage(t, http.StatusOK, "/account/security")
	if b.Cookie("dinhdanh_session") != sessionCookie {
		t.Error("confirming who it is replaced the session")
	}
	resp = b.Submit(t, page.Form(t, "/account/security/totp/remove"), nil)
	page = resp.MustPage(t, http.StatusOK, "/account/security")
	if !strings.Contains(page.Body, ui.T("vi", "security.totp_removed")) || !strings.Contains(page.Body, ui.T("vi", "security.recovery_none")) {
		t.Fatalf("after removing the app:\n%s", page.Body)
	}
	// The session stays at LoA2; a new login, with no factor left, is led by
	// the LoA2 application to setting one up.
	_, resp = servicesRP.authorize(t, b, openidProfile)
	singleRedirect(t, resp, dvc4Redirect)
	b = srv.NewBrowser(t)
	_, resp = servicesRP.authorize(t, b, openidProfile)
	page = login(t, b, resp, dat.Email, dat.Password).MustPage(t, http.StatusOK, "/login/mfa")
	if h1 := page.ByTag("h1"); len(h1) != 1 || h1[0].Text != ui.T("vi", "mfa.enrol_title") {
		t.Fatalf("want the enrolment page:\n%s", page.Body)
	}
}

func TestAssuranceThatCannotBeMet(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, hang)
	app := srv.CreateClient(t, portal("openid", "profile"))
	rp := newRP(t, srv, app)
	certOnly := srv.CreateClient(t, harness.ClientSpec{Name: "Hệ thống ký số", FirstParty: true,
		RedirectURIs: []string{"https://kyso.example.gov.vn/cb"}, MinACR: "LoA3"})
	certRP := newRP(t, srv, certOnly)
	b := srv.NewBrowser(t)

	// acr essential at a level no login here can reach: an error to the
	// application at once, no page, no loop.
	essential := `{"id_token":{"acr":{"essential":true,"values":["LoA3"]}}}`
	ar, resp := rp.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("claims", essential))
	singleRedirect(t, resp, portalRedirect)
	if e := rp.authError(t, ar, resp); e != "unmet_authentication_requirements" {
		t.Errorf("essential LoA3: %q, want unmet_authentication_requirements", e)
	}
	ar, resp = certRP.authorize(t, b, openidProfile)
	singleRedirect(t, resp, "https://kyso.example.gov.vn/cb")
	if e := certRP.authError(t, ar, resp); e != "unmet_authentication_requirements" {
		t.Errorf("client minimum LoA3: %q, want unmet_authentication_requirements", e)
	}
	// A claims parameter that is not JSON is a bad request.
	ar, resp = rp.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("claims", "{acr"))
	if e := rp.authError(t, ar, resp); e != "invalid_request" {
		t.Errorf("malformed claims: %q, want invalid_request", e)
	}

	// acr_values is voluntary: LoA3 that cannot be reached is passed over.
	ar, resp = rp.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("acr_values", "LoA3"))
	toks := rp.exchange(t, ar, rp.code(t, ar, login(t, b, resp, hang.PersonalID, hang.Password)))
	wantClaims(t, "acr_values=LoA3 ID token", toks.Claims, map[string]any{"acr": "LoA1", "amr": []string{"pwd"}})

	// acr essential at LoA2 or LoA3: the lowest reachable one is met; with
	// no factor yet, the person is led to set one up.
	twoOrThree := `{"id_token":{"acr":{"essential":true,"values":["LoA3","LoA2"]}}}`
	_, resp = rp.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("claims", twoOrThree))
	page := resp.MustPage(t, http.StatusOK, "/login/mfa")
	if h1 := page.ByTag("h1"); len(h1) != 1 || h1[0].Text != ui.T("vi", "mfa.enrol_title") {
		t.Fatalf("want the enrolment page:\n%s", page.Body)
	}
}

func TestDiscoveryAdvertisesAssurance(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	resp, err := srv.HTTP.Get(srv.URL("/.well-known/openid-configuration"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: %d %v", resp.StatusCode, err)
	}
	if doc["claims_parameter_supported"] != true {
		t.Errorf("claims_parameter_supported = %v", doc["claims_parameter_supported"])
	}
	wantClaims(t, "discovery", doc, map[string]any{"acr_values_supported": []string{"LoA1", "LoA2", "LoA3"}})
}
