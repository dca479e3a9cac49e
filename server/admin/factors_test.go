package admin_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
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

func TestResetFactors(t *testing.T) {
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
	svc := admin.NewService(admin.Service{Store: db, Eph: db, Sessions: sessions, Actor: "cli", MinPasswordLength: 8,
		Logout: session.NewLogout(session.Logout{Sessions: sessions, Store: db, Log: log}, rec),
		Guard:  &authn.Guard{Counters: db},
		Hasher: authn.Hasher{Params: authn.MinArgon2},
	}, rec)
	acct, _, err := svc.CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityOfficial, FullName: "Phạm Minh Châu",
		Username: "chau.pm", Agency: "Văn phòng UBND tỉnh"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := svc.CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityOfficial, FullName: "Đỗ Văn Bình",
		Username: "binh.dv", Agency: "Sở Tài chính"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*identity.Account{acct, other} {
		if err := db.PutTOTP(ctx, &store.TOTPCredential{ID: "totp-" + a.ID, AccountID: a.ID, SealedSecret: []byte("sealed"),
			Digits: 6, Period: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if err := db.ReplaceRecoveryCodes(ctx, a.ID, []string{"h1-" + a.ID, "h2-" + a.ID}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddWebAuthnCredential(ctx, &store.WebAuthnCredential{ID: []byte("key-" + a.ID), AccountID: a.ID,
			Name: "YubiKey", PublicKey: []byte{1, 2, 3}}); err != nil {
			t.Fatal(err)
		}
	}
	s := &session.SSO{AccountID: acct.ID, Capacity: "official", ACR: "LoA2"}
	if err := sessions.Create(ctx, httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), s); err != nil {
		t.Fatal(err)
	}

	n, err := svc.ResetFactors(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("removed %d factors, want 3 (app, recovery codes, key)", n)
	}
	if _, err := db.GetTOTP(ctx, acct.ID); err != store.ErrNotFound {
		t.Errorf("authenticator app still there: %v", err)
	}
	if left, _ := db.RecoveryCodesLeft(ctx, acct.ID); left != 0 {
		t.Errorf("%d recovery codes left", left)
	}
	if keys, _ := db.WebAuthnCredentials(ctx, acct.ID); len(keys) != 0 {
		t.Errorf("%d security keys left", len(keys))
	}
	if _, err := sessions.Lookup(ctx, s.ID); err != session.ErrNoSession {
		t.Error("the session survived the reset")
	}
	// Another person's factors are untouched.
	if _, err := db.GetTOTP(ctx, other.ID); err != nil {
		t.Errorf("another account's app was removed: %v", err)
	}
	if keys, _ := db.WebAuthnCredentials(ctx, other.ID); len(keys) != 1 {
		t.Error("another account's key was removed")
	}
	events, _ := db.ListAudit(ctx, acct.ID, 10)
	found := false
	for _, e := range events {
		found = found || e.Type == "account.reset_factors"
	}
	if !found {
		t.Error("the reset was not audited")
	}
}
