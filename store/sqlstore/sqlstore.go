// Package sqlstore is the SQL backend of dinhdanh's store: durable data and,
// when no Redis is configured, the ephemeral state too (rows with an expiry).
//
// It runs on SQLite (modernc.org/sqlite, pure Go, WAL), the embedded
// default, and on PostgreSQL (github.com/jackc/pgx/v5 through database/sql).
// Statements use $N placeholders, integer flags and Unix-millisecond times so
// that both engines run the same statements; what must differ (migrations,
// constraint errors, locking) is kept in dialect.go. Writes on SQLite go
// through one connection (SQLite has one writer at a time; queueing in Go
// beats spinning on SQLITE_BUSY) while reads use a pool; on PostgreSQL one
// pool serves both.
//
// The single-use operations (MarkRecordUsed, TakeRecord,
// DeactivateRefreshToken) and Hit are single statements whose WHERE clause
// or conflict clause decides the outcome, so they stay atomic across
// connections and nodes: on PostgreSQL a concurrent UPDATE or DELETE of the
// same row waits for the first to commit and then re-checks the condition
// (READ COMMITTED), and INSERT … ON CONFLICT is atomic.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/store"

	"modernc.org/sqlite"
)

func init() {
	// SQLite's built-in lower() folds ASCII letters only: LOWER('Đinh') stays
	// 'Đinh', and an account search for "đinh" (or "Đinh", which ListAccounts
	// lowers) would find nobody. Every connection gets Go's Unicode case
	// mapping under the same name, so the statements stay those PostgreSQL
	// runs, where lower() is Unicode-aware.
	sqlite.MustRegisterDeterministicScalarFunction("lower", 1, unicodeLower)
}

// unicodeLower is SQL lower() with Unicode case mapping.
func unicodeLower(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case nil:
		return nil, nil
	case string:
		return strings.ToLower(v), nil
	case []byte:
		return strings.ToLower(string(v)), nil
	default:
		return strings.ToLower(fmt.Sprint(v)), nil
	}
}

//go:embed migrations
var migrations embed.FS

// DB is the SQL store. It implements store.Store and store.Ephemeral.
type DB struct {
	w   *pool // writes (one connection on SQLite)
	r   *pool // reads (the same pool as w on PostgreSQL)
	d   dialect
	now func() time.Time
}

var (
	_ store.Store     = (*DB)(nil)
	_ store.Ephemeral = (*DB)(nil)
)

// ErrSchemaTooNew is returned when the database was migrated by a newer dinhdanh.
var ErrSchemaTooNew = errors.New("the database schema is newer than this dinhdanh understands: upgrade dinhdanh")

// ErrSchemaTooOld is returned by Check when migrations are pending.
var ErrSchemaTooOld = errors.New("the database schema is older than this dinhdanh: run 'dinhdanh migrate'")

// OpenSQLite opens (creating when missing) the SQLite file at path, in WAL
// mode with synchronous=FULL on every connection: a transaction that
// committed survives a power loss.
func OpenSQLite(ctx context.Context, path string, maxReaders int) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating the data directory: %w", err)
		}
	}
	// In a "file:" URI, SQLite decodes %XX and ends the path at '?' or '#':
	// escape those so that the file opened is the one named.
	uriPath := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	// synchronous=FULL on every connection (the pragma is per connection,
	// and the DSN's pragmas run on each one the pools open): in WAL mode,
	// NORMAL does not sync the log at each commit, so a power loss can undo
	// committed transactions, and with them the marks that retire a used
	// TOTP step, a spent recovery code or a rotated refresh token. FULL syncs
	// at each commit; every table shares the one log, so there is no cheaper
	// setting for the security tables alone.
	dsn := "file:" + uriPath + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate"
	connector, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	w := sql.OpenDB(stmtCacheConnector{connector})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r := sql.OpenDB(stmtCacheConnector{connector})
	if maxReaders <= 0 {
		maxReaders = 8
	}
	r.SetMaxOpenConns(maxReaders)
	r.SetMaxIdleConns(maxReaders)
	db := &DB{w: &pool{DB: w}, r: &pool{DB: r}, d: sqliteDialect{}, now: time.Now}
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
		db.Close()
		return nil, err
	}
	return db, nil
}

