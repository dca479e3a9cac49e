package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dinhdanh/dinhdanh/test/faults"
)

// The --faults mode: on the PostgreSQL + Redis deployment this run started,
// workers rotate refresh tokens and ask for client-credentials tokens while
// the faults of test/faults are injected one after the other, each held
// for --fault-hold and then repaired; the report gives, per fault, the
// answers by class (ok, 503, other 5xx, 4xx, transport) from its injection
// until the deployment recovered, the recovery time (from the repair until
// every node is ready and a token request succeeds) and, at the end,
// whether every refresh rotation acknowledged during the run still works.

// faultRecoverWithin bounds the wait for a deployment to recover from one fault.
const faultRecoverWithin = 60 * time.Second

// loadFault is one fault the --faults mode injects and repairs.
type loadFault struct {
	name   string
	inject func(d *deployment) error
	repair func(ctx context.Context, d *deployment) error
}

func loadFaults() []loadFault {
	waitGone := func(pid int) error { return faults.WaitGone(pid, 30*time.Second) }
	return []loadFault{
		{"node kill -9 (the last node)", func(d *deployment) error {
			s := d.servers[len(d.servers)-1]
			if err := faults.Signal(s.pid(), syscall.SIGKILL); err != nil {
				return err
			}
			<-s.exited
			return nil
		}, func(ctx context.Context, d *deployment) error {
			s := d.servers[len(d.servers)-1]
			_, err := s.start(ctx)
			d.pids[len(d.pids)-1] = s.pid()
			return err
		}},
		{"Redis stop (SIGTERM)", func(d *deployment) error { return d.redis.Shutdown() },
			func(context.Context, *deployment) error { return nil }},
		{"Redis kill -9", func(d *deployment) error {
			pid := d.redis.Pid()
			if err := faults.Signal(pid, syscall.SIGKILL); err != nil {
				return err
			}
			if err := waitGone(pid); err != nil {
				return err
			}
			return d.redis.Shutdown()
		}, func(context.Context, *deployment) error { return nil }},
		{"PostgreSQL fast stop", func(d *deployment) error { return d.pg.Shutdown() },
			func(context.Context, *deployment) error { return nil }},
		{"PostgreSQL immediate stop", func(d *deployment) error {
			pid := d.pg.Pid()
			if err := faults.Signal(pid, syscall.SIGQUIT); err != nil {
				return err
			}
			if err := waitGone(pid); err != nil {
				return err
			}
			return d.pg.Shutdown()
		}, func(context.Context, *deployment) error { return nil }},
		{"PostgreSQL SIGSTOP", func(d *deployment) error { return faults.Freeze(d.pg.Pid()) },
			func(_ context.Context, d *deployment) error { return faults.Thaw(d.pg.Pid()) }},
	}
}

// faultResult is what one fault did to the clients.
type faultResult struct {
	name     string
	tally    *faults.Tally
	recovery time.Duration
	err      error // the deployment did not recover
}

// classOf sorts the outcome of one request of the load's api.
func classOf(err error) string {
	if err == nil {
		return faults.ClassOK
	}
	var he *httpError
	if errors.As(err, &he) {
		return faults.Class(he.status, nil)
	}
	if errors.Is(err, context.Canceled) {
		return ""
	}
	return faults.ClassTransport
}

