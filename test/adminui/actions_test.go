package adminui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

// fieldInvalid reports whether the page marks the field with the id invalid.
func fieldInvalid(page *harness.Page, id string) bool {
	for _, tag := range []string{"input", "textarea", "select"} {
		for _, e := range page.ByTag(tag) {
			if e.Attrs["id"] == id && e.Attrs["aria-invalid"] == "true" {
				return true
			}
		}
	}
	return false
}

// secretShown returns the one-time secret on the page, "" when none.
func secretShown(page *harness.Page) string {
	for _, e := range page.ByTag("code") {
		if e.Attrs["id"] == "client-secret" {
			return strings.TrimSpace(e.Text)
		}
	}
	return ""
}

func TestApplicationsInTheConsole(t *testing.T) {
	t.Parallel()
	p := newProvince(t)
	srv := p.srv
	ctx := context.Background()
	b := signIn(t, srv, p.super)

	page := b.Get(t, "/admin/apps/new").MustPage(t, http.StatusOK, "/admin/apps/new")
	newForm := form(t, page, "/admin/apps")

	t.Run("bad input: a message per field, nothing registered", func(t *testing.T) {
		before, _ := srv.App.Store.ListClients(ctx)
		resp := b.Submit(t, newForm, map[string]string{"id": "-bad id-", "name": "", "redirect_uris": "http://qlvb.example.gov.vn/cb\nnot a uri",
			"scopes": "openid BAD!", "min_acr": "LoA2", "backchannel_logout_uri": "ftp://x"})
		page := resp.MustPage(t, http.StatusBadRequest, "/admin/apps")
		for field, id := range map[string]string{"id": "id", "name": "name", "redirect_uri": "redirect_uris", "scope": "scopes",
			"logout_uri": "backchannel_logout_uri"} {
			mustText(t, page, "console.invalid."+field)
			if !fieldInvalid(page, id) {
				t.Errorf("the field %s is not marked invalid", id)
			}
		}
		if !strings.Contains(page.Body, "http://qlvb.example.gov.vn/cb") {
			t.Error("the form lost what was typed")
		}
		after, _ := srv.App.Store.ListClients(ctx)
		if len(after) != len(before) {
			t.Fatalf("an invalid application was registered")
		}
	})

	var id, secret string
	t.Run("a new application: its secret once, its integration snippet", func(t *testing.T) {
		resp := b.Submit(t, newForm, map[string]string{"id": "qlvb", "name": "Quản lý văn bản", "agency": soYTe,
			"redirect_uris": "https://qlvb.example.gov.vn/cb", "scopes": "openid profile", "first_party": "1"})
		page := resp.MustPage(t, http.StatusCreated, "/admin/apps")
		id, secret = "qlvb", secretShown(page)
		c, err := srv.App.Store.GetClient(ctx, id)
		if err != nil {
			t.Fatalf("the application was not registered: %v", err)
		}
		if secret == "" || !bytes.Equal(c.SecretHash, oauth.HashSecret(secret)) {
			t.Fatalf("the secret shown (%q) is not the application's", secret)
		}
		if cc := page.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("the page with the secret has Cache-Control %q", cc)
		}
		for _, want := range []string{srv.Config.Issuer + "/.well-known/openid-configuration", "client_id:       qlvb",
			"redirect_uri:    https://qlvb.example.gov.vn/cb", srv.Config.Issuer + "/oauth2/auth?", "code_challenge_method=S256"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the integration snippet lacks %q", want)
			}
		}
		again := b.Get(t, "/admin/apps/"+id).MustPage(t, http.StatusOK, "/admin/apps/"+id)
		if strings.Contains(again.Body, secret) || secretShown(again) != "" {
			t.Fatal("the secret is shown a second time")
		}
		list := b.Get(t, "/admin/apps").MustPage(t, http.StatusOK, "/admin/apps")
		if strings.Contains(list.Body, secret) || !strings.Contains(list.Body, `href="/admin/apps/qlvb"`) {
			t.Fatal("the list of applications does not list it, or shows its secret")
		}
	})

	t.Run("edit: bad input changes nothing; a change is saved and audited, the secret kept", func(t *testing.T) {
		page := b.Get(t, "/admin/apps/"+id+"/edit").MustPage(t, http.StatusOK, "/admin/apps/"+id+"/edit")
		edit := form(t, page, "/admin/apps/"+id+"/edit")
		if edit.Value("name") != "Quản lý văn bản" || edit.Value("redirect_uris") != "https://qlvb.example.gov.vn/cb" {
			t.Fatalf("the edit form is not filled with the application's settings:\n%s", page.Body)
		}
		resp := b.Submit(t, edit, map[string]string{"redirect_uris": "https://qlvb.example.gov.vn/cb#frag"})
		bad := resp.MustPage(t, http.StatusBadRequest, "/admin/apps/"+id+"/edit")
		mustText(t, bad, "console.invalid.redirect_uri")
		if c, _ := srv.App.Store.GetClient(ctx, id); c.RedirectURIs[0] != "https://qlvb.example.gov.vn/cb" {
			t.Fatal("an invalid edit changed the application")
		}
		resp = b.Submit(t, edit, map[string]string{"name": "Quản lý văn bản và điều hành",
			"redirect_uris": "https://qlvb.example.gov.vn/cb\nhttps://qlvb.example.gov.vn/cb2", "min_acr": "LoA2"})
		done := resp.MustPage(t, http.StatusOK, "/admin/apps/"+id)
		mustText(t, done, "console.done.app_saved")
		c, _ := srv.App.Store.GetClient(ctx, id)
		if c.Name != "Quản lý văn bản và điều hành" || len(c.RedirectURIs) != 2 || c.MinimumACR != "LoA2" || c.Agency != soYTe {
			t.Fatalf("the edit was not saved as sent: %+v", c)
		}
		if !bytes.Equal(c.SecretHash, oauth.HashSecret(secret)) {
			t.Fatal("the edit changed the secret")
		}
		found := false
		for _, e := range srv.Audit(t, "", 200) {
			if e.Type == "client.edit" && e.ClientID == id && e.Actor == p.super.Sub && e.Details["after.name"] == c.Name {
				found = true
			}
		}
		if !found {
			t.Fatal("the edit is not audited with the administrator and the change")
		}
	})

	t.Run("rotate: a new secret shown once, the old one refused", func(t *testing.T) {
		page := b.Get(t, "/admin/apps/"+id).MustPage(t, http.StatusOK, "/admin/apps/"+id)
		resp := b.Submit(t, form(t, page, "/admin/apps/"+id+"/rotate"), nil)
		page = resp.MustPage(t, http.StatusOK, "/admin/apps/"+id+"/rotate")
		fresh := secretShown(page)
		c, _ := srv.App.Store.GetClient(ctx, id)
		if fresh == "" || fresh == secret || !bytes.Equal(c.SecretHash, oauth.HashSecret(fresh)) {
			t.Fatalf("the rotation's secret (%q) is not the application's new one", fresh)
		}
	})

	t.Run("delete", func(t *testing.T) {
		page := b.Get(t, "/admin/apps/"+id).MustPage(t, http.StatusOK, "/admin/apps/"+id)
		resp := b.Submit(t, form(t, page, "/admin/apps/"+id+"/delete"), nil)
		mustText(t, resp.MustPage(t, http.StatusOK, "/admin/apps"), "console.done.app_deleted")
		if _, err := srv.App.Store.GetClient(ctx, id); err == nil {
			t.Fatal("the application was not deleted")
		}
		b.Get(t, "/admin/apps/"+id).MustPage(t, http.StatusNotFound, "/admin/apps/"+id)
	})
}

