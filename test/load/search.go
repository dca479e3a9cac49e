package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/load/population"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// targetSearchP95 is the bound on the admin search over 1,000,000
// accounts on PostgreSQL, at the 95th percentile.
const targetSearchP95 = 100 * time.Millisecond

// The seed and search subcommands:
//
//	go run ./test/load seed --dsn postgres://… --accounts 1000000
//	go run ./test/load seed --start --accounts 1000000     a throwaway PostgreSQL, kept until interrupted
//	go run ./test/load search --dsn postgres://…            measure the search of a seeded database
//	go run ./test/load search --start --accounts 100000     seed a throwaway PostgreSQL, then measure
//
// seed migrates the database, then inserts people population.Person(from),
// …, Person(from+accounts-1) with COPY in batches (sqlstore.ImportAccounts),
// then runs VACUUM ANALYZE on accounts so that the planner knows the table.
// search runs the population.Queries mix against a target for --duration
// and reports p50/p95/p99 per kind of query and over all of them, against
// the target of 100 ms at p95. Each answer is checked: a search for a
// person's identifier must find that person on its first page, any other
// search must find someone.

// searchTarget answers an administrator's account search. The store target
// calls the store directly; an HTTP target (the admin API's
// /admin/api/accounts) is one more implementation.
type searchTarget interface {
	name() string
	search(ctx context.Context, f store.AccountFilter) ([]*identity.Account, error)
}

type storeTarget struct{ db *sqlstore.DB }

func (storeTarget) name() string { return "store (sqlstore.ListAccounts on PostgreSQL)" }

func (t storeTarget) search(ctx context.Context, f store.AccountFilter) ([]*identity.Account, error) {
	return t.db.ListAccounts(ctx, f)
}

type seedOptions struct {
	dsn      string
	start    bool
	accounts int
	from     int
	batch    int
	workers  int
}

func seedFlags(fs *flag.FlagSet, o *seedOptions) {
	fs.StringVar(&o.dsn, "dsn", "", "the PostgreSQL database (postgres://…); it is migrated first")
	fs.BoolVar(&o.start, "start", false, "start a throwaway PostgreSQL (test/services, production settings) instead of --dsn")
	fs.IntVar(&o.accounts, "accounts", 1_000_000, "people to insert")
	fs.IntVar(&o.from, "from", 0, "index of the first person (to add to a seeded database: the number already there)")
	fs.IntVar(&o.batch, "batch", 10_000, "people per COPY")
	fs.IntVar(&o.workers, "workers", 2, "COPY statements running at once")
}

func (o *seedOptions) check() error {
	switch {
	case o.start == (o.dsn != ""):
		return errors.New("give --dsn of a PostgreSQL database, or --start")
	case o.accounts < 0 || o.accounts > 10_000_000:
		return errors.New("--accounts must be between 0 and 10000000")
	case o.from < 0 || o.from+o.accounts > 10_000_000:
		return errors.New("--from + --accounts must stay within 10000000 (phones are unique below it)")
	case o.batch < 1 || o.workers < 1:
		return errors.New("--batch and --workers must be positive")
	}
	return nil
}

// launch starts a throwaway PostgreSQL with a database "dinhdanh", or
// returns --dsn; stop stops what it started.
func (o *seedOptions) launch(progress func(string, ...any)) (dsn string, stop func(), err error) {
	if !o.start {
		return o.dsn, func() {}, nil
	}
	progress("starting PostgreSQL (test/services, fsync on, shared_buffers 128MB)")
	pg, err := services.LaunchPostgres(true)
	if err != nil {
		return "", nil, err
	}
	stop = func() {
		if err := pg.Close(); err != nil {
			progress("stopping PostgreSQL: %v", err)
		}
	}
	dsn, err = pg.CreateDatabase("dinhdanh")
	if err != nil {
		stop()
		return "", nil, err
	}
	return dsn, stop, nil
}

