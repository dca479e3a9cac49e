package app_test

import (
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestSweepHoldsClosedAccountAudit: the audit events about an account its
// holder deleted are kept until the end of
// privacy.closed_account_audit_retention, even past audit.retention; the
// purge stops before the oldest of them and the chain still verifies. Once
// that retention is over they go with the other old events.
func TestSweepHoldsClosedAccountAudit(t *testing.T) {
	srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_AUDIT_RETENTION", "720h"))
	ctx := t.Context()
	db, err := app.OpenDatabase(ctx, srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	a := &identity.Account{ID: identity.NewSubject(), FullName: "Người đã xóa", Email: "xoa@example.vn", Locale: "vi"}
	if err := db.CreateAccount(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	write := func(at time.Time, subject string) {
		t.Helper()
		db.SetClock(func() time.Time { return at })
		if err := db.AppendAudit(ctx, &store.AuditEvent{Type: string(audit.LoginSuccess), Actor: subject, Subject: subject}); err != nil {
			t.Fatal(err)
		}
	}
	write(now.Add(-2000*time.Hour), "someone-else")
	write(now.Add(-1500*time.Hour), a.ID)
	write(now.Add(-1000*time.Hour), "someone-else")
	write(now.Add(-10*time.Hour), "someone-else")
	db.SetClock(time.Now)
	if err := db.CloseAccount(ctx, store.ClosedAccount{AccountID: a.ID, ClosedAt: now, AuditUntil: now.Add(43800 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	srv.App.Sweep(ctx, now)
	kept, err := db.AuditAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 3 || kept[0].Subject != a.ID {
		t.Fatalf("after the sweep %d events are kept, the oldest about %q; want 3 from the closed account's", len(kept), kept[0].Subject)
	}
	if v, err := audit.Verify(ctx, db); err != nil || v.Break != nil {
		t.Fatalf("Verify after the sweep: %+v, %v", v, err)
	}
	// After the closed account's retention, its events go too.
	srv.App.Sweep(ctx, now.Add(43801*time.Hour))
	if kept, err = db.AuditAfter(ctx, 0, 1000); err != nil || len(kept) != 0 {
		t.Fatalf("after the retention %d events are kept (%v), want none", len(kept), err)
	}
}
