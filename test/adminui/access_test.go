package adminui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

// The agencies of the tests.
const (
	soYTe   = "Sở Y tế"
	soTaiCh = "Sở Tài chính"
)

// province is a node with a super_admin, an agency_admin of the health
// department, a helpdesk official of it, an official of each department and
// a citizen.
type province struct {
	srv                                 *harness.Server
	super, agencyAdmin, helpdesk, nurse *person
	accountant, citizen, plain          *person
}

func newProvince(t *testing.T, opts ...harness.Option) *province {
	t.Helper()
	srv := harness.StartInProcess(t, opts...)
	p := &province{srv: srv,
		super:       official(t, srv, "qtv", "Quản trị viên", "Sở Khoa học và Công nghệ"),
		agencyAdmin: official(t, srv, "qt.yte", "Lê Văn Quản", soYTe),
		helpdesk:    official(t, srv, "hd.yte", "Phạm Thị Hỗ", soYTe),
		nurse:       official(t, srv, "yt.lan", "Đỗ Thị Lan", soYTe),
		accountant:  official(t, srv, "tc.minh", "Vũ Văn Minh", soTaiCh),
		plain:       official(t, srv, "cb.thuong", "Cán Bộ Thường", soYTe),
		citizen:     citizen(t, srv, "001190012345", "Nguyễn Thị Thu Hà", "1990-05-14", "female", "ha@example.vn"),
	}
	grant(t, srv, p.super, "super_admin", "")
	grant(t, srv, p.agencyAdmin, "agency_admin", soYTe)
	grant(t, srv, p.helpdesk, "helpdesk", soYTe)
	return p
}

