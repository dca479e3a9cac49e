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
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database.url: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if maxConns <= 0 {
		maxConns = 8
	}
	maxConns = max(maxConns, 2)
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(maxConns)
	pool.SetMaxIdleConns(maxConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{w: pool, r: pool, d: postgresDialect{}, now: time.Now}
	where := redactedTarget(cfg)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %w", where, err)
	}
	if err := checkPostgresText(ctx, pool); err != nil {
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
