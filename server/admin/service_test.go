package admin_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/store"
)

func (f *roleFixture) client(id, agency string) *store.Client {
	f.t.Helper()
	c, _, err := f.cli.CreateClient(context.Background(), admin.ClientSpec{ID: id, Name: "Ứng dụng " + id, Agency: agency,
		RedirectURIs: []string{"https://" + id + ".example.gov.vn/cb"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// lastEvent returns the newest audit event of the type.
func (f *roleFixture) lastEvent(typ string) *store.AuditEvent {
	f.t.Helper()
	evs, err := f.db.ListAudit(context.Background(), "", 500)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == typ {
			return e
		}
	}
	return nil
}

func TestEditClient(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	c := f.client("qlvb", agSo)
	before, _ := f.db.GetClient(ctx, "qlvb")
	agencyAdmin := f.official("Lê Quản Trị Sở", "qt.so", agSo)
	f.grant(agencyAdmin, "agency_admin", agSo, true)
	as := f.as(agencyAdmin, "LoA2", time.Minute)

	spec := admin.SpecOf(c)
	spec.Name = "Quản lý văn bản"
	spec.Scopes = []string{"openid", "profile", "admin.read"}
	spec.MinimumACR = "LoA2"
	got, err := as.EditClient(ctx, "qlvb", spec)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Quản lý văn bản" || got.MinimumACR != "LoA2" || got.SecretHash != nil {
		t.Fatalf("EditClient returned %+v", got)
	}
	stored, _ := f.db.GetClient(ctx, "qlvb")
	if !bytes.Equal(stored.SecretHash, before.SecretHash) || stored.Name != "Quản lý văn bản" {
		t.Fatalf("stored after edit: %+v (secret must not change)", stored)
	}
	e := f.lastEvent("client.edit")
	if e == nil || e.Actor != agencyAdmin.ID || e.ClientID != "qlvb" || e.Address != "192.0.2.7" ||
		e.Details["before.name"] != "Ứng dụng qlvb" || e.Details["after.name"] != "Quản lý văn bản" ||
		e.Details["before.min_acr"] != "" || e.Details["after.min_acr"] != "LoA2" ||
		!strings.Contains(e.Details["changed"], "scopes") || strings.Contains(e.Details["changed"], "redirect_uris") {
		t.Fatalf("client.edit audit = %+v", e)
	}
	for k, v := range e.Details {
		if strings.Contains(k, "secret") || strings.Contains(v, fmt.Sprintf("%x", before.SecretHash)) {
			t.Fatalf("client.edit audit holds a secret: %s=%s", k, v)
		}
	}

	// Bad input: every problem, nothing written.
	bad := admin.SpecOf(stored)
	bad.Name, bad.RedirectURIs, bad.MinimumACR, bad.Public = "", []string{"http://evil.example/cb"}, "LoA9", true
	_, err = as.EditClient(ctx, "qlvb", bad)
	var p admin.Problems
	if pe, ok := err.(admin.Problems); ok {
		p = pe
	}
	fields := map[string]bool{}
	for _, x := range p {
		fields[x.Field] = true
	}
	for _, want := range []string{"name", "redirect_uri", "min_acr", "public"} {
		if !fields[want] {
			t.Errorf("EditClient(bad) problems %v lack %q", err, want)
		}
	}
	if again, _ := f.db.GetClient(ctx, "qlvb"); again.Name != "Quản lý văn bản" || !again.UpdatedAt.Equal(stored.UpdatedAt) {
		t.Fatalf("a refused edit changed the client: %+v", again)
	}

	// Outside the agency: refused and audited, nothing changed.
	f.client("tc", agKhac)
	s2 := admin.SpecOf(stored)
	s2.Name = "x"
	_, err = as.EditClient(ctx, "tc", s2)
	wantDenied(t, err, "scope", "edit of another agency's client")
	if d := f.lastEvent("admin.denied"); d == nil || d.Actor != agencyAdmin.ID || d.Details["permission"] != "client.write" {
		t.Fatalf("refusal audit = %+v", d)
	}
	// Moving one's own client to another agency is refused too.
	move := admin.SpecOf(stored)
	move.Agency = agKhac
	_, err = as.EditClient(ctx, "qlvb", move)
	wantDenied(t, err, "scope", "moving a client out of the agency")
	if _, err := as.EditClient(ctx, "khong-co", s2); !admin.IsNotFound(err) {
		t.Fatalf("EditClient(unknown) = %v", err)
	}
	// Stale authentication: a destructive change is refused.
	_, err = f.as(agencyAdmin, "LoA2", time.Hour).EditClient(ctx, "qlvb", admin.SpecOf(stored))
	wantDenied(t, err, "reauthenticate", "edit with a stale authentication")
}

// Concurrent patches of different fields all land; concurrent rotations
// leave exactly one valid secret.
func TestClientConcurrentChanges(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	f.client("dvc", "")
	var wg sync.WaitGroup
	start := make(chan struct{})
	uris := []string{}
	for i := range 6 {
		uris = append(uris, fmt.Sprintf("https://dvc.example.gov.vn/cb%d", i))
	}
	errs := make([]error, 6)
	for i := range 6 {
		wg.Go(func() {
			<-start
			_, errs[i] = f.cli.PatchClient(ctx, "dvc", func(s *admin.ClientSpec) {
				s.PostLogoutRedirectURIs = append(s.PostLogoutRedirectURIs, uris[i])
			})
		})
	}
	secrets := make([]string, 10)
	serrs := make([]error, 10)
	for i := range 10 {
		wg.Go(func() {
			<-start
			secrets[i], serrs[i] = f.cli.RotateSecret(ctx, "dvc")
		})
	}
	close(start)
	wg.Wait()
	c, _ := f.db.GetClient(ctx, "dvc")
	for i, err := range errs {
		if err != nil && err != store.ErrChanged {
			t.Fatalf("patch %d: %v", i, err)
		}
	}
	landed := 0
	for _, u := range uris {
		for _, x := range c.PostLogoutRedirectURIs {
			if x == u {
				landed++
			}
		}
	}
	okPatches := 0
	for _, err := range errs {
		if err == nil {
			okPatches++
		}
	}
	if landed != okPatches || landed == 0 {
		t.Fatalf("%d patches succeeded, %d of their URIs are stored: %v", okPatches, landed, c.PostLogoutRedirectURIs)
	}
	valid, seen := 0, map[string]bool{}
	for i, s := range secrets {
		if serrs[i] != nil {
			t.Fatalf("rotation %d: %v", i, serrs[i])
		}
		if seen[s] {
			t.Fatal("two rotations returned the same secret")
		}
		seen[s] = true
		if bytes.Equal(oauth.HashSecret(s), c.SecretHash) {
			valid++
		}
	}
	if valid != 1 {
		t.Fatalf("%d of 10 rotated secrets are valid, want exactly the last one", valid)
	}
}

func TestSearchAccountsScoped(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	agencyAdmin := f.official("Lê Quản Trị Sở", "qt.so", agSo)
	f.grant(agencyAdmin, "agency_admin", agSo, true)
	helpdesk := f.official("Trần Một Cửa", "motcua", agHuyen)
	f.grant(helpdesk, "helpdesk", agHuyen, false)
	inTT := f.official("Nguyễn Trung Tâm", "trung.tam", agTT)
	outside := f.official("Vũ Sở Khác", "so.khac", agKhac)
	cit := f.citizen("Nguyễn Văn Dân", "dan@example.vn")
	ids := func(as []*identity.Account) map[string]bool {
		m := map[string]bool{}
		for _, a := range as {
			m[a.ID] = true
		}
		return m
	}
	got, err := f.as(agencyAdmin, "LoA2", time.Hour).SearchAccounts(ctx, admin.AccountQuery{})
	if err != nil {
		t.Fatal(err)
	}
	m := ids(got)
	if !m[inTT.ID] || !m[agencyAdmin.ID] || m[outside.ID] || m[cit.ID] || m[helpdesk.ID] {
		t.Fatalf("agency_admin sees %v", m)
	}
	got, _ = f.as(helpdesk, "LoA2", time.Hour).SearchAccounts(ctx, admin.AccountQuery{Text: "Nguyễn"})
	m = ids(got)
	if !m[cit.ID] || m[inTT.ID] {
		t.Fatalf("helpdesk sees %v", m)
	}
	all, _ := f.cli.SearchAccounts(ctx, admin.AccountQuery{Limit: 2})
	next, _ := f.cli.SearchAccounts(ctx, admin.AccountQuery{Limit: 2, Offset: 2})
	if len(all) != 2 || len(next) != 2 || all[0].ID == next[0].ID {
		t.Fatalf("paging: %d then %d", len(all), len(next))
	}
	_, err = f.as(agencyAdmin, "LoA2", time.Hour).SearchAccounts(ctx, admin.AccountQuery{Agency: agKhac})
	wantDenied(t, err, "scope", "search of another agency")
	_, err = f.as(agencyAdmin, "LoA1", time.Minute).SearchAccounts(ctx, admin.AccountQuery{})
	wantDenied(t, err, "level", "search at LoA1")
	if _, err := f.cli.SearchAccounts(ctx, admin.AccountQuery{Limit: 1000, Kind: "alien"}); err == nil {
		t.Fatal("bad query accepted")
	} else if p, ok := err.(admin.Problems); !ok || len(p) != 2 {
		t.Fatalf("bad query: %v", err)
	}
}

func TestPersonBusinessAuditDashboard(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	helpdesk := f.official("Trần Một Cửa", "motcua", agHuyen)
	f.grant(helpdesk, "helpdesk", agHuyen, false)
	auditorSo := f.official("Phan Kiểm Toán", "kiemtoan", agSo)
	f.grant(auditorSo, "auditor", agSo, false)
	inSo := f.official("Nguyễn Trong Sở", "trong.so", agSo)
	outside := f.official("Vũ Sở Khác", "so.khac", agKhac)
	cit := f.citizen("Nguyễn Văn Dân", "dan@example.vn")
	cit, _, err := f.cli.VerifyPersonalID(ctx, cit, "001090000123", admin.Evidence{Method: "in-person", Document: "cccd", By: "x"}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cli.LinkRepresentative(ctx, cit, "0100109106", "Công ty Sen Vàng", "legal_representative"); err != nil {
		t.Fatal(err)
	}
	hd := f.as(helpdesk, "LoA2", time.Minute)
	v, err := hd.Person(ctx, cit)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Businesses) != 1 || len(v.Recent) == 0 || v.Account.ID != cit.ID || v.Sessions == nil || v.Factors == nil {
		t.Fatalf("Person = %+v", v)
	}
	if _, err := hd.Person(ctx, inSo); err == nil {
		t.Fatal("helpdesk read an official outside its scope")
	}
	b, err := hd.Business(ctx, "0100109106")
	if err != nil || len(b.Representatives) != 1 || b.Representatives[0].Name != cit.FullName {
		t.Fatalf("Business = %+v, %v", b, err)
	}
	if _, err := hd.Business(ctx, "12"); err == nil {
		t.Fatal("bad tax code accepted")
	}
	if _, err := hd.Business(ctx, "0314409058"); !admin.IsNotFound(err) {
		t.Fatalf("unknown business: %v", err)
	}
	// An agency auditor reads the events of a person of its agency only.
	au := f.as(auditorSo, "LoA2", time.Hour)
	if _, err := au.SearchAudit(ctx, admin.AuditQuery{}); err == nil {
		t.Fatal("an agency auditor searched the whole audit log")
	}
	evs, err := au.SearchAudit(ctx, admin.AuditQuery{Subject: inSo.ID})
	if err != nil || len(evs) == 0 {
		t.Fatalf("SearchAudit(in scope) = %d, %v", len(evs), err)
	}
	_, err = au.SearchAudit(ctx, admin.AuditQuery{Subject: outside.ID})
	wantDenied(t, err, "scope", "auditor reading outside its agency")
	_, err = au.Dashboard(ctx, f.now)
	wantDenied(t, err, "scope", "agency auditor's dashboard")
	// The command line: filters and paging.
	page, err := f.cli.SearchAudit(ctx, admin.AuditQuery{Type: "account.", Limit: 2})
	if err != nil || len(page) != 2 || !strings.HasPrefix(page[0].Type, "account.") {
		t.Fatalf("SearchAudit(type prefix) = %v, %v", page, err)
	}
	page2, _ := f.cli.SearchAudit(ctx, admin.AuditQuery{Type: "account.", Limit: 2, Offset: 1})
	if page2[0].ID != page[1].ID {
		t.Fatal("offset does not page")
	}
	if _, err := f.cli.SearchAudit(ctx, admin.AuditQuery{From: f.now, To: f.now.Add(-time.Hour)}); err == nil {
		t.Fatal("to before from accepted")
	}
	d, err := f.cli.Dashboard(ctx, time.Now())
	if err != nil || d.LogoutQueue == nil || d.Logins == nil {
		t.Fatalf("Dashboard = %+v, %v", d, err)
	}
}
