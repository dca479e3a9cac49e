package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

func openDB(t *testing.T) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "audit.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// jsonLog returns a logger writing JSON lines to the returned buffer.
func jsonLog() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, nil)), &buf
}

func TestFromRequestWritesAddressAndActor(t *testing.T) {
	db := openDB(t)
	log, buf := jsonLog()
	rec := audit.NewRecorder(db, log)

	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = "203.0.113.7:51234"
	rec.FromRequest(r, audit.LoginSuccess, "acct-1", "portal", map[string]string{"method": "password"})
	anon := httptest.NewRequest("POST", "/login", nil)
	anon.RemoteAddr = "198.51.100.2:40000"
	rec.FromRequest(anon, audit.LoginLocked, "", "portal", nil)

	events, err := db.ListAudit(context.Background(), "acct-1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("events of acct-1: %d, want 1", len(events))
	}
	e := events[0]
	if e.Type != "login.success" || e.Actor != "acct-1" || e.Subject != "acct-1" || e.ClientID != "portal" ||
		e.Address != "203.0.113.7" || e.Details["method"] != "password" || e.Time.IsZero() {
		t.Fatalf("recorded %+v", e)
	}
	all, err := db.ListAudit(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("events: %d, want 2", len(all))
	}
	if a := all[0]; a.Type != "login.locked" || a.Actor != "anonymous" || a.Subject != "" || a.Address != "198.51.100.2" {
		t.Fatalf("anonymous event recorded as %+v", a)
	}
	if buf.Len() != 0 {
		t.Fatalf("successful writes logged: %s", buf)
	}
}

func TestRecordWritesEntryAsGiven(t *testing.T) {
	db := openDB(t)
	log, _ := jsonLog()
	rec := audit.NewRecorder(db, log)
	err := rec.Record(context.Background(), audit.Entry{Event: audit.ClientRotateSecret, Actor: "cli", ClientID: "portal",
		Details: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	all, err := db.ListAudit(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Type != "client.rotate_secret" || all[0].Actor != "cli" || all[0].Subject != "" ||
		all[0].ClientID != "portal" || all[0].Address != "" || all[0].Details["k"] != "v" {
		t.Fatalf("recorded %+v", all)
	}
}

// A failed write is logged every time, and Record returns it.
func TestFailedWriteIsLogged(t *testing.T) {
	db := openDB(t)
	log, buf := jsonLog()
	rec := audit.NewRecorder(db, log)
	db.Close() // every later write fails

	err := rec.Record(context.Background(), audit.Entry{Event: audit.AccountLock, Actor: "cli", Subject: "acct-9"})
	if err == nil {
		t.Fatal("Record on a closed store returned no error")
	}
	r := httptest.NewRequest("POST", "/account/security", nil)
	rec.FromRequest(r, audit.MFATOTPRemoved, "acct-9", "", nil)

	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want one per failed write:\n%s", len(lines), buf)
	}
	for i, want := range []string{"account.lock", "mfa.totp_removed"} {
		m := lines[i]
		if m["level"] != "ERROR" || m["event"] != want || m["subject"] != "acct-9" || m["err"] == "" || m["err"] == nil {
			t.Errorf("log line %d: %v", i, m)
		}
	}
}

func TestZeroRecorderPanics(t *testing.T) {
	for name, rec := range map[string]*audit.Recorder{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Record on an unbuilt Recorder did not panic")
				}
			}()
			_ = rec.Record(context.Background(), audit.Entry{Event: audit.LoginFailure})
		})
	}
}