// runFaults drives the deployment while injecting each fault and prints the report.
func runFaults(ctx context.Context, o *options, d *deployment, fx *fixture, w io.Writer, progress func(string, ...any)) error {
	tr := newTransport(o.concurrency)
	defer tr.CloseIdleConnections()
	a := newAPI(d.nodes, tr, fx)
	workers := min(o.concurrency, 8)
	var ledger faults.Ledger
	progress("signing %d people in for the refresh chains", workers)
	for i := range workers {
		tok, err := a.login(ctx, fx.accounts[i%len(fx.accounts)])
		if err != nil {
			return fmt.Errorf("a login before the faults: %w", err)
		}
		ledger.Ack(fmt.Sprintf("chain %d", i), tok.RefreshToken)
	}
	var current atomic.Pointer[faults.Tally]
	current.Store(&faults.Tally{})
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("chain %d", i)
			for n := 0; wctx.Err() == nil; n++ {
				var err error
				if n%2 == 0 {
					last, _ := ledger.Latest(key)
					var tok *tokenResponse
					if tok, err = a.refresh(wctx, last); err == nil {
						ledger.Ack(key, tok.RefreshToken)
					}
				} else {
					_, err = a.clientCredentials(wctx)
				}
				if c := classOf(err); c != "" {
					example := ""
					if err != nil {
						example = err.Error()
					}
					current.Load().Add(c, example)
				}
				if err != nil {
					// A client backs off a little after a failure.
					select {
					case <-wctx.Done():
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()

	probe := &http.Client{Timeout: 2 * time.Second}
	recovered := func(ctx context.Context) error {
		for _, n := range d.nodes {
			resp, err := probe.Get(n + "/health/ready")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s/health/ready: %d", n, resp.StatusCode)
			}
		}
		_, err := a.clientCredentials(ctx)
		return err
	}
	var results []faultResult
	for _, f := range loadFaults() {
		if err := sleep(ctx, o.faultHold); err != nil { // steady state between faults
			return err
		}
		r := faultResult{name: f.name, tally: &faults.Tally{}}
		current.Store(r.tally)
		progress("fault: %s, held %s", f.name, o.faultHold)
		if err := f.inject(d); err != nil {
			return fmt.Errorf("injecting %s: %w", f.name, err)
		}
		if err := sleep(ctx, o.faultHold); err != nil {
			return err
		}
		if err := f.repair(ctx, d); err != nil {
			return fmt.Errorf("repairing %s: %w", f.name, err)
		}
		if f.name == "Redis stop (SIGTERM)" || f.name == "Redis kill -9" {
			err := d.redis.Relaunch()
			if err != nil {
				return fmt.Errorf("starting Redis again: %w", err)
			}
		}
		if f.name == "PostgreSQL fast stop" || f.name == "PostgreSQL immediate stop" {
			if err := d.pg.Relaunch(); err != nil {
				return fmt.Errorf("starting PostgreSQL again: %w", err)
			}
		}
		r.recovery, r.err = faults.Until(ctx, faultRecoverWithin, 20*time.Millisecond, recovered)
		current.Store(&faults.Tally{})
		results = append(results, r)
		if r.err != nil {
			progress("%s: no recovery: %v", f.name, r.err)
		}
	}
	stop()
	wg.Wait()

	lost := ledger.Verify(func(_, token string) error {
		_, err := a.refresh(ctx, token)
		return err
	})
	printFaults(w, d, results, ledger.Acks(), lost)
	return nil
}

func printFaults(w io.Writer, d *deployment, results []faultResult, acks int, lost []string) {
	fmt.Fprintf(w, "\nfaults injected on %s\n", d.describe)
	fmt.Fprintf(w, "  answers by class from each fault's injection until recovery; recovery from the repair until every node is ready and a token request succeeds\n")
	fmt.Fprintf(w, "  %-30s %7s %6s %6s %6s %9s %10s  %s\n", "fault", "ok", "503", "5xx", "4xx", "transport", "recovery", "first unexpected answer")
	for _, r := range results {
		rec := fmtDur(r.recovery)
		if r.err != nil {
			rec = "NONE"
		}
		first := r.tally.Example(faults.Class5xx)
		for _, c := range []string{faults.Class4xx, faults.ClassTransport} {
			if first == "" {
				first = r.tally.Example(c)
			}
		}
		fmt.Fprintf(w, "  %-30s %7d %6d %6d %6d %9d %10s  %s\n", r.name, r.tally.Count(faults.ClassOK),
			r.tally.Count(faults.ClassUnavailable), r.tally.Count(faults.Class5xx), r.tally.Count(faults.Class4xx),
			r.tally.Count(faults.ClassTransport), rec, truncate(first, 100))
	}
	fmt.Fprintf(w, "  acknowledged refresh rotations: %d; chains whose last acknowledged token no longer works: %d\n", acks, len(lost))
	for _, l := range lost {
		fmt.Fprintf(w, "    lost: %s\n", truncate(l, 200))
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
