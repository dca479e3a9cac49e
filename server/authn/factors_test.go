package authn_test

import (
	"context"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/store"
)

// TestInventory: the login and the console ask one inventory, so they agree
// on which factors an account has; a security key counts only while WebAuthn
// is on (the login used to skip keys then and the console to count them).
func TestInventory(t *testing.T) {
	ctx := context.Background()
	db, sub := newStore(t)
	on, off := authn.NewInventory(db, true), authn.NewInventory(db, false)
	for _, inv := range []*authn.Inventory{on, off} {
		f, err := inv.Of(ctx, sub)
		if err != nil || f.Any() || f.TOTP != nil || len(f.Keys) != 0 || f.RecoveryLeft != 0 {
			t.Fatalf("a new account has factors %+v (%v)", f, err)
		}
		if !f.ProvesSecondFactor("LoA1") || !f.Fresh("LoA1", time.Time{}, time.Now(), time.Minute) {
			t.Fatalf("an account without factors must prove none")
		}
	}
	key := &store.WebAuthnCredential{ID: []byte("key-1"), AccountID: sub, Name: "YubiKey", PublicKey: []byte{1, 2, 3},
		AttestationType: "none", AttestationFormat: "none", AAGUID: make([]byte, 16), CreatedAt: time.Now().UTC()}
	if err := db.AddWebAuthnCredential(ctx, key); err != nil {
		t.Fatal(err)
	}
	f, err := on.Of(ctx, sub)
	if err != nil || !f.Any() || len(f.Keys) != 1 {
		t.Fatalf("with WebAuthn on, the key is a factor: %+v (%v)", f, err)
	}
	if f.ProvesSecondFactor("LoA1") || !f.ProvesSecondFactor("LoA2") {
		t.Errorf("with a factor, only LoA2 proves it")
	}
	now := time.Now()
	if !f.Fresh("LoA2", now.Add(-time.Minute), now, 5*time.Minute) || f.Fresh("LoA2", now.Add(-time.Hour), now, 5*time.Minute) ||
		f.Fresh("LoA1", now, now, 5*time.Minute) {
		t.Errorf("Fresh: LoA2 within the age only")
	}
	if f, err := off.Of(ctx, sub); err != nil || f.Any() || len(f.Keys) != 0 {
		t.Fatalf("with WebAuthn off, the key is no factor: %+v (%v)", f, err)
	}
}