func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o seedOptions
	fs := flag.NewFlagSet("load seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seedFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := o.check(); err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "load: "+format+"\n", a...) }
	dsn, stop, err := o.launch(progress)
	if err != nil {
		return err
	}
	defer stop()
	if err := seed(ctx, dsn, o, progress); err != nil {
		return err
	}
	if o.start {
		fmt.Fprintf(stdout, "seeded %d accounts into %s\n", o.accounts, dsn)
		fmt.Fprintf(stdout, "measure with: go run ./test/load search --dsn '%s'\n", dsn)
		fmt.Fprintf(stdout, "benchmark with: DINHDANH_SEARCH_BENCH_DSN='%s' go test -run '^$' -bench Search ./test/load/population/\n", dsn)
		fmt.Fprintln(stdout, "PostgreSQL keeps running until this command is interrupted (Ctrl-C).")
		<-ctx.Done()
	}
	return nil
}

// seed migrates the database at dsn and inserts the people.
func seed(ctx context.Context, dsn string, o seedOptions, progress func(string, ...any)) error {
	db, err := sqlstore.OpenPostgres(ctx, dsn, o.workers+2)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	start := time.Now()
	var next, done atomic.Int64
	next.Store(int64(o.from))
	end := int64(o.from + o.accounts)
	var wg sync.WaitGroup
	errs := make([]error, o.workers)
	for w := range o.workers {
		wg.Go(func() {
			for {
				lo := next.Add(int64(o.batch)) - int64(o.batch)
				if lo >= end || ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				hi := min(lo+int64(o.batch), end)
				batch := make([]*identity.Account, 0, hi-lo)
				for i := lo; i < hi; i++ {
					batch = append(batch, population.Person(int(i)))
				}
				if err := db.ImportAccounts(ctx, batch); err != nil {
					errs[w] = fmt.Errorf("people %d–%d: %w", lo, hi-1, err)
					return
				}
				if n := done.Add(hi - lo); n/100_000 != (n-(hi-lo))/100_000 {
					el := time.Since(start)
					progress("%d accounts in %s (%.0f/s)", n, el.Round(time.Second), float64(n)/el.Seconds())
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	progress("inserted %d accounts in %s; VACUUM ANALYZE accounts", o.accounts, time.Since(start).Round(time.Second))
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	t := time.Now()
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE accounts`); err != nil {
		return err
	}
	progress("VACUUM ANALYZE took %s", time.Since(t).Round(time.Second))
	return nil
}

type searchOptions struct {
	seedOptions
	duration, warmup time.Duration
	concurrency      int
	queries          int
}

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o searchOptions
	fs := flag.NewFlagSet("load search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seedFlags(fs, &o.seedOptions)
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured time")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "uncounted warm-up")
	fs.IntVar(&o.concurrency, "concurrency", 2, "searches running at once")
	fs.IntVar(&o.queries, "queries", 5000, "distinct queries in the mix (drawn once, then repeated)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !o.start && set["accounts"] {
		return errors.New("--accounts goes with --start: with --dsn the people already seeded are counted")
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.concurrency < 1 || o.duration <= 0 || o.queries < 1 {
		return errors.New("--concurrency, --duration and --queries must be positive")
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "load: "+format+"\n", a...) }
	dsn, stop, err := o.launch(progress)
	if err != nil {
		return err
	}
	defer stop()
	if o.start {
		if err := seed(ctx, dsn, o.seedOptions, progress); err != nil {
			return err
		}
	}
	db, err := sqlstore.OpenPostgres(ctx, dsn, o.concurrency+1)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		return err
	}
	n, err := seeded(ctx, dsn)
	if err != nil {
		return err
	}
	progress("%d seeded people; %d queries over %s (after %s of warm-up), %d at once", n, o.queries, o.duration, o.warmup, o.concurrency)
	res, err := measureSearch(ctx, storeTarget{db}, population.Queries(rand.New(rand.NewPCG(1, 2)), n, o.queries), o)
	if err != nil {
		return err
	}
	printSearch(stdout, storeTarget{db}.name(), n, o, res)
	return nil
}

// seeded counts the people of the population in the database: the accounts
// created at population.Base or later.
func seeded(ctx context.Context, dsn string) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE created_at >= $1`, population.Base.UnixMilli()).Scan(&n)
	if err == nil && n == 0 {
		err = errors.New("the database holds no seeded people: run 'go run ./test/load seed' first")
	}
	return n, err
}

// searchResult is what one kind of query measured.
type searchResult struct {
	kind string
	*result
}

// measureSearch runs the queries in turn on o.concurrency workers.
func measureSearch(ctx context.Context, t searchTarget, queries []population.Query, o searchOptions) ([]searchResult, error) {
	want := make([]string, len(queries)) // the personal ID a query must find, "" for any result
	for i, q := range queries {
		if q.Want >= 0 {
			want[i] = population.PersonalID(q.Want)
		}
	}
	var (
		next      atomic.Int64
		measuring atomic.Bool
		mu        sync.Mutex
		cols      = map[string]*collector{}
	)
	for _, k := range population.Kinds {
		cols[k] = &collector{}
	}
	deadline := time.Now().Add(o.warmup)
	var started time.Time
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Go(func() {
			lat := map[string][]time.Duration{}
			errs := map[string]int{}
			msgs := map[string][]string{}
			for ctx.Err() == nil {
				i := int(next.Add(1)-1) % len(queries)
				q := queries[i]
				on := measuring.Load()
				t0 := time.Now()
				list, err := t.search(ctx, q.Filter)
				d := time.Since(t0)
				if err == nil {
					switch {
					case want[i] != "" && !slices.ContainsFunc(list, func(a *identity.Account) bool { return string(a.PersonalID) == want[i] }):
						err = fmt.Errorf("%s %+v: person %d is not on the first page (%d found)", q.Kind, q.Filter, q.Want, len(list))
					case want[i] == "" && len(list) == 0:
						err = fmt.Errorf("%s %+v: found nobody", q.Kind, q.Filter)
					}
				}
				if !on {
					if time.Now().After(deadline) && measuring.CompareAndSwap(false, true) {
						mu.Lock()
						started = time.Now()
						mu.Unlock()
					}
					continue
				}
				if err != nil {
					errs[q.Kind]++
					msgs[q.Kind] = append(msgs[q.Kind], err.Error())
					continue
				}
				lat[q.Kind] = append(lat[q.Kind], d)
				mu.Lock()
				over := !started.IsZero() && time.Since(started) >= o.duration
				mu.Unlock()
				if over {
					break
				}
			}
			for k, c := range cols {
				c.add(lat[k], errs[k], msgs[k])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	elapsed := time.Since(started)
	var out []searchResult
	all := &collector{}
	for _, k := range population.Kinds {
		r := cols[k].result(k, o.concurrency, elapsed)
		all.add(r.lat, r.errors, r.shown)
		out = append(out, searchResult{k, r})
	}
	out = append(out, searchResult{"all", all.result("all", o.concurrency, elapsed)})
	return out, nil
}

func printSearch(w io.Writer, target string, n int, o searchOptions, res []searchResult) {
	fmt.Fprintf(w, "account search: %s, %d people, %d at once, %s measured\n", target, n, o.concurrency, o.duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tsearches\terrors\tp50\tp95\tp99\tmax\t")
	for _, r := range res {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", r.kind, r.requests, r.errors, fmtDur(r.percentile(0.50)),
			fmtDur(r.percentile(0.95)), fmtDur(r.percentile(0.99)), fmtDur(r.percentile(1)))
	}
	tw.Flush()
	all := res[len(res)-1]
	var slow []string
	for _, r := range res[:len(res)-1] {
		if r.percentile(0.95) >= targetSearchP95 {
			slow = append(slow, r.kind)
		}
	}
	ok := all.percentile(0.95) < targetSearchP95 && len(slow) == 0 && all.errors == 0
	fmt.Fprintf(w, "target: p95 under %s for every kind: %s", fmtDur(targetSearchP95), passText(ok))
	if len(slow) > 0 {
		fmt.Fprintf(w, " (slow: %s)", strings.Join(slow, ", "))
	}
	fmt.Fprintln(w)
	for _, r := range res[:len(res)-1] {
		for _, m := range r.shown {
			fmt.Fprintf(w, "  error: %s\n", m)
		}
	}
}