func TestConsoleAccess(t *testing.T) {
	t.Parallel()
	p := newProvince(t)
	srv := p.srv

	t.Run("an account without a role gets the 403 page and nothing else", func(t *testing.T) {
		b := srv.NewBrowser(t)
		resp := b.Get(t, "/admin/people")
		page := resp.MustPage(t, http.StatusOK, "/login")
		resp = b.Submit(t, page.Form(t, "/login"), map[string]string{"identifier": p.plain.Username, "password": p.plain.Password})
		page = resp.MustPage(t, http.StatusForbidden, "/admin/people")
		mustText(t, page, "error.admin_role")
		if strings.Contains(page.Body, "console-nav") {
			t.Fatal("the 403 page shows the console's navigation")
		}
	})

	t.Run("a login's return path that leaves the server is not followed", func(t *testing.T) {
		for _, ret := range []string{"//evil.example/admin", "https://evil.example/admin", "/\\evil.example", "/admin/../..//evil.example"} {
			b := srv.NewBrowser(t)
			page := b.Get(t, "/login?return="+url.QueryEscape(ret)).MustPage(t, http.StatusOK, "/login")
			resp := b.Submit(t, page.Form(t, "/login"), map[string]string{"identifier": p.plain.Username, "password": p.plain.Password})
			if resp.Redirect != nil {
				t.Fatalf("return %q: the login sent the browser to %s", ret, resp.Redirect)
			}
			resp.MustPage(t, http.StatusOK, "/account")
		}
	})

	b := signIn(t, srv, p.super)

	t.Run("the console's home names the administrator and opens every section", func(t *testing.T) {
		page := b.Get(t, "/admin").MustPage(t, http.StatusOK, "/admin")
		for _, s := range []string{"people", "apps", "directories", "businesses", "audit"} {
			if !strings.Contains(page.Body, `href="/admin/`+s+`"`) {
				t.Errorf("no link to the section %s", s)
			}
		}
		mustText(t, page, "console.role.super_admin")
		if !strings.Contains(page.Body, "Quản trị viên") {
			t.Error("the administrator's name is not shown")
		}
	})

	t.Run("a form without its CSRF token changes nothing", func(t *testing.T) {
		resp := b.Send(t, http.MethodPost, "/admin/people/"+p.nurse.Sub+"/lock", url.Values{"reason": {"no token"}})
		page := resp.MustPage(t, http.StatusForbidden, "/admin/people/"+p.nurse.Sub+"/lock")
		mustText(t, page, "error.csrf")
		resp = b.Send(t, http.MethodPost, "/admin/apps", url.Values{"csrf_token": {"forged"}, "name": {"Forged"},
			"redirect_uris": {"https://forged.example/cb"}})
		resp.MustPage(t, http.StatusForbidden, "/admin/apps")
		nurse, err := srv.App.Store.GetAccount(context.Background(), p.nurse.Sub)
		if err != nil || nurse.Disabled {
			t.Fatalf("a post without a CSRF token locked the account (%v)", err)
		}
		if audited(t, srv, p.nurse.Sub, "account.lock") != 0 {
			t.Fatal("a refused lock was audited as done")
		}
		clients, _ := srv.App.Store.ListClients(context.Background())
		for _, c := range clients {
			if c.Name == "Forged" {
				t.Fatal("a post with a forged CSRF token registered an application")
			}
		}
	})

	t.Run("a token taken from another administrator's page is refused", func(t *testing.T) {
		other := signIn(t, srv, p.agencyAdmin)
		page := other.Get(t, "/admin/people/"+p.nurse.Sub).MustPage(t, http.StatusOK, "/admin/people/"+p.nurse.Sub)
		stolen, err := form(t, page, "/admin/people/"+p.nurse.Sub+"/lock").Values(map[string]string{"reason": "stolen"})
		if err != nil {
			t.Fatal(err)
		}
		resp := b.Send(t, http.MethodPost, "/admin/people/"+p.nurse.Sub+"/lock", stolen)
		mustText(t, resp.MustPage(t, http.StatusForbidden, "/admin/people/"+p.nurse.Sub+"/lock"), "error.csrf")
		if nurse, _ := srv.App.Store.GetAccount(context.Background(), p.nurse.Sub); nurse.Disabled {
			t.Fatal("a stolen token locked the account")
		}
	})

	t.Run("a destructive action of a stale session goes to re-authenticate, changing nothing", func(t *testing.T) {
		ctx := context.Background()
		sessions, err := srv.App.Sessions.OfSubject(ctx, p.super.Sub)
		if err != nil || len(sessions) == 0 {
			t.Fatalf("the administrator's session: %v", err)
		}
		page := b.Get(t, "/admin/people/"+p.nurse.Sub).MustPage(t, http.StatusOK, "/admin/people/"+p.nurse.Sub)
		lock := form(t, page, "/admin/people/"+p.nurse.Sub+"/lock")
		for _, s := range sessions {
			if err := srv.App.Sessions.Upgrade(ctx, s, s.ACR, s.AMR, time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		resp := b.Submit(t, lock, map[string]string{"reason": "stale"})
		if len(resp.Hops) == 0 || !strings.HasPrefix(resp.Hops[0].Location, srv.Base+"/login/reauth?return="+url.QueryEscape("/admin/people/"+p.nurse.Sub)) {
			t.Fatalf("a stale session's lock was not sent to re-authenticate:%s", resp)
		}
		resp.MustPage(t, http.StatusOK, "/login/reauth")
		nurse, _ := srv.App.Store.GetAccount(ctx, p.nurse.Sub)
		if nurse.Disabled {
			t.Fatal("the lock of a stale session was made")
		}
		// Reading is not destructive: the stale session still reads.
		b.Get(t, "/admin/people/"+p.nurse.Sub).MustPage(t, http.StatusOK, "/admin/people/"+p.nurse.Sub)
		for _, s := range sessions {
			if err := srv.App.Sessions.Upgrade(ctx, s, s.ACR, s.AMR, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("a session below LoA2 is sent to raise it", func(t *testing.T) {
		ctx := context.Background()
		sessions, _ := srv.App.Sessions.OfSubject(ctx, p.super.Sub)
		for _, s := range sessions {
			if err := srv.App.Sessions.Upgrade(ctx, s, "LoA1", []string{"pwd"}, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		resp := b.Get(t, "/admin/apps")
		if len(resp.Hops) == 0 || resp.Hops[0].Location != srv.Base+"/login/step-up?acr=LoA2&return=%2Fadmin%2Fapps" {
			t.Fatalf("a session at LoA1 was not sent to the step-up:%s", resp)
		}
		for _, s := range sessions {
			if err := srv.App.Sessions.Upgrade(ctx, s, "LoA2", []string{"pwd", "otp", "mfa"}, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestAgencyAdminStaysInItsAgency: an agency_admin opens and acts on the
// officials of its agency only; outside, the page is 403 in the person's
// language, nothing changes, and the refusal is audited.
func TestAgencyAdminStaysInItsAgency(t *testing.T) {
	t.Parallel()
	p := newProvince(t)
	srv := p.srv
	b := signIn(t, srv, p.agencyAdmin)
	ctx := context.Background()

	page := b.Get(t, "/admin/people/"+p.nurse.Sub).MustPage(t, http.StatusOK, "/admin/people/"+p.nurse.Sub)
	if !strings.Contains(page.Body, "Đỗ Thị Lan") {
		t.Fatal("the agency's own official is not shown")
	}
	lockForm := form(t, page, "/admin/people/"+p.nurse.Sub+"/lock")

	before := audited(t, srv, p.accountant.Sub, "admin.denied")
	for _, lang := range []string{"vi", "en"} {
		b.AcceptLanguage = lang
		page = b.Get(t, "/admin/people/"+p.accountant.Sub).MustPage(t, http.StatusForbidden, "/admin/people/"+p.accountant.Sub)
		if page.Lang() != lang || !strings.Contains(page.Body, ui.T(lang, "error.admin_scope")) {
			t.Fatalf("the refusal is not the 403 page in %s:\n%s", lang, page.Body)
		}
	}
	b.AcceptLanguage = "vi"
	// A post for the person outside, with a valid token (taken from a page of the agency).
	for _, action := range []string{"lock", "unlock", "end-sessions", "reset-factors", "password"} {
		vals, err := lockForm.Values(map[string]string{"reason": "outside"})
		if err != nil {
			t.Fatal(err)
		}
		vals.Set("password", "một-mật-khẩu-mới-dài")
		resp := b.Send(t, http.MethodPost, "/admin/people/"+p.accountant.Sub+"/"+action, vals)
		page := resp.MustPage(t, http.StatusForbidden, "/admin/people/"+p.accountant.Sub+"/"+action)
		mustText(t, page, "error.admin_scope")
	}
	acct, err := srv.App.Store.GetAccount(ctx, p.accountant.Sub)
	if err != nil || acct.Disabled {
		t.Fatalf("the official of another agency was changed (%v)", err)
	}
	if got := audited(t, srv, p.accountant.Sub, "admin.denied"); got < before+7 {
		t.Fatalf("%d refusals audited for the official outside the agency, want at least %d", got-before, 7)
	}
	for _, e := range srv.Audit(t, p.accountant.Sub, 50) {
		if e.Type != "admin.denied" && e.Type != "account.create" {
			t.Errorf("an event %s was recorded for the official outside the agency", e.Type)
		}
	}
	// The search lists the agency's officials, never those of another agency.
	page = b.Get(t, "/admin/people?q=.").MustPage(t, http.StatusOK, "/admin/people")
	if !strings.Contains(page.Body, "/admin/people/"+p.nurse.Sub) || strings.Contains(page.Body, p.accountant.Sub) ||
		strings.Contains(page.Body, "Vũ Văn Minh") || strings.Contains(page.Body, p.citizen.Sub) {
		t.Fatalf("the agency_admin's search is not its agency's officials:\n%s", page.Body)
	}

	// Inside the agency the same form works.
	resp := b.Submit(t, lockForm, map[string]string{"reason": "nghỉ phép dài"})
	page = resp.MustPage(t, http.StatusOK, "/admin/people/"+p.nurse.Sub)
	mustText(t, page, "console.done.locked")
	if n, _ := srv.App.Store.GetAccount(ctx, p.nurse.Sub); !n.Disabled {
		t.Fatal("the lock inside the agency was not made")
	}
}

// TestHelpdeskSeesNoSecret: the helpdesk's pages never hold a password
// hash, a TOTP secret or a client secret.
func TestHelpdeskSeesNoSecret(t *testing.T) {
	t.Parallel()
	p := newProvince(t)
	srv := p.srv
	// The nurse has an authenticator app, whose secret must not show.
	enrol(t, srv, p.nurse)
	app, secret, err := srv.Admin(t).CreateClient(context.Background(), admin.ClientSpec{Name: "Bệnh án điện tử",
		Agency: soYTe, RedirectURIs: []string{"https://ba.example.gov.vn/cb"}})
	if err != nil {
		t.Fatal(err)
	}

	b := signIn(t, srv, p.helpdesk)
	hash, err := srv.App.Store.PasswordHash(context.Background(), p.citizen.Sub)
	if err != nil || hash == "" {
		t.Fatalf("the citizen's password hash: %v", err)
	}
	secrets := map[string]string{"a TOTP secret": p.nurse.Secret, "a client secret": secret, "a password hash": hash,
		"an argon2 hash": "$argon2id$"}
	var pages []*harness.Page
	for _, path := range []string{"/admin", "/admin/people?q=" + p.nurse.Username, "/admin/people/" + p.nurse.Sub,
		"/admin/people/" + p.citizen.Sub, "/admin/people?q=001190012345", "/admin/businesses", "/admin/apps", "/admin/apps/" + app.ID,
		"/admin/audit"} {
		resp := b.Get(t, path)
		if resp.Page == nil {
			t.Fatalf("%s: no page:%s", path, resp)
		}
		pages = append(pages, resp.Page)
	}
	for _, page := range pages {
		for what, s := range secrets {
			if s != "" && strings.Contains(page.Body, s) {
				t.Errorf("%s (status %d) shows %s", page.URL, page.Status, what)
			}
		}
	}
	// The helpdesk reads a person and may not open the applications.
	if pages[3].Status != http.StatusOK {
		t.Fatalf("the helpdesk cannot open a citizen (%d)", pages[3].Status)
	}
	if pages[6].Status != http.StatusForbidden {
		t.Fatalf("the helpdesk opened the applications (%d)", pages[6].Status)
	}
	for _, action := range []string{"lock", "password", "roles/grant"} {
		if strings.Contains(pages[2].Body, `/`+action+`"`) {
			t.Errorf("the helpdesk is offered the action %s", action)
		}
	}
}

// TestStaleSessionReauthenticatesAndComesBack: a lock posted by a session
// whose login is older than mfa.reauthentication_max_age goes to
// /login/reauth (password, then the second factor) and back to the
// person's page, where the same lock then succeeds.
func TestStaleSessionReauthenticatesAndComesBack(t *testing.T) {
	t.Parallel()
	p := newProvince(t)
	srv := p.srv
	ctx := context.Background()
	b := signIn(t, srv, p.super)
	person := "/admin/people/" + p.nurse.Sub
	page := b.Get(t, person).MustPage(t, http.StatusOK, person)
	sessions, err := srv.App.Sessions.OfSubject(ctx, p.super.Sub)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("the administrator's sessions: %d, %v", len(sessions), err)
	}
	if err := srv.App.Sessions.Upgrade(ctx, sessions[0], sessions[0].ACR, sessions[0].AMR, time.Now().Add(-11*time.Minute)); err != nil {
		t.Fatal(err)
	}
	resp := b.Submit(t, form(t, page, person+"/lock"), map[string]string{"reason": "nghỉ việc"})
	reauth := resp.MustPage(t, http.StatusOK, "/login/reauth")
	if n, _ := srv.App.Store.GetAccount(ctx, p.nurse.Sub); n.Disabled {
		t.Fatal("the stale session's lock was made")
	}
	resp = b.Submit(t, reauth.Form(t, "/login/reauth"), map[string]string{"password": p.super.Password})
	resp = secondFactor(t, b, p.super, resp)
	page = resp.MustPage(t, http.StatusOK, person)
	resp = b.Submit(t, form(t, page, person+"/lock"), map[string]string{"reason": "nghỉ việc"})
	mustText(t, resp.MustPage(t, http.StatusOK, person), "console.done.locked")
	if n, _ := srv.App.Store.GetAccount(ctx, p.nurse.Sub); !n.Disabled || n.DisabledReason != "nghỉ việc" {
		t.Fatal("the lock after re-authenticating was not made")
	}
}
