// Command load drives a dinhdanh server and reports its throughput and
// latency, next to the physical bounds of the machine measured in the same
// run. It is a benchmark, not a test: it exits 0 when a target is missed
// and non-zero only when the run itself failed.
//
//	go run ./test/load                          build, start and measure a fresh server
//	go run ./test/load --backend postgres       two nodes sharing PostgreSQL and Redis
//	go run ./test/load --backend both           SQLite, then PostgreSQL + Redis, compared
//	go run ./test/load --scenarios cc,login --duration 20s
//	go run ./test/load --faults                 faults injected during a load (see faults.go)
//	go run ./test/load --url http://127.0.0.1:8080 --cli "bin/dinhdanh --config dev.yaml"
//	go run ./test/load seed --dsn postgres://… --accounts 1000000   (see search.go)
//	go run ./test/load search --dsn postgres://…                    the admin's account search
//
// Scenarios (each --duration long after a --warmup that is not counted, with
// --concurrency workers sharing one HTTP transport):
//
//	cc          client credentials grant, JWT access token
//	introspect  RFC 7662 introspection of a pool of live JWT access tokens
//	refresh     refresh-token rotation; each worker keeps its own chain
//	login       the whole password login of a citizen in a fresh browser:
//	            GET /oauth2/auth (PKCE S256) → GET /login → POST /login →
//	            redirect with the code (not followed) → POST /oauth2/token
//
// Bounds: argon2id hashes/s with the server's parameters (measured just
// before and just after the logins, which are compared with both together)
// and JWT signatures/s of --alg and RS256 (go-jose v3), each using every core.
//
// With --start (the default without --url) the command builds
// ./cmd/dinhdanh, starts "dinhdanh serve" on a free 127.0.0.1 port with a
// temporary data directory, and also reports the start-up time (process start
// until /health/ready answers 200), for the first start on an empty data
// directory and for a restart, and the resident memory when idle and after
// the load. With --url it drives a running server instead and provisions
// through --cli (the dinhdanh binary and its options, such as --config, for
// the same database); --pid then lets it read the server's memory.
//
// --backend chooses what --start runs:
//
//	sqlite    one node on the embedded SQLite database (the default)
//	postgres  --nodes nodes (default 2) sharing one PostgreSQL database and
//	          one Redis server, which this run starts through test/services
//	          with the durability of production (fsync, synchronous_commit
//	          and full_page_writes on, shared_buffers 128MB); the nodes share
//	          a seal key file, and the first node's URL is their issuer
//	both      sqlite, then postgres, with the same scenarios and options;
//	          both reports, then each scenario's rate on PostgreSQL + Redis
//	          against SQLite's, with the target of 70 % or more
//
// On PostgreSQL the database is migrated ("dinhdanh migrate") before the
// first node starts on it; that first start and a restart of the first node
// are timed, then the other nodes start. The report adds the CPU of
// PostgreSQL (the postmaster and all its processes) and Redis as "services",
// each node's memory, Redis's resident memory and PostgreSQL's proportional
// memory (PSS over its processes).
//
// There is no load balancer: the command sends every HTTP request, whichever
// worker sends it, to the next node in turn, each step of one login included
// (a redirect's path and query go to the next node). That is stricter than a
// balancer with sticky sessions: a login started on one node ends on
// another. --url takes the URLs of several running nodes the same way,
// separated by commas, and --pid their process ids.
//
// Provisioning creates a confidential client with client_credentials, a
// first-party confidential client with authorization_code and refresh_token,
// and --accounts citizens with personal IDs 001099000001, 001099000002, …
// (an account with such a number that already exists gets the run's password).
// Only loopback addresses are ever contacted. Everything this run starts is
// stopped, and its temporary directory removed (unless --keep), when it
// ends, fails or is interrupted (SIGINT, SIGTERM).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Targets of the product specification (2-core machine, load generator on it).
const (
	targetCC         = 5000.0 // client credentials per second, JWT access tokens
	targetIntrospect = 5000.0 // introspections per second
	targetRefresh    = 1000.0 // refresh-token rotations per second, on either backend
	targetLoginRatio = 0.80   // password logins per second ÷ argon2id hashes per second
	targetIdleRSSKiB = 60e6 / 1024
	targetStartup    = time.Second
	// targetPostgresRatio is each scenario's rate on PostgreSQL + Redis ÷
	// its rate on the embedded SQLite default.
	targetPostgresRatio = 0.70
)

