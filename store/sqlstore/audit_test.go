package sqlstore_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/conformance"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// TestAuditChainAcrossProcesses appends through several handles over one
// SQLite file, each with its own writing connection as a separate process
// has: the file's write lock must serialise them into one chain.
func TestAuditChainAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dinhdanh.db")
	first := openFile(t, path)
	if _, err := first.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	handles := []store.Audit{first}
	for range 3 {
		handles = append(handles, openFile(t, path))
	}
	conformance.AuditChainAcrossHandles(t, handles...)
}

// TestPostgresAuditChainAcrossNodes is the same over PostgreSQL, with one
// pool per node.
func TestPostgresAuditChainAcrossNodes(t *testing.T) {
	url := services.Postgres(t)
	first := openPostgres(t, url)
	if _, err := first.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	conformance.AuditChainAcrossHandles(t, first, openPostgres(t, url), openPostgres(t, url))
}

// TestAuditMigrationKeepsOlderEventsUnchained migrates a log written before
// the chain: its events stay as they were, reported as unchained, and the
// chain starts at the next ID.
func TestAuditMigrationKeepsOlderEventsUnchained(t *testing.T) {
	ctx := t.Context()
	db := openFile(t, filepath.Join(t.TempDir(), "dinhdanh.db"))
	w, _ := db.Pools()
	migrateUpTo(t, w, "sqlite", 9)
	for i := range 3 {
		if _, err := w.ExecContext(ctx, `INSERT INTO audit_log (time, type, actor) VALUES ($1, 'login.success', $2)`,
			1700000000000+i, "legacy-"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if applied, err := db.Migrate(ctx); err != nil || len(applied) == 0 || applied[0] != 10 {
		t.Fatalf("Migrate = %v, %v; want 10 and later applied", applied, err)
	}
	c, err := db.AuditChain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c != (store.AuditChain{Start: 4, AnchorID: 3, HeadID: 3, Unchained: 3}) {
		t.Fatalf("AuditChain after migrating 3 events = %+v", c)
	}
	e := &store.AuditEvent{Type: "login.success", Actor: "new"}
	if err := db.AppendAudit(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.ID != 4 || e.PrevHash != "" || e.Hash != store.AuditHash("", e) {
		t.Fatalf("first chained event = %+v", e)
	}
	legacy, err := db.SearchAudit(ctx, store.AuditFilter{Before: 4})
	if err != nil || len(legacy) != 3 || legacy[0].Hash != "" || legacy[2].Actor != "legacy-0" {
		t.Fatalf("legacy events = %v, %v", legacy, err)
	}
	// Retention removes legacy events without moving the anchor.
	if n, err := db.DeleteAuditBefore(ctx, time.UnixMilli(1700000000002)); err != nil || n != 2 {
		t.Fatalf("DeleteAuditBefore = %d, %v; want 2", n, err)
	}
	c, err = db.AuditChain(ctx)
	if err != nil || c.AnchorID != 3 || c.AnchorHash != "" || c.Unchained != 1 {
		t.Fatalf("AuditChain after removing legacy events = %+v, %v", c, err)
	}
}

// migrateUpTo applies the migrations of dialect up to version, as an older
// dinhdanh did.
func migrateUpTo(t *testing.T, w *sql.DB, dialect string, version int) {
	t.Helper()
	ctx := t.Context()
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join("migrations", dialect))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil || v > version {
			continue
		}
		b, err := os.ReadFile(filepath.Join("migrations", dialect, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.ExecContext(ctx, string(b)); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if _, err := w.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)`, v); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPostgresAuditSearchUsesIndexes checks that each condition of a search
// is served by an index: with sequential scans priced out, the plan of
// every filter names an index and no sequential scan of audit_log.
func TestPostgresAuditSearchUsesIndexes(t *testing.T) {
	ctx := t.Context()
	db := openPostgres(t, services.Postgres(t))
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w, _ := db.Pools()
	conn, err := w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ cond, index string }{
		{`subject='s'`, "audit_log_subject"},
		{`actor='a'`, "audit_log_actor"},
		{`client_id='c'`, "audit_log_client"},
		{`type='login.success'`, "audit_log_type"},
		{`(type>='login.' AND type<'login/')`, "audit_log_type"},
		{`address='203.0.113.7'`, "audit_log_address"},
		{`time>=1 AND time<2`, "audit_log_time"},
		{`id<100`, "audit_log_pkey"},
	} {
		cond := tc.cond
		rows, err := conn.QueryContext(ctx, `EXPLAIN SELECT id FROM audit_log WHERE `+cond+` ORDER BY id DESC LIMIT 50`)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		p := strings.Join(plan, "\n")
		if strings.Contains(p, "Seq Scan") || !strings.Contains(p, tc.index) {
			t.Errorf("search by %s is not served by %s:\n%s", cond, tc.index, p)
		}
	}
}
