package sqlstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// TestSearchTextBackfill checks that migration 0011 fills search_text of the
// accounts that exist exactly as CreateAccount writes it: it runs the
// migration's UPDATE again over accounts written by CreateAccount, whose
// search_text must not change.
func TestSearchTextBackfill(t *testing.T) {
	for _, engine := range []struct {
		name string
		open func(t *testing.T) *sqlstore.DB
	}{{"sqlite", openMigrated}, {"postgres", openPostgresMigrated}} {
		t.Run(engine.name, func(t *testing.T) {
			db, ctx := engine.open(t), t.Context()
			b, err := os.ReadFile(filepath.Join("migrations", engine.name, "0011_account_search.sql"))
			if err != nil {
				t.Fatal(err)
			}
			sql := string(b)
			start := strings.Index(sql, "UPDATE accounts SET search_text")
			if start < 0 {
				t.Fatal("the migration has no UPDATE of search_text")
			}
			update := sql[start : start+strings.Index(sql[start:], ";")]
			accounts := []*identity.Account{
				{ID: identity.NewSubject(), FullName: "  ĐẶNG  Thị\tÁnh   Tuyết ", Email: "Anh.Tuyet@Example.VN", Phone: "+84901234567"},
				{ID: identity.NewSubject(), FullName: "Nguye\u0302\u0303n Ngọc Ửng", Official: &identity.Official{Username: "Ung.NN", Agency: "Sở Y tế"}},
				{ID: identity.NewSubject(), FullName: "Ông Ích Khiêm"},
			}
			for _, a := range accounts {
				if err := db.CreateAccount(ctx, a, ""); err != nil {
					t.Fatalf("CreateAccount: %v", err)
				}
			}
			w, _ := db.Pools()
			read := func() map[string]string {
				rows, err := w.QueryContext(ctx, `SELECT id, search_text FROM accounts`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				m := map[string]string{}
				for rows.Next() {
					var id, s string
					if err := rows.Scan(&id, &s); err != nil {
						t.Fatal(err)
					}
					m[id] = s
				}
				return m
			}
			before := read()
			want := map[string]string{
				accounts[0].ID: "dang thi anh tuyet\nanh.tuyet@example.vn\n+84901234567\n",
				accounts[1].ID: "nguyen ngoc ung\n\n\nung.nn",
				accounts[2].ID: "ong ich khiem\n\n\n",
			}
			for id, s := range want {
				if before[id] != s {
					t.Errorf("search_text written by CreateAccount = %q, want %q", before[id], s)
				}
			}
			if _, err := w.ExecContext(ctx, update); err != nil {
				t.Fatalf("the migration's UPDATE: %v", err)
			}
			for id, s := range read() {
				if s != before[id] {
					t.Errorf("the migration computes search_text %q, CreateAccount %q", s, before[id])
				}
			}
		})
	}
}

// TestPostgresSearchIndexes checks that the migration created the indexes
// the search relies on, the trigram index (pg_trgm) among them.
func TestPostgresSearchIndexes(t *testing.T) {
	db := openPostgresMigrated(t)
	w, _ := db.Pools()
	for _, name := range []string{"accounts_search_trgm", "accounts_created", "accounts_agency", "accounts_personal_id_prefix"} {
		var n int
		err := w.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`, name).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("index %s: %d in the schema, want 1", name, n)
		}
	}
}
