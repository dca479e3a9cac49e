package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// inProcess is a node assembled through server/app in the test process.
type inProcess struct {
	s    *Server
	wrap func(http.Handler) http.Handler

	// running is true between a start and a stop or kill.
	running bool
	db      *sqlstore.DB
	srv     *http.Server
	mtls    *http.Server // the mutual-TLS listener of certificate login, when configured
	cancel  context.CancelFunc
}

// StartInProcess assembles a node through server/app in the test process,
// configured exactly as Start configures the process (the same DINHDANH_*
// variables and file, read with config.Load), serves it on a loopback
// listener as "dinhdanh serve" would and waits until it is ready. Its log
// goes to Server.Log; it is stopped when the test ends. Server.App is the
// assembled node; Server.CLI builds the binary on first use and runs it
// against the same data directory.
func StartInProcess(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := newOptions(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening on a loopback port: %v", err)
	}
	s := newServer(t, o, ln.Addr().(*net.TCPAddr).Port)
	s.inproc = &inProcess{s: s, wrap: o.middleware}
	if err := s.inproc.start(ln); err != nil {
		ln.Close()
		t.Fatalf("starting dinhdanh in the test process: %v\n%s", err, s.log.String())
	}
	o.started(s)
	t.Cleanup(func() { s.stop(t) })
	return s
}

// newLogger returns the node's logger, at the level and in the format of
// its configuration, as "dinhdanh serve" makes it.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// start assembles the node over its configuration, serves it on ln and
// waits until /health/ready answers 200.
func (n *inProcess) start(ln net.Listener) error {
	s := n.s
	ctx := context.Background()
	log := newLogger(s.Config, s.log)
	db, err := app.OpenStore(ctx, s.Config, true)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, s.Config, db, log)
	if err != nil {
		db.Close()
		return err
	}
	mtls, err := a.MutualTLSServer()
	var mtlsLn net.Listener
	if err == nil && mtls != nil {
		mtlsLn, err = net.Listen("tcp", s.Config.Certificates.MutualTLS.Listen)
	}
	if err != nil {
		a.Close()
		db.Close()
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	a.Background(bg)
	h := a.Handler
	if n.wrap != nil {
		h = n.wrap(h)
	}
	srv := app.NewHTTPServer(s.Config.Server, h, nil)
	ln = a.Connections.Listener(ln)
	if mtlsLn != nil {
		mtlsLn = a.Connections.Listener(mtlsLn)
	}
	s.App, n.db, n.srv, n.mtls, n.cancel, n.running = a, db, srv, mtls, cancel, true
	go serve(log, "", func() error { return srv.Serve(ln) })
	if mtls != nil {
		go serve(log, "mutual TLS ", func() error { return mtls.ServeTLS(mtlsLn, "", "") })
	}
	log.Info(servingMessage, "issuer", s.Config.Issuer, "listen", ln.Addr().String(), "in_process", true)
	return n.waitReady()
}

// serve runs a server until it is closed, logging an unexpected end.
func serve(log *slog.Logger, what string, run func() error) {
	if err := run(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("the "+what+"listener stopped", "err", err)
	}
}

func (n *inProcess) waitReady() error {
	deadline := time.Now().Add(ReadyTimeout)
	probe := &http.Client{Timeout: time.Second}
	defer probe.CloseIdleConnections()
	for {
		resp, err := probe.Get("http://" + n.s.Addr + "/health/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			n.kill()
			return fmt.Errorf("not ready within %s (last: %v)", ReadyTimeout, err)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

// stop shuts the node down gracefully, as SIGTERM makes "dinhdanh serve"
// do, and releases its backends; a failure fails the test.
func (n *inProcess) stop(t testing.TB) {
	if !n.running {
		return
	}
	n.running = false
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
	defer cancel()
	for _, srv := range []*http.Server{n.mtls, n.srv} {
		if srv == nil {
			continue
		}
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("dinhdanh (in the test process) did not shut down within %s: %v", StopTimeout, err)
			srv.Close()
		}
	}
	n.release()
}

// kill closes the listeners and every connection at once and drops the
// backends, without a graceful shutdown.
func (n *inProcess) kill() {
	if !n.running {
		return
	}
	n.running = false
	for _, srv := range []*http.Server{n.mtls, n.srv} {
		if srv != nil {
			srv.Close()
		}
	}
	n.release()
}

func (n *inProcess) release() {
	n.cancel()
	n.s.App.Close()
	n.db.Close()
}

// restart stops the node gracefully (when it runs) and assembles a new one
// over the same configuration and address.
func (n *inProcess) restart(t testing.TB) {
	t.Helper()
	n.stop(t)
	fmt.Fprintf(n.s.log, "\n--- dinhdanh restarted by the test ---\n")
	var ln net.Listener
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if ln, err = net.Listen("tcp", n.s.Addr); err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err == nil {
		if err = n.start(ln); err != nil {
			ln.Close()
		}
	}
	if err != nil {
		t.Fatalf("restarting dinhdanh (in the test process) on %s: %v", n.s.Addr, err)
	}
}

// Admin returns the administration service of a node in the test process,
// made as the command line makes it (actor "cli"): what "dinhdanh account",
// "client" and "business" run. It fails the test for a process.
func (s *Server) Admin(t testing.TB) *admin.Service {
	t.Helper()
	if s.App == nil {
		t.Fatal("harness: Admin needs a node started with StartInProcess")
	}
	return s.App.Admin("cli")
}
