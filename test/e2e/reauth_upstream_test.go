package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/upstreamop"
)

// minhPerson is another person VNeID knows, with an account of his own here.
var minhPerson = upstreamop.Person{Sub: "vneid-22c0d8", Username: "tran.van.minh", Password: "mat-khau-cua-Minh-2024",
	PersonalID: "001088004321", Name: "Trần Văn Minh", Birthdate: "19880312", Gender: "1"}

// reauthAtVNeID follows the re-authentication page's "Xác nhận bằng VNeID"
// from the privacy download, logs in at VNeID as who and returns where the
// browser ended up; it checks that VNeID was asked to authenticate anew
// (prompt=login, max_age=0).
func reauthAtVNeID(t *testing.T, b *harness.Browser, op *upstreamop.OP, who upstreamop.Person) *harness.Response {
	t.Helper()
	reauth := b.Get(t, "/account/privacy/download").MustPage(t, http.StatusOK, "/login/reauth")
	href := ""
	for _, a := range reauth.ByTag("a") {
		if strings.HasPrefix(a.Attrs["href"], "/login/upstream/vneid?flow=") && strings.Contains(a.Inner, "Xác nhận bằng VNeID") {
			href = a.Attrs["href"]
		}
	}
	if href == "" {
		t.Fatalf("the re-authentication page offers no confirmation with VNeID:\n%s", reauth.Body)
	}
	resp := b.Get(t, href)
	asked := false
	for _, h := range resp.Hops {
		if u, err := url.Parse(h.Location); err == nil && strings.HasPrefix(h.Location, op.Issuer) && u.Path == "/auth" {
			q := u.Query()
			asked = q.Get("prompt") == "login" && q.Get("max_age") == "0"
		}
	}
	if !asked {
		t.Errorf("VNeID was not asked for prompt=login and max_age=0: %s", resp)
	}
	page := resp.MustPage(t, http.StatusOK, "/login/username")
	return b.Submit(t, page.Form(t, "/login/username"), map[string]string{"username": who.Username, "password": who.Password})
}

// noDownload checks that the session still needs a fresh authentication
// for the privacy download.
func noDownload(t *testing.T, b *harness.Browser) {
	t.Helper()
	if r := b.Get(t, "/account/privacy/download"); r.Page == nil || r.Page.Path() != "/login/reauth" {
		t.Errorf("a refused confirmation opened the download: %s", r)
	}
}

// TestReauthWithVNeID: a citizen whose account logs in only through VNeID
// (no password, no passkey) confirms who they are with VNeID before
// downloading their data: VNeID is asked to authenticate them anew, the
// session's auth_time is renewed and the download opens. The same
// confirmation by another person at VNeID (who has an account of his own)
// is refused, audited, and renews nothing; so is one whose auth_time at
// VNeID is an hour old.
func TestReauthWithVNeID(t *testing.T) {
	t.Parallel()
	op := upstreamop.Start(t, vneidClient, vneidSecret, "http://127.0.0.1:*/login/upstream/vneid/callback", vneidPerson, minhPerson)
	srv := harness.StartInProcess(t, harness.WithConfigFile(upstreamConfig(t, op.Issuer)),
		harness.WithEnv("DINHDANH_MFA_REAUTHENTICATION_MAX_AGE", "1m"))
	logIn := func(who upstreamop.Person) *harness.Browser {
		b := srv.NewBrowser(t)
		b.AddOrigin(op.Issuer)
		page := b.Get(t, upstreamButton(t, b.Get(t, "/login").MustPage(t, http.StatusOK, "/login"))).MustPage(t, http.StatusOK, "/login/username")
		b.Submit(t, page.Form(t, "/login/username"), map[string]string{"username": who.Username, "password": who.Password}).
			MustPage(t, http.StatusOK, "/account")
		return b
	}
	logIn(minhPerson)
	good, other, stale := logIn(vneidPerson), logIn(vneidPerson), logIn(vneidPerson)
	lan := showAccount(t, srv, vneidPerson.PersonalID)
	// The logins are older than mfa.reauthentication_max_age from here on.
	time.Sleep(61 * time.Second)

	// Another person at VNeID: refused, nothing renewed.
	resp := reauthAtVNeID(t, other, op, minhPerson)
	page := resp.MustPage(t, http.StatusForbidden, "/login/upstream/vneid/callback")
	if !strings.Contains(page.Body, "không phải tài khoản đã liên kết") {
		t.Errorf("the refusal does not say why:\n%s", page.Body)
	}
	noDownload(t, other)
	if e := audited(t, srv, "reauth.failure", map[string]string{"method": "upstream", "reason": "other_person"}); e.Subject != lan.Sub {
		t.Errorf("the refusal is audited for %q, want %q", e.Subject, lan.Sub)
	}
	if acct := other.Get(t, "/account").MustPage(t, http.StatusOK, "/account"); strings.Contains(acct.Body, minhPerson.Name) {
		t.Error("the refused confirmation put the other person's account in the session")
	}

	// A login at VNeID that is not fresh: refused, nothing renewed.
	op.ShiftAuthTime(-time.Hour)
	page = reauthAtVNeID(t, stale, op, vneidPerson).MustPage(t, http.StatusForbidden, "/login/upstream/vneid/callback")
	op.ShiftAuthTime(0)
	if !strings.Contains(page.Body, "vừa đăng nhập lại") {
		t.Errorf("the refusal does not say why:\n%s", page.Body)
	}
	noDownload(t, stale)
	audited(t, srv, "reauth.failure", map[string]string{"method": "upstream", "reason": "stale"})

	// Lan herself: back to the download, which now opens.
	page = reauthAtVNeID(t, good, op, vneidPerson).MustPage(t, http.StatusOK, "/account/privacy/download")
	file := good.Submit(t, page.Form(t, "/account/privacy/download"), nil).MustPage(t, http.StatusOK, "/account/privacy/download")
	if cd := file.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(file.Body, lan.Sub) {
		t.Errorf("no download after the confirmation: %q\n%.500s", cd, file.Body)
	}
	if e := audited(t, srv, "reauth.success", map[string]string{"method": "upstream", "provider": "vneid", "acr": "LoA2"}); e.Subject != lan.Sub {
		t.Errorf("the confirmation is audited for %q, want %q", e.Subject, lan.Sub)
	}
	noDownload(t, other)
	noDownload(t, stale)
}
