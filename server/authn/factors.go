package authn

import (
	"context"
	"errors"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// FactorStore is what the factor inventory reads.
type FactorStore interface {
	GetTOTP(ctx context.Context, accountID string) (*store.TOTPCredential, error)
	WebAuthnCredentials(ctx context.Context, accountID string) ([]*store.WebAuthnCredential, error)
	RecoveryCodesLeft(ctx context.Context, accountID string) (int, error)
}

// Inventory is the one answer to "which second factors does this account
// have", for the login and the console alike. Security keys and passkeys
// count only while WebAuthn is on: a key that cannot be asked for is no
// factor (the person is led to set up one that can).
type Inventory struct {
	store    FactorStore
	webAuthn bool
}

// NewInventory returns the inventory over s; webAuthn tells whether
// security keys and passkeys are on.
func NewInventory(s FactorStore, webAuthn bool) *Inventory {
	return &Inventory{store: s, webAuthn: webAuthn}
}

// Factors are the second factors of one account.
type Factors struct {
	// TOTP is the authenticator app, or nil.
	TOTP *store.TOTPCredential
	// Keys are the security keys and passkeys (none while WebAuthn is off).
	Keys []*store.WebAuthnCredential
	// RecoveryLeft is the number of unused recovery codes.
	RecoveryLeft int
}

// Any reports whether the account has a second factor it can be asked for
// (recovery codes alone are a way back, not a factor).
func (f Factors) Any() bool { return f.TOTP != nil || len(f.Keys) > 0 }

// Of returns the second factors of the account.
func (i *Inventory) Of(ctx context.Context, accountID string) (Factors, error) {
	var f Factors
	t, err := i.store.GetTOTP(ctx, accountID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return f, err
	}
	f.TOTP = t
	if i.webAuthn {
		if f.Keys, err = i.store.WebAuthnCredentials(ctx, accountID); err != nil {
			return f, err
		}
	}
	f.RecoveryLeft, err = i.store.RecoveryCodesLeft(ctx, accountID)
	return f, err
}

// ProvesSecondFactor reports whether a session at level acr has proved the
// account's second factor, or need not: the rule for changing what guards
// the account (adding a factor, binding a certificate). An account without
// factors has nothing to prove yet.
func (f Factors) ProvesSecondFactor(acr string) bool {
	return !f.Any() || Rank(acr) >= Rank(LoA2)
}

// Fresh reports whether a session at level acr that authenticated at
// authTime has proved both factors within maxAge at now (or the account has
// no factor to ask for): the rule for removing a factor or making new
// recovery codes.
func (f Factors) Fresh(acr string, authTime, now time.Time, maxAge time.Duration) bool {
	return !f.Any() || (Rank(acr) >= Rank(LoA2) && now.Sub(authTime) <= maxAge)
}
