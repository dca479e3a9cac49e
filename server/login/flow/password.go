package flow

import (
	"context"
	"errors"
	"log/slog"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// PasswordStore is what checking a local password reads and writes.
type PasswordStore interface {
	PasswordHash(ctx context.Context, accountID string) (string, error)
	SetPasswordHash(ctx context.Context, accountID, hash string) error
}

// Passwords checks passwords: the local password of an account, and an
// official's staff-directory password. Used by the password login and by
// re-authentication alike.
type Passwords struct {
	store  PasswordStore
	hasher authn.Hasher
	// Directory, when set, checks officials' directory passwords.
	Directory authn.DirectoryAuthenticator
	log       *slog.Logger
}

// NewPasswords returns the password checks over st; dir is nil when no
// staff directory is configured.
func NewPasswords(st PasswordStore, hasher authn.Hasher, dir authn.DirectoryAuthenticator, log *slog.Logger) *Passwords {
	return &Passwords{store: st, hasher: hasher, Directory: dir, log: log}
}

// Local verifies the local password of acct (nil: no account), rehashing
// it when the parameters rose. A missing account or password spends the
// same time as a check. It returns the account it checked.
func (p *Passwords) Local(ctx context.Context, acct *identity.Account, password string) (*identity.Account, bool, error) {
	if acct == nil {
		p.hasher.Burn(password)
		return nil, false, nil
	}
	hash, err := p.store.PasswordHash(ctx, acct.ID)
	if errors.Is(err, store.ErrNotFound) {
		p.hasher.Burn(password)
		return acct, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	ok, rehash, err := p.hasher.Verify(password, hash)
	if err != nil {
		p.log.Error("password hash", "subject", acct.ID, "err", err)
		return acct, false, nil
	}
	if ok && rehash {
		if nh, err := p.hasher.Hash(password); err == nil {
			if err := p.store.SetPasswordHash(ctx, acct.ID, nh); err != nil {
				p.log.Warn("rehash", "subject", acct.ID, "err", err)
			}
		}
	}
	return acct, ok, nil
}

// Confirm checks the password of a known account: its local password or,
// for an official of a directory who has none, the directory's. A disabled
// or expired directory account confirms nobody; an outage is an error
// wrapping authn.ErrUnavailable.
func (p *Passwords) Confirm(ctx context.Context, acct *identity.Account, password string) (bool, error) {
	if password == "" || len(password) > 1024 {
		return false, nil
	}
	hash, err := p.store.PasswordHash(ctx, acct.ID)
	switch {
	case err == nil:
		ok, _, err := p.hasher.Verify(password, hash)
		if err != nil {
			p.log.Error("password hash", "subject", acct.ID, "err", err)
			return false, nil
		}
		return ok, nil
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	if p.Directory == nil || acct.Official == nil || acct.Official.Directory == "" {
		p.hasher.Burn(password)
		return false, nil
	}
	got, handled, ok, err := p.Directory.Authenticate(ctx, acct.Official.Username, password)
	if err != nil && !errors.Is(err, authn.ErrUnavailable) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return handled && ok && got != nil && got.ID == acct.ID, nil
}
