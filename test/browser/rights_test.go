package browser

import (
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestPersonalDataOnAPhone: at a phone's size, a citizen registers (the
// privacy notice refused, then accepted), logs in, reads an application's
// purpose on its consent page (in Vietnamese and English), allows it, and
// in the console opens the consent history, the download page and the
// deletion page, and deletes the account. Each page passes axe-core.
func TestPersonalDataOnAPhone(t *testing.T) {
	axe := axeSource(t)
	ctx := newTab(t, chromedp.WindowSize(390, 844), chromedp.Flag("lang", "vi-VN"), chromedp.Flag("accept-lang", "vi-VN,vi"))
	srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_PRIVACY_NOTICE_URL_VI", "https://tinh.example.vn/chinh-sach"),
		harness.WithEnv("DINHDANH_PRIVACY_NOTICE_VERSION", "2026-01"))
	idp := srv.Issuer
	redirect := srv.URL("/health/live")
	c := srv.CreateClient(t, harness.ClientSpec{Name: "Đặt lịch khám", RedirectURIs: []string{redirect},
		Scopes: []string{"openid", "profile", "personal_id"}, PurposeVI: "Đặt lịch khám bệnh cho người bệnh",
		PurposeEN: "Booking appointments for patients", PrivacyURLVI: "https://benhvien.example.vn/rieng-tu"})

	step(t, ctx, "opening the registration", chromedp.Navigate(srv.URL("/register")))
	waitPath(t, ctx, idp, "/register")
	waitText(t, ctx, "#privacy-notice", "2026-01")
	noViolations(t, ctx, axe, "registration")
	step(t, ctx, "registering without accepting the notice",
		chromedp.SendKeys(chromedp.ID("personal_id"), "036088012345"),
		chromedp.SendKeys(chromedp.ID("full_name"), "Lê Văn Cường"),
		chromedp.SetValue(chromedp.ID("birthdate"), "1988-11-20"),
		chromedp.Click(chromedp.ID("gender_male")),
		chromedp.SendKeys(chromedp.ID("email"), "cuong@example.vn"),
		chromedp.SendKeys(chromedp.ID("password"), "mật khẩu của Cường"),
		chromedp.SendKeys(chromedp.ID("password_confirm"), "mật khẩu của Cường"),
		chromedp.Click(chromedp.CSS(`form[action="/register"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/register")
	waitText(t, ctx, "#privacy-error", msg(t, ctx, "error.privacy.required"))
	noViolations(t, ctx, axe, "registration refused")
	step(t, ctx, "registering with the notice accepted",
		chromedp.SendKeys(chromedp.ID("password"), "mật khẩu của Cường"),
		chromedp.SendKeys(chromedp.ID("password_confirm"), "mật khẩu của Cường"),
		chromedp.Click(chromedp.ID("privacy_accept")),
		chromedp.Click(chromedp.CSS(`form[action="/register"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/login")
	step(t, ctx, "logging in",
		chromedp.SendKeys(chromedp.ID("password"), "mật khẩu của Cường"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/account")

	// The consent page of a third party asking for the personal ID.
	sum := sha256.Sum256([]byte("a-verifier-of-at-least-43-characters-for-pkce-0123456789"))
	auth := srv.URL("/oauth2/auth?" + url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {redirect},
		"scope": {"openid profile personal_id"}, "state": {"trang-thai-1234"}, "nonce": {"so-dung-mot-lan-5678"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}.Encode())
	step(t, ctx, "opening the application", chromedp.Navigate(auth))
	waitPath(t, ctx, idp, "/consent")
	waitText(t, ctx, "#consent-purpose", "Đặt lịch khám bệnh cho người bệnh")
	if checked := eval[bool](t, ctx, `document.getElementById("remember").checked`); checked {
		t.Error("\"remember\" is pre-checked for the personal ID")
	}
	noViolations(t, ctx, axe, "consent")
	step(t, ctx, "the consent page in English", chromedp.Navigate(location(ctx)+"&lang=en"))
	waitText(t, ctx, "#consent-purpose", "Booking appointments for patients")
	noViolations(t, ctx, axe, "consent (en)")
	step(t, ctx, "allowing and remembering",
		chromedp.Click(chromedp.ID("remember")),
		chromedp.Click(chromedp.CSS(`button[name="decision"][value="allow"]`)))
	waitPath(t, ctx, idp, "/health/live")

	step(t, ctx, "the console, in Vietnamese", chromedp.Navigate(srv.URL("/account?lang=vi")))
	waitPath(t, ctx, idp, "/account")
	noViolations(t, ctx, axe, "console")
	step(t, ctx, "the consent history", chromedp.Click(chromedp.CSS(`a[href="/account/privacy/history"]`)))
	waitPath(t, ctx, idp, "/account/privacy/history")
	waitText(t, ctx, "#consent-history", "Đặt lịch khám")
	noViolations(t, ctx, axe, "consent history")
	step(t, ctx, "the download", chromedp.Navigate(srv.URL("/account/privacy/download")))
	waitPath(t, ctx, idp, "/account/privacy/download")
	noViolations(t, ctx, axe, "download")
	step(t, ctx, "the deletion", chromedp.Navigate(srv.URL("/account/privacy/delete")))
	waitPath(t, ctx, idp, "/account/privacy/delete")
	noViolations(t, ctx, axe, "deletion")
	step(t, ctx, "deleting without confirming", chromedp.Click(chromedp.CSS(`form[action="/account/privacy/delete"] button[type="submit"]`)))
	waitText(t, ctx, "#confirm-error", msg(t, ctx, "error.privacy.delete_confirm"))
	noViolations(t, ctx, axe, "deletion refused")
	step(t, ctx, "deleting", chromedp.Click(chromedp.ID("confirm")),
		chromedp.Click(chromedp.CSS(`form[action="/account/privacy/delete"] button[type="submit"]`)))
	waitText(t, ctx, "h1", msg(t, ctx, "privacy.deleted_title"))
	noViolations(t, ctx, axe, "deleted")
}
