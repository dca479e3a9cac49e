package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestPasswordChange: the console changes the password with the current
// one; a wrong current password or a common new one changes nothing; the
// person's other sessions end with back-channel logout and their refresh
// tokens stop working, the current session stays.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	srv := harness.StartInProcess(t)
	sub := srv.CreateCitizen(t, dat)
	rp := startRP(t, srv, rpSpec{Name: "Một cửa điện tử", FirstParty: true})
	other := srv.NewBrowser(t)
	toks := rp.signIn(t, other, datSignIn, []string{"openid", "profile"})

	b := srv.NewBrowser(t)
	login(t, b, b.Get(t, "/login"), dat.PersonalID, dat.Password).MustPage(t, http.StatusOK, "/account")
	home := b.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
	if !strings.Contains(home.Body, `href="/account/password"`) {
		t.Fatalf("the console does not link to the change of password:\n%s", home.Body)
	}
	f := b.Get(t, "/account/password").MustPage(t, http.StatusOK, "/account/password").Form(t, "/account/password")
	if !f.Has("current_password") {
		t.Fatal("a session of the password alone is not asked for the current password")
	}
	// A wrong current password, a common new one, two different ones: nothing changes.
	for name, set := range map[string]map[string]string{
		"wrong current": {"current_password": "không-phải-mật-khẩu", "password": newPassword, "password_confirm": newPassword},
		"common":        {"current_password": dat.Password, "password": "iloveyou123", "password_confirm": "iloveyou123"},
		"mismatch":      {"current_password": dat.Password, "password": newPassword, "password_confirm": newPassword + "x"},
		"too short":     {"current_password": dat.Password, "password": "Ab1!", "password_confirm": "Ab1!"},
	} {
		if p := b.Submit(t, f, set); p.Page == nil || p.Page.Status != http.StatusBadRequest {
			t.Errorf("%s: %s", name, p)
		}
	}
	if !canLogIn(t, srv, dat.PersonalID, dat.Password) {
		t.Fatal("a refused change changed the password")
	}
	audited(t, srv, "account.password_change_refused", map[string]string{"reason": "wrong_password"})

	page := b.Submit(t, f, map[string]string{"current_password": dat.Password, "password": newPassword, "password_confirm": newPassword}).
		MustPage(t, http.StatusOK, "/account/password")
	if !strings.Contains(page.Body, "Đã đổi mật khẩu") {
		t.Errorf("the change is not confirmed:\n%s", page.Body)
	}
	rp.waitLogout(t, sidOf(toks))
	rp.refreshFails(t, toks.RefreshToken, "of another session after a change of password")
	b.Get(t, "/account").MustPage(t, http.StatusOK, "/account") // the current session stays
	if r := other.Get(t, "/account"); r.Page == nil || r.Page.Path() != "/login" {
		t.Errorf("the other session still opens the console: %s", r)
	}
	if canLogIn(t, srv, dat.PersonalID, dat.Password) || !canLogIn(t, srv, dat.PersonalID, newPassword) {
		t.Error("the password did not change")
	}
	if e := audited(t, srv, "account.password_change", map[string]string{"proof": "password", "sessions_ended": "2"}); e.Subject != sub { // the relying party's and canLogIn's
		t.Errorf("audited for %q, want %q", e.Subject, sub)
	}
}
