package sqlstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
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

// TestImportAccounts checks that accounts imported in bulk read back and are
// found as created ones are, and that a batch with a taken identifier
// inserts nothing.
func TestImportAccounts(t *testing.T) {
	for _, engine := range []struct {
		name string
		open func(t *testing.T) *sqlstore.DB
	}{{"sqlite", openMigrated}, {"postgres", openPostgresMigrated}} {
		t.Run(engine.name, func(t *testing.T) {
			db, ctx := engine.open(t), t.Context()
			base := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
			batch := []*identity.Account{
				{ID: identity.NewSubject(), FullName: "Đỗ Thị Nhập", PersonalID: "001199000001", Email: "nhap@example.vn",
					Phone: "+84905555555", Gender: identity.GenderFemale, Birthdate: "1999-02-03", Locale: "vi", CreatedAt: base},
				{ID: identity.NewSubject(), FullName: "Hồ Văn Lô", Locale: "vi", CreatedAt: base.Add(time.Second),
					Official: &identity.Official{Username: "lo.hv", Agency: "Sở Tài chính", Department: "Phòng Kế hoạch",
						Title: "Chuyên viên", Roles: []string{"staff"}}},
			}
			if err := db.ImportAccounts(ctx, batch); err != nil {
				t.Fatalf("ImportAccounts: %v", err)
			}
			for _, a := range batch {
				got, err := db.GetAccount(ctx, a.ID)
				if err != nil {
					t.Fatalf("GetAccount: %v", err)
				}
				got.UpdatedAt = a.UpdatedAt
				if !reflect.DeepEqual(got, a) {
					t.Errorf("imported account reads back as\n%+v\nwant\n%+v", got, a)
				}
			}
			for q, want := range map[string]string{"do thi nhap": batch[0].ID, "0905555555": batch[0].ID,
				"001199": batch[0].ID, "lo.hv": batch[1].ID} {
				list, err := db.ListAccounts(ctx, store.AccountFilter{Query: q})
				if err != nil || len(list) != 1 || list[0].ID != want {
					t.Errorf("ListAccounts(%q) = %d accounts, %v; want the imported one", q, len(list), err)
				}
			}
			list, err := db.ListAccounts(ctx, store.AccountFilter{Agency: "Sở Tài chính"})
			if err != nil || len(list) != 1 || list[0].ID != batch[1].ID {
				t.Errorf("ListAccounts(agency) = %d accounts, %v; want the imported official", len(list), err)
			}
			taken := []*identity.Account{
				{ID: identity.NewSubject(), FullName: "Người Mới", Locale: "vi"},
				{ID: identity.NewSubject(), FullName: "Người Trùng", PersonalID: "001199000001", Locale: "vi"},
			}
			err = db.ImportAccounts(ctx, taken)
			if f, ok := store.IsConflict(err); !ok || f != "personal_id" {
				t.Fatalf("ImportAccounts(a taken personal ID) = %v, want a conflict on personal_id", err)
			}
			if _, err := db.GetAccount(ctx, taken[0].ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the batch with a taken personal ID inserted its other account (%v)", err)
			}
		})
	}
}
