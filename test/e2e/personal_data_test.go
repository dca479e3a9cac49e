package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

// pdPurposeClient is a third-party client registered with its purpose and
// privacy notice in both languages.
func pdPurposeClient() harness.ClientSpec {
	return harness.ClientSpec{Name: "Đặt lịch khám – Bệnh viện Đa khoa tỉnh", RedirectURIs: []string{bookingRedirect},
		Scopes:    []string{"openid", "profile", "personal_id"},
		PurposeVI: "Đặt lịch khám bệnh và gửi nhắc lịch cho người bệnh", PurposeEN: "Booking appointments and sending reminders",
		PrivacyURLVI: "https://benhvien.example.vn/quyen-rieng-tu", PrivacyURLEN: "https://benhvien.example.vn/en/privacy"}
}

// pdStore opens the server's database beside the running process.
func pdStore(t *testing.T, srv *harness.Server) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(srv.DataDir, "dinhdanh.db"), 1)
	if err != nil {
		t.Fatalf("opening the server's database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConsentStatesPurpose: the consent page shows the client's purpose and
// privacy notice in the person's language; "remember" is not pre-checked
// when the personal ID is asked for. A client registered with a privacy URL
// that is not https is refused.
func TestConsentStatesPurpose(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, hang)
	spec := pdPurposeClient()
	c := srv.CreateClient(t, spec)
	if c.PurposeVI != spec.PurposeVI || c.PrivacyURLEN != spec.PrivacyURLEN {
		t.Fatalf("client create --json printed purpose %q and privacy URL %q", c.PurposeVI, c.PrivacyURLEN)
	}
	bad := pdPurposeClient()
	bad.Name, bad.PrivacyURLVI = "Sai", "javascript:alert(1)"
	if res, err := srv.RunCLI("", bad.Args()...); err != nil || res.ExitCode == 0 || !strings.Contains(res.Stderr, "privacy_url_vi") {
		t.Errorf("a client with the privacy URL %q was registered: exit %d, stderr %q", bad.PrivacyURLVI, res.ExitCode, res.Stderr)
	}
	rp := newRP(t, srv, c)
	b := srv.NewBrowser(t)

	_, resp := rp.authorize(t, b, []string{"openid", "profile", "personal_id"})
	page := login(t, b, resp, hang.PersonalID, hang.Password).MustPage(t, http.StatusOK, "/consent")
	if !strings.Contains(page.Body, spec.PurposeVI) || !strings.Contains(page.Body, `href="`+spec.PrivacyURLVI+`"`) {
		t.Errorf("the consent page does not state the purpose and privacy notice:\n%s", page.Body)
	}
	if page.Form(t, "/consent").Value("remember") != "" {
		t.Errorf("the consent page pre-checks \"remember\" for the personal ID")
	}
	en := b.Get(t, page.URL.Path+"?"+page.URL.RawQuery+"&lang=en").MustPage(t, http.StatusOK, "/consent")
	if !strings.Contains(en.Body, spec.PurposeEN) || !strings.Contains(en.Body, `href="`+spec.PrivacyURLEN+`"`) ||
		strings.Contains(en.Body, spec.PurposeVI) {
		t.Errorf("the English consent page does not state the English purpose and notice:\n%s", en.Body)
	}
	// Without the personal ID, "remember" stays offered by default.
	_, resp = rp.authorize(t, b, []string{"openid", "profile"})
	if page := resp.MustPage(t, http.StatusOK, "/consent"); page.Form(t, "/consent").Value("remember") == "" {
		t.Errorf("the consent page without the personal ID does not offer to remember")
	}
}

// TestRegistrationAcceptsPrivacyNotice: registration without accepting the
// privacy notice is refused with a clear message and creates nothing; with
// it, the acceptance (version and time) is recorded with the account.
func TestRegistrationAcceptsPrivacyNotice(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, harness.WithEnv("DINHDANH_PRIVACY_NOTICE_URL_VI", "https://tinh.example.vn/chinh-sach"),
		harness.WithEnv("DINHDANH_PRIVACY_NOTICE_VERSION", "2026-02"))
	b := srv.NewBrowser(t)
	page := b.Get(t, "/register").MustPage(t, http.StatusOK, "/register")
	if !strings.Contains(page.Body, `href="https://tinh.example.vn/chinh-sach"`) || !strings.Contains(page.Body, "2026-02") {
		t.Fatalf("the registration page does not link the privacy notice:\n%s", page.Body)
	}
	fields := map[string]string{"personal_id": hang.PersonalID, "full_name": hang.Name, "birthdate": hang.Birthdate,
		"gender": hang.Gender, "email": hang.Email, "password": hang.Password, "password_confirm": hang.Password}
	page = b.Submit(t, page.Form(t, "/register"), fields).MustPage(t, http.StatusBadRequest, "/register")
	if !strings.Contains(page.Body, ui.T("vi", "error.privacy.required")) {
		t.Errorf("a registration without accepting the notice does not say why:\n%s", page.Body)
	}
	db := pdStore(t, srv)
	if _, err := db.FindAccount(t.Context(), store.ByEmail, hang.Email); err == nil {
		t.Fatal("a registration without accepting the privacy notice created the account")
	}
	fields["privacy_accept"] = "1"
	b.Submit(t, page.Form(t, "/register"), fields).MustPage(t, http.StatusOK, "/login")
	acct, err := db.FindAccount(t.Context(), store.ByEmail, hang.Email)
	if err != nil {
		t.Fatalf("the registration with the notice accepted created no account: %v", err)
	}
	acc, err := db.PrivacyAcceptances(t.Context(), acct.ID)
	if err != nil || len(acc) != 1 || acc[0].Version != "2026-02" || acc[0].AcceptedAt.IsZero() {
		t.Errorf("acceptances recorded: %+v, %v", acc, err)
	}
}