// SetClock replaces the clock (tests).
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Engine names the database engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.d.name() }

// Close closes the connections.
func (db *DB) Close() error {
	if db.r == db.w {
		return db.w.Close()
	}
	err1 := db.r.Close()
	err2 := db.w.Close()
	return errors.Join(err1, err2)
}

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(migrations, "migrations/"+dialect)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version prefix", name)
		}
		b, err := migrations.ReadFile("migrations/" + dialect + "/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// SchemaVersion returns the version the database is at and the newest this build knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, known int, err error) {
	ms, err := loadMigrations(db.d.name())
	if err != nil {
		return 0, 0, err
	}
	known = ms[len(ms)-1].version
	exists, err := db.d.versionTable(ctx, db)
	if err != nil || !exists {
		return 0, known, err
	}
	var v sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, known, err
	}
	return int(v.Int64), known, nil
}

// Check returns ErrSchemaTooOld or ErrSchemaTooNew when the schema does not
// match this build.
func (db *DB) Check(ctx context.Context) error {
	cur, known, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	return schemaError(cur, known)
}

func schemaError(cur, known int) error {
	if cur > known {
		return fmt.Errorf("%w (database at version %d, this build knows %d)", ErrSchemaTooNew, cur, known)
	}
	if cur < known {
		return fmt.Errorf("%w (database at version %d, this build needs %d)", ErrSchemaTooOld, cur, known)
	}
	return nil
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions applied. A schema newer than this build is refused.
// On PostgreSQL it holds an advisory lock throughout, so that nodes migrating
// at the same time apply each migration once: the others wait, then find
// nothing left to do.
func (db *DB) Migrate(ctx context.Context) (applied []int, err error) {
	unlock, err := db.d.lock(ctx, db, "migrate")
	if err != nil {
		return nil, fmt.Errorf("locking the schema: %w", err)
	}
	defer func() { err = errors.Join(err, unlock()) }()
	cur, known, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if cur > known {
		return nil, schemaError(cur, known)
	}
	if cur == known {
		return nil, nil
	}
	// A migration may take longer than a request's statement: it runs on
	// the pool without the client-side bound, and without the server's
	// statement_timeout (SET LOCAL, on PostgreSQL).
	if _, err := db.w.DB.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, err
	}
	ms, err := loadMigrations(db.d.name())
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.version <= cur {
			continue
		}
		tx, err := db.w.DB.BeginTx(ctx, nil)
		if err != nil {
			return applied, err
		}
		if db.d.name() == "postgres" {
			if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
				tx.Rollback()
				return applied, err
			}
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, m.version, db.now().UnixMilli()); err != nil {
			tx.Rollback()
			return applied, err
		}
		if err := tx.Commit(); err != nil {
			return applied, err
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}

// Exclusive runs fn while holding a lock named name that every node sharing
// the database respects (a PostgreSQL advisory lock; on SQLite, whose file
// serves one node, fn simply runs). Nodes starting together use it so that
// only one of them creates the first signing keys.
func (db *DB) Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) (err error) {
	unlock, err := db.d.lock(ctx, db, name)
	if err != nil {
		return fmt.Errorf("taking the lock %q: %w", name, err)
	}
	defer func() { err = errors.Join(err, unlock()) }()
	return fn(ctx)
}

// ms converts a time to Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// tm converts Unix milliseconds back; 0 is the zero time.
func tm(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nullIfEmpty stores "" as NULL so that unique indexes ignore it.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// conflict turns a unique-constraint violation into a *store.ConflictError.
// fields maps a "table.column" (as SQLite names it in its message) to the
// identifier reported as taken.
func conflict(err error, fields map[string]string) error {
	if err == nil {
		return nil
	}
	cols, ok := uniqueViolation(err)
	if !ok {
		return err
	}
	for col, field := range fields {
		if strings.Contains(cols, col) {
			return &store.ConflictError{Field: field}
		}
	}
	return &store.ConflictError{Field: "id"}
}

func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
