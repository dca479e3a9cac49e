package app

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/web"
)

// minMetricsToken is the shortest bearer token metrics.token_file may hold.
const minMetricsToken = 32

// metricsEndpoint is where a node serves /metrics (see config.Metrics):
// nowhere by default; on an operator listener of its own (metrics.listen);
// or on the public listener to a request carrying the bearer token of
// metrics.token_file. Without the token a public /metrics is the 404 page,
// like any path that does not exist.
type metricsEndpoint struct {
	tokenSum []byte       // SHA-256 of the token; nil when none is asked
	ln       net.Listener // the operator listener; nil when none
	srv      *http.Server // serves ln
}

// readMetricsToken reads the bearer token of metrics.token_file.
func readMetricsToken(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("metrics.token_file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < minMetricsToken || strings.ContainsAny(tok, " \t\r\n") {
		return nil, fmt.Errorf("metrics.token_file: %s must hold one token of at least %d characters without spaces",
			path, minMetricsToken)
	}
	sum := sha256.Sum256([]byte(tok))
	return sum[:], nil
}

// openMetrics reads the token and opens the operator listener that the
// configuration asks for, and mounts /metrics on the public mux when it is
// served there (a token and no operator listener).
func openMetrics(cfg config.Metrics, server config.Server, mux *http.ServeMux, metrics http.HandlerFunc, kit *web.Kit) (*metricsEndpoint, error) {
	m := &metricsEndpoint{}
	if cfg.TokenFile != "" {
		sum, err := readMetricsToken(cfg.TokenFile)
		if err != nil {
			return nil, err
		}
		m.tokenSum = sum
	}
	notFound := func(w http.ResponseWriter, r *http.Request) { kit.Error(w, r, http.StatusNotFound, "not_found") }
	guarded := m.guard(metrics, notFound)
	if cfg.Listen == "" {
		if m.tokenSum != nil {
			mux.HandleFunc("GET /metrics", guarded)
		}
		return m, nil
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen: %w", err)
	}
	om := http.NewServeMux()
	om.HandleFunc("GET /metrics", guarded)
	om.HandleFunc("/", http.NotFound)
	m.ln = NewConnLimit(metricsMaxConnections).Listener(ln)
	server.MaxHeaderBytes = 8 << 10
	m.srv = NewHTTPServer(server, om, nil)
	return m, nil
}

// guard serves next to a request that carries the token (any request when
// no token is asked) and answers the others with denied.
func (m *metricsEndpoint) guard(next, denied http.HandlerFunc) http.HandlerFunc {
	if m.tokenSum == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !ok || subtle.ConstantTimeCompare(sum[:], m.tokenSum) != 1 {
			denied(w, r)
			return
		}
		next(w, r)
	}
}

// serve serves the operator listener until close; a no-op without one.
func (m *metricsEndpoint) serve(log interface{ Error(string, ...any) }) {
	if m.srv == nil {
		return
	}
	go func() {
		if err := m.srv.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("the metrics listener stopped", "err", err)
		}
	}()
}

// close stops the operator listener.
func (m *metricsEndpoint) close() error {
	if m.srv == nil {
		return nil
	}
	err := m.srv.Close()
	if cerr := m.ln.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// MetricsAddr returns the address of the operator listener that serves
// /metrics (metrics.listen, with the port it got when that was 0), or ""
// when there is none. It serves once Background runs.
func (a *App) MetricsAddr() string {
	if a.metrics == nil || a.metrics.ln == nil {
		return ""
	}
	return a.metrics.ln.Addr().String()
}

// Close stops the operator listener of /metrics, then releases the
// services (see Services.Close).
func (a *App) Close() error {
	err := a.metrics.close()
	if serr := a.Services.Close(); err == nil {
		err = serr
	}
	return err
}
