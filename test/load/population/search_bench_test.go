package population_test

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/load/population"
)

// benchDSNVar names the environment variable that points BenchmarkSearch at
// a seeded PostgreSQL database.
const benchDSNVar = "DINHDANH_SEARCH_BENCH_DSN"

// BenchmarkSearch measures sqlstore's ListAccounts, one sub-benchmark per
// kind of query of population.Queries, on a PostgreSQL database seeded with
// 'go run ./test/load seed' (e.g. 1,000,000 people) and named by
// DINHDANH_SEARCH_BENCH_DSN. Without it the benchmark is skipped: it needs a
// seeded database, and benchmarks do not run in CI.
//
//	go run ./test/load seed --start --accounts 1000000     prints the DSN and keeps PostgreSQL running
//	DINHDANH_SEARCH_BENCH_DSN=postgres://… go test -run '^$' -bench Search ./test/load/population/
func BenchmarkSearch(b *testing.B) {
	dsn := os.Getenv(benchDSNVar)
	if dsn == "" {
		b.Skipf("%s is not set: seed a PostgreSQL database with 'go run ./test/load seed' and set it to its URL", benchDSNVar)
	}
	ctx := b.Context()
	db, err := sqlstore.OpenPostgres(ctx, dsn, 4)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE created_at >= $1`, population.Base.UnixMilli()).Scan(&n)
	conn.Close(ctx)
	if err != nil || n == 0 {
		b.Fatalf("counting the seeded people: %d, %v", n, err)
	}
	queries := population.Queries(rand.New(rand.NewPCG(3, 4)), n, 100*len(population.Kinds))
	for _, kind := range population.Kinds {
		var mine []population.Query
		for _, q := range queries {
			if q.Kind == kind {
				mine = append(mine, q)
			}
		}
		b.Run(kind, func(b *testing.B) {
			i := 0
			for b.Loop() {
				q := mine[i%len(mine)]
				i++
				list, err := db.ListAccounts(ctx, q.Filter)
				if err != nil {
					b.Fatal(err)
				}
				if len(list) == 0 {
					b.Fatalf("%s %+v found nobody", kind, q.Filter)
				}
			}
		})
	}
}

// TestPopulation checks what the seed and the queries rely on: people are a
// function of their index, their identifiers never repeat, and about 5 % are
// officials.
func TestPopulation(t *testing.T) {
	const n = 20000
	pids, phones, emails := map[string]bool{}, map[string]bool{}, map[string]bool{}
	officials := 0
	for i := range n {
		p := population.Person(i)
		q := population.Person(i)
		if p.FullName != q.FullName || p.PersonalID != q.PersonalID || p.Email != q.Email || p.Phone != q.Phone {
			t.Fatalf("person %d differs between two calls", i)
		}
		if len(p.PersonalID) != 12 || pids[string(p.PersonalID)] {
			t.Fatalf("person %d: personal ID %q is malformed or repeated", i, p.PersonalID)
		}
		if phones[p.Phone] || (p.Email != "" && emails[p.Email]) {
			t.Fatalf("person %d: phone %q or email %q repeated", i, p.Phone, p.Email)
		}
		pids[string(p.PersonalID)], phones[p.Phone], emails[p.Email] = true, true, true
		if p.Official != nil {
			officials++
		}
	}
	if officials < n*4/100 || officials > n*6/100 {
		t.Errorf("%d officials among %d people, want about 5 %%", officials, n)
	}
}
