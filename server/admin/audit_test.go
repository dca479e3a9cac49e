package admin_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// TestAdminAuditsBeforeAndAfter checks that the administrative changes
// record the before and after of the fields they change, and never a
// secret's value.
func TestAdminAuditsBeforeAndAfter(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "a.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sessions := &session.Manager{Store: db, Index: db, CookieName: "s", IdleTimeout: time.Hour, AbsoluteLifetime: time.Hour}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := audit.NewRecorder(db, log)
	svc := admin.NewService(admin.Service{Store: db, Eph: db, Sessions: sessions, Actor: "admin-1", MinPasswordLength: 8,
		Logout: session.NewLogout(session.Logout{Sessions: sessions, Store: db, Log: log}, rec),
		Guard:  &authn.Guard{Counters: db},
		Hasher: authn.Hasher{Params: authn.MinArgon2},
	}, rec)
	acct, _, err := svc.CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityOfficial, FullName: "Phạm Minh Châu",
		Username: "chau.pm", Agency: "Văn phòng UBND tỉnh"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	last := func(ev audit.Event) *store.AuditEvent {
		t.Helper()
		events, err := db.SearchAudit(ctx, store.AuditFilter{Types: []string{string(ev)}, Limit: 1})
		if err != nil || len(events) != 1 {
			t.Fatalf("%s: %v, %v", ev, events, err)
		}
		if events[0].Actor != "admin-1" {
			t.Fatalf("%s actor %q", ev, events[0].Actor)
		}
		return events[0]
	}
	if err := svc.Lock(ctx, acct, "mất điện thoại"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"reason": "mất điện thoại", "disabled.before": "false", "disabled.after": "true",
		"lock_reason.before": "", "lock_reason.after": "mất điện thoại"}
	if got := last(audit.AccountLock).Details; !maps.Equal(got, want) {
		t.Fatalf("lock details = %v, want %v", got, want)
	}
	if err := svc.Unlock(ctx, acct); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"disabled.before": "true", "disabled.after": "false", "lock_reason.before": "mất điện thoại",
		"lock_reason.after": ""}
	if got := last(audit.AccountUnlock).Details; !maps.Equal(got, want) {
		t.Fatalf("unlock details = %v, want %v", got, want)
	}
	const password = "mật-khẩu-mới-2025"
	if err := svc.SetPassword(ctx, acct, password); err != nil {
		t.Fatal(err)
	}
	if got := last(audit.AccountSetPassword).Details; !maps.Equal(got, map[string]string{"password": "changed"}) {
		t.Fatalf("set-password details = %v", got)
	}
	_, secret, err := svc.CreateClient(ctx, admin.ClientSpec{ID: "qlvb", Name: "Quản lý văn bản",
		RedirectURIs: []string{"https://qlvb.example.gov.vn/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := svc.RotateSecret(ctx, "qlvb")
	if err != nil {
		t.Fatal(err)
	}
	if got := last(audit.ClientRotateSecret).Details; !maps.Equal(got, map[string]string{"client_secret": "changed"}) {
		t.Fatalf("rotate-secret details = %v", got)
	}
	all, err := db.SearchAudit(ctx, store.AuditFilter{Limit: store.AuditMaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := db.PasswordHash(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		for k, v := range e.Details {
			for _, s := range []string{password, secret, rotated, hash} {
				if s != "" && strings.Contains(v, s) {
					t.Errorf("event %s records a secret in %s", e.Type, k)
				}
			}
		}
	}
}
