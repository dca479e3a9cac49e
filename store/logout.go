package store

import (
	"context"
	"time"
)

// SessionRef is the durable trace of an SSO session: enough to send logout
// notifications when the session ends, even when the ephemeral store lost it.
type SessionRef struct {
	ID        string
	Subject   string
	Clients   []string
	ExpiresAt time.Time // when the session ends at the latest, as last known
	CreatedAt time.Time
}

// SessionIndex keeps a SessionRef for every live SSO session.
type SessionIndex interface {
	// PutSessionRef inserts or replaces the reference.
	PutSessionRef(ctx context.Context, r *SessionRef) error
	// UpdateSessionRef updates an existing reference, atomically: r.Clients
	// are added to the clients it records (none is removed, so concurrent
	// updates lose none) and its expiry becomes r.ExpiresAt. A missing
	// reference is not created again: ErrNotFound.
	UpdateSessionRef(ctx context.Context, r *SessionRef) error
	// EndSessionRef removes the reference and enqueues ds (as
	// EnqueueLogouts) in one transaction. When the reference is already gone
	// (another node ended the session) it enqueues nothing and returns
	// ErrNotFound: of concurrent callers exactly one queues the notices.
	EndSessionRef(ctx context.Context, id string, ds []*LogoutDelivery) error
	// DeleteSessionRef removes it; a missing one is not an error.
	DeleteSessionRef(ctx context.Context, id string) error
	// DueSessionRefs returns up to limit references whose ExpiresAt is not after t, oldest first.
	DueSessionRefs(ctx context.Context, t time.Time, limit int) ([]*SessionRef, error)
	// SessionRefsOfSubject returns the references of the subject.
	SessionRefsOfSubject(ctx context.Context, subject string) ([]*SessionRef, error)
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// LogoutDelivery is one back-channel logout notification to one client.
type LogoutDelivery struct {
	ID            int64
	ClientID      string
	URI           string
	Subject       string
	SessionID     string
	JTI           string // the logout token's id, the same on every attempt
	Reason        string // why the session ended: logout, logout_all, admin, disabled, expired …
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Claim names the claim that returned the delivery (ClaimLogouts): only
	// its holder records the outcome (FinishLogout) or renews it.
	Claim string
}

// LogoutQueue is the durable queue of back-channel logout notifications: it
// survives restarts, and several nodes can work it without sending one
// notification twice at once.
type LogoutQueue interface {
	// EnqueueLogouts inserts pending deliveries (due at once).
	EnqueueLogouts(ctx context.Context, ds []*LogoutDelivery) error
	// ClaimLogouts returns up to limit pending deliveries due at now and moves
	// their next attempt to now+lease, atomically, so that another node does
	// not claim them while they are being sent. The deliveries carry a new
	// claim token (the same for the batch), which replaces any earlier one.
	ClaimLogouts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*LogoutDelivery, error)
	// RenewLogoutClaim moves the next attempt of the pending deliveries that
	// the claim still holds to until, and returns how many it still holds.
	RenewLogoutClaim(ctx context.Context, claim string, until time.Time) (int64, error)
	// FinishLogout records the outcome of an attempt: state, attempts,
	// next attempt and last error as given. Only the claim that returned d
	// (d.Claim) may: when the delivery is pending under another claim (the
	// lease ran out and another node claimed it) or is no longer pending, it
	// changes nothing and returns ErrChanged; ErrNotFound when it does not exist.
	FinishLogout(ctx context.Context, d *LogoutDelivery) error
	// PurgeLogouts removes delivered and failed deliveries last updated
	// before t, and returns how many. Pending ones are never removed.
	PurgeLogouts(ctx context.Context, t time.Time) (int64, error)
	// ListLogouts returns the newest deliveries in the state ("" = any).
	ListLogouts(ctx context.Context, state string, limit int) ([]*LogoutDelivery, error)
	// CountLogouts returns the number of deliveries in each state.
	CountLogouts(ctx context.Context) (map[string]int64, error)
}

// SessionRefreshTokens revokes refresh tokens by the session they were issued in.
type SessionRefreshTokens interface {
	// RevokeSessionRefreshTokens marks inactive every refresh token issued
	// through the SSO session, except offline_access ones; it returns how many.
	RevokeSessionRefreshTokens(ctx context.Context, sessionID string) (int64, error)
}
