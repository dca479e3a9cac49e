package sqlstore

import (
	"context"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

var _ store.TokenRevocations = (*DB)(nil)

// The kinds of token_revocations rows.
const (
	revokedGrant   = "grant"
	revokedSubject = "subject"
)

// upsertRevocation lists (kind, id), keeping the later of the times.
func (db *DB) upsertRevocation(ctx context.Context, kind, id string, at, expires time.Time) error {
	_, err := db.execWrite(ctx, `INSERT INTO token_revocations (kind, id, revoked_at, expires_at) VALUES ($1,$2,$3,$4)
		ON CONFLICT (kind, id) DO UPDATE SET
		revoked_at = CASE WHEN excluded.revoked_at > token_revocations.revoked_at THEN excluded.revoked_at ELSE token_revocations.revoked_at END,
		expires_at = CASE WHEN excluded.expires_at > token_revocations.expires_at THEN excluded.expires_at ELSE token_revocations.expires_at END`,
		kind, id, ms(at), ms(expires))
	return err
}

// RevokeGrant implements store.TokenRevocations.
func (db *DB) RevokeGrant(ctx context.Context, requestID string, expires time.Time) error {
	return db.upsertRevocation(ctx, revokedGrant, requestID, db.now(), expires)
}

// RevokeSubjectTokens implements store.TokenRevocations.
func (db *DB) RevokeSubjectTokens(ctx context.Context, subject string, at, expires time.Time) error {
	return db.upsertRevocation(ctx, revokedSubject, subject, at, expires)
}

// TokenRevoked implements store.TokenRevocations. A subject's entry
// revokes the tokens issued within the second of its time too: a JWT's iat
// has whole seconds.
func (db *DB) TokenRevoked(ctx context.Context, requestID, subject string, issuedAt, now time.Time) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM token_revocations WHERE expires_at >= $1 AND (
		(kind = $2 AND id = $3) OR (kind = $4 AND id = $5 AND revoked_at >= $6))`,
		ms(now), revokedGrant, requestID, revokedSubject, subject, issuedAt.Truncate(time.Second).UnixMilli()).Scan(&n)
	return n > 0, err
}

// DeleteExpiredRevocations implements store.TokenRevocations.
func (db *DB) DeleteExpiredRevocations(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.execWrite(ctx, `DELETE FROM token_revocations WHERE expires_at < $1`, ms(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ProbeWrite writes the heartbeat row of node: it fails when the database
// takes no writes (a full disk, a read-only file system or database, a hot
// standby, a server that does not answer within ctx).
func (db *DB) ProbeWrite(ctx context.Context, node string) error {
	_, err := db.execWrite(ctx, `INSERT INTO node_heartbeats (node, beat_at) VALUES ($1,$2)
		ON CONFLICT (node) DO UPDATE SET beat_at = excluded.beat_at`, node, ms(db.now()))
	return err
}
