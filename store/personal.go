package store

import (
	"context"
	"errors"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// The actions of a consent's history.
const (
	// ConsentGranted: the person consented to a client for the first time
	// (or again after withdrawing).
	ConsentGranted = "granted"
	// ConsentChanged: the scopes of a standing consent changed.
	ConsentChanged = "changed"
	// ConsentWithdrawn: the person withdrew the consent (or the account was
	// closed); nothing more is released on its strength.
	ConsentWithdrawn = "withdrawn"
)

// ConsentEvent is one line of a person's consent history, kept after the
// consent itself is withdrawn (Law 91/2025/QH15 asks for the record).
type ConsentEvent struct {
	ID        int64
	AccountID string
	ClientID  string
	Action    string // ConsentGranted, ConsentChanged or ConsentWithdrawn
	// Scopes are the scopes the consent covers after a grant or a change,
	// and those it covered when it was withdrawn.
	Scopes []string
	Time   time.Time
}

// PrivacyAcceptance records that a person accepted a version of the
// operator's privacy notice.
type PrivacyAcceptance struct {
	AccountID  string
	Version    string
	AcceptedAt time.Time
}

// ClosedAccount is what is left of an account its holder deleted.
type ClosedAccount struct {
	AccountID string
	ClosedAt  time.Time
	// AuditUntil is the end of the retention of the audit events about the
	// account: they are kept at least until then.
	AuditUntil time.Time
}

// UpstreamLink is an upstream provider's subject linked to an account.
type UpstreamLink struct {
	Provider  string
	Subject   string
	CreatedAt time.Time
}

// ErrProtectedAccount is returned by CloseAccount for an account that
// cannot be closed by its holder: an official's, or an administrator's.
var ErrProtectedAccount = errors.New("store: an official's or administrator's account cannot be closed")

// PersonalData holds what a person's rights over their data need: the
// history of their consents, their acceptance of the privacy notice, and the
// closing of their account.
//
// PutConsent and RevokeConsent (Consents) append to the consent history in
// the same transaction as the change of the current consent: PutConsent
// appends ConsentGranted when there was no consent, ConsentChanged when the
// scopes differ (a put of the same scopes appends nothing); RevokeConsent
// appends ConsentWithdrawn with the scopes withdrawn. DeleteClient keeps the
// history of the client's consents.
type PersonalData interface {
	// ConsentHistory returns the account's consent events, oldest first.
	ConsentHistory(ctx context.Context, accountID string) ([]*ConsentEvent, error)
	// RegisterAccount creates the account as CreateAccount does and records
	// its acceptance of the privacy notice (p.AccountID is a.ID) in the same
	// transaction: both happen or neither.
	RegisterAccount(ctx context.Context, a *identity.Account, passwordHash string, p PrivacyAcceptance) error
	// PrivacyAcceptances returns the account's acceptances, oldest first.
	PrivacyAcceptances(ctx context.Context, accountID string) ([]*PrivacyAcceptance, error)
	// CloseAccount closes the account c.AccountID at c.ClosedAt, in one
	// transaction: the account is locked for good (Disabled, reason
	// "closed"), its personal data erased (name, birthdate, gender, email,
	// phone, personal ID and its proof, password), its second factors,
	// certificate bindings, upstream links and business representations
	// removed, its consents withdrawn (the history keeps them, with a
	// ConsentWithdrawn line each) and every refresh token of its subject
	// revoked. The account's id stays taken (a subject is never reused), and
	// its email, phone and personal ID become free for a new account. The
	// audit log is not touched: c.AuditUntil records how long it keeps the
	// events about the account.
	//
	// ErrNotFound: no such account. ErrAlreadyUsed: the account is closed
	// already (of concurrent callers exactly one closes it).
	// ErrProtectedAccount: an official's or administrator's account, which
	// is left as it is.
	CloseAccount(ctx context.Context, c ClosedAccount) error
	// GetClosedAccount returns the record of the closed account, or
	// ErrNotFound when the account is not closed.
	GetClosedAccount(ctx context.Context, accountID string) (*ClosedAccount, error)
	// UpstreamLinksOf returns the upstream subjects linked to the account,
	// ordered by provider and subject.
	UpstreamLinksOf(ctx context.Context, accountID string) ([]*UpstreamLink, error)
	// AuditHeldFrom returns the time of the oldest audit event about an
	// account closed whose AuditUntil is after now: the audit log's purge
	// keeps the events from then on. Zero when no event is held.
	AuditHeldFrom(ctx context.Context, now time.Time) (time.Time, error)
}
