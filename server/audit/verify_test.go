package audit_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"

	_ "modernc.org/sqlite"
)

// chained opens a log of n events written through a Recorder.
func chained(t *testing.T, n int) *sqlstore.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	db, err := sqlstore.OpenSQLite(t.Context(), path, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	rawDBs[db] = raw
	log, _ := jsonLog()
	rec := audit.NewRecorder(db, log)
	for i := range n {
		if err := rec.Record(t.Context(), audit.Entry{Event: audit.AccountLock, Actor: "cli", Subject: "acct-" + string(rune('a'+i)),
			Details: map[string]string{"reason": "helpdesk ticket"}}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// rawDBs are direct connections to the files of the logs under test, as
// someone with the database has.
var rawDBs = map[*sqlstore.DB]*sql.DB{}

func exec(t *testing.T, db *sqlstore.DB, q string, args ...any) {
	t.Helper()
	if _, err := rawDBs[db].ExecContext(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyIntactChain(t *testing.T) {
	db := chained(t, 5)
	v, err := audit.Verify(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if v.Break != nil || v.Checked != 5 || v.Chain.HeadID != 5 {
		t.Fatalf("Verify of an intact chain = %+v, break %+v", v, v.Break)
	}
}

// TestVerifyFindsTampering changes the log with SQL, as someone with the
// database would, and checks the first break Verify reports.
func TestVerifyFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, db *sqlstore.DB)
		id     int64
		kind   audit.BreakKind
		detail string
	}{
		{"detail changed", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `UPDATE audit_log SET details='{"reason":"nothing to see"}' WHERE id=3`)
		}, 3, audit.BreakContent, "event was changed"},
		{"actor changed", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `UPDATE audit_log SET actor='someone-else' WHERE id=2`)
		}, 2, audit.BreakContent, "event was changed"},
		{"time changed", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `UPDATE audit_log SET time=time+1 WHERE id=4`)
		}, 4, audit.BreakContent, "event was changed"},
		{"details not JSON", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `UPDATE audit_log SET details='not json' WHERE id=1`)
		}, 1, audit.BreakContent, "event was changed"},
		{"row deleted in the middle", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `DELETE FROM audit_log WHERE id=3`)
		}, 4, audit.BreakMissing, "event 3 is missing"},
		{"rows deleted at the end", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `DELETE FROM audit_log WHERE id>=4`)
		}, 5, audit.BreakHead, "events 4 to 5 are missing at the end"},
		{"first row deleted", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `DELETE FROM audit_log WHERE id=1`)
		}, 2, audit.BreakMissing, "event 1 is missing"},
		{"hash recomputed after a change", func(t *testing.T, db *sqlstore.DB) {
			e := eventByID(t, db, 2)
			e.Details = map[string]string{"reason": "forged"}
			exec(t, db, `UPDATE audit_log SET details='{"reason":"forged"}', hash=$1 WHERE id=2`, store.AuditHash(e.PrevHash, e))
		}, 3, audit.BreakLink, "event 2"},
		{"row replaced with a forged one and renumbered", func(t *testing.T, db *sqlstore.DB) {
			exec(t, db, `DELETE FROM audit_log WHERE id=3`)
			exec(t, db, `UPDATE audit_log SET id=3 WHERE id=4`)
		}, 3, audit.BreakLink, "is not the hash of event 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := chained(t, 5)
			tc.tamper(t, db)
			v, err := audit.Verify(t.Context(), db)
			if err != nil {
				t.Fatal(err)
			}
			if v.Break == nil {
				t.Fatalf("Verify found no break (checked %d)", v.Checked)
			}
			if v.Break.ID != tc.id || v.Break.Kind != tc.kind || !strings.Contains(v.Break.Detail, tc.detail) {
				t.Fatalf("break = %+v, want event %d, %s, %q", v.Break, tc.id, tc.kind, tc.detail)
			}
		})
	}
}

// TestVerifyAfterRetention removes old events by retention: the chain still
// verifies from its anchor.
func TestVerifyAfterRetention(t *testing.T) {
	db := chained(t, 6)
	exec(t, db, `UPDATE audit_log SET time=1000 WHERE id<=4`)
	// The times changed: rehash those rows as their writer would have.
	prev := ""
	for id := int64(1); id <= 6; id++ {
		e := eventByID(t, db, id)
		e.PrevHash = prev
		e.Hash = store.AuditHash(prev, e)
		exec(t, db, `UPDATE audit_log SET prev_hash=$1, hash=$2 WHERE id=$3`, e.PrevHash, e.Hash, id)
		exec(t, db, `UPDATE audit_chain SET head_hash=$1`, e.Hash)
		prev = e.Hash
	}
	if v, err := audit.Verify(t.Context(), db); err != nil || v.Break != nil {
		t.Fatalf("Verify before retention: %+v, %v", v, err)
	}
	n, err := db.DeleteAuditBefore(t.Context(), eventByID(t, db, 5).Time)
	if err != nil || n != 4 {
		t.Fatalf("DeleteAuditBefore = %d, %v", n, err)
	}
	v, err := audit.Verify(t.Context(), db)
	if err != nil || v.Break != nil || v.Checked != 2 || v.Chain.AnchorID != 4 {
		t.Fatalf("Verify after retention: %+v (break %+v), %v", v, v.Break, err)
	}
	// Removing the oldest kept event by hand is still found.
	exec(t, db, `DELETE FROM audit_log WHERE id=5`)
	v, err = audit.Verify(t.Context(), db)
	if err != nil || v.Break == nil || v.Break.ID != 6 || v.Break.Kind != audit.BreakMissing {
		t.Fatalf("Verify after deleting the oldest kept event: %+v, %v", v, err)
	}
}

func eventByID(t *testing.T, db *sqlstore.DB, id int64) *store.AuditEvent {
	t.Helper()
	events, err := db.AuditAfter(t.Context(), id-1, 1)
	if err != nil || len(events) != 1 || events[0].ID != id {
		t.Fatalf("event %d: %v, %v", id, events, err)
	}
	return events[0]
}
