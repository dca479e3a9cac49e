package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

var _ store.Outbox = (*DB)(nil)

const messageColumns = `id, channel, recipient, subject, body, kind, status, attempts, next_attempt_at, last_error, claim,
	created_at, updated_at, sent_at`

func scanMessage(row scanner) (*store.Message, error) {
	var m store.Message
	var next, created, updated, sent int64
	if err := row.Scan(&m.ID, &m.Channel, &m.Recipient, &m.Subject, &m.Body, &m.Kind, &m.Status, &m.Attempts, &next,
		&m.LastError, &m.Claim, &created, &updated, &sent); err != nil {
		return nil, err
	}
	m.NextAttemptAt, m.CreatedAt, m.UpdatedAt, m.SentAt = tm(next), tm(created), tm(updated), tm(sent)
	return &m, nil
}

func (db *DB) messages(ctx context.Context, q sqlQuerier, query string, args ...any) ([]*store.Message, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// sqlQuerier is a pool or a transaction.
type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// EnqueueMessage implements store.Outbox.
func (db *DB) EnqueueMessage(ctx context.Context, m *store.Message) error {
	now := db.now().UTC()
	if m.Status != store.MessageFailed {
		m.Status = store.MessagePending
	}
	m.CreatedAt, m.UpdatedAt, m.Claim, m.SentAt = now, now, "", time.Time{}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = now
	}
	body := m.Body
	if body == nil {
		body = []byte{}
	}
	err := db.w.QueryRowContext(ctx, `INSERT INTO outbox_messages (channel, recipient, subject, body, kind, status, attempts,
		next_attempt_at, last_error, claim, created_at, updated_at, sent_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'',$10,$10,0) RETURNING id`,
		m.Channel, m.Recipient, m.Subject, body, m.Kind, m.Status, m.Attempts, ms(m.NextAttemptAt), m.LastError, ms(now)).Scan(&m.ID)
	db.handOff()
	return err
}

// ClaimMessages implements store.Outbox. The update and its RETURNING
// run as one statement, so two nodes never claim the same message: on
// PostgreSQL a concurrent claimer waits for the row and then finds its
// next attempt moved past now.
func (db *DB) ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := db.messages(ctx, db.w, `UPDATE outbox_messages SET next_attempt_at=$1, updated_at=$2, claim=$4
		WHERE id IN (SELECT id FROM outbox_messages WHERE status='pending' AND next_attempt_at<=$2 ORDER BY next_attempt_at, id LIMIT $3)
		AND status='pending' AND next_attempt_at<=$2
		RETURNING `+messageColumns, ms(now.Add(lease)), ms(now), limit, rand.Text())
	db.handOff()
	return out, err
}

// RenewMessageClaim implements store.Outbox.
func (db *DB) RenewMessageClaim(ctx context.Context, claim string, until time.Time) (int64, error) {
	if claim == "" {
		return 0, nil
	}
	res, err := db.execWrite(ctx, `UPDATE outbox_messages SET next_attempt_at=$2 WHERE claim=$1 AND status='pending'`, claim, ms(until))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// FinishMessage implements store.Outbox: the claim guards the update; when
// it matched nothing, a read tells a missing message from a lost claim.
func (db *DB) FinishMessage(ctx context.Context, m *store.Message) error {
	m.UpdatedAt = db.now().UTC()
	err := affected(db.execWrite(ctx, `UPDATE outbox_messages SET status=$2, attempts=$3, next_attempt_at=$4, last_error=$5,
		updated_at=$6, sent_at=$7 WHERE id=$1 AND claim=$8 AND claim<>'' AND status='pending'`, m.ID, m.Status, m.Attempts,
		ms(m.NextAttemptAt), m.LastError, ms(m.UpdatedAt), ms(m.SentAt), m.Claim))
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return db.messageExists(ctx, m.ID, store.ErrChanged)
}

// messageExists returns ifExists when the message id exists, ErrNotFound
// when it does not.
func (db *DB) messageExists(ctx context.Context, id int64, ifExists error) error {
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1 FROM outbox_messages WHERE id=$1`, id).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	}
	return ifExists
}

// RetryMessage implements store.Outbox.
func (db *DB) RetryMessage(ctx context.Context, id int64, now time.Time) error {
	err := affected(db.execWrite(ctx, `UPDATE outbox_messages SET status='pending', attempts=0, next_attempt_at=$2, claim='',
		updated_at=$2 WHERE id=$1 AND status='failed'`, id, ms(now)))
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	m, err := db.GetMessage(ctx, id)
	if err != nil {
		return err
	}
	if m.Status == store.MessagePending {
		return nil
	}
	return store.ErrChanged
}

// GetMessage implements store.Outbox.
func (db *DB) GetMessage(ctx context.Context, id int64) (*store.Message, error) {
	m, err := scanMessage(db.r.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM outbox_messages WHERE id=$1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return m, err
}

// ListMessages implements store.Outbox.
func (db *DB) ListMessages(ctx context.Context, status string, limit int) ([]*store.Message, error) {
	if limit <= 0 {
		limit = 100
	}
	if status == "" {
		return db.messages(ctx, db.r, `SELECT `+messageColumns+` FROM outbox_messages ORDER BY id DESC LIMIT $1`, limit)
	}
	return db.messages(ctx, db.r, `SELECT `+messageColumns+` FROM outbox_messages WHERE status=$1 ORDER BY id DESC LIMIT $2`,
		status, limit)
}

// CountMessages implements store.Outbox.
func (db *DB) CountMessages(ctx context.Context) (map[string]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox_messages GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{store.MessagePending: 0, store.MessageSent: 0, store.MessageFailed: 0}
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

// PurgeMessages implements store.Outbox.
func (db *DB) PurgeMessages(ctx context.Context, sentBefore, failedBefore time.Time) (int64, error) {
	res, err := db.execWrite(ctx, `DELETE FROM outbox_messages WHERE (status='sent' AND sent_at<$1) OR (status='failed' AND updated_at<$2)`,
		ms(sentBefore), ms(failedBefore))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
