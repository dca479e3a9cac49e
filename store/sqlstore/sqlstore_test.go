package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/conformance"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// openFile opens the SQLite file at path without migrating it.
func openFile(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenSQLite(context.Background(), path, 4)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// openMigrated opens a fresh, migrated SQLite file in the test's directory.
func openMigrated(t *testing.T) *sqlstore.DB {
	t.Helper()
	db := openFile(t, filepath.Join(t.TempDir(), "dinhdanh.db"))
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

func TestConformance(t *testing.T) {
	t.Run("Store", func(t *testing.T) {
		conformance.RunStore(t, func(t *testing.T) store.Store { return openMigrated(t) })
	})
	t.Run("Ephemeral", func(t *testing.T) {
		conformance.RunEphemeral(t, func(t *testing.T) store.Ephemeral { return openMigrated(t) })
	})
}

func TestMigrate(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "dinhdanh.db")
	db := openFile(t, path)

	cur, known, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if cur != 0 || known < 1 {
		t.Fatalf("SchemaVersion of a new file = %d, %d; want 0 and at least 1", cur, known)
	}
	if err := db.Check(ctx); !errors.Is(err, sqlstore.ErrSchemaTooOld) {
		t.Fatalf("Check before Migrate = %v, want ErrSchemaTooOld", err)
	}

	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if len(applied) != known || applied[0] != 1 || applied[len(applied)-1] != known || !slices.IsSorted(applied) {
		t.Fatalf("Migrate applied %v, want every version from 1 to %d", applied, known)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check after Migrate: %v", err)
	}

	// Data written after migrating survives a second Migrate, which applies nothing.
	business := &identity.Business{TaxCode: "0101243150", Name: "Công ty TNHH Định Danh"}
	if err := db.PutBusiness(ctx, business); err != nil {
		t.Fatalf("PutBusiness: %v", err)
	}
	applied, err = db.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate(again): %v", err)
	}
	if len(applied) != 0 {
		t.Fatalf("Migrate(again) applied %v, want nothing", applied)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check after Migrate(again): %v", err)
	}
	if _, err := db.GetBusiness(ctx, business.TaxCode); err != nil {
		t.Fatalf("GetBusiness after Migrate(again): %v", err)
	}

	// Reopened, the file is still current.
	again := openFile(t, path)
	if err := again.Check(ctx); err != nil {
		t.Fatalf("Check after reopening: %v", err)
	}
	if applied, err := again.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("Migrate after reopening = %v, %v; want nothing applied", applied, err)
	}
}

