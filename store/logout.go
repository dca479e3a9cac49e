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
}

// LogoutQueue is the durable queue of back-channel logout notifications: it
// survives restarts, and several nodes can work it without sending one
// notification twice at once.
type LogoutQueue interface {
	// EnqueueLogouts inserts pending deliveries (due at once).
	EnqueueLogouts(ctx context.Context, ds []*LogoutDelivery) error
	// ClaimLogouts returns up to limit pending deliveries due at now and moves
	// their next attempt to now+lease, atomically, so that another node does
	// not claim them while they are being sent.
	ClaimLogouts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*LogoutDelivery, error)
	// FinishLogout records the outcome of an attempt: state, attempts,
	// next attempt and last error as given.
	FinishLogout(ctx context.Context, d *LogoutDelivery) error
	// ListLogouts returns the newest deliveries in the state ("" = any).
	ListLogouts(ctx context.Context, state string, limit int) ([]*LogoutDelivery, error)
	// CountLogouts returns the number of deliveries in each state.
	CountLogouts(ctx context.Context) (map[string]int64, error)
	// PurgeLogouts deletes the finished deliveries (delivered or failed)
	// last updated before t and returns how many; pending ones stay,
	// however old.
	PurgeLogouts(ctx context.Context, t time.Time) (int64, error)
}

// SessionRefreshTokens revokes refresh tokens by the session they were issued in.
type SessionRefreshTokens interface {
	// RevokeSessionRefreshTokens marks inactive every refresh token issued
	// through the SSO session, except offline_access ones; it returns how many.
	RevokeSessionRefreshTokens(ctx context.Context, sessionID string) (int64, error)
}
