package adminui

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/ldaptest"
	"github.com/dinhdanh/dinhdanh/ui"
)

// TestDirectoriesInTheConsole: a staff directory (a real OpenLDAP) is
// listed with its servers; the console tests the connection and runs a
// synchronisation that creates its officials; an agency administrator of
// another agency does not see it and is refused its synchronisation.
func TestDirectoriesInTheConsole(t *testing.T) {
	t.Parallel()
	ldaptest.Require(t)
	dir := ldaptest.Start(t, ldaptest.Options{LDIF: ldaptest.Fixtures(t, filepath.Join("..", "officials", "testdata"))})
	file := filepath.Join(t.TempDir(), "dinhdanh.yaml")
	conf := fmt.Sprintf(`directories:
  - name: so-tttt
    agency: "Sở Thông tin và Truyền thông"
    domains: [STTTT]
    urls: [%q]
    start_tls: true
    ca_file: %q
    server_name: 127.0.0.1
    bind_dn: %q
    bind_password: %q
    users:
      base_dn: %q
    groups:
      base_dn: %q
    sync:
      interval: 0s
`, dir.URL, dir.CAFile, ldaptest.ServiceDN, ldaptest.ServicePassword, "ou=people,ou=officials,"+ldaptest.Suffix,
		"ou=groups,ou=officials,"+ldaptest.Suffix)
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := newProvince(t, harness.WithConfigFile(file))
	srv := p.srv
	b := signIn(t, srv, p.super)

	page := b.Get(t, "/admin/directories").MustPage(t, http.StatusOK, "/admin/directories")
	if !strings.Contains(page.Body, "so-tttt") || !strings.Contains(page.Body, dir.URL) {
		t.Fatalf("the directory is not listed with its server:\n%s", page.Body)
	}
	mustText(t, page, "console.directories.never")

	resp := b.Submit(t, form(t, page, "/admin/directories/so-tttt/test"), nil)
	page = resp.MustPage(t, http.StatusOK, "/admin/directories/so-tttt/test")
	mustText(t, page, "console.directories.test_ok")

	resp = b.Submit(t, form(t, page, "/admin/directories/so-tttt/sync"), nil)
	page = resp.MustPage(t, http.StatusOK, "/admin/directories/so-tttt/sync")
	mustText(t, page, "console.directories.sync_done")
	if strings.Contains(page.Body, ui.T(page.Lang(), "console.directories.never")) {
		t.Fatal("after the synchronisation the directory still says it never ran")
	}
	synced := 0
	for _, e := range srv.Audit(t, "", 200) {
		if e.Type == "directory.sync" && e.Actor == p.super.Sub && e.Details["directory"] == "so-tttt" && e.Details["created"] != "0" {
			synced++
		}
	}
	if synced != 1 {
		t.Fatalf("%d synchronisations that created officials audited for the administrator, want 1", synced)
	}
	home := b.Get(t, "/admin").MustPage(t, http.StatusOK, "/admin")
	if !strings.Contains(home.Body, "so-tttt") {
		t.Fatal("the overview does not show the directory")
	}

	// The health department's administrator: another agency's directory.
	a := signIn(t, srv, p.agencyAdmin)
	page = a.Get(t, "/admin/directories").MustPage(t, http.StatusOK, "/admin/directories")
	if strings.Contains(page.Body, "so-tttt") {
		t.Fatal("an agency_admin sees another agency's directory")
	}
	vals, _ := form(t, a.Get(t, "/admin/people/"+p.nurse.Sub).MustPage(t, http.StatusOK, "/admin/people/"+p.nurse.Sub),
		"/admin/people/"+p.nurse.Sub+"/end-sessions").Values(nil)
	resp = a.Send(t, http.MethodPost, "/admin/directories/so-tttt/sync", vals)
	mustText(t, resp.MustPage(t, http.StatusForbidden, "/admin/directories/so-tttt/sync"), "error.admin_scope")
}
