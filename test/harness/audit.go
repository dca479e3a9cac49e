package harness

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// Audit returns the latest events of the server's audit log, newest first,
// at most limit of them, of the account subject ("" for every event). It
// reads the server's SQLite database (the embedded default the harness
// runs) beside the running process.
func (s *Server) Audit(t testing.TB, subject string, limit int) []*store.AuditEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RequestTimeout)
	defer cancel()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(s.DataDir, "dinhdanh.db"), 1)
	if err != nil {
		t.Fatalf("opening the server's database: %v", err)
	}
	defer db.Close()
	events, err := db.ListAudit(ctx, subject, limit)
	if err != nil {
		t.Fatalf("reading the audit log: %v", err)
	}
	return events
}
