package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/services"
	"github.com/dinhdanh/dinhdanh/test/upstreamop"
)

// upstreamResetNode starts a node that sends codes to a real mailpit (so
// that "forgot password" is on) with two upstream providers: vneid, which
// proves the personal ID, and portal, which does not.
func upstreamResetNode(t *testing.T, vneid, portal *upstreamop.OP) *harness.Server {
	t.Helper()
	mp := services.StartMailpit(t, services.MailpitOptions{})
	gw := httptest.NewServer(&smsReceiver{})
	t.Cleanup(gw.Close)
	provider := func(name, issuer string, proves bool) string {
		return fmt.Sprintf(`  - name: %s
    display_name: {vi: %s, en: %s}
    issuer: %s
    client_id: %s
    client_secret: %s
    scopes: [openid, profile]
    claims: {personal_id: SoDinhDanh, name: HoVaTen, birthdate: NgayThangNamSinh, birthdate_format: YYYYMMDD,
             gender: GioiTinh, gender_codes: {"1": male, "2": female}}
    assurance: LoA2
    proves_personal_id: %t
    timeout: 3s
`, name, strings.ToUpper(name), strings.ToUpper(name), issuer, vneidClient, vneidSecret, proves)
	}
	path := filepath.Join(t.TempDir(), "dinhdanh.yaml")
	if err := os.WriteFile(path, []byte("upstreams:\n"+provider("vneid", vneid.Issuer, true)+provider("portal", portal.Issuer, false)), 0o600); err != nil {
		t.Fatal(err)
	}
	return harness.StartInProcess(t, harness.WithConfigFile(path),
		harness.WithEnv("DINHDANH_MAIL_HOST", "127.0.0.1"),
		harness.WithEnv("DINHDANH_MAIL_PORT", strconv.Itoa(mp.SMTPPort)),
		harness.WithEnv("DINHDANH_MAIL_TLS", "none"),
		harness.WithEnv("DINHDANH_MAIL_FROM", "Định danh điện tử <no-reply@tinh.gov.vn>"),
		harness.WithEnv("DINHDANH_SMS_URL", gw.URL+"/send"),
		harness.WithEnv("DINHDANH_OUTBOX_POLL_INTERVAL", "100ms"))
}

// resetAtVNeID follows the forgot-password page's VNeID button, logs in
// at VNeID and returns where the browser ended up.
func resetAtVNeID(t *testing.T, b *harness.Browser, op *upstreamop.OP) *harness.Response {
	t.Helper()
	forgot := b.Get(t, "/login/forgot").MustPage(t, http.StatusOK, "/login/forgot")
	if strings.Contains(forgot.Body, "/login/forgot/upstream?provider=portal") {
		t.Error("the forgot-password page offers a provider that does not prove the personal ID")
	}
	href := ""
	for _, a := range forgot.ByTag("a") {
		if a.Attrs["href"] == "/login/forgot/upstream?provider=vneid" {
			href = a.Attrs["href"]
		}
	}
	if href == "" {
		t.Fatalf("the forgot-password page offers no reset with VNeID:\n%s", forgot.Body)
	}
	b.AddOrigin(op.Issuer)
	page := b.Get(t, href).MustPage(t, http.StatusOK, "/login/username")
	return b.Submit(t, page.Form(t, "/login/username"), map[string]string{
		"username": vneidPerson.Username, "password": vneidPerson.Password})
}

