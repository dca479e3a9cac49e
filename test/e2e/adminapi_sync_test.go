package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/ldaptest"
)

// TestAdminAPIDirectorySyncProgress runs a synchronisation of a real
// OpenLDAP directory through the admin API, streaming its progress as JSON
// lines, and checks that an agency administrator of another agency is
// refused before anything runs.
func TestAdminAPIDirectorySyncProgress(t *testing.T) {
	t.Parallel()
	ldaptest.Require(t)
	dir := ldaptest.Start(t, ldaptest.Options{LDIF: ldaptest.Fixtures(t, filepath.Join("..", "officials", "testdata"))})
	file := filepath.Join(t.TempDir(), "dinhdanh.yaml")
	conf := fmt.Sprintf(`directories:
  - name: so-tttt
    agency: "Sở Thông tin và Truyền thông"
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
	a := newAdminAPI(t, harness.WithConfigFile(file))
	superTok, _ := a.token(t, apiSuper, authn.LoA2, "openid", "admin.read", "admin.write")
	agencyTok, _ := a.token(t, apiAgency, authn.LoA2, "openid", "admin.read", "admin.write")

	// An agency administrator of another agency: a problem, nothing run.
	a.do(t, "POST", "/directories/so-tttt/sync", agencyTok, map[string]any{"full": true}, "Accept", "application/jsonl").
		problem(t, http.StatusForbidden, "forbidden")

	r := a.do(t, "POST", "/directories/so-tttt/sync", superTok, map[string]any{"full": true}, "Accept", "application/jsonl")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/jsonl; charset=utf-8" {
		t.Fatalf("streamed sync: %d %s\n%s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) < 2 {
		t.Fatalf("want progress then the result, got %d lines:\n%s", len(lines), r.body)
	}
	last := lines[len(lines)-1]
	res, ok := last["result"].(map[string]any)
	if !ok || res["directory"] != "so-tttt" || res["full"] != true || res["created"].(float64) < 1 {
		t.Fatalf("the last line is not the result of the run: %v", last)
	}
	for _, l := range lines[:len(lines)-1] {
		if l["result"] != nil || l["problem"] != nil || l["total"].(float64) < l["done"].(float64) {
			t.Fatalf("progress line %v", l)
		}
	}
	// The run is audited like any synchronisation.
	evs := a.do(t, "GET", "/audit?type=directory.sync", superTok, nil).list(t)
	if len(evs) != 1 || evs[0].(map[string]any)["details"].(map[string]any)["directory"] != "so-tttt" {
		t.Fatalf("directory.sync audit rows: %v", evs)
	}
}