func TestSchemaTooNew(t *testing.T) {
	for _, tc := range []struct {
		name    string
		migrate bool
	}{
		{"migrated", true},
		{"never migrated", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "dinhdanh.db")
			db := openFile(t, path)
			if tc.migrate {
				if _, err := db.Migrate(ctx); err != nil {
					t.Fatalf("Migrate: %v", err)
				}
			}
			_, known, err := db.SchemaVersion(ctx)
			if err != nil {
				t.Fatalf("SchemaVersion: %v", err)
			}

			// A newer dinhdanh migrated the file further.
			raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatalf("sql.Open: %v", err)
			}
			defer raw.Close()
			if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				known+1, time.Now().UnixMilli()); err != nil {
				t.Fatalf("recording a newer version: %v", err)
			}

			if err := db.Check(ctx); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
				t.Fatalf("Check = %v, want ErrSchemaTooNew", err)
			}
			applied, err := db.Migrate(ctx)
			if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
				t.Fatalf("Migrate = %v, %v; want ErrSchemaTooNew", applied, err)
			}
			if len(applied) != 0 {
				t.Fatalf("Migrate applied %v to a newer schema", applied)
			}
			if cur, _, err := db.SchemaVersion(ctx); err != nil || cur != known+1 {
				t.Fatalf("SchemaVersion = %d, %v; want %d", cur, err, known+1)
			}
			if !tc.migrate {
				// Nothing was created by the refused Migrate.
				var n int
				if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name='accounts'`).Scan(&n); err != nil || n != 0 {
					t.Fatalf("accounts table exists after a refused Migrate (count %d, %v)", n, err)
				}
			}
		})
	}
}

// TestPurgeExpiredCount checks what the conformance suite leaves open: the SQL
// backend removes expired items itself and counts every one of them.
func TestPurgeExpiredCount(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	now := time.Now()
	for i, exp := range []time.Duration{-time.Hour, -time.Second, time.Hour} {
		r := &store.Record{Key: string(rune('a' + i)), ExpiresAt: now.Add(exp)}
		if err := db.PutRecord(ctx, store.KindSSOSession, r); err != nil {
			t.Fatalf("PutRecord: %v", err)
		}
	}
	if _, err := db.Hit(ctx, "expired", time.Millisecond); err != nil {
		t.Fatalf("Hit: %v", err)
	}
	if _, err := db.Hit(ctx, "live", time.Hour); err != nil {
		t.Fatalf("Hit: %v", err)
	}
	n, err := db.PurgeExpired(ctx, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("PurgeExpired: %v", err)
	}
	if n != 3 {
		t.Fatalf("PurgeExpired = %d, want 3 (two records and one counter)", n)
	}
	if _, err := db.GetRecord(ctx, store.KindSSOSession, "c"); err != nil {
		t.Fatalf("GetRecord(live): %v", err)
	}
	if c, err := db.Count(ctx, "live"); err != nil || c != 1 {
		t.Fatalf("Count(live) = %d, %v", c, err)
	}
}

// TestOpenSQLitePath opens files whose paths hold characters that mean
// something in a URI: the file opened is the one named, nowhere else.
func TestOpenSQLitePath(t *testing.T) {
	for _, name := range []string{"dữ liệu có dấu cách", "100%25 và 100%", "a#b", "a?b=c&d", `back\slash`} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			parent := t.TempDir()
			path := filepath.Join(parent, name, "dinhdanh.db")
			db := openFile(t, path)
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if err := db.PutBusiness(ctx, &identity.Business{TaxCode: "0101243150", Name: "Định Danh"}); err != nil {
				t.Fatalf("PutBusiness: %v", err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("the database is not at %q: %v", path, err)
			}
			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != name {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("files created beside %q: %q", name, names)
			}
			again := openFile(t, path)
			if err := again.Check(ctx); err != nil {
				t.Fatalf("Check after reopening: %v", err)
			}
			if _, err := again.GetBusiness(ctx, "0101243150"); err != nil {
				t.Fatalf("GetBusiness after reopening: %v", err)
			}
		})
	}
}

// TestMigrationsMirror checks that every SQLite migration has its
// PostgreSQL twin of the same version and name, and the reverse, so that both
// engines reach the same schema version.
func TestMigrationsMirror(t *testing.T) {
	names := func(dialect string) []string {
		entries, err := os.ReadDir(filepath.Join("migrations", dialect))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	sqlite, postgres := names("sqlite"), names("postgres")
	for _, n := range sqlite {
		if !slices.Contains(postgres, n) {
			t.Errorf("migrations/sqlite/%s has no twin in migrations/postgres", n)
		}
	}
	for _, n := range postgres {
		if !slices.Contains(sqlite, n) {
			t.Errorf("migrations/postgres/%s has no twin in migrations/sqlite", n)
		}
	}
}

// TestSQLiteSynchronousFull checks that every connection of both pools, the
// writer and each reader, runs with synchronous=FULL: with NORMAL a power
// loss could undo a committed transaction (a used TOTP step, a spent
// recovery code, a rotated refresh token) and revive what it retired.
func TestSQLiteSynchronousFull(t *testing.T) {
	const readers = 4
	db := openFile(t, filepath.Join(t.TempDir(), "d.db"))
	ctx := t.Context()
	w, r := db.Pools()
	for _, p := range []struct {
		name string
		pool *sql.DB
		n    int
	}{{"writer", w, 1}, {"reader", r, readers}} {
		// Hold n connections at once, so that each is a different one.
		var conns []*sql.Conn
		for range p.n {
			c, err := p.pool.Conn(ctx)
			if err != nil {
				t.Fatalf("%s connection: %v", p.name, err)
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			var level int
			if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
				t.Fatalf("%s connection %d: PRAGMA synchronous: %v", p.name, i, err)
			}
			if level != 2 { // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
				t.Errorf("%s connection %d: synchronous = %d, want 2 (FULL)", p.name, i, level)
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}
	if s := r.Stats(); s.OpenConnections != readers {
		t.Errorf("the reading pool has %d connections open, want the %d the test checked", s.OpenConnections, readers)
	}
}
