package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"hash/fnv"
	"strings"

	"github.com/dinhdanh/dinhdanh/store"
	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is what differs between SQLite and PostgreSQL. Statements are
// shared; only what cannot be written once for both engines lives here.
type dialect interface {
	// name is the engine's name, also the directory of its migrations.
	name() string
	// versionTable reports whether schema_migrations exists. SQLite creates
	// it (its single writer makes that safe); PostgreSQL only looks, so that
	// nodes checking the schema at the same time never race on DDL.
	versionTable(ctx context.Context, db *DB) (bool, error)
	// lock takes a lock named name that every process using the database
	// respects, and returns its release.
	lock(ctx context.Context, db *DB, name string) (unlock func() error, err error)
	// rotateRefreshToken marks the active token signature inactive and
	// inserts next, atomically; rotated is false, and nothing is written,
	// when no active token has that signature.
	rotateRefreshToken(ctx context.Context, db *DB, signature string, next *store.RefreshToken) (rotated bool, err error)
}

type sqliteDialect struct{}

func (sqliteDialect) name() string { return "sqlite" }

func (sqliteDialect) versionTable(ctx context.Context, db *DB) (bool, error) {
	_, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`)
	return err == nil, err
}

// lock is a no-op: an SQLite file serves one node, whose writes already go
// through one connection.
func (sqliteDialect) lock(context.Context, *DB, string) (func() error, error) {
	return func() error { return nil }, nil
}

// rotateRefreshToken runs both statements in one transaction on the single
// writing connection.
func (sqliteDialect) rotateRefreshToken(ctx context.Context, db *DB, signature string, next *store.RefreshToken) (bool, error) {
	defer db.handOff()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET active=0, rotated_at=$2, successor=$3, successor_seal=$4
		WHERE signature=$1 AND active=1`, signature, ms(db.now().UTC()), next.Signature, handover(next))
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (`+refreshColumns+`) VALUES (`+refreshValues+`)`,
		refreshArgs(next)...); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// handover is what a rotation stores on the rotated token as its
// SuccessorSeal: next.Handover, never nil.
func handover(next *store.RefreshToken) []byte {
	if next.Handover == nil {
		return []byte{}
	}
	return next.Handover
}

type postgresDialect struct{}

// rotateRefreshToken is one statement, one round trip and one commit: the
// insert happens only when the update took the token. A concurrent rotation
// of the same token waits for the row lock, then finds it inactive.
func (postgresDialect) rotateRefreshToken(ctx context.Context, db *DB, signature string, next *store.RefreshToken) (bool, error) {
	args := append(refreshArgs(next), signature, ms(db.now().UTC()), handover(next))
	res, err := db.w.ExecContext(ctx, `WITH old AS (
			UPDATE refresh_tokens SET active=0, rotated_at=$14::bigint, successor=$1::text, successor_seal=$15::bytea
			WHERE signature=$13 AND active=1 RETURNING 1)
		INSERT INTO refresh_tokens (`+refreshColumns+`) SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text,
			$7::integer, $8::bytea, $9::bigint, $10::bigint, $11::integer, $12::text WHERE EXISTS (SELECT 1 FROM old)`, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (postgresDialect) name() string { return "postgres" }

func (postgresDialect) versionTable(ctx context.Context, db *DB) (bool, error) {
	var exists bool
	err := db.r.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists)
	return exists, err
}

// lock takes a session-level advisory lock on a connection of its own; the
// server releases it by itself if the connection is lost.
func (postgresDialect) lock(ctx context.Context, db *DB, name string) (func() error, error) {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	key := advisoryKey(name)
	// Waiting for the lock (another node migrating, or creating the first
	// keys) may take longer than statement_timeout: the wait has none; the
	// connection's default comes back before it returns to the pool.
	if _, err := conn.ExecContext(ctx, `SET statement_timeout = 0`); err != nil {
		conn.Close()
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
		return nil, err
	}
	return func() error {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
		if err == nil {
			_, err = conn.ExecContext(context.WithoutCancel(ctx), `RESET statement_timeout`)
		}
		if err != nil {
			// A connection whose lock state is unknown must not return to the pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		return errors.Join(err, conn.Close())
	}, nil
}

// advisoryKey maps a lock name to the 64-bit key of pg_advisory_lock.
func advisoryKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("dinhdanh:" + name))
	return int64(h.Sum64())
}

// pgUniqueConstraints names, for each unique constraint of the PostgreSQL
// schema, its columns as SQLite reports them ("table.column, …"), so that one
// mapping from columns to store.ConflictError fields serves both engines.
var pgUniqueConstraints = map[string]string{
	"accounts_pkey":            "accounts.id",
	"accounts_email_key":       "accounts.email",
	"accounts_phone_key":       "accounts.phone",
	"accounts_personal_id_key": "accounts.personal_id",
	"accounts_username":        "accounts.official_directory, accounts.official_username",
	"businesses_pkey":          "businesses.tax_code",
	"representations_pkey":     "representations.account_id, representations.tax_code",
	"clients_pkey":             "clients.id",
	"consents_pkey":            "consents.account_id, consents.client_id",
	"signing_keys_pkey":        "signing_keys.id",
	"refresh_tokens_pkey":      "refresh_tokens.signature",
	"records_pkey":             "records.kind, records.key",
	"counters_pkey":            "counters.key",
	"consent_events_pkey":      "consent_events.id",
	"privacy_acceptances_pkey": "privacy_acceptances.account_id, privacy_acceptances.version",
	"closed_accounts_pkey":     "closed_accounts.account_id",
}

// PostgreSQL error codes (SQLSTATE).
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// uniqueViolation reports whether err is a unique-constraint violation and
// returns the columns concerned, written "table.column, …".
func uniqueViolation(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code != pgUniqueViolation {
			return "", false
		}
		if cols, ok := pgUniqueConstraints[pe.ConstraintName]; ok {
			return cols, true
		}
		return pe.TableName + "." + pe.ConstraintName, true
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "constraint failed: PRIMARY KEY") {
		return msg, true
	}
	return "", false
}

// foreignKeyViolation reports whether err is a foreign-key violation: the
// row referred to does not exist.
func foreignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == pgForeignKeyViolation
	}
	return strings.Contains(err.Error(), "FOREIGN KEY")
}