// TestHelpdeskServesAPerson: the helpdesk finds a citizen by personal ID
// and unlocks, ends sessions, resets factors and records in-person
// proofing, each audited with the helpdesk as actor; it is offered no lock
// and a lock it posts is refused.
func TestHelpdeskServesAPerson(t *testing.T) {
	t.Parallel()
	p := newProvince(t)
	srv := p.srv
	ctx := context.Background()
	ha, err := srv.App.Store.GetAccount(ctx, p.citizen.Sub)
	if err != nil {
		t.Fatal(err)
	}
	// Five wrong passwords lock her out for a while.
	for i := 0; i < 5; i++ {
		c := srv.NewBrowser(t)
		page := c.Get(t, "/login").MustPage(t, http.StatusOK, "/login")
		c.Submit(t, page.Form(t, "/login"), map[string]string{"identifier": "001190012345", "password": "sai-mật-khẩu-" + fmt.Sprint(i)})
	}
	if st, _ := srv.App.Admin("cli").Status(ctx, ha); len(st.Failures) == 0 && len(st.TemporarilyLocked) == 0 {
		t.Fatalf("the wrong passwords were not counted: %+v", st)
	}
	b := signIn(t, srv, p.helpdesk)

	page := b.Get(t, "/admin/people?q=001190").MustPage(t, http.StatusOK, "/admin/people")
	href := "/admin/people/" + ha.ID
	if !strings.Contains(page.Body, `href="`+href+`"`) {
		t.Fatalf("the search by the beginning of the personal ID does not find her:\n%s", page.Body)
	}
	page = b.Get(t, href).MustPage(t, http.StatusOK, href)
	for _, a := range []string{"lock", "password", "roles/grant"} {
		if strings.Contains(page.Body, `action="`+href+"/"+a+`"`) {
			t.Errorf("the helpdesk is offered %s", a)
		}
	}
	for _, step := range []struct{ action, notice, event string }{
		{"unlock", "unlocked", "account.unlock"},
		{"end-sessions", "sessions_ended", "account.end_sessions"},
		{"reset-factors", "factors_reset", "account.reset_factors"},
	} {
		resp := b.Submit(t, form(t, page, href+"/"+step.action), nil)
		page = resp.MustPage(t, http.StatusOK, href)
		mustText(t, page, "console.done."+step.notice)
		if n := audited(t, srv, ha.ID, step.event); n != 1 {
			t.Errorf("%s: %d events %s", step.action, n, step.event)
		}
	}
	if st, _ := srv.App.Admin("cli").Status(ctx, ha); len(st.Failures) != 0 || len(st.TemporarilyLocked) != 0 {
		t.Errorf("the unlock left the counters: %+v", st)
	}
	for _, e := range srv.Audit(t, ha.ID, 20) {
		if strings.HasPrefix(e.Type, "account.") && e.Type != "account.create" && e.Actor != p.helpdesk.Sub {
			t.Errorf("%s is audited as %q, not the helpdesk", e.Type, e.Actor)
		}
	}

	// In-person proofing: a wrong number is shown on the field and changes nothing.
	resp := b.Submit(t, form(t, page, href+"/proofing"), map[string]string{"personal_id": "00119001234", "document": "cccd"})
	bad := resp.MustPage(t, http.StatusBadRequest, href+"/proofing")
	mustText(t, bad, "console.invalid.personal_id")
	if !fieldInvalid(bad, "personal_id") {
		t.Error("the personal ID field is not marked invalid")
	}
	resp = b.Submit(t, form(t, page, href+"/proofing"), map[string]string{"personal_id": "001190012345", "document": "cccd"})
	mustText(t, resp.MustPage(t, http.StatusOK, href), "console.done.proofing_recorded")
	got, _ := srv.App.Store.GetAccount(ctx, ha.ID)
	if !got.PersonalIDVerified() || got.Proofing.By != "Phạm Thị Hỗ" || got.Proofing.Document != "cccd" {
		t.Fatalf("the proof is not recorded by the helpdesk official: %+v", got.Proofing)
	}

	// A lock the helpdesk posts anyway (with its valid token) is refused.
	vals, _ := form(t, page, href+"/end-sessions").Values(nil)
	vals.Set("reason", "không được")
	resp = b.Send(t, http.MethodPost, href+"/lock", vals)
	mustText(t, resp.MustPage(t, http.StatusForbidden, href+"/lock"), "error.admin_role")
	if got, _ := srv.App.Store.GetAccount(ctx, ha.ID); got.Disabled {
		t.Fatal("the helpdesk locked the account")
	}
}

