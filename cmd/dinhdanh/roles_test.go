package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRoleCommands grants, lists and revokes administrative roles from the
// command line, with the agency tree of the configuration, and refuses bad
// grants changing nothing.
func TestRoleCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "dinhdanh.yaml")
	text := "data_dir: " + filepath.Join(dir, "data") + `
admin:
  agencies:
    - name: UBND tỉnh
    - name: Sở Tư pháp
      parent: UBND tỉnh
`
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DINHDANH_CONFIG", "")
	cli := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(t.Context(), append(args, "--config", cfg), strings.NewReader(stdin), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	if out, err := cli("", "account", "create", "--kind", "official", "--name", "Ngô Văn Một Cửa", "--username",
		"motcua.nv", "--agency", "Sở Tư pháp"); err != nil {
		t.Fatalf("account create: %v\n%s", err, out)
	}
	out, err := cli("", "account", "grant-role", "--role", "helpdesk", "--agency", "Sở Tư pháp", "motcua.nv")
	if err != nil || !strings.Contains(out, "helpdesk in Sở Tư pháp") {
		t.Fatalf("grant-role: %v\n%s", err, out)
	}
	if out, err := cli("", "account", "grant-role", "--role", "helpdesk", "--agency", "Sở Tư pháp", "motcua.nv"); err == nil {
		t.Fatalf("granting a held role again succeeded:\n%s", out)
	}
	for _, bad := range [][]string{
		{"--role", "root"}, // no such role
		{"--role", "super_admin", "--agency", "Sở"}, // super_admin is province-wide
		{"--role", "agency_admin"},                  // needs an agency
		{"--role", "auditor", "--sub-units"},        // sub-units need an agency
	} {
		if out, err := cli("", append(append([]string{"account", "grant-role"}, bad...), "motcua.nv")...); err == nil {
			t.Fatalf("grant-role %v succeeded:\n%s", bad, out)
		}
	}
	out, err = cli("", "account", "roles", "--json", "motcua.nv")
	if err != nil {
		t.Fatalf("roles: %v\n%s", err, out)
	}
	var roles []map[string]any
	if err := json.Unmarshal([]byte(out), &roles); err != nil || len(roles) != 1 || roles[0]["role"] != "helpdesk" ||
		roles[0]["agency"] != "Sở Tư pháp" || roles[0]["granted_by"] != "cli" {
		t.Fatalf("roles printed %s (%v), want the one helpdesk grant", out, err)
	}
	if out, err := cli("", "account", "show", "--json", "motcua.nv"); err != nil || !strings.Contains(out, `"admin": true`) {
		t.Fatalf("an account holding a role does not show as admin: %v\n%s", err, out)
	}
	if out, err := cli("", "account", "revoke-role", "--role", "helpdesk", "--agency", "Sở Tư pháp", "motcua.nv"); err != nil {
		t.Fatalf("revoke-role: %v\n%s", err, out)
	}
	if out, err := cli("", "account", "revoke-role", "--role", "helpdesk", "--agency", "Sở Tư pháp", "motcua.nv"); err == nil {
		t.Fatalf("revoking a role not held succeeded:\n%s", out)
	}
	if out, _ := cli("", "account", "roles", "motcua.nv"); !strings.Contains(out, "holds no administrative role") {
		t.Fatalf("roles after revoke:\n%s", out)
	}
}
