package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// handOff yields the processor after a statement on a write pool of one
// connection, SQLite's. Every write of the node queues for that connection;
// when a statement ends, database/sql hands it to the next writer in line,
// but that goroutine runs only once this one blocks (typically after it has
// built and sent its whole HTTP answer), and until then the connection sits
// idle. Yielding lets the next writer start at once. Measured with
// test/load on two cores, client credentials (whose one write is PutRecord)
// went from 5,200–6,100 to 6,100–6,400 tokens/s. A pool of many connections
// (PostgreSQL) has no such queue, and nothing is yielded.
func (db *DB) handOff() {
	if db.w.Stats().MaxOpenConnections == 1 {
		runtime.Gosched()
	}
}

// execWrite runs a write statement, then hands the connection off.
func (db *DB) execWrite(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.w.ExecContext(ctx, query, args...)
	db.handOff()
	return res, err
}

// PutRecord implements store.Ephemeral.
func (db *DB) PutRecord(ctx context.Context, kind store.RecordKind, r *store.Record) error {
	_, err := db.execWrite(ctx, `INSERT INTO records (kind, key, request_id, subject, data, used, expires_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (kind, key) DO UPDATE SET request_id=excluded.request_id,
		subject=excluded.subject, data=excluded.data, used=excluded.used, expires_at=excluded.expires_at`,
		string(kind), r.Key, r.RequestID, r.Subject, r.Data, b2i(r.Used), ms(r.ExpiresAt))
	return err
}

func scanRecord(row scanner, key string) (*store.Record, error) {
	r := &store.Record{Key: key}
	var used int
	var exp int64
	err := row.Scan(&r.RequestID, &r.Subject, &r.Data, &used, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Used, r.ExpiresAt = used == 1, tm(exp)
	return r, nil
}

// GetRecord implements store.Ephemeral.
func (db *DB) GetRecord(ctx context.Context, kind store.RecordKind, key string) (*store.Record, error) {
	return scanRecord(db.r.QueryRowContext(ctx, `SELECT request_id, subject, data, used, expires_at FROM records
		WHERE kind=$1 AND key=$2 AND expires_at>$3`, string(kind), key, ms(db.now())), key)
}

// TakeRecord implements store.Ephemeral.
func (db *DB) TakeRecord(ctx context.Context, kind store.RecordKind, key string) (*store.Record, error) {
	r, err := scanRecord(db.w.QueryRowContext(ctx, `DELETE FROM records WHERE kind=$1 AND key=$2 AND expires_at>$3
		RETURNING request_id, subject, data, used, expires_at`, string(kind), key, ms(db.now())), key)
	db.handOff()
	return r, err
}

// MarkRecordUsed implements store.Ephemeral.
func (db *DB) MarkRecordUsed(ctx context.Context, kind store.RecordKind, key string) error {
	res, err := db.execWrite(ctx, `UPDATE records SET used=1 WHERE kind=$1 AND key=$2 AND used=0 AND expires_at>$3`,
		string(kind), key, ms(db.now()))
	if err := affected(res, err); !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := db.GetRecord(ctx, kind, key); err != nil {
		return err
	}
	return store.ErrAlreadyUsed
}

// CompareAndSwapRecord implements store.Ephemeral: one conditional update
// of the row as it was read, then, when it matched nothing, a read to tell a
// missing record from a changed one.
func (db *DB) CompareAndSwapRecord(ctx context.Context, kind store.RecordKind, old, r *store.Record) error {
	if r.Key != old.Key {
		return errors.New("sqlstore: CompareAndSwapRecord of two keys")
	}
	was := old.Data
	if was == nil {
		was = []byte{}
	}
	res, err := db.execWrite(ctx, `UPDATE records SET request_id=$3, subject=$4, data=$5, used=$6, expires_at=$7
		WHERE kind=$1 AND key=$2 AND expires_at>$8 AND used=$9 AND expires_at=$10
		AND (data=$11 OR (data IS NULL AND length($11)=0))`,
		string(kind), r.Key, r.RequestID, r.Subject, r.Data, b2i(r.Used), ms(r.ExpiresAt), ms(db.now()),
		b2i(old.Used), ms(old.ExpiresAt), was)
	if err := affected(res, err); !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := db.GetRecord(ctx, kind, r.Key); err != nil {
		return err
	}
	return store.ErrChanged
}

// DeleteRecord implements store.Ephemeral.
func (db *DB) DeleteRecord(ctx context.Context, kind store.RecordKind, key string) error {
	_, err := db.execWrite(ctx, `DELETE FROM records WHERE kind=$1 AND key=$2`, string(kind), key)
	return err
}

// ReplaceRequestRecords implements store.Ephemeral: the two writes it
// stands for.
func (db *DB) ReplaceRequestRecords(ctx context.Context, kind store.RecordKind, r *store.Record) error {
	if err := db.DeleteRecordsByRequest(ctx, kind, r.RequestID); err != nil {
		return err
	}
	return db.PutRecord(ctx, kind, r)
}

// DeleteRecordsByRequest implements store.Ephemeral.
func (db *DB) DeleteRecordsByRequest(ctx context.Context, kind store.RecordKind, requestID string) error {
	if requestID == "" {
		return nil
	}
	_, err := db.execWrite(ctx, `DELETE FROM records WHERE kind=$1 AND request_id=$2`, string(kind), requestID)
	return err
}

// RecordsBySubject implements store.Ephemeral.
func (db *DB) RecordsBySubject(ctx context.Context, kind store.RecordKind, subject string) ([]*store.Record, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT key, request_id, subject, data, used, expires_at FROM records
		WHERE kind=$1 AND subject=$2 AND expires_at>$3 ORDER BY key`, string(kind), subject, ms(db.now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Record
	for rows.Next() {
		r := &store.Record{}
		var used int
		var exp int64
		if err := rows.Scan(&r.Key, &r.RequestID, &r.Subject, &r.Data, &used, &exp); err != nil {
			return nil, err
		}
		r.Used, r.ExpiresAt = used == 1, tm(exp)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Hit implements store.Ephemeral.
func (db *DB) Hit(ctx context.Context, key string, window time.Duration) (int64, error) {
	now := db.now()
	var n int64
	err := db.w.QueryRowContext(ctx, `INSERT INTO counters (key, count, expires_at) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
		count = CASE WHEN counters.expires_at <= $3 THEN 1 ELSE counters.count + 1 END,
		expires_at = CASE WHEN counters.expires_at <= $3 THEN excluded.expires_at ELSE counters.expires_at END
		RETURNING count`, key, ms(now.Add(window)), ms(now)).Scan(&n)
	db.handOff()
	return n, err
}

// Count implements store.Ephemeral.
func (db *DB) Count(ctx context.Context, key string) (int64, error) {
	n, err := db.Counts(ctx, key)
	if err != nil {
		return 0, err
	}
	return n[0], nil
}

// Counts implements store.Ephemeral: one query.
func (db *DB) Counts(ctx context.Context, keys ...string) ([]int64, error) {
	out := make([]int64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	args := make([]any, 1, len(keys)+1)
	args[0] = ms(db.now())
	marks := make([]string, len(keys))
	for i, k := range keys {
		args = append(args, k)
		marks[i] = "$" + itoa(i+2)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT key, count FROM counters WHERE expires_at>$1 AND key IN (`+
		strings.Join(marks, ",")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var n int64
		if err := rows.Scan(&key, &n); err != nil {
			return nil, err
		}
		for i, k := range keys {
			if k == key {
				out[i] = n
			}
		}
	}
	return out, rows.Err()
}

