package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// The audit log is a hash chain whose head is the one row of audit_chain.
// An append takes that row first (UPDATE … RETURNING), which serialises
// appenders: on PostgreSQL the row lock makes a concurrent append wait for
// the first to commit and then read the head it left (READ COMMITTED
// re-reads an updated row); on SQLite every write transaction begins
// IMMEDIATE, holding the file's one write lock, whatever process it runs in.
// The event's ID is the head's plus one, so IDs have no gaps.

const auditColumns = `id, time, type, actor, subject, client_id, address, details, prev_hash, hash`

// AppendAudit implements store.Audit.
func (db *DB) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	if e.Time.IsZero() {
		e.Time = db.now().UTC()
	}
	e.Time = tm(ms(e.Time))
	details := "{}"
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return err
		}
		details = string(b)
	}
	defer db.handOff()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	var prev string
	if err := tx.QueryRowContext(ctx, `UPDATE audit_chain SET head_id=head_id+1 WHERE id=1 RETURNING head_id, head_hash`).
		Scan(&id, &prev); err != nil {
		return fmt.Errorf("taking the audit chain's head: %w", err)
	}
	e.ID, e.PrevHash = id, prev
	e.Hash = store.AuditHash(prev, e)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		e.ID, ms(e.Time), e.Type, e.Actor, e.Subject, e.ClientID, e.Address, details, e.PrevHash, e.Hash); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_chain SET head_hash=$1 WHERE id=1`, e.Hash); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		e.ID, e.PrevHash, e.Hash = 0, "", ""
		return err
	}
	return nil
}

// ListAudit implements store.Audit.
func (db *DB) ListAudit(ctx context.Context, subject string, limit int) ([]*store.AuditEvent, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	args := []any{}
	if subject != "" {
		q += ` WHERE subject=$1 ORDER BY id DESC LIMIT $2`
		args = append(args, subject, limit)
	} else {
		q += ` ORDER BY id DESC LIMIT $1`
		args = append(args, limit)
	}
	return db.queryAudit(ctx, q, args...)
}

// SearchAudit implements store.Audit. Each condition is served by an index
// that ends with id ((subject, id), (actor, id), (client_id, id),
// (type, id), (address, id), (time, id)), so that a page is read in ID order
// from the index; a type prefix is the byte range [prefix, prefix with its
// final "." raised to "/").
func (db *DB) SearchAudit(ctx context.Context, f store.AuditFilter) ([]*store.AuditEvent, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, c := range [...]struct{ col, v string }{{"subject", f.Subject}, {"actor", f.Actor},
		{"client_id", f.ClientID}, {"address", f.Address}} {
		if c.v != "" {
			where = append(where, c.col+"="+arg(c.v))
		}
	}
	if len(f.Types) > 0 {
		exact, prefixes := f.TypeMatches()
		var or []string
		for _, t := range exact {
			or = append(or, "type="+arg(t))
		}
		for _, p := range prefixes {
			or = append(or, "(type>="+arg(p)+" AND type<"+arg(p[:len(p)-1]+"/")+")")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if !f.From.IsZero() {
		where = append(where, "time>="+arg(ms(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "time<"+arg(ms(f.To)))
	}
	if f.Before != 0 {
		where = append(where, "id<"+arg(f.Before))
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ` + arg(f.PageLimit())
	return db.queryAudit(ctx, q, args...)
}

// AuditChain implements store.Audit.
func (db *DB) AuditChain(ctx context.Context) (store.AuditChain, error) {
	var c store.AuditChain
	err := db.r.QueryRowContext(ctx, `SELECT start_id, anchor_id, anchor_hash, head_id, head_hash FROM audit_chain WHERE id=1`).
		Scan(&c.Start, &c.AnchorID, &c.AnchorHash, &c.HeadID, &c.HeadHash)
	if err != nil {
		return c, err
	}
	err = db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE id<$1`, c.Start).Scan(&c.Unchained)
	return c, err
}

// AuditAfter implements store.Audit.
func (db *DB) AuditAfter(ctx context.Context, after int64, limit int) ([]*store.AuditEvent, error) {
	if limit <= 0 {
		limit = store.AuditMaxLimit
	}
	return db.queryAudit(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE id>$1 ORDER BY id LIMIT $2`, after, limit)
}

// auditDeleteBatch is how many events DeleteAuditBefore removes per
// transaction, so that appends are never held up for long.
const auditDeleteBatch = 1000

// DeleteAuditBefore implements store.Audit. It walks the log from its oldest
// event in batches, each one transaction that holds the chain's row (as an
// append does), removes the run of events older than t and records the last
// one removed as the anchor.
func (db *DB) DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	for {
		n, more, err := db.deleteAuditBatch(ctx, ms(t))
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

func (db *DB) deleteAuditBatch(ctx context.Context, cutoff int64) (removed int64, more bool, err error) {
	defer db.handOff()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	var start int64
	if err := tx.QueryRowContext(ctx, `UPDATE audit_chain SET anchor_id=anchor_id WHERE id=1 RETURNING start_id`).
		Scan(&start); err != nil {
		return 0, false, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, time, hash FROM audit_log ORDER BY id LIMIT $1`, auditDeleteBatch)
	if err != nil {
		return 0, false, err
	}
	var last int64
	var lastHash string
	n, stopped := 0, false
	for rows.Next() {
		var id, at int64
		var h string
		if err := rows.Scan(&id, &at, &h); err != nil {
			rows.Close()
			return 0, false, err
		}
		n++
		if at >= cutoff {
			stopped = true
			break
		}
		last, lastHash = id, h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	if last == 0 {
		return 0, false, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE id<=$1`, last)
	if err != nil {
		return 0, false, err
	}
	removed, err = res.RowsAffected()
	if err != nil {
		return 0, false, err
	}
	if last >= start {
		if _, err := tx.ExecContext(ctx, `UPDATE audit_chain SET anchor_id=$1, anchor_hash=$2 WHERE id=1`, last, lastHash); err != nil {
			return 0, false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, false, err
	}
	return removed, !stopped && n == auditDeleteBatch, nil
}

func (db *DB) queryAudit(ctx context.Context, q string, args ...any) ([]*store.AuditEvent, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func scanAudit(row scanner) (*store.AuditEvent, error) {
	var e store.AuditEvent
	var t int64
	var details string
	if err := row.Scan(&e.ID, &t, &e.Type, &e.Actor, &e.Subject, &e.ClientID, &e.Address, &details,
		&e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.Time = tm(t)
	if details != "{}" {
		// Details that are not a JSON object of strings (a row changed by
		// hand) are kept as they are, so that verification sees the change.
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			e.Details = map[string]string{"": details}
		}
	}
	return &e, nil
}
