// Command load drives a dinhdanh server and reports its throughput and
// latency, next to the physical bounds of the machine measured in the same
// run. It is a benchmark, not a test: it exits 0 when a target is missed
// and non-zero only when the run itself failed.
//
//	go run ./test/load                          build, start and measure a fresh server
//	go run ./test/load --scenarios cc,login --duration 20s
//	go run ./test/load --url http://127.0.0.1:8080 --cli "bin/dinhdanh --config dev.yaml"
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
// Provisioning creates a confidential client with client_credentials, a
// first-party confidential client with authorization_code and refresh_token,
// and --accounts citizens with personal IDs 001099000001, 001099000002, …
// (an account with such a number that already exists gets the run's password).
// Only loopback addresses are ever contacted.
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
	"slices"
	"strings"
	"syscall"
	"time"
)

// Targets of the product specification (2-core machine, load generator on it).
const (
	targetCC         = 5000.0 // client credentials per second, JWT access tokens
	targetIntrospect = 5000.0 // introspections per second
	targetRefresh    = 1000.0 // refresh-token rotations per second on SQLite
	targetLoginRatio = 0.80   // password logins per second ÷ argon2id hashes per second
	targetIdleRSSKiB = 60e6 / 1024
	targetStartup    = time.Second
)

var allScenarios = []string{"cc", "introspect", "refresh", "login"}

