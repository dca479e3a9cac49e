package main

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
)

// TestAuditCommands searches, exports and verifies the audit log from the
// command line, then tampers with it in SQL as someone holding the
// database file would, and checks that verify reports the first break with
// exit status 1.
func TestAuditCommands(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "dinhdanh.yaml")
	if err := os.WriteFile(cfgPath, []byte("issuer: http://localhost:8080\ndata_dir: "+filepath.Join(dir, "data")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DINHDANH_CONFIG", "")
	cli := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		full := append([]string{args[0], args[1], "--config", cfgPath}, args[2:]...)
		err := run(ctx, full, strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("dinhdanh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	exitCode := func(err error) int {
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return -1
	}

	cfg, err := config.Load(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	const hyperlink = `=HYPERLINK("http://evil.example/","Nguyễn Văn An")`
	for _, e := range []*store.AuditEvent{
		{Type: string(audit.LoginFailure), Actor: "anonymous", Subject: "acct-1", ClientID: "portal", Address: "203.0.113.7"},
		{Type: string(audit.LoginSuccess), Actor: "acct-1", Subject: "acct-1", ClientID: "portal", Address: "203.0.113.7"},
		{Type: string(audit.AccountCreate), Actor: "cli", Subject: "acct-2", Details: map[string]string{"full_name": hyperlink}},
		{Type: string(audit.AccountLock), Actor: "cli", Subject: "acct-1", Details: map[string]string{"reason": "\x1b[31mred\x1b[0m"}},
		{Type: string(audit.ClientCreate), Actor: "cli", ClientID: "qlvb"},
	} {
		if err := db.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	out := must("audit", "search", "--subject", "acct-1", "--type", "login.,account.lock")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID ") || !strings.HasPrefix(lines[1], "4 ") ||
		!strings.HasPrefix(lines[3], "1 ") || !strings.Contains(lines[3], "login.failure") {
		t.Fatalf("audit search printed:\n%s", out)
	}
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `reason=\x1b[31mred\x1b[0m`) {
		t.Fatalf("audit search printed a terminal escape unescaped:\n%q", out)
	}
	out = must("audit", "search", "--limit", "2")
	if !strings.Contains(out, "more: add --before 4") {
		t.Fatalf("audit search --limit 2 printed:\n%s", out)
	}
	out = must("audit", "search", "--before", "4", "--limit", "2", "--json")
	var page []audit.JSONEvent
	if err := json.Unmarshal([]byte(out), &page); err != nil {
		t.Fatalf("audit search --json printed %q: %v", out, err)
	}
	var ids []int64
	for _, e := range page {
		ids = append(ids, e.ID)
	}
	if len(ids) != 2 || ids[0] != 3 || ids[1] != 2 {
		t.Fatalf("second page = %v, want [3 2]", ids)
	}

	out = must("audit", "export", "--format", "csv", "--type", "account.")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("export csv = %q, %v", out, err)
	}
	if strings.Contains(out, "\n=") || strings.Contains(out, ",=") || !strings.Contains(rows[2][7], "HYPERLINK") {
		t.Fatalf("export csv lets a formula through:\n%s", out)
	}
	file := filepath.Join(dir, "audit.jsonl")
	must("audit", "export", "--format", "jsonl", "--output", file)
	b, err := os.ReadFile(file)
	if err != nil || strings.Count(string(b), "\n") != 5 {
		t.Fatalf("export jsonl file = %q, %v", b, err)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("export file mode: %v %v", st.Mode(), err)
	}
	if _, err := cli("audit", "export", "--format", "jsonl", "--output", file); err == nil {
		t.Fatal("export overwrote an existing file")
	}

	for _, bad := range [][]string{
		{"audit", "search", "--limit", "5000"},
		{"audit", "search", "--from", "yesterday"},
		{"audit", "search", "--from", "2025-02-01", "--to", "2025-01-01"},
		{"audit", "search", "--type", "."},
		{"audit", "export", "--format", "xlsx"},
	} {
		if out, err := cli(bad...); exitCode(err) != 2 {
			t.Errorf("dinhdanh %s = %v (exit %d), want a usage error\n%s", strings.Join(bad, " "), err, exitCode(err), out)
		}
	}

	out = must("audit", "verify")
	if !strings.Contains(out, "verified: 5 events") || !strings.Contains(out, "ok: the chain is intact") {
		t.Fatalf("audit verify printed:\n%s", out)
	}

	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "data", "dinhdanh.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tamper := func(q string) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tamper(`UPDATE audit_log SET details='{"full_name":"Trần Thị B"}' WHERE id=3`)
	out, err = cli("audit", "verify")
	if exitCode(err) != 1 || !strings.Contains(out, "verified: 2 events") || !strings.Contains(out, "BROKEN at event 3 (content)") {
		t.Fatalf("audit verify after changing a detail = %v (exit %d):\n%s", err, exitCode(err), out)
	}
	tamper(`DELETE FROM audit_log WHERE id=3`)
	out, err = cli("audit", "verify")
	if exitCode(err) != 1 || !strings.Contains(out, "BROKEN at event 4 (missing): event 3 is missing") {
		t.Fatalf("audit verify after deleting a row = %v (exit %d):\n%s", err, exitCode(err), out)
	}
}
