package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/conformance"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/services"
)

func TestMain(m *testing.M) { os.Exit(services.Run(m)) }

// openPostgres opens the PostgreSQL database at url without migrating it.
func openPostgres(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenPostgres(context.Background(), url, 8)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// openPostgresMigrated opens a fresh, migrated PostgreSQL database.
func openPostgresMigrated(t *testing.T) *sqlstore.DB {
	t.Helper()
	db := openPostgres(t, services.Postgres(t))
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

func TestPostgresConformance(t *testing.T) {
	t.Run("Store", func(t *testing.T) {
		conformance.RunStore(t, func(t *testing.T) store.Store { return openPostgresMigrated(t) })
	})
	t.Run("Ephemeral", func(t *testing.T) {
		conformance.RunEphemeral(t, func(t *testing.T) store.Ephemeral { return openPostgresMigrated(t) })
	})
}

// TestPostgresTwoNodes runs the races of the conformance suite between two
// nodes: two pools on one database, as two dinhdanh processes have.
func TestPostgresTwoNodes(t *testing.T) {
	ctx := t.Context()
	url := services.Postgres(t)
	nodes := []*sqlstore.DB{openPostgres(t, url), openPostgres(t, url)}
	if _, err := nodes[0].Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	race := func(f func(node *sqlstore.DB) error) []error {
		errs := make([]error, len(nodes))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Go(func() {
				<-start
				errs[i] = f(n)
			})
		}
		close(start)
		wg.Wait()
		return errs
	}
	oneWins := func(t *testing.T, errs []error, loser func(error) bool, what string) {
		t.Helper()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !loser(err):
				t.Fatalf("%s: node %d: unexpected error %v", what, i+1, err)
			}
		}
		if won != 1 {
			t.Fatalf("%s: %d nodes won (errors %v), want exactly 1", what, won, errs)
		}
	}

	t.Run("RefreshRotation", func(t *testing.T) {
		for round := range 20 {
			sig := fmt.Sprintf("rt-%d", round)
			if err := nodes[0].CreateRefreshToken(ctx, &store.RefreshToken{Signature: sig, RequestID: "req", ClientID: "c",
				Subject: "s", Active: true, Request: []byte("{}"), ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			errs := race(func(n *sqlstore.DB) error { return n.DeactivateRefreshToken(ctx, sig) })
			oneWins(t, errs, func(err error) bool { return errors.Is(err, store.ErrAlreadyUsed) }, "DeactivateRefreshToken")
		}
	})
	t.Run("Registration", func(t *testing.T) {
		for round := range 20 {
			pid := identity.PersonalID(fmt.Sprintf("0010990%05d", round))
			errs := race(func(n *sqlstore.DB) error {
				return n.CreateAccount(ctx, &identity.Account{ID: identity.NewSubject(), FullName: "Người Tranh", PersonalID: pid}, "")
			})
			oneWins(t, errs, func(err error) bool { f, ok := store.IsConflict(err); return ok && f == "personal_id" }, "CreateAccount")
		}
	})
	t.Run("AuthorizationCode", func(t *testing.T) {
		for round := range 20 {
			key := fmt.Sprintf("code-%d", round)
			if err := nodes[1].PutRecord(ctx, store.KindAuthorizeCode, &store.Record{Key: key, ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			errs := race(func(n *sqlstore.DB) error { return n.MarkRecordUsed(ctx, store.KindAuthorizeCode, key) })
			oneWins(t, errs, func(err error) bool { return errors.Is(err, store.ErrAlreadyUsed) }, "MarkRecordUsed")
		}
	})
	t.Run("Take", func(t *testing.T) {
		for round := range 20 {
			key := fmt.Sprintf("par-%d", round)
			if err := nodes[1].PutRecord(ctx, store.KindPAR, &store.Record{Key: key, ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			errs := race(func(n *sqlstore.DB) error { _, err := n.TakeRecord(ctx, store.KindPAR, key); return err })
			oneWins(t, errs, func(err error) bool { return errors.Is(err, store.ErrNotFound) }, "TakeRecord")
		}
	})
}

// TestPostgresMigrate checks the migration story on PostgreSQL: a fresh
// database is too old until migrated, nodes migrating at once apply each
// migration once, and a newer schema is refused.
func TestPostgresMigrate(t *testing.T) {
	ctx := t.Context()
	url := services.Postgres(t)
	db := openPostgres(t, url)
	cur, known, err := db.SchemaVersion(ctx)
	if err != nil || cur != 0 || known < 1 {
		t.Fatalf("SchemaVersion of a new database = %d, %d, %v", cur, known, err)
	}
	if err := db.Check(ctx); !errors.Is(err, sqlstore.ErrSchemaTooOld) {
		t.Fatalf("Check before Migrate = %v, want ErrSchemaTooOld", err)
	}
	// Checking creates nothing: the schema is still empty.
	raw, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	var tables int
	if err := raw.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname=current_schema()`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("%d tables after Check (%v), want none", tables, err)
	}

	// Four nodes migrate at once: each version is applied by exactly one.
	nodes := []*sqlstore.DB{db, openPostgres(t, url), openPostgres(t, url), openPostgres(t, url)}
	applied := make([][]int, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { applied[i], errs[i] = n.Migrate(ctx) })
	}
	wg.Wait()
	var all []int
	for i := range nodes {
		if errs[i] != nil {
			t.Fatalf("node %d: Migrate: %v", i, errs[i])
		}
		all = append(all, applied[i]...)
	}
	slices.Sort(all)
	if want := postgresVersions(t); !slices.Equal(all, want) || all[len(all)-1] != known {
		t.Fatalf("concurrent Migrate applied %v in all, want each of %v once", all, want)
	}
	for i, n := range nodes {
		if err := n.Check(ctx); err != nil {
			t.Fatalf("node %d: Check after Migrate: %v", i, err)
		}
	}

	// A newer dinhdanh migrated further: this build refuses to serve or migrate.
	if _, err := raw.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, known+1, time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Fatalf("Check = %v, want ErrSchemaTooNew", err)
	}
	if applied, err := db.Migrate(ctx); !errors.Is(err, sqlstore.ErrSchemaTooNew) || len(applied) != 0 {
		t.Fatalf("Migrate = %v, %v; want ErrSchemaTooNew and nothing applied", applied, err)
	}
}

// TestPostgresRefusesUnfoldedText checks that a database whose locale cannot
// fold Vietnamese letters is refused with a message saying why.
func TestPostgresRefusesUnfoldedText(t *testing.T) {
	ctx := t.Context()
	url := services.Postgres(t)
	raw, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	name := fmt.Sprintf("c_locale_%d", time.Now().UnixNano())
	if _, err := raw.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'`); err != nil {
		t.Fatal(err)
	}
	cfg := raw.Config()
	cLocale := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	_, err = sqlstore.OpenPostgres(ctx, cLocale, 2)
	if err == nil || !strings.Contains(err.Error(), "LC_CTYPE") {
		t.Fatalf("OpenPostgres(C locale) = %v, want an error about LC_CTYPE", err)
	}
}

// TestPostgresUnreachable checks the message when the server cannot be reached.
func TestPostgresUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := sqlstore.OpenPostgres(ctx, "postgres://dinhdanh:secret-password@127.0.0.1:1/dinhdanh?sslmode=disable", 2)
	if err == nil {
		t.Fatal("OpenPostgres of a closed port succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1:1") || strings.Contains(msg, "secret-password") {
		t.Fatalf("error %q must name the server and hide the password", msg)
	}
}

// postgresVersions returns the versions of the PostgreSQL migrations, in order.
func postgresVersions(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