type options struct {
	url, cli, bin    string
	start            bool
	duration, warmup time.Duration
	settle           time.Duration
	concurrency      int
	scenarios        []string
	alg, idTokenAlg  string
	accounts         int
	argonM, argonT   uint
	argonP           uint
	logLevel         string
	pid              int
	keep             bool
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
	fs.StringVar(&o.url, "url", "", "drive the running server at this loopback URL instead of starting one")
	fs.StringVar(&o.cli, "cli", "", `with --url: the dinhdanh command line for the server's database, e.g. "bin/dinhdanh --config dev.yaml"`)
	fs.BoolVar(&o.start, "start", false, "build and start a server of its own (default: true without --url)")
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
	fs.IntVar(&o.pid, "pid", 0, "with --url: process id of the server, to read its memory")
	fs.BoolVar(&o.keep, "keep", false, "with --start: keep the temporary directory (binary, database, server log)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	startSet := false
	fs.Visit(func(f *flag.Flag) { startSet = startSet || f.Name == "start" })
	if !startSet {
		o.start = o.url == ""
	}
	switch {
	case o.start && o.url != "":
		return nil, errors.New("--start and --url exclude each other")
	case !o.start && o.url == "":
		return nil, errors.New("give --url of a running server, or --start")
	case o.url != "" && strings.TrimSpace(o.cli) == "":
		return nil, errors.New(`--url needs --cli, the dinhdanh command line for its database (e.g. "bin/dinhdanh --config dev.yaml")`)
	case o.concurrency < 1:
		return nil, errors.New("--concurrency must be at least 1")
	case o.duration <= 0:
		return nil, errors.New("--duration must be positive")
	case o.accounts < 1 || o.accounts > 999999:
		return nil, errors.New("--accounts must be between 1 and 999999")
	case o.argonM == 0 || o.argonT == 0 || o.argonP == 0 || o.argonP > 255:
		return nil, errors.New("argon2id parameters must be positive (parallelism at most 255)")
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
	if o.url != "" {
		u, err := url.Parse(o.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--url %q: want http://HOST:PORT", o.url)
		}
		if h := u.Hostname(); h != "localhost" {
			if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("--url %q: only loopback addresses (localhost, 127.0.0.0/8, ::1)", o.url)
			}
		}
		o.url = strings.TrimSuffix(u.String(), "/")
	}
	return o, nil
}

// report is everything the run measured.
type report struct {
	opts                      *options
	base                      string
	started                   bool
	startFirst, startRestart  time.Duration
	idleRSS, loadRSS, peakRSS int64 // KiB; 0 when unknown
	memNote                   string
	argon                     bound
	argonSamples              []bound // before and after the logins, pooled in argon
	jwt                       []bound
	results                   []*result
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "load: "+format+"\n", a...) }
	rep := &report{opts: o}

	var c *cli
	var srv *server
	if o.start {
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
		port, err := freeLoopbackPort()
		if err != nil {
			return err
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		env := hermeticEnv(map[string]string{
			"DINHDANH_DATA_DIR":                    filepath.Join(tmp, "data"),
			"DINHDANH_LISTEN":                      fmt.Sprintf("127.0.0.1:%d", port),
			"DINHDANH_ISSUER":                      base,
			"DINHDANH_LOG_LEVEL":                   o.logLevel,
			"DINHDANH_KEYS_ACCESS_TOKEN_ALGORITHM": o.alg,
			"DINHDANH_PASSWORD_MEMORY_KIB":         fmt.Sprint(o.argonM),
			"DINHDANH_PASSWORD_ITERATIONS":         fmt.Sprint(o.argonT),
			"DINHDANH_PASSWORD_PARALLELISM":        fmt.Sprint(o.argonP),
		})
		srv = &server{bin: bin, env: env, base: base, logPath: filepath.Join(tmp, "server.log")}
		defer srv.stop()
		rep.base, rep.started = base, true
		c = &cli{argv: []string{bin}, env: env}

		progress("starting dinhdanh serve on %s (empty data directory)", base)
		if rep.startFirst, err = srv.start(ctx); err != nil {
			return err
		}
		progress("provisioning 2 clients and %d citizens through the CLI", o.accounts)
		fx, err := provision(ctx, c, o.accounts, o.idTokenAlg, runtime.NumCPU())
		if err != nil {
			return err
		}
		srv.stop()
		if srv.err != nil {
			return fmt.Errorf("dinhdanh serve did not stop cleanly: %v\n%s", srv.err, tail(srv.logPath, 20))
		}
		progress("restarting dinhdanh serve")
		if rep.startRestart, err = srv.start(ctx); err != nil {
			return err
		}
		if err := sleep(ctx, o.settle); err != nil {
			return err
		}
		if rep.idleRSS, _, err = memory(srv.pid()); err != nil {
			return err
		}
		return measure(ctx, o, rep, fx, srv.pid(), stdout, progress, func() error {
			select {
			case <-srv.exited:
				return fmt.Errorf("dinhdanh serve exited during the run (%v):\n%s", srv.err, tail(srv.logPath, 20))
			default:
				return nil
			}
		})
	}

	rep.base = o.url
	c = &cli{argv: strings.Fields(o.cli), env: os.Environ()}
	progress("provisioning 2 clients and %d citizens through %q", o.accounts, o.cli)
	fx, err := provision(ctx, c, o.accounts, o.idTokenAlg, runtime.NumCPU())
	if err != nil {
		return err
	}
	if o.pid > 0 {
		if rep.idleRSS, _, err = memory(o.pid); err != nil {
			return fmt.Errorf("--pid: %w", err)
		}
		rep.memNote = "before the load (not necessarily idle)"
	}
	return measure(ctx, o, rep, fx, o.pid, stdout, progress, func() error { return nil })
}