// Unhit implements store.Ephemeral: one conditional update, so the floor
// holds however many nodes give hits back at once.
func (db *DB) Unhit(ctx context.Context, key string) error {
	_, err := db.execWrite(ctx, `UPDATE counters SET count=count-1 WHERE key=$1 AND count>0 AND expires_at>$2`,
		key, ms(db.now()))
	return err
}

// ResetCounter implements store.Ephemeral.
func (db *DB) ResetCounter(ctx context.Context, key string) error {
	_, err := db.execWrite(ctx, `DELETE FROM counters WHERE key=$1`, key)
	return err
}

// PurgeExpired implements store.Ephemeral.
func (db *DB) PurgeExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM records WHERE expires_at<=$1`, ms(now))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	res, err = db.w.ExecContext(ctx, `DELETE FROM counters WHERE expires_at<=$1`, ms(now))
	if err != nil {
		return n, err
	}
	m, _ := res.RowsAffected()
	return n + m, nil
}

// leaseKind is the kind of the records that hold leases: the holder is the
// record's subject. No store.RecordKind has this name.
const leaseKind = "lease"

// AcquireLease implements store.Leases: one upsert that takes over the row
// only when it has expired or is the holder's own.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := db.now()
	res, err := db.execWrite(ctx, `INSERT INTO records (kind, key, subject, expires_at) VALUES ($1,$2,$3,$4)
		ON CONFLICT (kind, key) DO UPDATE SET subject=excluded.subject, expires_at=excluded.expires_at
		WHERE records.expires_at<=$5 OR records.subject=excluded.subject`,
		leaseKind, name, holder, ms(now.Add(ttl)), ms(now))
	err = affected(res, err)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ReleaseLease implements store.Leases.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := db.execWrite(ctx, `DELETE FROM records WHERE kind=$1 AND key=$2 AND subject=$3`, leaseKind, name, holder)
	return err
}
