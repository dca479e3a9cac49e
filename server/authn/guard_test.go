package authn_test

import (
	"context"
	"errors"
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

// attempt calls Attempt and fails the test on an error.
func attempt(t *testing.T, g *authn.Guard, subject, addr string) *authn.Try {
	t.Helper()
	try, err := g.Attempt(context.Background(), subject, addr)
	if err != nil {
		t.Fatalf("Attempt: %v", err)
	}
	return try
}

// fail settles try with Fail and returns whether a lock is in force.
func fail(t *testing.T, try *authn.Try) bool {
	t.Helper()
	locked, err := try.Fail(context.Background())
	if err != nil {
		t.Fatalf("Fail: %v", err)
	}
	return locked
}

// status returns a key's failures and lock.
func status(t *testing.T, g *authn.Guard, key string) (int64, bool) {
	t.Helper()
	n, locked, err := g.Status(context.Background(), key)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	return n, locked
}

func TestAttemptDelaysGrowThenLock(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	acct, addr := authn.AccountKey("acct-1"), authn.AddressKey("192.0.2.1")
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}
	for i, d := range want {
		try := attempt(t, g, acct, addr)
		if try.Locked || try.Delay != d {
			t.Fatalf("try %d: locked=%v delay=%v, want delay %v unlocked", i+1, try.Locked, try.Delay, d)
		}
		if locked := fail(t, try); locked != (i == len(want)-1) {
			t.Fatalf("try %d: Fail reports locked=%v", i+1, locked)
		}
	}
	if try := attempt(t, g, acct, addr); !try.Locked {
		t.Fatal("account not locked after the maximum failures")
	}
	// The lock started, then the counter was reset; a refused try gave its
	// reservation back.
	if n, locked := status(t, g, acct); !locked || n != 0 {
		t.Fatalf("Status(account) = %d, %v; want 0 failures, locked", n, locked)
	}
	if n, locked := status(t, g, addr); locked || n != 3 {
		t.Fatalf("Status(address) = %d, %v; want 3 failures, not locked", n, locked)
	}
	// Another account from another address is not affected.
	if try := attempt(t, g, authn.AccountKey("acct-2"), authn.AddressKey("192.0.2.2")); try.Locked || try.Delay != 0 {
		t.Fatalf("unrelated account: locked=%v delay=%v", try.Locked, try.Delay)
	}
	if err := g.Unlock(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if n, locked := status(t, g, acct); locked || n != 0 {
		t.Fatalf("after Unlock: Status = %d, %v", n, locked)
	}
	try := attempt(t, g, acct, addr)
	if try.Locked || try.Delay != 0 {
		t.Fatalf("after Unlock: locked=%v delay=%v", try.Locked, try.Delay)
	}
	if err := try.Succeed(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAttemptReservesBeforeVerifying(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	acct, addr := authn.AccountKey("acct-1"), authn.AddressKey("192.0.2.1")
	// Three tries in flight hold the limit of 3 before any is settled.
	var open []*authn.Try
	for i := range 3 {
		try := attempt(t, g, acct, addr)
		if try.Locked {
			t.Fatalf("try %d refused below the limit", i+1)
		}
		open = append(open, try)
	}
	if n, _ := status(t, g, acct); n != 3 {
		t.Fatalf("failures with 3 tries in flight = %d, want 3", n)
	}
	refused := attempt(t, g, acct, addr)
	if !refused.Locked {
		t.Fatal("a fourth try was let through while three were in flight")
	}
	// The refusal gave its reservations back, on the account and the address.
	if n, _ := status(t, g, acct); n != 3 {
		t.Fatalf("account failures after a refusal = %d, want 3", n)
	}
	if n, _ := status(t, g, addr); n != 3 {
		t.Fatalf("address failures after a refusal = %d, want 3", n)
	}
	// A refused try reserved nothing: it cannot be settled, and Release does nothing.
	if err := refused.Succeed(ctx); !errors.Is(err, authn.ErrSettled) {
		t.Fatalf("Succeed on a refused try: %v, want ErrSettled", err)
	}
	if _, err := refused.Fail(ctx); !errors.Is(err, authn.ErrSettled) {
		t.Fatalf("Fail on a refused try: %v, want ErrSettled", err)
	}
	if err := refused.Release(ctx); err != nil {
		t.Fatalf("Release on a refused try: %v", err)
	}
	if n, _ := status(t, g, acct); n != 3 {
		t.Fatalf("account failures after settling a refused try = %d, want 3", n)
	}

	// Release gives a reservation back on both counters, once.
	if err := open[0].Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := open[0].Release(ctx); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if _, err := open[0].Fail(ctx); !errors.Is(err, authn.ErrSettled) {
		t.Fatalf("Fail after Release: %v, want ErrSettled", err)
	}
	if n, _ := status(t, g, acct); n != 2 {
		t.Fatalf("account failures after a Release = %d, want 2", n)
	}
	if n, _ := status(t, g, addr); n != 2 {
		t.Fatalf("address failures after a Release = %d, want 2", n)
	}
	// The slot is free again; its delay counts the two tries still in flight.
	again := attempt(t, g, acct, addr)
	if again.Locked || again.Delay != 200*time.Millisecond {
		t.Fatalf("try after a Release: locked=%v delay=%v, want 200ms unlocked", again.Locked, again.Delay)
	}
	// The try counted at the limit starts the lock; the others, settled
	// later, see it in force.
	if !fail(t, again) {
		t.Fatal("the failure counted at the limit did not start a lock")
	}
	if !fail(t, open[1]) {
		t.Fatal("Fail does not report the lock another try started")
	}
	if err := open[2].Succeed(ctx); err != nil {
		t.Fatal(err)
	}
	if _, locked := status(t, g, acct); !locked {
		t.Fatal("a success of a try begun before the lock lifted it")
	}
	if _, err := open[2].Fail(ctx); !errors.Is(err, authn.ErrSettled) {
		t.Fatalf("Fail after Succeed: %v, want ErrSettled", err)
	}
}

func TestAttemptAddressSlowsDownNeverLocks(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	addr := authn.AddressKey("198.51.100.7")
	// Failures spread over many identifiers: the first 5 (the address limit)
	// go without the address's delay, the next ones wait longer and longer,
	// up to MaxDelay, and none is refused or locks anything.
	want := []time.Duration{0, 0, 0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond}
	for i, d := range want {
		try := attempt(t, g, authn.IdentifierKey(string(rune('a'+i))), addr)
		if try.Locked || try.Delay != d {
			t.Fatalf("try %d: locked=%v delay=%v, want delay %v unlocked", i+1, try.Locked, try.Delay, d)
		}
		if locked := fail(t, try); locked {
			t.Fatalf("try %d: Fail reports a lock", i+1)
		}
	}
	if n, locked := status(t, g, addr); locked || n != int64(len(want)) {
		t.Fatalf("Status(address) = %d, %v; want %d, not locked", n, locked, len(want))
	}
	// A different account's right password from that address is verified
	// (after the address's delay) and succeeds; the address only gets that
	// try back.
	fresh := authn.AccountKey("fresh")
	try := attempt(t, g, fresh, addr)
	if try.Locked || try.Delay != 400*time.Millisecond {
		t.Fatalf("a fresh account from the failing address: locked=%v delay=%v, want 400ms unlocked", try.Locked, try.Delay)
	}
	if err := try.Succeed(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := status(t, g, addr); n != int64(len(want)) {
		t.Fatalf("address failures after a success = %d, want %d", n, len(want))
	}
	// Another address is not slowed down, and Unlock clears the address.
	if try := attempt(t, g, authn.AccountKey("other"), authn.AddressKey("198.51.100.8")); try.Locked || try.Delay != 0 {
		t.Fatalf("another address: locked=%v delay=%v", try.Locked, try.Delay)
	}
	if err := g.Unlock(ctx, addr); err != nil {
		t.Fatal(err)
	}
	if try := attempt(t, g, authn.AccountKey("third"), addr); try.Locked || try.Delay != 0 {
		t.Fatalf("after Unlock: locked=%v delay=%v", try.Locked, try.Delay)
	}
}

func TestTrySucceedClearsTheSubjectOnly(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	acct, addr := authn.AccountKey("u"), authn.AddressKey("203.0.113.1")
	for range 2 {
		fail(t, attempt(t, g, acct, addr))
	}
	try := attempt(t, g, acct, addr)
	if try.Delay != 200*time.Millisecond {
		t.Fatalf("delay after 2 failures = %v, want 200ms", try.Delay)
	}
	if err := try.Succeed(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := status(t, g, acct); n != 0 {
		t.Fatalf("account failures after success = %d, want 0", n)
	}
	// The address keeps its failures; the success's own try is given back.
	if n, _ := status(t, g, addr); n != 2 {
		t.Fatalf("address failures after success = %d, want 2", n)
	}
	if try := attempt(t, g, acct, addr); try.Locked || try.Delay != 0 {
		t.Fatalf("after success: locked=%v delay=%v", try.Locked, try.Delay)
	}
	if err := try.Succeed(ctx); !errors.Is(err, authn.ErrSettled) {
		t.Fatalf("second Succeed: %v, want ErrSettled", err)
	}
}

func TestAttemptAddressOnly(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	addr := authn.AddressKey("192.0.2.50")
	if _, err := g.Attempt(ctx, "", ""); err == nil {
		t.Fatal("Attempt with no key succeeded")
	}
	// With no subject (or the address as subject) the address is reserved
	// once per try; its failures beyond the address limit give the delay,
	// and it is never refused.
	want := []time.Duration{0, 0, 0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond}
	for i, d := range want {
		subject := ""
		if i%2 == 1 {
			subject = addr
		}
		try := attempt(t, g, subject, addr)
		if try.Locked || try.Delay != d {
			t.Fatalf("try %d: locked=%v delay=%v, want %v unlocked", i+1, try.Locked, try.Delay, d)
		}
		if n, _ := status(t, g, addr); n != int64(i+1) {
			t.Fatalf("try %d: address counts %d, want %d", i+1, n, i+1)
		}
		if locked := fail(t, try); locked {
			t.Fatalf("try %d: Fail reports a lock", i+1)
		}
	}
}

func TestAttemptLockExpires(t *testing.T) {
	g, db := newGuard(t)
	now := time.Now()
	db.SetClock(func() time.Time { return now })
	acct, addr := authn.AccountKey("w"), authn.AddressKey("203.0.113.9")
	for range 3 {
		fail(t, attempt(t, g, acct, addr))
	}
	if try := attempt(t, g, acct, addr); !try.Locked {
		t.Fatal("not locked")
	}
	now = now.Add(2 * time.Minute)
	if try := attempt(t, g, acct, addr); try.Locked || try.Delay != 0 {
		t.Fatalf("lock outlived its duration: locked=%v delay=%v", try.Locked, try.Delay)
	}
}

func TestAttemptRefusesEveryTryUnderAZeroLimit(t *testing.T) {
	g, _ := newGuard(t)
	g.Policy.AccountMaxFailures = 0
	acct := authn.AccountKey("z")
	if try := attempt(t, g, acct, authn.AddressKey("192.0.2.9")); !try.Locked {
		t.Fatal("a limit of 0 let a try through")
	}
	if n, _ := status(t, g, acct); n != 0 {
		t.Fatalf("a refused try left %d failures", n)
	}
}

func TestAccountKey(t *testing.T) {
	a := authn.AccountKey("0f1e2d3c")
	if a != authn.AccountKey("0f1e2d3c") {
		t.Fatal("AccountKey is not stable")
	}
	for _, other := range []string{authn.AccountKey("0f1e2d3d"), authn.SecondFactorKey("0f1e2d3c"),
		authn.IdentifierKey("account:0f1e2d3c"), authn.AddressKey("0f1e2d3c")} {
		if a == other {
			t.Fatalf("AccountKey collides with %q", other)
		}
	}
}