// measure runs the bounds and the scenarios, reads the memory after the load
// and prints the report.
func measure(ctx context.Context, o *options, rep *report, fx *fixture, pid int, stdout io.Writer,
	progress func(string, ...any), alive func() error) error {
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

	a := newAPI(rep.base, newTransport(o.concurrency), fx)
	var pool []string
	if slices.Contains(o.scenarios, "introspect") {
		progress("getting %d access tokens to introspect", max(256, 4*o.concurrency))
		if pool, err = a.tokenPool(ctx, max(256, 4*o.concurrency), o.concurrency); err != nil {
			return fmt.Errorf("introspection tokens: %w", err)
		}
	}
	all := a.scenarios(pool)
	for _, name := range o.scenarios {
		sc := all[name]
		progress("running %s: %d workers, %s warm-up, %s measured", sc.name, o.concurrency, o.warmup, o.duration)
		var cpu func() (time.Duration, time.Duration, time.Duration)
		if pid > 0 {
			cpu = func() (time.Duration, time.Duration, time.Duration) {
				srv, _ := processCPU(pid)
				return srv, selfCPU(), machineCPU()
			}
		}
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
		if err := alive(); err != nil {
			return err
		}
		rep.results = append(rep.results, res)
	}
	if pid > 0 {
		if err := sleep(ctx, o.settle); err != nil {
			return err
		}
		if rep.loadRSS, rep.peakRSS, err = memory(pid); err != nil {
			return err
		}
	}
	rep.judge()
	rep.print(stdout)
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

func (r *report) print(w io.Writer) {
	o := r.opts
	how := "driven at " + r.base
	if r.started {
		how = "started by this run at " + r.base + ", SQLite in a temporary directory"
	}
	fmt.Fprintf(w, "\ndinhdanh load report — %s\n", time.Now().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "machine: %d CPUs, GOMAXPROCS %d, %s %s/%s; the load generator runs on the same machine\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "server: %s\n", how)
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

	busy := 0.0
	if len(r.results) > 0 && r.results[0].serverCores > 0 {
		fmt.Fprintf(w, "\nCPU while measured (cores)   %8s %8s %8s   %s\n", "server", "load", "other", "server CPU per request")
		for _, res := range r.results {
			per := "-"
			if res.requests > 0 {
				per = fmtDur(time.Duration(res.serverCores * float64(res.elapsed) / float64(res.requests)))
			}
			fmt.Fprintf(w, "  %-26s %8.2f %8.2f %8.2f   %s\n", res.name, res.serverCores, res.selfCores, res.otherCores, per)
			busy = max(busy, res.otherCores)
		}
	}

	fmt.Fprintf(w, "\nphysical bounds (this machine, this run, %d cores busy)\n", r.argon.workers)
	for _, b := range append([]bound{r.argon}, r.jwt...) {
		fmt.Fprintf(w, "  %-44s %10.1f /s   (%d in %s, %s CPU each; other processes %.2f cores)\n", b.what, b.rate, b.count,
			b.elapsed.Round(time.Millisecond), fmtDur(b.cpuPerOp), b.otherCores)
		busy = max(busy, b.otherCores)
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

	fmt.Fprintln(w, "\nserver process")
	if r.started {
		fmt.Fprintf(w, "  %-44s %10s   target < %s  %s\n", "start-up, first start (empty data directory)", fmtDur(r.startFirst),
			targetStartup, passText(r.startFirst < targetStartup))
		fmt.Fprintf(w, "  %-44s %10s   target < %s  %s\n", "start-up, restart", fmtDur(r.startRestart),
			targetStartup, passText(r.startRestart < targetStartup))
	} else {
		fmt.Fprintf(w, "  %-44s %10s\n", "start-up", "n/a (--url)")
	}
	switch {
	case r.idleRSS > 0 && r.memNote == "":
		fmt.Fprintf(w, "  %-44s %10s   target ≤ 60 MB  %s\n", fmt.Sprintf("RSS idle (%s after start-up)", o.settle), fmtMB(r.idleRSS),
			passText(float64(r.idleRSS) <= targetIdleRSSKiB))
	case r.idleRSS > 0:
		fmt.Fprintf(w, "  %-44s %10s\n", "RSS "+r.memNote, fmtMB(r.idleRSS))
	default:
		fmt.Fprintf(w, "  %-44s %10s\n", "RSS", "n/a (give --pid)")
	}
	if r.loadRSS > 0 {
		fmt.Fprintf(w, "  %-44s %10s\n", fmt.Sprintf("RSS after the load (%s later)", o.settle), fmtMB(r.loadRSS))
		fmt.Fprintf(w, "  %-44s %10s\n", "RSS peak during the run (VmHWM)", fmtMB(r.peakRSS))
	}
	fmt.Fprintln(w, "\nPASS needs the target rate with no error; missed targets do not change the exit status.")
	if busy > 0.2 {
		fmt.Fprintf(w, "Other processes used up to %.2f cores during the run: rates and bounds are lower than this machine can do idle.\n", busy)
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