var allScenarios = []string{"cc", "introspect", "refresh", "login"}

type options struct {
	urls             []string // --url: the nodes of a running deployment
	cli, bin         string
	start            bool
	backend          string // sqlite, postgres or both
	nodes            int    // the nodes on PostgreSQL (on SQLite always 1)
	duration, warmup time.Duration
	settle           time.Duration
	concurrency      int
	scenarios        []string
	alg, idTokenAlg  string
	accounts         int
	argonM, argonT   uint
	argonP           uint
	logLevel         string
	pids             []int // --pid: the process ids of the --url nodes
	keep             bool
	cpuProfile       string
	// faults runs the --faults mode (faults.go) instead of the measurements.
	faults    bool
	faultHold time.Duration
	out       io.Writer // where the --faults report goes
}

// backends returns the deployments --start runs, in order.
func (o *options) backends() []string {
	if o.backend == "both" {
		return []string{"sqlite", "postgres"}
	}
	return []string{o.backend}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	urls := fs.String("url", "", "drive the running server at this loopback URL instead of starting one; several nodes' URLs separated by commas get the requests in turn")
	fs.StringVar(&o.cli, "cli", "", `with --url: the dinhdanh command line for the server's database, e.g. "bin/dinhdanh --config dev.yaml"`)
	fs.BoolVar(&o.start, "start", false, "build and start a server of its own (default: true without --url)")
	fs.StringVar(&o.backend, "backend", "sqlite", "with --start: sqlite (one node), postgres (--nodes nodes sharing PostgreSQL and Redis) or both, one after the other, compared")
	fs.IntVar(&o.nodes, "nodes", 0, "with --start: the nodes to start (default 1 with sqlite, where it must be 1; 2 with postgres, and for the PostgreSQL run of both)")
	fs.StringVar(&o.bin, "bin", "", "with --start: run this dinhdanh binary instead of building ./cmd/dinhdanh")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per scenario")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "uncounted warm-up per scenario (opens the connections)")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "with --start or --pid: wait this long before reading the server's memory")
	fs.IntVar(&o.concurrency, "concurrency", 32, "workers per scenario")
	scen := fs.String("scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios: cc, introspect, refresh, login")
	fs.StringVar(&o.alg, "alg", "ES256", "algorithm of the server's JWT access tokens (ES256, RS256, EdDSA); set on a server this run starts")
	fs.StringVar(&o.idTokenAlg, "id-token-alg", "RS256", "ID-token algorithm of the login client (RS256, the default of 'client create', ES256 or EdDSA)")
	fs.IntVar(&o.accounts, "accounts", 16, "citizen accounts the logins rotate over")
	fs.UintVar(&o.argonM, "argon2-memory", 19456, "argon2id memory (KiB) of the server's password hashes")
	fs.UintVar(&o.argonT, "argon2-iterations", 2, "argon2id passes of the server's password hashes")
	fs.UintVar(&o.argonP, "argon2-parallelism", 1, "argon2id lanes of the server's password hashes")
	fs.StringVar(&o.logLevel, "log-level", "warn", "with --start: the server's log level")
	pids := fs.String("pid", "", "with --url: process id of the server, to read its memory; with several URLs, theirs in the same order, separated by commas")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write this command's own CPU profile (the load generator's cost) to the file")
	fs.BoolVar(&o.keep, "keep", false, "with --start: keep the temporary directory (binary, SQLite database, seal key, node logs); PostgreSQL's and Redis's are removed")
	fs.BoolVar(&o.faults, "faults", false, "with --start: instead of the measurements, inject faults during a load of refreshes and client-credentials tokens (a node killed, Redis stopped and killed, PostgreSQL fast-stopped, immediately stopped and frozen) on the PostgreSQL + Redis deployment it starts, and print the answers by class and the recovery time of each")
	fs.DurationVar(&o.faultHold, "fault-hold", 3*time.Second, "with --faults: how long each fault lasts, and the steady state between two")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["start"] {
		o.start = *urls == ""
	}
	switch {
	case o.start && *urls != "":
		return nil, errors.New("--start and --url exclude each other")
	case !o.start && *urls == "":
		return nil, errors.New("give --url of a running server, or --start")
	case *urls != "" && strings.TrimSpace(o.cli) == "":
		return nil, errors.New(`--url needs --cli, the dinhdanh command line for its database (e.g. "bin/dinhdanh --config dev.yaml")`)
	case !o.start && (set["backend"] || set["nodes"]):
		return nil, errors.New("--backend and --nodes choose what --start runs; with --url, list the running nodes' URLs instead")
	case o.start && *pids != "":
		return nil, errors.New("--pid goes with --url: the processes this run starts are watched anyway")
	case o.concurrency < 1:
		return nil, errors.New("--concurrency must be at least 1")
	case o.duration <= 0:
		return nil, errors.New("--duration must be positive")
	case o.accounts < 1 || o.accounts > 999999:
		return nil, errors.New("--accounts must be between 1 and 999999")
	case o.argonM == 0 || o.argonT == 0 || o.argonP == 0 || o.argonP > 255:
		return nil, errors.New("argon2id parameters must be positive (parallelism at most 255)")
	}
	if o.faults {
		switch {
		case !o.start:
			return nil, errors.New("--faults injects faults only into servers this run starts: not with --url")
		case set["backend"] && o.backend != "postgres":
			return nil, errors.New("--faults runs on --backend postgres (nodes sharing PostgreSQL and Redis)")
		case o.faultHold < 500*time.Millisecond || o.faultHold > time.Minute:
			return nil, errors.New("--fault-hold must be between 500ms and 1m")
		}
		o.backend = "postgres"
	}
	switch o.backend {
	case "sqlite", "postgres", "both":
	default:
		return nil, fmt.Errorf("--backend %q: sqlite, postgres or both", o.backend)
	}
	switch {
	case !set["nodes"] && o.backend == "sqlite":
		o.nodes = 1
	case !set["nodes"]:
		o.nodes = 2
	case o.nodes < 1:
		return nil, fmt.Errorf("--nodes %d: at least 1", o.nodes)
	case o.nodes > maxNodes:
		return nil, fmt.Errorf("--nodes %d: at most %d", o.nodes, maxNodes)
	case o.backend == "sqlite" && o.nodes != 1:
		return nil, fmt.Errorf("--nodes %d with --backend sqlite: SQLite runs one node (its database is that node's file); use --backend postgres for several", o.nodes)
	}
	for _, a := range []struct{ flag, alg string }{{"--alg", o.alg}, {"--id-token-alg", o.idTokenAlg}} {
		switch a.alg {
		case "ES256", "RS256", "EdDSA":
		default:
			return nil, fmt.Errorf("%s %q: ES256, RS256 or EdDSA", a.flag, a.alg)
		}
	}
	for _, s := range strings.Split(*scen, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(allScenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q (cc, introspect, refresh, login)", s)
		}
		if !slices.Contains(o.scenarios, s) {
			o.scenarios = append(o.scenarios, s)
		}
	}
	if len(o.scenarios) == 0 {
		return nil, errors.New("--scenarios names none")
	}
	if *urls != "" {
		for _, raw := range strings.Split(*urls, ",") {
			u, err := parseNodeURL(strings.TrimSpace(raw))
			if err != nil {
				return nil, err
			}
			if slices.Contains(o.urls, u) {
				return nil, fmt.Errorf("--url names %s twice", u)
			}
			o.urls = append(o.urls, u)
		}
	}
	if *pids != "" {
		for _, raw := range strings.Split(*pids, ",") {
			pid, err := strconv.Atoi(strings.TrimSpace(raw))
			if err != nil || pid <= 0 {
				return nil, fmt.Errorf("--pid %q: want process ids separated by commas", *pids)
			}
			o.pids = append(o.pids, pid)
		}
		if len(o.pids) != len(o.urls) {
			return nil, fmt.Errorf("--pid gives %d process ids for %d URLs: one per URL, in the same order", len(o.pids), len(o.urls))
		}
	}
	return o, nil
}

