package authn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Counters is what the guard needs from the ephemeral store
// (store.Ephemeral has these methods).
type Counters interface {
	// Hit adds one to the counter within a window starting at its first hit
	// and returns the new count, atomically.
	Hit(ctx context.Context, key string, window time.Duration) (int64, error)
	// Unhit takes one back, atomically, never below zero, leaving the window
	// as it is.
	Unhit(ctx context.Context, key string) error
	// Counts returns the current values of counters (0 when absent or expired).
	Counts(ctx context.Context, keys ...string) ([]int64, error)
	// ResetCounter removes the counter.
	ResetCounter(ctx context.Context, key string) error
}

// GuardPolicy configures the brute-force guard.
type GuardPolicy struct {
	// AccountMaxFailures is the limit of tries of one subject (an account, an
	// identifier that matches none, a second factor) counted within Window.
	// A limit below 1 refuses every try.
	AccountMaxFailures int
	// AddressMaxFailures is how many tries from one source address, counted
	// within Window, go without the address's delay. An address is never
	// refused: each try beyond this many waits BaseDelay × 2^(k−1), k being
	// its rank beyond the limit, capped at MaxDelay (many people may share
	// one address behind a NAT or a proxy, and a lock would refuse them all).
	AddressMaxFailures int
	// Window is how long a counter lasts from its first try.
	Window time.Duration
	// LockDuration is how long a lock of a subject started by Fail lasts.
	LockDuration time.Duration
	// BaseDelay and MaxDelay shape the wait before verifying: BaseDelay ×
	// 2^(failures−1), capped at MaxDelay; zero BaseDelay means no wait.
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

// Guard limits the tries of a credential per subject and slows down a source
// address that fails too often.
// Its one entry point is Attempt; see there for the protocol and why it holds
// under parallel requests on any number of nodes.
type Guard struct {
	Counters Counters
	Policy   GuardPolicy
}

// ErrSettled is returned by Try.Succeed and Try.Fail on a try that was
// already settled, or that was refused (Locked) and so reserved nothing.
var ErrSettled = errors.New("authn: the try is already settled or was refused")

// Try is one reserved attempt at a credential, returned by Guard.Attempt.
// A Try is used by one goroutine.
type Try struct {
	// Locked says the try was refused: a lock of the subject is in force or
	// the subject's limit of tries is reached. Nothing is reserved, and the
	// credential must not be verified.
	Locked bool
	// Delay is how long to wait before verifying: the longer of the
	// subject's delay, which grows with its recent failures, and the
	// address's, which grows with its failures beyond AddressMaxFailures;
	// both count the tries still being verified in parallel.
	Delay time.Duration

	g        *Guard
	reserved []reservation
	settled  bool
}

// reservation is one counter's share of a try.
type reservation struct {
	key     string
	count   int64 // the counter's value right after this try's hit
	limit   int64
	subject bool
}

// Attempt reserves one try for subjectKey and one for addressKey atomically,
// before the credential is verified. A try that would exceed the subject's
// limit, or meets the subject's lock in force, is refused (an address is
// never refused, only delayed; see GuardPolicy.AddressMaxFailures): the returned Try has Locked set, nothing
// is reserved, and the caller must not verify the credential. Otherwise the
// caller waits Try.Delay, verifies, and settles the try exactly once with
// Succeed or Fail (or Release when the verification could not be done).
//
// subjectKey is AccountKey for an account's password or first factor,
// IdentifierKey for an identifier that matches no account (so that answers
// do not reveal whether an account exists), SecondFactorKey for a second
// factor. It may be "", or equal to addressKey, when no subject is known yet
// (a passkey before it names its account): then only the address is
// reserved. On an error (an outage of the store) Attempt gives back what it
// reserved; a hit that cannot be given back stays counted until its window
// ends.
//
// The protocol, and why it holds under any interleaving of requests on any
// number of nodes:
//
//  1. Reserve: Hit the subject's counter, then the address's. Hit is one
//     atomic increment, so every try gets its own count: with limit N the
//     tries of one window get 1, 2, …, and only those counted 1…N go on. A try
//     counted above the subject's limit gives its hits back (Unhit: one
//     atomic decrement that never goes below zero and keeps the window) and
//     is refused. A reservation is counted as a failure until it is settled,
//     so N parallel tries hold the counter at N before any of them is
//     verified, and the (N+1)th is refused however the requests interleave.
//     The address's count only sets the try's delay: parallel tries from one
//     address get distinct counts, so each try beyond its limit waits, the
//     later ones longer (up to MaxDelay), however they interleave.
//  2. Then read the subject's lock key; a lock in force refuses the try (its
//     hits are given back).
//  3. Fail by the try counted N (the Nth failure) sets the subject's lock,
//     and only then resets the counter. A try whose hit comes after that
//     reset reads the lock after its hit, hence after the lock was set, and
//     is refused. A try whose hit came before the reset was counted in the
//     old window, among the N. So among any number of parallel tries at most
//     N are verified per window and lock period for a subject. A hit given
//     back after the reset by a try refused before it can only lower the
//     count of tries that the lock refuses anyway, and is lost at the floor
//     of zero. The address's counter is never reset by a failure: it lasts
//     its window.
//  4. Succeed clears the subject's counter, as a success always did, which
//     lets N more tries of the subject through. A success during an
//     attacker's burst can only come from someone holding the credential, so
//     this gives an attacker nothing the credential does not. (A hit given
//     back just after such a reset, by a try refused just before it, lowers
//     the new count by one: the tries let through after a success, an
//     administrator's Unlock or the end of a window exceed N by at most the
//     refused tries that were in flight at that instant.) The address's
//     counter only gets the try back: a success does not clear the failures
//     of an address.
//  5. Release gives the hits back: a try whose verification could not be
//     done (an outage) is not counted against anyone.
//
// A try that is never settled (the request died) stays counted as a failure
// until the counter's window ends, which errs on the safe side.
func (g *Guard) Attempt(ctx context.Context, subjectKey, addressKey string) (*Try, error) {
	if subjectKey == addressKey {
		subjectKey = ""
	}
	if subjectKey == "" && addressKey == "" {
		return nil, errors.New("authn: a try needs a subject or an address")
	}
	t := &Try{g: g}
	var wanted []reservation
	if subjectKey != "" {
		wanted = append(wanted, reservation{key: subjectKey, limit: int64(g.Policy.AccountMaxFailures), subject: true})
	}
	if addressKey != "" {
		wanted = append(wanted, reservation{key: addressKey, limit: int64(g.Policy.AddressMaxFailures)})
	}
	for _, r := range wanted {
		n, err := g.Counters.Hit(ctx, r.key, g.Policy.Window)
		if err != nil {
			return nil, errors.Join(err, t.giveBack(ctx))
		}
		r.count = n
		t.reserved = append(t.reserved, r)
		if r.subject && n > r.limit {
			return t.refuse(ctx)
		}
	}
	if locks := t.subjectLocks(); len(locks) > 0 {
		n, err := g.Counters.Counts(ctx, locks...)
		if err != nil {
			return nil, errors.Join(err, t.giveBack(ctx))
		}
		for _, m := range n {
			if m > 0 {
				return t.refuse(ctx)
			}
		}
	}
	for _, r := range t.reserved {
		d := g.delay(r.count - 1)
		if !r.subject {
			d = g.delay(r.count - r.limit)
		}
		t.Delay = max(t.Delay, d)
	}
	return t, nil
}

// subjectLocks returns the lock key of the try's subject, if it has one.
func (t *Try) subjectLocks() []string {
	var locks []string
	for _, r := range t.reserved {
		if r.subject {
			locks = append(locks, lockKey(r.key))
		}
	}
	return locks
}

// refuse gives the try's hits back and returns it refused.
func (t *Try) refuse(ctx context.Context) (*Try, error) {
	if err := t.giveBack(ctx); err != nil {
		return nil, err
	}
	return &Try{Locked: true}, nil
}

// giveBack takes back every hit the try made, and forgets them.
func (t *Try) giveBack(ctx context.Context) error {
	var errs []error
	for _, r := range t.reserved {
		if err := t.g.Counters.Unhit(ctx, r.key); err != nil {
			errs = append(errs, err)
		}
	}
	t.reserved = nil
	return errors.Join(errs...)
}

// settle marks the try settled, or says why it cannot be.
func (t *Try) settle() error {
	if t.settled || t.Locked || t.g == nil {
		return ErrSettled
	}
	t.settled = true
	return nil
}

// Succeed settles a try whose credential was right: it releases the
// reservation and clears the subject's failures (its counter, with any tries
// of the subject still being verified; the lock keys are left alone). The
// address's counter only gets this try back.
func (t *Try) Succeed(ctx context.Context) error {
	if err := t.settle(); err != nil {
		return err
	}
	for _, r := range t.reserved {
		var err error
		if r.subject {
			err = t.g.Counters.ResetCounter(ctx, r.key)
		} else {
			err = t.g.Counters.Unhit(ctx, r.key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Fail settles a try whose credential was wrong: the reservation stays
// counted as a failure (on the subject and on the address); when the subject
// reaches its limit (this try was counted at the limit) a lock starts for it,
// set before its counter is reset. It reports whether a lock is now in force
// for the subject, whichever try started it. An address is never locked.
func (t *Try) Fail(ctx context.Context) (locked bool, err error) {
	if err := t.settle(); err != nil {
		return false, err
	}
	for _, r := range t.reserved {
		if !r.subject || r.count < r.limit {
			continue
		}
		if _, err := t.g.Counters.Hit(ctx, lockKey(r.key), t.g.Policy.LockDuration); err != nil {
			return locked, err
		}
		locked = true
		if err := t.g.Counters.ResetCounter(ctx, r.key); err != nil {
			return locked, err
		}
	}
	locks := t.subjectLocks()
	if locked || len(locks) == 0 {
		return locked, nil
	}
	n, err := t.g.Counters.Counts(ctx, locks...)
	if err != nil {
		return false, err
	}
	for _, m := range n {
		if m > 0 {
			return true, nil
		}
	}
	return false, nil
}

// Release gives a reservation back without counting it (e.g. the
// verification itself failed with an outage error). On a try already settled
// or refused it does nothing and returns nil, so that a deferred Release
// gives back exactly the tries that an early return left unsettled.
func (t *Try) Release(ctx context.Context) error {
	if t.settle() != nil {
		return nil
	}
	return t.giveBack(ctx)
}

// AccountKey returns the counter key of an account's password/first-factor
// tries: every identifier of one account (personal ID, email, phone,
// username) shares it, so that trying each of them does not multiply the
// limit. IdentifierKey stays for identifiers that match no account.
func AccountKey(accountID string) string { return "bf:acct:" + accountID }

// IdentifierKey returns the counter key of a login identifier that matches
// no account (and, before AccountKey, of every identifier). The identifier
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

// Status reports the current failures of a counter key (AccountKey,
// IdentifierKey, SecondFactorKey or AddressKey) and whether it is locked (for
// administrators). The failures include the tries being verified right now.
func (g *Guard) Status(ctx context.Context, identifierKey string) (failures int64, locked bool, err error) {
	n, err := g.Counters.Counts(ctx, identifierKey, lockKey(identifierKey))
	if err != nil {
		return 0, false, err
	}
	return n[0], n[1] > 0, nil
}

// Unlock lifts the lock of a counter key (as Status) and clears its failures.
func (g *Guard) Unlock(ctx context.Context, identifierKey string) error {
	if err := g.Counters.ResetCounter(ctx, lockKey(identifierKey)); err != nil {
		return err
	}
	return g.Counters.ResetCounter(ctx, identifierKey)
}

// Checked is what a guarded check found.
type Checked struct {
	// Refused: a lock was in force or the limit of tries was reached, and
	// the credential was not verified.
	Refused bool
	// OK: the credential was verified and right.
	OK bool
	// Locked: the credential was wrong, and a lock is now in force.
	Locked bool
}

// Check runs one credential check under the guard: it reserves a try for
// the subject and the address (Attempt), waits the try's delay, verifies,
// and settles the try — a success, a failure, or given back when verify
// failed with an error (an outage is no wrong guess). Every credential check
// (password, directory password, authenticator-app code, recovery code,
// security key, re-authentication) goes through it, so none can verify
// before its try is reserved.
func (g *Guard) Check(ctx context.Context, subjectKey, addressKey string, wait func(context.Context, time.Duration),
	verify func(context.Context) (bool, error)) (Checked, error) {
	t, err := g.Attempt(ctx, subjectKey, addressKey)
	if err != nil {
		return Checked{}, err
	}
	if t.Locked {
		return Checked{Refused: true}, nil
	}
	if wait != nil && t.Delay > 0 {
		wait(ctx, t.Delay)
	}
	ok, err := verify(ctx)
	if err != nil {
		return Checked{}, errors.Join(err, t.Release(ctx))
	}
	if ok {
		return Checked{OK: true}, t.Succeed(ctx)
	}
	locked, err := t.Fail(ctx)
	return Checked{Locked: locked}, err
}
