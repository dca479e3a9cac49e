package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenPostgres opens the PostgreSQL database at url (a "postgres://" or
// "postgresql://" URL, or a libpq key=value string) with at most maxConns
// connections (at least 2: a lock taken by Migrate or Exclusive holds one),
// used for reads and writes alike, and checks that it can be reached. The database must hold text as UTF-8 and fold letters beyond ASCII
// (a UTF-8 LC_CTYPE such as C.UTF-8 or vi_VN.UTF-8): account search compares
// Vietnamese names case-insensitively with lower(). It does not migrate: see
// Check and Migrate.
func OpenPostgres(ctx context.Context, url string, maxConns int) (*DB, error) {
	return OpenPostgresWith(ctx, url, PostgresOptions{MaxConns: maxConns})
}

// PostgresOptions tune OpenPostgresWith.
type PostgresOptions struct {
	// MaxConns caps the open connections (at least 2). Zero means 8.
	MaxConns int
	// StatementTimeout bounds every statement: it is the server's
	// statement_timeout on each connection (unless the URL sets one), and
	// each call of the store waits at most this long plus a small margin
	// for a free connection and its answer, so that a server that stopped
	// answering (paused, cut off) costs a request a bounded time and an
	// error. Migrate and the advisory locks of Exclusive run without it.
	// Zero means DefaultStatementTimeout; negative means no timeout.
	StatementTimeout time.Duration
}

// OpenPostgresWith is OpenPostgres with options.
func OpenPostgresWith(ctx context.Context, url string, o PostgresOptions) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database.url: %w", err)
	}
	timeout := o.StatementTimeout
	if timeout == 0 {
		timeout = DefaultStatementTimeout
	}
	timeout = max(timeout, 0)
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if timeout > 0 {
		if _, set := cfg.RuntimeParams["statement_timeout"]; !set {
			cfg.RuntimeParams["statement_timeout"] = statementTimeoutParam(timeout)
		}
	}
	maxConns := o.MaxConns
	if maxConns <= 0 {
		maxConns = 8
	}
	maxConns = max(maxConns, 2)
	sqlPool := stdlib.OpenDB(*cfg)
	sqlPool.SetMaxOpenConns(maxConns)
	sqlPool.SetMaxIdleConns(maxConns)
	sqlPool.SetConnMaxIdleTime(5 * time.Minute)
	pool := &pool{DB: sqlPool, timeout: timeout}
	db := &DB{w: pool, r: pool, d: postgresDialect{}, now: time.Now}
	where := redactedTarget(cfg)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %w", where, err)
	}
	if err := checkPostgresText(ctx, sqlPool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL database at %s: %w", where, err)
	}
	return db, nil
}

// checkPostgresText refuses a database that cannot keep or compare Vietnamese text.
func checkPostgresText(ctx context.Context, pool *sql.DB) error {
	var encoding string
	var folds bool
	err := pool.QueryRowContext(ctx, `SELECT current_setting('server_encoding'), lower('ĐINH VĂN ÁNH') = 'đinh văn ánh'`).Scan(&encoding, &folds)
	if err != nil {
		return err
	}
	if encoding != "UTF8" {
		return fmt.Errorf("its encoding is %s; create it with ENCODING 'UTF8'", encoding)
	}
	if !folds {
		return errors.New("lower() does not fold Vietnamese letters under its LC_CTYPE; create it with a UTF-8 locale, e.g. LC_CTYPE 'C.UTF-8'")
	}
	return nil
}

// redactedTarget names the server and database for messages, without secrets.
func redactedTarget(cfg *pgx.ConnConfig) string {
	u := url.URL{Scheme: "postgres", Host: fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), Path: "/" + cfg.Database}
	if cfg.User != "" {
		u.User = url.User(cfg.User)
	}
	return u.String()
}