// TestPersonalDataRights walks a citizen through their rights: the consent
// history keeps a withdrawn consent; the download and the deletion need a
// fresh authentication with both factors and the CSRF token; the download
// holds no secret; parallel deletions close the account once; afterwards the
// old session and refresh token fail, the application got its back-channel
// logout token, and the freed identifiers register a new account.
func TestPersonalDataRights(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, harness.WithLocalhostIssuer())
	sub := srv.CreateCitizen(t, hang)
	app := startRP(t, srv, rpSpec{Name: "Dịch vụ công trực tuyến"})
	b := srv.NewBrowser(t)

	// A consent remembered, withdrawn, then given again.
	toks := app.signIn(t, b, hangSignIn, []string{"openid", "profile", "offline_access"})
	console := b.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
	b.Submit(t, revokeForm(t, console, app.client.ID), nil).MustPage(t, http.StatusOK, "/account/consents/revoke")
	toks = app.signIn(t, b, hangSignIn, []string{"openid", "profile", "offline_access"})
	if toks.Token.RefreshToken == "" {
		t.Fatal("no refresh token for offline_access")
	}
	sid := sidOf(toks)
	history := b.Get(t, "/account/privacy/history").MustPage(t, http.StatusOK, "/account/privacy/history")
	var actions []string
	for _, e := range history.ByTag("dd") {
		if a := e.Attrs["data-action"]; a != "" {
			actions = append(actions, a)
		}
	}
	if strings.Join(actions, " ") != "granted withdrawn granted" {
		t.Errorf("the consent history shows %q, want granted withdrawn granted (newest first)", actions)
	}

	// An authenticator app set up from this password-only session: the
	// session has not proved it, so it is no fresh authentication.
	setup := b.Get(t, "/account/security/totp")
	page, secret := readSetup(t, setup, http.StatusOK, "/account/security/totp")
	now := freshStep(t)
	resp := b.Submit(t, page.Form(t, "/account/security/totp"), map[string]string{"code": totpCode(t, secret, now)})
	codes, _ := recoveryCodes(t, resp.MustPage(t, http.StatusOK, "/account/security/codes"))

	csrf := b.Get(t, "/account").MustPage(t, http.StatusOK, "/account").Form(t, "/logout").Value("csrf_token")
	for _, path := range []string{"/account/privacy/download", "/account/privacy/delete"} {
		// Without the CSRF token: refused, nothing released or changed.
		r := b.Send(t, http.MethodPost, path, url.Values{"confirm": {"1"}})
		if r.Page == nil || r.Page.Status != http.StatusForbidden || strings.Contains(r.Page.Body, hang.Email) {
			t.Errorf("POST %s without a CSRF token:%s", path, r)
		}
		// Without a fresh authentication: sent to confirm who it is.
		r = b.Send(t, http.MethodPost, path, url.Values{"csrf_token": {csrf}, "confirm": {"1"}})
		if r.Page == nil || r.Page.Path() != "/login/reauth" || r.Page.Header.Get("Content-Disposition") != "" {
			t.Errorf("POST %s without a fresh authentication:%s", path, r)
		}
	}
	db := pdStore(t, srv)
	if _, err := db.GetClosedAccount(t.Context(), sub); err == nil {
		t.Fatal("the account was closed without a fresh authentication")
	}

	// Re-authentication with the password and the app.
	resp = b.Get(t, "/account/privacy/download")
	reauth := resp.MustPage(t, http.StatusOK, "/login/reauth")
	resp = b.Submit(t, reauth.Form(t, "/login/reauth"), map[string]string{"password": hang.Password})
	resp = submitCode(t, b, resp, totpCode(t, secret, now.Add(totpPeriod)))
	page = resp.MustPage(t, http.StatusOK, "/account/privacy/download")

	// The download: one JSON attachment, no secret in it (the session id
	// "sid" is none: applications get it in their ID tokens).
	resp = b.Submit(t, page.Form(t, "/account/privacy/download"), nil)
	file := resp.MustPage(t, http.StatusOK, "/account/privacy/download")
	if cd := file.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.HasSuffix(cd, `.json"`) {
		t.Errorf("Content-Disposition %q, want an attachment", cd)
	}
	var export struct {
		Account struct {
			Sub      string `json:"sub"`
			FullName string `json:"full_name"`
		} `json:"account"`
		Identifiers []struct{ Kind, Value string } `json:"identifiers"`
		Factors     struct {
			App *struct{} `json:"authenticator_app"`
		} `json:"second_factors"`
		Sessions       []map[string]any `json:"sessions"`
		Consents       []map[string]any `json:"consents"`
		ConsentHistory []map[string]any `json:"consent_history"`
		AuditEvents    []map[string]any `json:"audit_events"`
	}
	if err := json.Unmarshal([]byte(file.Body), &export); err != nil {
		t.Fatalf("the download is not JSON: %v\n%s", err, file.Body)
	}
	if export.Account.Sub != sub || export.Account.FullName != hang.Name || len(export.Identifiers) < 2 ||
		export.Factors.App == nil || len(export.Sessions) == 0 || len(export.Consents) != 1 || len(export.ConsentHistory) != 3 ||
		len(export.AuditEvents) == 0 {
		t.Errorf("the download lacks data: %s", file.Body)
	}
	secrets := append([]string{secret, strings.ToLower(secret), "$argon2", app.client.Secret, toks.Token.RefreshToken,
		b.Cookie("dinhdanh_session")}, codes...)
	for _, s := range secrets {
		if s != "" && strings.Contains(file.Body, s) {
			t.Errorf("the download contains the secret %q", s)
		}
	}

	// Deleting needs the confirmation box.
	page = b.Get(t, "/account/privacy/delete").MustPage(t, http.StatusOK, "/account/privacy/delete")
	bad := b.Submit(t, page.Form(t, "/account/privacy/delete"), nil).MustPage(t, http.StatusBadRequest, "/account/privacy/delete")
	if !strings.Contains(bad.Body, ui.T("vi", "error.privacy.delete_confirm")) {
		t.Errorf("deleting without the confirmation does not say why:\n%s", bad.Body)
	}
	if _, err := db.GetClosedAccount(t.Context(), sub); err == nil {
		t.Fatal("the account was closed without the confirmation")
	}

	// Parallel deletions: one closes the account, the others find it closed
	// or the session over; nothing is left half done.
	vals, err := page.Form(t, "/account/privacy/delete").Values(map[string]string{"confirm": "1"})
	if err != nil {
		t.Fatal(err)
	}
	const racers = 6
	results := make([]*harness.Response, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			results[i] = b.Send(t, http.MethodPost, "/account/privacy/delete", vals)
		})
	}
	close(start)
	wg.Wait()
	deleted := 0
	for _, r := range results {
		switch {
		case r.Page != nil && r.Page.Status == http.StatusOK && strings.Contains(r.Page.Body, ui.T("vi", "privacy.deleted_title")):
			deleted++
		case r.Page != nil && (r.Page.Status == http.StatusConflict || r.Page.Path() == "/login"):
		default:
			t.Errorf("a parallel deletion answered:%s", r)
		}
	}
	if deleted != 1 {
		t.Errorf("%d parallel deletions said the account was deleted, want 1", deleted)
	}
	closed, err := db.GetClosedAccount(t.Context(), sub)
	if err != nil || closed.AuditUntil.Sub(closed.ClosedAt).Hours() != 43800 {
		t.Fatalf("closed account: %+v, %v", closed, err)
	}
	acct, err := db.GetAccount(t.Context(), sub)
	if err != nil || acct.FullName != "" || acct.Email != "" || acct.PersonalID != "" || !acct.Disabled {
		t.Errorf("the closed account keeps personal data: %+v, %v", acct, err)
	}

	// The application was told, its refresh token fails, the session is over,
	// the password no longer logs in.
	if tok := app.waitLogout(t, sid)[0]; tok.Sub != sub {
		t.Errorf("the logout token has sub %q, want %q", tok.Sub, sub)
	}
	app.refreshFails(t, toks.Token.RefreshToken, "after the account was deleted")
	if r := b.Get(t, "/account"); r.Page == nil || r.Page.Path() != "/login" {
		t.Errorf("the deleted account's session still opens the console:%s", r)
	}
	b2 := srv.NewBrowser(t)
	r := login(t, b2, b2.Get(t, "/account"), hang.PersonalID, hang.Password)
	if r.Page == nil || r.Page.Path() == "/account" {
		t.Errorf("the deleted account still logs in:%s", r)
	}
	events := srv.Audit(t, sub, 200)
	found := false
	for _, e := range events {
		found = found || e.Type == "account.close"
	}
	if !found {
		t.Error("no account.close event in the audit log")
	}

	// The identifiers are free again: the same person registers anew, with
	// another subject.
	again := srv.CreateCitizen(t, hang)
	if again == sub {
		t.Errorf("the new account reuses the subject %s", sub)
	}
}

