package authn_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

func newGuard(t *testing.T) (*authn.Guard, *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "g.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return &authn.Guard{Counters: db, Policy: authn.GuardPolicy{AccountMaxFailures: 3, AddressMaxFailures: 5,
		Window: time.Minute, LockDuration: time.Minute, BaseDelay: 100 * time.Millisecond, MaxDelay: 400 * time.Millisecond}}, db
}

func TestGuardDelaysGrowThenLock(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	id, addr := authn.IdentifierKey("personal_id:001099012345"), authn.AddressKey("192.0.2.1")
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}
	for i, d := range want {
		v, err := g.Check(ctx, id, addr)
		if err != nil {
			t.Fatal(err)
		}
		if v.Locked || v.Delay != d {
			t.Fatalf("attempt %d: verdict %+v, want delay %v unlocked", i+1, v, d)
		}
		locked, err := g.Fail(ctx, id, addr)
		if err != nil {
			t.Fatal(err)
		}
		if locked != (i == len(want)-1) {
			t.Fatalf("attempt %d: locked=%v", i+1, locked)
		}
	}
	v, _ := g.Check(ctx, id, addr)
	if !v.Locked {
		t.Fatal("identifier not locked after the maximum failures")
	}
	if _, locked, _ := g.Status(ctx, id); !locked {
		t.Fatal("Status does not show the lock")
	}
	// Another identifier from another address is not affected.
	if v, _ := g.Check(ctx, authn.IdentifierKey("email:x@example.vn"), authn.AddressKey("192.0.2.2")); v.Locked || v.Delay != 0 {
		t.Fatalf("unrelated identifier: %+v", v)
	}
	if err := g.Unlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	if v, _ := g.Check(ctx, id, addr); v.Locked || v.Delay != 0 {
		t.Fatalf("after unlock: %+v", v)
	}
}

func TestGuardAddressLock(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	addr := authn.AddressKey("198.51.100.7")
	// Failures spread over many identifiers still lock the address.
	for i := 0; i < 5; i++ {
		if _, err := g.Fail(ctx, authn.IdentifierKey(string(rune('a'+i))), addr); err != nil {
			t.Fatal(err)
		}
	}
	v, err := g.Check(ctx, authn.IdentifierKey("fresh"), addr)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Locked {
		t.Fatal("address not locked after spraying passwords")
	}
}

func TestGuardSuccessClears(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	id, addr := authn.IdentifierKey("u"), authn.AddressKey("203.0.113.1")
	for i := 0; i < 2; i++ {
		if _, err := g.Fail(ctx, id, addr); err != nil {
			t.Fatal(err)
		}
	}
	before, err := g.Check(ctx, id, addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Succeed(ctx, id, before); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := g.Status(ctx, id); n != 0 {
		t.Fatalf("failures after success = %d, want 0", n)
	}
	v, _ := g.Check(ctx, id, addr)
	if v.Delay != 0 {
		t.Fatalf("delay after success = %v", v.Delay)
	}
}

func TestGuardWindowExpiry(t *testing.T) {
	ctx := context.Background()
	g, db := newGuard(t)
	now := time.Now()
	db.SetClock(func() time.Time { return now })
	id, addr := authn.IdentifierKey("w"), authn.AddressKey("203.0.113.9")
	for i := 0; i < 3; i++ {
		if _, err := g.Fail(ctx, id, addr); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := g.Check(ctx, id, addr); !v.Locked {
		t.Fatal("not locked")
	}
	now = now.Add(2 * time.Minute)
	if v, _ := g.Check(ctx, id, addr); v.Locked || v.Delay != 0 {
		t.Fatalf("lock outlived its duration: %+v", v)
	}
}
