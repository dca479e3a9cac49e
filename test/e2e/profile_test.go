package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

// TestProfileEdits: a proven account changes its language but not the
// name, birthdate or gender that came from the e-ID; each change moves
// updated_at, which a relying party sees at userinfo and in a new ID token.
// Malformed or oversized fields get a message in the person's language and
// change nothing.
func TestProfileEdits(t *testing.T) {
	t.Parallel()
	srv := harness.StartInProcess(t)
	sub := srv.CreateCitizen(t, dat)
	rp := newRP(t, srv, srv.CreateClient(t, portal(openidProfile...)))
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, openidProfile)
	toks := rp.exchange(t, ar, rp.code(t, ar, login(t, b, resp, dat.PersonalID, dat.Password)))
	before := claimTime(t, toks.Claims, "updated_at")
	_, info := rp.userinfo(t, toks.AccessToken)
	if claimTime(t, info, "updated_at") != before {
		t.Fatalf("userinfo updated_at %v, ID token %v", info["updated_at"], before)
	}
	time.Sleep(1100 * time.Millisecond) // updated_at counts seconds

	page := b.Get(t, "/account/profile").MustPage(t, http.StatusOK, "/account/profile")
	f := page.Form(t, "/account/profile")
	if f.Has("full_name") || f.Has("birthdate") || f.Has("gender") {
		t.Fatalf("a proven account's profile form offers name, birthdate or gender")
	}
	csrf := f.Value("csrf_token")
	// A forged form that changes the name is refused.
	refused := postForm(t, b, csrf, "/account/profile", "locale", "en", "full_name", "Nguyễn Văn Khác").MustPage(t, http.StatusBadRequest, "/account/profile")
	if !strings.Contains(refused.Body, ui.T(refused.Lang(), "error.profile.proven")) {
		t.Errorf("the refusal does not say why:\n%s", refused.Body)
	}
	if a := account(t, srv, sub); a.FullName != dat.Name || a.Locale == "en" || claimTimeOf(a.UpdatedAt) != before {
		t.Fatalf("a refused change changed the account: %+v", a)
	}
	saved := postForm(t, b, csrf, "/account/profile", "locale", "en").MustPage(t, http.StatusOK, "/account/profile")
	if saved.Lang() != "en" || !strings.Contains(saved.Body, ui.T("en", "profile.saved")) {
		t.Errorf("after choosing English the page is in %q:\n%s", saved.Lang(), saved.Body)
	}
	a := account(t, srv, sub)
	if a.Locale != "en" || !a.UpdatedAt.After(before) {
		t.Fatalf("after the change: locale %q updated_at %v (was %v)", a.Locale, a.UpdatedAt, before)
	}
	_, info = rp.userinfo(t, toks.AccessToken)
	if got := claimTime(t, info, "updated_at"); !got.After(before) {
		t.Errorf("userinfo updated_at %v, want after %v", got, before)
	}
	ar, resp = rp.authorize(t, b, openidProfile)
	toks2 := rp.exchange(t, ar, rp.code(t, ar, resp))
	if got := claimTime(t, toks2.Claims, "updated_at"); !got.After(before) || toks2.Claims["locale"] != "en" {
		t.Errorf("new ID token updated_at %v locale %v, want after %v and en", got, toks2.Claims["locale"], before)
	}
	audited(t, srv, "account.profile_update", map[string]string{"fields": "locale", "locale_after": "en"})
}

func claimTimeOf(t time.Time) time.Time { return time.Unix(t.Unix(), 0) }

// TestProfileOfUnprovenAccount: a registered account, whose personal ID
// nobody proved, edits its name, birthdate and gender, checked by the
// normalisers; bad and oversized input is refused with a message and
// changes nothing.
func TestProfileOfUnprovenAccount(t *testing.T) {
	t.Parallel()
	srv := harness.StartInProcess(t)
	b, form := registerForm(t, srv)
	b.Submit(t, form, map[string]string{"personal_id": "036088000001", "full_name": "Lê Văn Cường", "birthdate": "1988-11-20",
		"gender": "male", "email": "cuong@example.vn", "password": "mật khẩu của Cường", "password_confirm": "mật khẩu của Cường", "privacy_accept": "1"}).
		MustPage(t, http.StatusOK, "/login")
	b = consoleLogin(t, srv, "036088000001", "mật khẩu của Cường")
	page := b.Get(t, "/account/profile").MustPage(t, http.StatusOK, "/account/profile")
	f := page.Form(t, "/account/profile")
	if f.Value("full_name") != "Lê Văn Cường" {
		t.Fatalf("the unproven account's form does not offer the name:\n%s", page.Body)
	}
	if !strings.Contains(page.Body, ui.T("vi", "profile.verify_email")) {
		t.Errorf("the registered email is not offered for verification")
	}
	csrf := f.Value("csrf_token")
	sub := showAccount(t, srv, "036088000001").Sub
	a0 := account(t, srv, sub)
	for name, c := range map[string]struct {
		fields []string
		key    string
		status int
	}{
		"future birthdate":   {[]string{"full_name", "Lê Văn Cường", "birthdate", "2999-01-01", "gender", "male", "locale", "vi"}, "error.birthdate.future", 400},
		"year not of the ID": {[]string{"full_name", "Lê Văn Cường", "birthdate", "1990-01-01", "gender", "male", "locale", "vi"}, "error.personal_id.birth_year", 400},
		"long name":          {[]string{"full_name", strings.Repeat("Cường ", 30), "birthdate", "1988-11-20", "gender", "male", "locale", "vi"}, "error.full_name.too_long", 400},
		"bad locale":         {[]string{"full_name", "Lê Văn Cường", "birthdate", "1988-11-20", "gender", "male", "locale", "fr"}, "error.locale.invalid", 400},
	} {
		p := postForm(t, b, csrf, "/account/profile", c.fields...).MustPage(t, c.status, "/account/profile")
		if !strings.Contains(p.Body, ui.T("vi", c.key)) {
			t.Errorf("%s: the page does not say %q", name, ui.T("vi", c.key))
		}
	}
	// A field larger than any form allows.
	postForm(t, b, csrf, "/account/profile", "full_name", strings.Repeat("a", 20000), "locale", "vi").MustPage(t, http.StatusBadRequest, "/account/profile")
	if a := account(t, srv, sub); a.FullName != a0.FullName || a.Birthdate != a0.Birthdate || !a.UpdatedAt.Equal(a0.UpdatedAt) {
		t.Fatalf("bad input changed the account: %+v", a)
	}
	postForm(t, b, csrf, "/account/profile", "full_name", "  lê   văn CƯỜNG ", "birthdate", "20/11/1988", "gender", "nam", "locale", "vi").
		MustPage(t, http.StatusOK, "/account/profile")
	if a := account(t, srv, sub); a.FullName != "lê văn CƯỜNG" || a.Birthdate != "1988-11-20" || a.Gender != "male" {
		t.Errorf("the name did not change: %+v", a)
	}
	// Another name.
	postForm(t, b, csrf, "/account/profile", "full_name", "Lê Văn Cương", "birthdate", "1988-11-20", "gender", "male", "locale", "vi").
		MustPage(t, http.StatusOK, "/account/profile")
	if a := account(t, srv, sub); a.FullName != "Lê Văn Cương" {
		t.Errorf("the name did not change: %q", a.FullName)
	}
	audited(t, srv, "account.profile_update", map[string]string{"fields": "full_name", "full_name_after": "Lê Văn Cương"})
}
