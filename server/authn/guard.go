package authn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Counters is what the guard needs from the ephemeral store.
type Counters interface {
	Hit(ctx context.Context, key string, window time.Duration) (int64, error)
	Counts(ctx context.Context, keys ...string) ([]int64, error)
	ResetCounter(ctx context.Context, key string) error
}

// GuardPolicy configures the brute-force guard.
type GuardPolicy struct {
	AccountMaxFailures int
	AddressMaxFailures int
	Window             time.Duration
	LockDuration       time.Duration
	BaseDelay          time.Duration
	MaxDelay           time.Duration
}

// Guard counts failed logins per identifier and per source address.
type Guard struct {
	Counters Counters
	Policy   GuardPolicy
}

// Verdict is the guard's answer before a credential is checked.
type Verdict struct {
	// Locked is true while a temporary lock is in force.
	Locked bool
	// Delay is how long to wait before answering, growing with failures.
	Delay time.Duration
	// Failures is the identifier's count of recent failures.
	Failures int64
}

// IdentifierKey returns the counter key of a login identifier. The identifier
// is hashed: counters never store what people typed.
func IdentifierKey(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return "bf:id:" + hex.EncodeToString(sum[:12])
}

// SecondFactorKey returns the counter key of an account's second factor:
// wrong codes and refused security keys count toward its lock whatever
// identifier the person logged in with.
func SecondFactorKey(accountID string) string { return IdentifierKey("account:" + accountID) }

// AddressKey returns the counter key of a source address.
func AddressKey(addr string) string { return "bf:ip:" + addr }

func lockKey(key string) string { return "lock:" + key }

// Check returns whether the identifier or the address is locked, and the
// delay due for their recent failures.
func (g *Guard) Check(ctx context.Context, identifierKey, addressKey string) (Verdict, error) {
	var v Verdict
	n, err := g.Counters.Counts(ctx, lockKey(identifierKey), lockKey(addressKey), identifierKey)
	if err != nil {
		return v, err
	}
	if n[0] > 0 || n[1] > 0 {
		v.Locked = true
		return v, nil
	}
	v.Delay, v.Failures = g.delay(n[2]), n[2]
	return v, nil
}

func (g *Guard) delay(failures int64) time.Duration {
	if failures <= 0 || g.Policy.BaseDelay <= 0 {
		return 0
	}
	d := g.Policy.BaseDelay
	for i := int64(1); i < failures && d < g.Policy.MaxDelay; i++ {
		d *= 2
	}
	if d > g.Policy.MaxDelay {
		d = g.Policy.MaxDelay
	}
	return d
}

// Fail records a failure and reports whether it started a temporary lock.
func (g *Guard) Fail(ctx context.Context, identifierKey, addressKey string) (locked bool, err error) {
	n, err := g.Counters.Hit(ctx, identifierKey, g.Policy.Window)
	if err != nil {
		return false, err
	}
	if n >= int64(g.Policy.AccountMaxFailures) {
		if _, err := g.Counters.Hit(ctx, lockKey(identifierKey), g.Policy.LockDuration); err != nil {
			return false, err
		}
		if err := g.Counters.ResetCounter(ctx, identifierKey); err != nil {
			return false, err
		}
		locked = true
	}
	m, err := g.Counters.Hit(ctx, addressKey, g.Policy.Window)
	if err != nil {
		return locked, err
	}
	if m >= int64(g.Policy.AddressMaxFailures) {
		if _, err := g.Counters.Hit(ctx, lockKey(addressKey), g.Policy.LockDuration); err != nil {
			return locked, err
		}
		if err := g.Counters.ResetCounter(ctx, addressKey); err != nil {
			return locked, err
		}
		locked = true
	}
	return locked, nil
}

// Succeed clears the identifier's failure count after a success that v (the
// verdict of Check before the attempt) allowed. With no failures counted
// there is nothing to clear, and nothing is written.
func (g *Guard) Succeed(ctx context.Context, identifierKey string, v Verdict) error {
	if v.Failures == 0 {
		return nil
	}
	return g.Counters.ResetCounter(ctx, identifierKey)
}

// Status reports an identifier's current failures and whether it is locked
// (for administrators).
func (g *Guard) Status(ctx context.Context, identifierKey string) (failures int64, locked bool, err error) {
	n, err := g.Counters.Counts(ctx, identifierKey, lockKey(identifierKey))
	if err != nil {
		return 0, false, err
	}
	return n[0], n[1] > 0, nil
}

// Unlock lifts an identifier's lock and clears its failures.
func (g *Guard) Unlock(ctx context.Context, identifierKey string) error {
	if err := g.Counters.ResetCounter(ctx, lockKey(identifierKey)); err != nil {
		return err
	}
	return g.Counters.ResetCounter(ctx, identifierKey)
}
