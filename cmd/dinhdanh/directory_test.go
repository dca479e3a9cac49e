package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/ldaptest"
)

// TestDirectoryCommands runs "directory test", "directory sync" and
// "directory list" against a real slapd holding the officials fixture.
func TestDirectoryCommands(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{LDIF: ldaptest.Fixtures(t, "../../test/officials/testdata")})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "dinhdanh.yaml")
	text := `data_dir: ` + filepath.Join(dir, "data") + `
directories:
  - name: so-tttt
    agency: Sở Thông tin và Truyền thông
    urls: [` + srv.LDAPSURL + `]
    ca_file: ` + srv.CAFile + `
    bind_dn: ` + ldaptest.ServiceDN + `
    bind_password: "` + ldaptest.ServicePassword + `"
    users:
      base_dn: ou=people,ou=officials,` + ldaptest.Suffix + `
    groups:
      base_dn: ou=groups,ou=officials,` + ldaptest.Suffix + `
`
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DINHDANH_CONFIG", "")
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(t.Context(), append(args, "--config", cfg), strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	if out, err := cli("directory", "test", "so-tttt"); err != nil || !strings.Contains(out, "\tok\t") {
		t.Fatalf("directory test: %v\n%s", err, out)
	}
	out, err := cli("directory", "sync", "so-tttt", "--json")
	if err != nil {
		t.Fatalf("directory sync: %v\n%s", err, out)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &res); err != nil || res["created"] != 1.0 || res["full"] != true {
		t.Fatalf("directory sync printed %s (%v)", out, err)
	}
	if out, err := cli("directory", "list"); err != nil || !strings.Contains(out, "accounts:   1 (0 disabled)") ||
		!strings.Contains(out, "breaker:    opens after 5 failed requests for 30s") {
		t.Fatalf("directory list: %v\n%s", err, out)
	}
	if _, err := cli("directory", "sync", "khong-co"); err == nil {
		t.Fatal("directory sync of an unknown directory succeeded")
	}
}

// TestDirectorySyncRefused runs "directory sync --full" against a directory
// whose search suddenly returns nobody: it exits with code 3, says so and
// disables nobody; "--force" applies it.
func TestDirectorySyncRefused(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{LDIF: ldaptest.Fixtures(t, "../../test/officials/testdata")})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "dinhdanh.yaml")
	write := func(filter string) {
		text := `data_dir: ` + filepath.Join(dir, "data") + `
directories:
  - name: so-tttt
    agency: Sở Thông tin và Truyền thông
    urls: [` + srv.LDAPSURL + `]
    ca_file: ` + srv.CAFile + `
    bind_dn: ` + ldaptest.ServiceDN + `
    bind_password: "` + ldaptest.ServicePassword + `"
    users:
      base_dn: ou=people,ou=officials,` + ldaptest.Suffix + `
      filter: "` + filter + `"
`
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DINHDANH_CONFIG", "")
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(t.Context(), append(args, "--config", cfg), strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	write("(objectClass=inetOrgPerson)")
	if out, err := cli("directory", "sync", "so-tttt", "--full"); err != nil {
		t.Fatalf("directory sync: %v\n%s", err, out)
	}
	write("(uid=khong-ai-ca)")
	_, err := cli("directory", "sync", "so-tttt", "--full")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 3 || !strings.Contains(err.Error(), "would disable 1 of 1") {
		t.Fatalf("directory sync over an empty result: %v, want exit code 3 and the count", err)
	}
	if out, err := cli("directory", "list"); err != nil || !strings.Contains(out, "accounts:   1 (0 disabled)") {
		t.Fatalf("directory list after the refused sync: %v\n%s", err, out)
	}
	if out, err := cli("directory", "sync", "so-tttt", "--full", "--force"); err != nil || !strings.Contains(out, "1 disabled") {
		t.Fatalf("directory sync --force: %v\n%s", err, out)
	}
}
