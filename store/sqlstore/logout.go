package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// RevokeSessionRefreshTokens implements store.SessionRefreshTokens.
func (db *DB) RevokeSessionRefreshTokens(ctx context.Context, sessionID string) (int64, error) {
	if sessionID == "" {
		return 0, nil
	}
	res, err := db.w.ExecContext(ctx, `UPDATE refresh_tokens SET active=0 WHERE session_id=$1 AND offline=0 AND active=1`, sessionID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PutSessionRef implements store.SessionIndex.
func (db *DB) PutSessionRef(ctx context.Context, r *store.SessionRef) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = db.now().UTC()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO sso_sessions (id, subject, clients, expires_at, created_at) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (id) DO UPDATE SET subject=excluded.subject, clients=excluded.clients, expires_at=excluded.expires_at`,
		r.ID, r.Subject, strings.Join(r.Clients, " "), ms(r.ExpiresAt), ms(r.CreatedAt))
	return err
}

// UpdateSessionRef implements store.SessionIndex. Each client is added by
// one statement that reads and writes the row, so concurrent additions
// serialise on the row (PostgreSQL re-evaluates the update on the row a
// concurrent writer left) and none is lost.
func (db *DB) UpdateSessionRef(ctx context.Context, r *store.SessionRef) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := affected(tx.ExecContext(ctx, `UPDATE sso_sessions SET expires_at=$2 WHERE id=$1`, r.ID, ms(r.ExpiresAt))); err != nil {
		return err
	}
	for _, c := range r.Clients {
		if c == "" || strings.Contains(c, " ") {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sso_sessions SET clients = CASE
			WHEN clients = '' THEN $2
			WHEN length(replace(' ' || clients || ' ', ' ' || $2 || ' ', '')) < length(' ' || clients || ' ') THEN clients
			ELSE clients || ' ' || $2 END
			WHERE id=$1`, r.ID, c); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// EndSessionRef implements store.SessionIndex: the delete decides, inside
// the transaction, which caller enqueues.
func (db *DB) EndSessionRef(ctx context.Context, id string, ds []*store.LogoutDelivery) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := affected(tx.ExecContext(ctx, `DELETE FROM sso_sessions WHERE id=$1`, id)); err != nil {
		return err
	}
	if err := db.enqueue(ctx, tx, ds); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteSessionRef implements store.SessionIndex.
func (db *DB) DeleteSessionRef(ctx context.Context, id string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM sso_sessions WHERE id=$1`, id)
	return err
}

func (db *DB) sessionRefs(ctx context.Context, q string, args ...any) ([]*store.SessionRef, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, subject, clients, expires_at, created_at FROM sso_sessions `+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.SessionRef
	for rows.Next() {
		var r store.SessionRef
		var clients string
		var exp, created int64
		if err := rows.Scan(&r.ID, &r.Subject, &clients, &exp, &created); err != nil {
			return nil, err
		}
		r.Clients, r.ExpiresAt, r.CreatedAt = splitSpace(clients), tm(exp), tm(created)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// DueSessionRefs implements store.SessionIndex.
func (db *DB) DueSessionRefs(ctx context.Context, t time.Time, limit int) ([]*store.SessionRef, error) {
	return db.sessionRefs(ctx, `WHERE expires_at<=$1 ORDER BY expires_at, id LIMIT $2`, ms(t), limit)
}

// SessionRefsOfSubject implements store.SessionIndex.
func (db *DB) SessionRefsOfSubject(ctx context.Context, subject string) ([]*store.SessionRef, error) {
	return db.sessionRefs(ctx, `WHERE subject=$1 ORDER BY created_at, id`, subject)
}

// EnqueueLogouts implements store.LogoutQueue.
func (db *DB) EnqueueLogouts(ctx context.Context, ds []*store.LogoutDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.enqueue(ctx, tx, ds); err != nil {
		return err
	}
	return tx.Commit()
}

// enqueue inserts pending deliveries within tx.
func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, ds []*store.LogoutDelivery) error {
	now := db.now().UTC()
	for _, d := range ds {
		d.State, d.CreatedAt, d.UpdatedAt = store.DeliveryPending, now, now
		if d.NextAttemptAt.IsZero() {
			d.NextAttemptAt = now
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO logout_deliveries (client_id, uri, subject, session_id, jti, reason, state,
			attempts, next_attempt_at, last_error, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,0,$8,'',$9,$9) RETURNING id`,
			d.ClientID, d.URI, d.Subject, d.SessionID, d.JTI, d.Reason, d.State, ms(d.NextAttemptAt), ms(now)).Scan(&d.ID); err != nil {
			return err
		}
	}
	return nil
}

const deliveryColumns = `id, client_id, uri, subject, session_id, jti, reason, state, attempts, next_attempt_at, last_error, created_at, updated_at, claim`

func scanDelivery(row scanner) (*store.LogoutDelivery, error) {
	var d store.LogoutDelivery
	var next, created, updated int64
	if err := row.Scan(&d.ID, &d.ClientID, &d.URI, &d.Subject, &d.SessionID, &d.JTI, &d.Reason, &d.State, &d.Attempts,
		&next, &d.LastError, &created, &updated, &d.Claim); err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = tm(next), tm(created), tm(updated)
	return &d, nil
}

// ClaimLogouts implements store.LogoutQueue. The update and its RETURNING
// run as one statement, so two nodes never claim the same delivery.
func (db *DB) ClaimLogouts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.LogoutDelivery, error) {
	claim := rand.Text()
	rows, err := db.w.QueryContext(ctx, `UPDATE logout_deliveries SET next_attempt_at=$1, updated_at=$2, claim=$4
		WHERE id IN (SELECT id FROM logout_deliveries WHERE state='pending' AND next_attempt_at<=$2 ORDER BY next_attempt_at, id LIMIT $3)
		AND state='pending' AND next_attempt_at<=$2
		RETURNING `+deliveryColumns, ms(now.Add(lease)), ms(now), limit, claim)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.LogoutDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RenewLogoutClaim implements store.LogoutQueue.
func (db *DB) RenewLogoutClaim(ctx context.Context, claim string, until time.Time) (int64, error) {
	if claim == "" {
		return 0, nil
	}
	res, err := db.execWrite(ctx, `UPDATE logout_deliveries SET next_attempt_at=$2 WHERE claim=$1 AND state='pending'`,
		claim, ms(until))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// FinishLogout implements store.LogoutQueue: the claim guards the update;
// when it matched nothing, a read tells a missing delivery from a lost claim.
func (db *DB) FinishLogout(ctx context.Context, d *store.LogoutDelivery) error {
	d.UpdatedAt = db.now().UTC()
	err := affected(db.execWrite(ctx, `UPDATE logout_deliveries SET state=$2, attempts=$3, next_attempt_at=$4, last_error=$5,
		updated_at=$6 WHERE id=$1 AND claim=$7 AND state='pending'`, d.ID, d.State, d.Attempts, ms(d.NextAttemptAt), d.LastError,
		ms(d.UpdatedAt), d.Claim))
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1 FROM logout_deliveries WHERE id=$1`, d.ID).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	}
	return store.ErrChanged
}

// PurgeLogouts implements store.LogoutQueue.
func (db *DB) PurgeLogouts(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.execWrite(ctx, `DELETE FROM logout_deliveries WHERE state IN ('delivered', 'failed') AND updated_at<$1`, ms(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ListLogouts implements store.LogoutQueue.
func (db *DB) ListLogouts(ctx context.Context, state string, limit int) ([]*store.LogoutDelivery, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + deliveryColumns + ` FROM logout_deliveries ORDER BY id DESC LIMIT $1`
	args := []any{limit}
	if state != "" {
		q = `SELECT ` + deliveryColumns + ` FROM logout_deliveries WHERE state=$1 ORDER BY id DESC LIMIT $2`
		args = []any{state, limit}
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.LogoutDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CountLogouts implements store.LogoutQueue.
func (db *DB) CountLogouts(ctx context.Context) (map[string]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT state, COUNT(*) FROM logout_deliveries GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{store.DeliveryPending: 0, store.DeliveryDelivered: 0, store.DeliveryFailed: 0}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}
