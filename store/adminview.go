package store

import (
	"context"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// AdminViews are the reads that the administration's overviews need
// besides those of the other contracts: a business's representatives, and
// the audit log counted per hour for the dashboard.
type AdminViews interface {
	// RepresentativesOf returns the people who represent the business,
	// ordered by account ID (none: an empty list, also for an unknown
	// business).
	RepresentativesOf(ctx context.Context, code identity.TaxCode) ([]*identity.Representation, error)
	// CountAudit counts the audit events with from <= Time < to whose type
	// is one of types (every type when types is empty), per hour (UTC, the
	// start of the hour), type and the event's "method" detail (""
	// when it has none). The counts are ordered by hour, type and method.
	CountAudit(ctx context.Context, from, to time.Time, types []string) ([]AuditCount, error)
	// UpdateClientSettings replaces the settings of the client c.ID (every
	// field but its secret hash, its ID and its creation time) when the
	// client was last updated at ifUpdatedAt (its UpdatedAt as read), and
	// sets c.UpdatedAt. It returns ErrChanged, changing nothing, when the
	// client was updated since (another edit, a rotated secret), and
	// ErrNotFound when there is no such client.
	UpdateClientSettings(ctx context.Context, c *Client, ifUpdatedAt time.Time) error
	// SetClientSecret replaces the secret hash of the client id, and
	// nothing else of it, in one write: of concurrent calls the last one
	// written holds. ErrNotFound: no such client.
	SetClientSecret(ctx context.Context, id string, secretHash []byte) error
}

// AuditCount is how many audit events of one type (and method) happened in
// one hour.
type AuditCount struct {
	Hour   time.Time
	Type   string
	Method string
	N      int
}