// TestOfficialCannotDeleteAccount: an official's account cannot be deleted
// from the console; the refusal says so and changes nothing.
func TestOfficialCannotDeleteAccount(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, harness.WithEnv("DINHDANH_MFA_OFFICIAL_MINIMUM", "LoA1"))
	off := harness.Official{Username: "canbo.xoa", Name: "Trần Văn Bình", Agency: "Sở Tư pháp", Password: "mật khẩu cán bộ 123"}
	sub, _ := srv.CreateOfficial(t, off)
	b := srv.NewBrowser(t)
	login(t, b, b.Get(t, "/account"), off.Username, off.Password).MustPage(t, http.StatusOK, "/account")
	refusal := b.Get(t, "/account/privacy/delete").MustPage(t, http.StatusForbidden, "/account/privacy/delete")
	if !strings.Contains(refusal.Body, ui.T("vi", "error.privacy_delete_official")) {
		t.Errorf("the refusal does not say why:\n%s", refusal.Body)
	}
	csrf := b.Get(t, "/account").MustPage(t, http.StatusOK, "/account").Form(t, "/logout").Value("csrf_token")
	r := b.Send(t, http.MethodPost, "/account/privacy/delete", url.Values{"csrf_token": {csrf}, "confirm": {"1"}})
	if r.Page == nil || r.Page.Status != http.StatusForbidden {
		t.Errorf("deleting an official's account:%s", r)
	}
	db := pdStore(t, srv)
	if _, err := db.GetClosedAccount(t.Context(), sub); err == nil {
		t.Fatal("an official's account was closed")
	}
	if acct, err := db.GetAccount(t.Context(), sub); err != nil || acct.FullName != off.Name || acct.Disabled {
		t.Errorf("the refusal changed the official's account: %+v, %v", acct, err)
	}
	if b.Get(t, "/account").MustPage(t, http.StatusOK, "/account") == nil {
		t.Error("the official's session ended")
	}
}