// parseNodeURL checks the URL of one node and returns it without a trailing slash.
func parseNodeURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--url %q: want http://HOST:PORT", raw)
	}
	if h := u.Hostname(); h != "localhost" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
			return "", fmt.Errorf("--url %q: only loopback addresses (localhost, 127.0.0.0/8, ::1)", raw)
		}
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// nodeMemory is the resident memory (KiB) of one node; 0 when unknown.
type nodeMemory struct {
	idle, load, peak int64
}

// report is everything the run measured.
type report struct {
	opts     *options
	backend  string // "sqlite" or "postgres" when this run started the nodes, "" with --url
	nodes    int
	describe string // what ran, for the "server:" line
	started  bool
	// startFirst and startRestart are the first node's; startOthers those
	// of the nodes after it.
	startFirst, startRestart time.Duration
	startOthers              []time.Duration
	mem                      []nodeMemory // per node, when its process is known
	memNote                  string
	services                 bool  // PostgreSQL and Redis ran beside the nodes
	redisRSS, pgPSS          int64 // KiB, after the load
	pgProcs                  int   // the processes pgPSS adds up
	argon                    bound
	argonSamples             []bound // before and after the logins, pooled in argon
	jwt                      []bound
	results                  []*result
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	if len(args) > 0 {
		switch args[0] {
		case "seed":
			return runSeed(ctx, args[1:], stdout, stderr)
		case "search":
			return runSearch(ctx, args[1:], stdout, stderr)
		}
	}
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "load: "+format+"\n", a...) }
	o.out = stdout
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	if !o.start {
		rep, err := runURL(ctx, o, progress)
		if err != nil {
			return err
		}
		rep.print(stdout)
		return nil
	}

	tmp, err := os.MkdirTemp("", "dinhdanh-load-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			progress("kept %s", tmp)
			return
		}
		os.RemoveAll(tmp)
	}()
	bin := o.bin
	if bin == "" {
		progress("building ./cmd/dinhdanh")
		if bin, err = buildBinary(ctx, tmp); err != nil {
			return err
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	var reps []*report
	for _, backend := range o.backends() {
		rep, err := runStarted(ctx, o, backend, bin, tmp, progress)
		if err != nil {
			return err
		}
		if o.faults {
			continue // runStarted printed the faults' report
		}
		rep.print(stdout)
		reps = append(reps, rep)
	}
	if len(reps) == 2 {
		compare(stdout, reps[0], reps[1])
	}
	return nil
}

// runStarted starts the nodes of one backend, measures them and stops
// everything it started before it returns.
func runStarted(ctx context.Context, o *options, backend, bin, tmp string, progress func(string, ...any)) (*report, error) {
	rep := &report{opts: o, backend: backend, started: true}
	d := &deployment{}
	defer d.close()
	var fx *fixture
	var err error
	if backend == "postgres" {
		fx, err = d.startPostgres(ctx, o, bin, tmp, rep, progress)
	} else {
		fx, err = d.startSQLite(ctx, o, bin, tmp, rep, progress)
	}
	if err != nil {
		return nil, err
	}
	rep.describe, rep.nodes = d.describe, len(d.nodes)
	if err := sleep(ctx, o.settle); err != nil {
		return nil, err
	}
	for _, pid := range d.pids {
		rss, _, err := memory(pid)
		if err != nil {
			return nil, err
		}
		rep.mem = append(rep.mem, nodeMemory{idle: rss})
	}
	if o.faults {
		return rep, runFaults(ctx, o, d, fx, o.out, progress)
	}
	if err := measure(ctx, o, rep, d, fx, progress); err != nil {
		return nil, err
	}
	return rep, nil
}

// runURL measures the running nodes of --url.
func runURL(ctx context.Context, o *options, progress func(string, ...any)) (*report, error) {
	d := &deployment{nodes: o.urls, pids: o.pids, describe: "driven at " + strings.Join(o.urls, ", ")}
	if len(o.urls) > 1 {
		d.describe += ", requests spread round-robin over the nodes by the load generator"
	}
	rep := &report{opts: o, nodes: len(o.urls), describe: d.describe}
	c := &cli{argv: strings.Fields(o.cli), env: os.Environ()}
	progress("provisioning 2 clients and %d citizens through %q", o.accounts, o.cli)
	fx, err := provision(ctx, c, o.accounts, o.idTokenAlg, runtime.NumCPU())
	if err != nil {
		return nil, err
	}
	for _, pid := range o.pids {
		rss, _, err := memory(pid)
		if err != nil {
			return nil, fmt.Errorf("--pid: %w", err)
		}
		rep.mem = append(rep.mem, nodeMemory{idle: rss})
		rep.memNote = "before the load (not necessarily idle)"
	}
	if err := measure(ctx, o, rep, d, fx, progress); err != nil {
		return nil, err
	}
	return rep, nil
}

// measure runs the bounds and the scenarios against the deployment and
// reads the memory after the load.
func measure(ctx context.Context, o *options, rep *report, d *deployment, fx *fixture, progress func(string, ...any)) error {
	var err error
	hashes := func(when string) (bound, error) {
		progress("measuring argon2id hashes/s on %d cores%s", runtime.GOMAXPROCS(0), when)
		return argon2Bound(3*time.Second, uint32(o.argonM), uint32(o.argonT), uint8(o.argonP))
	}
	if !slices.Contains(o.scenarios, "login") {
		if rep.argon, err = hashes(""); err != nil {
			return err
		}
	}
	algs := []string{o.alg}
	for _, alg := range []string{"RS256", o.idTokenAlg} {
		if !slices.Contains(algs, alg) {
			algs = append(algs, alg)
		}
	}
	for _, alg := range algs {
		progress("measuring %s signatures/s", alg)
		b, err := jwtBound(2*time.Second, alg)
		if err != nil {
			return err
		}
		rep.jwt = append(rep.jwt, b)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	a := newAPI(d.nodes, newTransport(o.concurrency), fx)
	var pool []string
	if slices.Contains(o.scenarios, "introspect") {
		progress("getting %d access tokens to introspect", max(256, 4*o.concurrency))
		if pool, err = a.tokenPool(ctx, max(256, 4*o.concurrency), o.concurrency); err != nil {
			return fmt.Errorf("introspection tokens: %w", err)
		}
	}
	all := a.scenarios(pool)
	var cpu func() cpuTimes
	if d.watched() {
		cpu = d.cpu
	}
	for _, name := range o.scenarios {
		sc := all[name]
		progress("running %s: %d workers, %s warm-up, %s measured", sc.name, o.concurrency, o.warmup, o.duration)
		// The speed of this machine's memory and cores drifts by several
		// percent within minutes (other guests of the host): the logins are
		// compared with hashes measured just before and just after them.
		var before bound
		if name == "login" {
			if before, err = hashes(", before the logins"); err != nil {
				return err
			}
		}
		res, err := runScenario(ctx, sc, o.concurrency, o.warmup, o.duration, cpu)
		if err != nil {
			return err
		}
		if name == "login" {
			after, err := hashes(", after the logins")
			if err != nil {
				return err
			}
			rep.argon, rep.argonSamples = pooled(before, after), []bound{before, after}
		}
		if err := d.alive(); err != nil {
			return err
		}
		rep.results = append(rep.results, res)
	}
	if d.watched() {
		if err := sleep(ctx, o.settle); err != nil {
			return err
		}
		for i, pid := range d.pids {
			if rep.mem[i].load, rep.mem[i].peak, err = memory(pid); err != nil {
				return err
			}
		}
	}
	if d.pg != nil && d.redis != nil {
		rep.services = true
		if rep.redisRSS, _, err = memory(d.redis.Pid()); err != nil {
			return fmt.Errorf("Redis's memory: %w", err)
		}
		if rep.pgPSS, rep.pgProcs, err = treePSS(d.pg.Pid()); err != nil {
			return fmt.Errorf("PostgreSQL's memory: %w", err)
		}
	}
	rep.judge()
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// judge sets each scenario's target and verdict. A scenario passes when it
// reaches its rate and had no error.
func (r *report) judge() {
	for _, res := range r.results {
		var goal float64
		switch res.name {
		case "client credentials":
			goal, res.target = targetCC, fmt.Sprintf("≥ %.0f/s", targetCC)
		case "introspection":
			goal, res.target = targetIntrospect, fmt.Sprintf("≥ %.0f/s", targetIntrospect)
		case "refresh (rotation)":
			goal, res.target = targetRefresh, fmt.Sprintf("≥ %.0f/s", targetRefresh)
		case "password login":
			goal = targetLoginRatio * r.argon.rate
			res.target = fmt.Sprintf("≥ %.1f/s (80%% argon2id)", goal)
		default:
			continue
		}
		res.pass = ptr(res.rate() >= goal && res.errors == 0)
	}
}

// result returns the scenario's result by its name, or nil.
func (r *report) result(name string) *result {
	for _, res := range r.results {
		if res.name == name {
			return res
		}
	}
	return nil
}

func (r *report) print(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "\ndinhdanh load report — %s\n", time.Now().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "machine: %d CPUs, GOMAXPROCS %d, %s %s/%s; the load generator runs on the same machine\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "server: %s\n", r.describe)
	fmt.Fprintf(w, "tokens: access tokens JWT %s; ID tokens %s (login and refresh clients)\n", o.alg, o.idTokenAlg)
	fmt.Fprintf(w, "load: %d workers, %s measured per scenario after a %s warm-up; one login = 4 HTTP requests\n\n",
		o.concurrency, o.duration, o.warmup)

	fmt.Fprintf(w, "%-20s %9s %10s %9s %9s %7s  %-26s %s\n", "scenario", "requests", "req/s", "p50", "p99", "errors", "target", "result")
	for _, res := range r.results {
		verdict := "-"
		if res.pass != nil {
			verdict = passText(*res.pass)
		}
		fmt.Fprintf(w, "%-20s %9d %10.1f %9s %9s %7d  %-26s %s\n", res.name, res.requests, res.rate(),
			fmtDur(res.percentile(0.50)), fmtDur(res.percentile(0.99)), res.errors, res.target, verdict)
	}
	for _, res := range r.results {
		if res.errors == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: %d errors; the first %d:\n", res.name, res.errors, len(res.shown))
		for _, m := range res.shown {
			fmt.Fprintf(w, "  - %s\n", m)
		}
	}

	if len(r.results) > 0 && r.results[0].serverCores > 0 {
		perRequest := func(res *result, cores float64) string {
			if res.requests == 0 {
				return "-"
			}
			return fmtDur(time.Duration(cores * float64(res.elapsed) / float64(res.requests)))
		}
		if r.services {
			fmt.Fprintf(w, "\nCPU while measured (cores)   %8s %8s %8s %8s   %s\n", "server", "services", "load", "other",
				"CPU per request: server, server+services")
		} else {
			fmt.Fprintf(w, "\nCPU while measured (cores)   %8s %8s %8s   %s\n", "server", "load", "other", "server CPU per request")
		}
		for _, res := range r.results {
			if r.services {
				fmt.Fprintf(w, "  %-26s %8.2f %8.2f %8.2f %8.2f   %s, %s\n", res.name, res.serverCores, res.servicesCores,
					res.selfCores, res.otherCores, perRequest(res, res.serverCores), perRequest(res, res.serverCores+res.servicesCores))
			} else {
				fmt.Fprintf(w, "  %-26s %8.2f %8.2f %8.2f   %s\n", res.name, res.serverCores, res.selfCores, res.otherCores,
					perRequest(res, res.serverCores))
			}
		}
		if r.services {
			fmt.Fprintf(w, "  server: the %d nodes together; services: PostgreSQL (the postmaster and all its processes) and redis-server\n", r.nodes)
		}
	}

	fmt.Fprintf(w, "\nphysical bounds (this machine, this run, %d cores busy)\n", r.argon.workers)
	for _, b := range append([]bound{r.argon}, r.jwt...) {
		fmt.Fprintf(w, "  %-44s %10.1f /s   (%d in %s, %s CPU each; other processes %.2f cores)\n", b.what, b.rate, b.count,
			b.elapsed.Round(time.Millisecond), fmtDur(b.cpuPerOp), b.otherCores)
		if b.what == r.argon.what && len(r.argonSamples) == 2 {
			fmt.Fprintf(w, "  %-44s %10s      (%.1f/s just before the logins, %.1f/s just after)\n", "", "",
				r.argonSamples[0].rate, r.argonSamples[1].rate)
		}
	}
	for _, res := range r.results {
		switch res.name {
		case "password login":
			ratio := res.rate() / r.argon.rate
			fmt.Fprintf(w, "  %-44s %10.2f      target ≥ %.2f  %s\n", "password login ÷ argon2id", ratio, targetLoginRatio,
				passText(ratio >= targetLoginRatio))
			if res.requests > 0 && res.serverCores > 0 {
				// CPU per login of the server and of this process together, against
				// the CPU of one hash: the ratio on a machine with nothing else to do.
				perLogin := (res.serverCores + res.selfCores) * res.elapsed.Seconds() / float64(res.requests)
				fmt.Fprintf(w, "  %-44s %10.2f      (argon2id CPU per hash ÷ server+load CPU per login)\n",
					"  the same, from CPU time", r.argon.cpuPerOp.Seconds()/perLogin)
			}
		case "client credentials":
			fmt.Fprintf(w, "  %-44s %10.2f\n", "client credentials ÷ "+o.alg+" signatures", res.rate()/r.jwt[0].rate)
		case "refresh (rotation)":
			fmt.Fprintf(w, "  %-44s %10.2f\n", "refresh ÷ "+o.idTokenAlg+" signatures (ID token)", res.rate()/r.jwtRate(o.idTokenAlg))
		}
	}

	if r.nodes > 1 {
		fmt.Fprintf(w, "\nserver processes (%d nodes)\n", r.nodes)
	} else {
		fmt.Fprintln(w, "\nserver process")
	}
	startup := func(label string, d time.Duration) {
		fmt.Fprintf(w, "  %-44s %10s   target < %s  %s\n", label, fmtDur(d), targetStartup, passText(d < targetStartup))
	}
	switch {
	case r.started && r.backend == "postgres":
		startup("start-up, node 1, first start (migrated DB)", r.startFirst)
		startup("start-up, node 1, restart", r.startRestart)
		for i, d := range r.startOthers {
			startup(fmt.Sprintf("start-up, node %d", i+2), d)
		}
	case r.started:
		startup("start-up, first start (empty data directory)", r.startFirst)
		startup("start-up, restart", r.startRestart)
	default:
		fmt.Fprintf(w, "  %-44s %10s\n", "start-up", "n/a (--url)")
	}
	if len(r.mem) == 0 {
		fmt.Fprintf(w, "  %-44s %10s\n", "RSS", "n/a (give --pid)")
	}
	for i, m := range r.mem {
		node := ""
		if len(r.mem) > 1 {
			node = fmt.Sprintf("node %d ", i+1)
		}
		if r.memNote == "" {
			fmt.Fprintf(w, "  %-44s %10s   target ≤ 60 MB  %s\n", fmt.Sprintf("%sRSS idle (%s after start-up)", node, o.settle),
				fmtMB(m.idle), passText(float64(m.idle) <= targetIdleRSSKiB))
		} else {
			fmt.Fprintf(w, "  %-44s %10s\n", node+"RSS "+r.memNote, fmtMB(m.idle))
		}
		if m.load > 0 {
			fmt.Fprintf(w, "  %-44s %10s\n", fmt.Sprintf("%sRSS after the load (%s later)", node, o.settle), fmtMB(m.load))
			fmt.Fprintf(w, "  %-44s %10s\n", node+"RSS peak during the run (VmHWM)", fmtMB(m.peak))
		}
	}
	if r.services {
		fmt.Fprintf(w, "\nservices after the load (%s later)\n", o.settle)
		fmt.Fprintf(w, "  %-44s %10s\n", "Redis RSS", fmtMB(r.redisRSS))
		fmt.Fprintf(w, "  %-44s %10s\n", fmt.Sprintf("PostgreSQL PSS (%d processes together)", r.pgProcs), fmtMB(r.pgPSS))
	}
	fmt.Fprintln(w, "\nPASS needs the target rate with no error; missed targets do not change the exit status.")
	if busy := r.otherBusy(); busy > 0.2 {
		fmt.Fprintf(w, "Other processes used up to %.2f cores during the run: rates and bounds are lower than this machine can do idle.\n", busy)
	}
}

// otherBusy returns the most CPU (cores) other processes of the machine used
// while a scenario or a bound was measured.
func (r *report) otherBusy() float64 {
	busy := 0.0
	for _, res := range r.results {
		busy = max(busy, res.otherCores)
	}
	for _, b := range append([]bound{r.argon}, r.jwt...) {
		busy = max(busy, b.otherCores)
	}
	return busy
}

// compare prints each scenario's rate on PostgreSQL + Redis against its rate
// on SQLite, measured by this run one after the other.
func compare(w io.Writer, lite, pg *report) {
	fmt.Fprintf(w, "\nPostgreSQL + Redis (%d nodes) against SQLite (1 node): the same scenarios and options, one after the other\n", pg.nodes)
	fmt.Fprintf(w, "%-20s %12s %18s %7s  %-8s %s\n", "scenario", "SQLite req/s", "PostgreSQL req/s", "ratio", "target", "result")
	for _, a := range lite.results {
		b := pg.result(a.name)
		if b == nil {
			continue
		}
		ratio := 0.0
		if a.rate() > 0 {
			ratio = b.rate() / a.rate()
		}
		verdict := "MISS"
		if ratio >= targetPostgresRatio && a.errors == 0 && b.errors == 0 {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "%-20s %12.1f %18.1f %7.2f  ≥ %.2f   %s\n", a.name, a.rate(), b.rate(), ratio, targetPostgresRatio, verdict)
	}
	fmt.Fprintf(w, "\nPASS needs PostgreSQL + Redis at %.0f %% of SQLite's rate or more, with no error in either run; a MISS does not change the exit status.\n",
		targetPostgresRatio*100)
	// The two runs follow each other: what else the machine did in one of
	// them and not in the other moves the ratios.
	if busy := max(lite.otherBusy(), pg.otherBusy()); busy > 0.2 {
		fmt.Fprintf(w, "Other processes used up to %.2f cores during the SQLite run and %.2f during the PostgreSQL run: the ratios are only as good as that.\n",
			lite.otherBusy(), pg.otherBusy())
	}
}

// jwtRate returns the measured signatures per second of alg (0 when not measured).
func (r *report) jwtRate(alg string) float64 {
	for _, b := range r.jwt {
		if b.alg == alg {
			return b.rate
		}
	}
	return 0
}
