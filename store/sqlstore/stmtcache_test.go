package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// cachedCount reports how many statements the connection of c keeps.
func cachedCount(t *testing.T, c *sql.Conn) int {
	t.Helper()
	n := -1
	if err := c.Raw(func(dc any) error {
		n = len(dc.(*stmtCacheConn).stmts)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "cache.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// One statement text run many times with different arguments is
	// compiled once and gives each run's own result.
	base := cachedCount(t, conn)
	const insert = `INSERT INTO counters (key, count, expires_at) VALUES ($1, $2, $3)`
	for i := range 5 {
		if _, err := conn.ExecContext(ctx, insert, fmt.Sprintf("k%d", i), i*10, 1<<40); err != nil {
			t.Fatal(err)
		}
	}
	if got := cachedCount(t, conn); got != base+1 {
		t.Errorf("%d statements kept after one statement ran five times, want %d", got, base+1)
	}
	const one = `SELECT count FROM counters WHERE key=$1`
	for i := range 5 {
		var n int
		if err := conn.QueryRowContext(ctx, one, fmt.Sprintf("k%d", i)).Scan(&n); err != nil || n != i*10 {
			t.Fatalf("k%d: %d (%v), want %d", i, n, err, i*10)
		}
	}
	if err := conn.QueryRowContext(ctx, one, "absent").Scan(new(int)); err != sql.ErrNoRows {
		t.Fatalf("an absent key: %v, want sql.ErrNoRows", err)
	}

	// The same statement run while its rows are still being read (as a
	// transaction may) gets a statement of its own and disturbs nothing.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const all = `SELECT key, count FROM counters WHERE count>=$1 ORDER BY key`
	rows, err := tx.QueryContext(ctx, all, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var outer []string
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		outer = append(outer, k)
		if len(outer) > 5 {
			t.Fatalf("the outer query keeps reading: %v", outer)
		}
		inner, err := tx.QueryContext(ctx, all, 30)
		if err != nil {
			t.Fatal(err)
		}
		defer inner.Close()
		var got []string
		for inner.Next() {
			var k string
			if err := inner.Scan(&k, new(int)); err != nil {
				t.Fatal(err)
			}
			got = append(got, k)
			if len(got) > 5 {
				t.Fatalf("the inner query keeps reading: %v", got)
			}
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[k3 k4]" {
			t.Fatalf("the inner query read %v, want [k3 k4]", got)
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(outer) != "[k0 k1 k2 k3 k4]" {
		t.Fatalf("the outer query read %v, want [k0 k1 k2 k3 k4]", outer)
	}

	// A statement that fails (a constraint) leaves its compiled form usable.
	if _, err := conn.ExecContext(ctx, insert, "k0", 1, 1); err == nil {
		t.Fatal("a duplicate key was inserted")
	}
	if _, err := conn.ExecContext(ctx, insert, "k5", 50, 1<<40); err != nil {
		t.Fatalf("the statement after a failed run: %v", err)
	}

	// Scripts and schema changes are not kept; past the bound, statements
	// still run, compiled each time.
	before := cachedCount(t, conn)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE scratch (x INTEGER); INSERT INTO scratch VALUES (1);`); err != nil {
		t.Fatal(err)
	}
	if got := cachedCount(t, conn); got != before {
		t.Errorf("a script was kept: %d statements, want %d", got, before)
	}
	for i := range maxCachedStatements + 10 {
		var v int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT x + %d FROM scratch", i)).Scan(&v); err != nil || v != i+1 {
			t.Fatalf("statement %d: %d (%v)", i, v, err)
		}
	}
	if got := cachedCount(t, conn); got != maxCachedStatements {
		t.Errorf("%d statements kept, want the bound %d", got, maxCachedStatements)
	}
}

func TestCacheable(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1":                               true,
		"  insert INTO t VALUES (1)":             true,
		"UPDATE t SET x=1;":                      true,
		"WITH a AS (SELECT 1) SELECT * FROM a":   true,
		"DELETE FROM t WHERE x=1":                true,
		"CREATE TABLE t (x INTEGER)":             false,
		"SELECT 1; SELECT 2":                     false,
		"PRAGMA journal_mode=WAL":                false,
		"BEGIN":                                  false,
		"INSERT INTO t VALUES (1); DROP TABLE t": false,
	} {
		if got := cacheable(q); got != want {
			t.Errorf("cacheable(%q) = %v, want %v", q, got, want)
		}
	}
}