// TestBusinessesInTheConsole: the helpdesk links a proven citizen to a
// business, finds its representatives by tax code, and unlinks her.
func TestBusinessesInTheConsole(t *testing.T) {
	t.Parallel()
	p := newProvince(t)
	srv := p.srv
	ctx := context.Background()
	ha, _ := srv.App.Store.GetAccount(ctx, p.citizen.Sub)
	if _, _, err := srv.Admin(t).VerifyPersonalID(ctx, ha, "001190012345", admin.Evidence{Method: "in_person", Document: "cccd", By: "Một cửa"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	b := signIn(t, srv, p.helpdesk)
	page := b.Get(t, "/admin/businesses").MustPage(t, http.StatusOK, "/admin/businesses")
	link := form(t, page, "/admin/businesses/link")

	resp := b.Submit(t, link, map[string]string{"account": "001190012345", "tax_code": "0304567890", "business_name": "Sen Vàng"})
	mustText(t, resp.MustPage(t, http.StatusBadRequest, "/admin/businesses/link"), "console.invalid.tax_code")
	resp = b.Submit(t, link, map[string]string{"account": "không-có-ai", "tax_code": "0304567898"})
	mustText(t, resp.MustPage(t, http.StatusBadRequest, "/admin/businesses/link"), "console.invalid.account_ref")
	if reps, _ := srv.App.Store.Representations(ctx, ha.ID); len(reps) != 0 {
		t.Fatal("bad input linked a business")
	}

	resp = b.Submit(t, link, map[string]string{"account": "001190012345", "tax_code": "0304567898",
		"business_name": "Công ty Cổ phần Sen Vàng", "role": "legal_representative"})
	page = resp.MustPage(t, http.StatusOK, "/admin/businesses")
	mustText(t, page, "console.done.business_linked")
	if !strings.Contains(page.Body, "Công ty Cổ phần Sen Vàng") || !strings.Contains(page.Body, `href="/admin/people/`+ha.ID+`"`) {
		t.Fatalf("the business page does not list its representative:\n%s", page.Body)
	}
	resp = b.Submit(t, form(t, page, "/admin/businesses/unlink"), nil)
	mustText(t, resp.MustPage(t, http.StatusOK, "/admin/businesses"), "console.done.business_unlinked")
	if reps, _ := srv.App.Store.Representations(ctx, ha.ID); len(reps) != 0 {
		t.Fatal("the unlink left the representation")
	}
	if audited(t, srv, ha.ID, "business.link") != 1 || audited(t, srv, ha.ID, "business.unlink") != 1 {
		t.Fatal("the link and the unlink are not audited")
	}
}

// TestAuditLogInTheConsole: filters and pages; an agency's administrator
// names a person of its agency, and is refused another.
func TestAuditLogInTheConsole(t *testing.T) {
	t.Parallel()
	p := newProvince(t)
	srv := p.srv
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	for i := 0; i < 120; i++ {
		if err := srv.App.Store.AppendAudit(ctx, &store.AuditEvent{Time: base.Add(time.Duration(i) * time.Second), Type: "test.event",
			Actor: "cli", Subject: p.nurse.Sub, Details: map[string]string{"n": fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	b := signIn(t, srv, p.super)
	page := b.Get(t, "/admin/audit?type=test.event").MustPage(t, http.StatusOK, "/admin/audit")
	if n := strings.Count(page.Body, "<code>test.event</code>"); n != 50 {
		t.Fatalf("the first page shows %d events, want 50", n)
	}
	if !strings.Contains(page.Body, "n=119") || strings.Contains(page.Body, "n=69<") {
		t.Fatal("the first page is not the newest events")
	}
	next := linkTo(t, page, "/admin/audit")
	for _, a := range page.ByTag("a") {
		if strings.Contains(a.Attrs["href"], "offset=50") {
			next = a.Attrs["href"]
		}
	}
	page = b.Get(t, strings.ReplaceAll(next, "&amp;", "&")).MustPage(t, http.StatusOK, "/admin/audit")
	if !strings.Contains(page.Body, "n=69,") && !strings.Contains(page.Body, "n=69<") {
		t.Fatalf("the second page does not go on where the first ended:\n%s", page.Body)
	}
	page = b.Get(t, "/admin/audit?type=test.event&offset=100").MustPage(t, http.StatusOK, "/admin/audit")
	if n := strings.Count(page.Body, "<code>test.event</code>"); n != 20 {
		t.Fatalf("the last page shows %d events, want 20", n)
	}
	page = b.Get(t, "/admin/audit?from=14-03-2025").MustPage(t, http.StatusBadRequest, "/admin/audit")
	mustText(t, page, "console.invalid.from")

	a := signIn(t, srv, p.agencyAdmin)
	page = a.Get(t, "/admin/audit").MustPage(t, http.StatusOK, "/admin/audit")
	mustText(t, page, "console.invalid.filter")
	page = a.Get(t, "/admin/audit?subject="+p.nurse.Sub+"&type=test.event").MustPage(t, http.StatusOK, "/admin/audit")
	if n := strings.Count(page.Body, "<code>test.event</code>"); n != 50 {
		t.Fatalf("the agency_admin sees %d events of its official, want 50", n)
	}
	page = a.Get(t, "/admin/audit?subject="+url.QueryEscape(p.accountant.Sub)).MustPage(t, http.StatusForbidden, "/admin/audit")
	if !strings.Contains(page.Body, ui.T(page.Lang(), "error.admin_scope")) {
		t.Fatal("the audit of another agency's official is not refused as out of scope")
	}
}