// TestPasswordResetWithVNeID: a citizen whose personal ID is proven forgot
// the password; through VNeID from the forgot-password page they come back
// to the console's password page, which asks for no current password, and
// set a new one: the old one stops working, the new one works, an earlier
// session ends, and the change is audited with proof "upstream".
func TestPasswordResetWithVNeID(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	portal := upstreamop.Start(t, vneidClient, vneidSecret, "http://127.0.0.1:*/login/upstream/portal/callback", vneidPerson)
	srv := upstreamResetNode(t, op, portal)
	lan := harness.Citizen{PersonalID: vneidPerson.PersonalID, Name: vneidPerson.Name, Birthdate: "1990-05-17",
		Gender: "female", Email: "lan@example.vn", Password: "mật khẩu cũ của Lan"}
	sub := srv.CreateCitizen(t, lan) // the personal ID is proven
	earlier := srv.NewBrowser(t)
	login(t, earlier, earlier.Get(t, "/login"), lan.PersonalID, lan.Password).MustPage(t, http.StatusOK, "/account")

	b := srv.NewBrowser(t)
	page := resetAtVNeID(t, b, op).MustPage(t, http.StatusOK, "/account/password")
	f := page.Form(t, "/account/password")
	if f.Has("current_password") {
		t.Fatalf("after a reset through VNeID the current password is asked for:\n%s", page.Body)
	}
	if !strings.Contains(page.Body, "định danh điện tử") {
		t.Errorf("the page does not say why no current password is needed:\n%s", page.Body)
	}
	done := b.Submit(t, f, map[string]string{"password": newPassword, "password_confirm": newPassword}).
		MustPage(t, http.StatusOK, "/account/password")
	if !strings.Contains(done.Body, "Đã đổi mật khẩu") {
		t.Errorf("the change is not confirmed:\n%s", done.Body)
	}
	if canLogIn(t, srv, lan.PersonalID, lan.Password) {
		t.Error("the old password still works after a reset through VNeID")
	}
	if !canLogIn(t, srv, lan.PersonalID, newPassword) {
		t.Error("the new password does not log in")
	}
	if r := earlier.Get(t, "/account"); r.Page == nil || r.Page.Path() != "/login" {
		t.Errorf("the session of before the reset still opens the console: %s", r)
	}
	if e := audited(t, srv, "account.password_change", map[string]string{"proof": "upstream"}); e.Subject != sub {
		t.Errorf("the reset is audited for %q, want %q", e.Subject, sub)
	}
	if a, _ := accountOf(t, srv, vneidPerson.PersonalID); a.Sub != sub {
		t.Errorf("the personal ID is held by %q, want %q", a.Sub, sub)
	}
}

// TestPasswordResetWithVNeIDNoAccount: VNeID proves a personal ID that no
// account holds (one holds it only asserted, never proven): the reset
// creates no account, sets no password, leaves the asserting account as it
// was, and answers with a page that says so; it is audited. A provider that
// does not prove the personal ID cannot start a reset.
func TestPasswordResetWithVNeIDNoAccount(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	portal := upstreamop.Start(t, vneidClient, vneidSecret, "http://127.0.0.1:*/login/upstream/portal/callback", vneidPerson)
	srv := upstreamResetNode(t, op, portal)
	rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile", "personal_id")))
	// Somebody self-registers with Lan's number (asserted, not proven).
	asserting := squatter
	asserting.PersonalID, asserting.Birthdate, asserting.Gender = vneidPerson.PersonalID, "1990-05-17", "female"
	sb := srv.NewBrowser(t)
	ar, resp := selfRegister(t, rp, sb, asserting, []string{"openid", "profile", "personal_id"})
	rp.exchange(t, ar, rp.code(t, ar, allow(t, sb, resp.MustPage(t, http.StatusOK, "/consent"))))
	before := showAccount(t, srv, asserting.Email)
	if before.PersonalID != vneidPerson.PersonalID || before.Proofing.State != "unverified" {
		t.Fatalf("the asserting account: %+v", before)
	}

	b := srv.NewBrowser(t)
	page := resetAtVNeID(t, b, op).MustPage(t, http.StatusNotFound, "/login/upstream/vneid/callback")
	if !strings.Contains(page.Body, "không có tài khoản nào được tạo") || !strings.Contains(page.Body, "đăng ký") {
		t.Errorf("the refusal does not say that no account holds the ID:\n%s", page.Body)
	}
	if r := b.Get(t, "/account/password"); r.Page == nil || r.Page.Path() != "/login" {
		t.Errorf("the refused reset left a session that opens the password page: %s", r)
	}
	if after := showAccount(t, srv, asserting.Email); after.Sub != before.Sub || after.PersonalID != vneidPerson.PersonalID ||
		after.Proofing.State != "unverified" {
		t.Errorf("the refused reset changed the asserting account: %+v, was %+v", after, before)
	}
	if a, _ := accountOf(t, srv, vneidPerson.PersonalID); a.Sub != before.Sub {
		t.Errorf("the personal ID is now held by %q, want the asserting account %q", a.Sub, before.Sub)
	}
	if !canLogIn(t, srv, asserting.Email, asserting.Password) {
		t.Error("the asserting account's password no longer works")
	}
	audited(t, srv, "login.failure", map[string]string{"provider": "vneid", "reason": "upstream.reset_no_account"})
	for _, e := range srv.Audit(t, "", 200) {
		if e.Type == "account.register" && e.Details["provider"] == "vneid" {
			t.Errorf("the refused reset registered an account: %+v", e)
		}
	}

	// A provider that does not prove the personal ID cannot start a reset.
	srv.NewBrowser(t).Get(t, "/login/forgot/upstream?provider=portal").MustPage(t, http.StatusNotFound, "/login/forgot/upstream")
	srv.NewBrowser(t).Get(t, "/login/forgot/upstream?provider=nobody").MustPage(t, http.StatusNotFound, "/login/forgot/upstream")
}
