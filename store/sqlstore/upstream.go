package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dinhdanh/dinhdanh/store"
)

var _ store.UpstreamLinks = (*DB)(nil)

// LinkUpstream implements store.UpstreamLinks.
func (db *DB) LinkUpstream(ctx context.Context, provider, subject, accountID string) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO upstream_links (provider, subject, account_id, created_at)
		VALUES ($1,$2,$3,$4)`, provider, subject, accountID, ms(db.now().UTC()))
	if foreignKeyViolation(err) {
		return store.ErrNotFound
	}
	return conflict(err, map[string]string{"": "upstream"})
}

// FindUpstreamLink implements store.UpstreamLinks.
func (db *DB) FindUpstreamLink(ctx context.Context, provider, subject string) (string, error) {
	var id string
	err := db.r.QueryRowContext(ctx, `SELECT account_id FROM upstream_links WHERE provider=$1 AND subject=$2`,
		provider, subject).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	return id, err
}
