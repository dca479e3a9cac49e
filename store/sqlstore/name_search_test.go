package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/store"
)

// TestPostgresNameSearchUsesIndexes checks that the statement of a search of
// several words is served by the indexes of migration 0014 (the word pairs of the
// name and the trigrams of the other fields), and one of a single word by the
// trigram index of migration 0011: with sequential and plain index scans
// disabled, an index expression that drifted from the statement's leaves a
// sequential scan in the plan.
func TestPostgresNameSearchUsesIndexes(t *testing.T) {
	db := openPostgresMigrated(t)
	ctx := t.Context()
	w, _ := db.Pools()
	conn, err := w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, set := range []string{`SET enable_seqscan = off`, `SET enable_indexscan = off`} {
		if _, err := conn.ExecContext(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"Nguyễn Thị Hà", []string{"accounts_name_pairs", "accounts_search_rest_trgm"}},
		{"thi h", []string{"accounts_name_pairs", "accounts_search_rest_trgm"}},
		{"o'neil \\x", []string{"accounts_name_pairs", "accounts_search_rest_trgm"}},
		{"nguyen", []string{"accounts_search_trgm"}},
	} {
		q, args, err := db.AccountQuery(store.AccountFilter{Query: tc.query})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := conn.QueryContext(ctx, `EXPLAIN `+q, append([]any{pgx.QueryExecModeExec}, args...)...)
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", q, err)
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
		for _, index := range tc.want {
			if strings.Contains(p, "Seq Scan") || !strings.Contains(p, index) {
				t.Errorf("search %q is not served by %s:\n%s", tc.query, index, p)
			}
		}
	}
}
