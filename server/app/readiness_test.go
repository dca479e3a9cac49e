package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// readinessBound is how long a node may take to report that its database
// takes no writes, or that it takes them again.
const readinessBound = 5 * time.Second

// startWriteNode starts an in-process node over cfg's database (migrated),
// with its background checks running, and a client_credentials client.
func startWriteNode(t *testing.T, cfg *config.Config) *outageNode {
	t.Helper()
	return newWriteNode(t, cfg, true)
}

// newWriteNode is startWriteNode, with the background checks only when
// background is set: without them the node learns of a failing backend
// only from /health/ready and from a handler's 500 or 503.
func newWriteNode(t *testing.T, cfg *config.Config, background bool) *outageNode {
	t.Helper()
	ctx := t.Context()
	n := &outageNode{srv: httptest.NewUnstartedServer(nil)}
	cfg.Issuer = "http://" + n.srv.Listener.Addr().String()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	raw, err := app.OpenDatabase(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	if n.app, err = app.New(ctx, cfg, db, log); err != nil {
		t.Fatal(err)
	}
	n.srv.Config.Handler = n.app.Handler
	n.srv.Start()
	bg, cancel := context.WithCancel(context.Background())
	if background {
		n.app.Background(bg)
	}
	t.Cleanup(func() {
		cancel()
		n.srv.Close()
		n.app.Close()
		db.Close()
	})
	if _, n.secret, err = n.app.Admin("cli").CreateClient(ctx, admin.ClientSpec{ID: "lgsp", Name: "Trục liên thông LGSP",
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"reports.read"}}); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitReady waits until /health/ready answers want, within readinessBound,
// and returns how long it took.
func (n *outageNode) waitReady(t *testing.T, want int) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		status, m := n.ready(t)
		if status == want {
			return time.Since(start)
		}
		if time.Since(start) > readinessBound {
			t.Fatalf("/health/ready = %d %v after %s, want %d", status, m, readinessBound, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantWritesRefused checks that while the database takes no writes a write
// request (a token) answers 503 temporarily_unavailable, never 500, quickly.
func (n *outageNode) wantWritesRefused(t *testing.T) {
	t.Helper()
	start := time.Now()
	status, body := n.token(t)
	var e struct{ Error string }
	if status != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &e) != nil || e.Error != "temporarily_unavailable" {
		t.Fatalf("a token while the database takes no writes: %d %s, want 503 temporarily_unavailable", status, body)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the 503 took %s", d)
	}
}

// introspectActive checks that the token issued before the fault is still active.
func (n *outageNode) introspectActive(t *testing.T, token string) {
	t.Helper()
	status, _, body := n.do(t, http.MethodPost, "/oauth2/introspect", map[string][]string{"token": {token}})
	if status != http.StatusOK || !strings.Contains(body, `"active":true`) {
		t.Fatalf("introspection of a token issued before the fault: %d %s", status, body)
	}
}

func accessToken(t *testing.T, n *outageNode) string {
	t.Helper()
	status, body := n.token(t)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", status, body)
	}
	return tok.AccessToken
}

// mountTmpfs mounts a tmpfs of size on a new directory, unmounted when the
// test ends; it skips the test when mounting is not allowed (not root), or
// fails in CI.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mounting a tmpfs: %v %s", err, out)
		}
		t.Skipf("mounting a tmpfs needs root: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes the file filler until its file system is full (ENOSPC).
func fillDisk(t *testing.T, filler string) {
	t.Helper()
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return
		}
	}
}

// TestReadinessSQLiteDiskFull puts a node's SQLite file on a small tmpfs,
// then fills the file system up: /health/ready turns 503 within the bound, a
// write request answers 503 (not 500), and both turn back when the disk is
// freed, with what was acknowledged before still there.
func TestReadinessSQLiteDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "4m")
	cfg := config.Default()
	cfg.DataDir = dir
	n := startWriteNode(t, cfg)
	n.waitReady(t, http.StatusOK)
	before := accessToken(t, n)

	// A full disk.
	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)
	took := n.waitReady(t, http.StatusServiceUnavailable)
	t.Logf("disk full: not ready after %s", took)
	if _, m := n.ready(t); m["database"] == "ok" {
		t.Fatalf("/health/ready names the database %q on a full disk", m["database"])
	}
	n.wantWritesRefused(t)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	took = n.waitReady(t, http.StatusOK)
	t.Logf("disk freed: ready after %s", took)
	n.wantRecovered(t)
	n.introspectActive(t, before)

	// A read-only SQLite file cannot be made here: root ignores file
	// permissions, and a file system with the database open for writing
	// cannot be remounted read-only. A full disk is the same refusal of
	// writes (SQLITE_FULL as SQLITE_READONLY), checked by the same probe.
}

// TestReadinessPostgresReadOnly makes a node's own PostgreSQL refuse writes
// (default_transaction_read_only, as on a hot standby): /health/ready turns
// 503 within the bound, a write request answers 503, and both turn back when
// the server takes writes again.
func TestReadinessPostgresReadOnly(t *testing.T) {
	pg := services.StartPostgres(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Database.URL = pg.NewDatabase(t)
	n := startWriteNode(t, cfg)
	n.waitReady(t, http.StatusOK)
	before := accessToken(t, n)

	setReadOnly := func(on string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pg.URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "ALTER SYSTEM SET default_transaction_read_only = "+on); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
			t.Fatal(err)
		}
	}
	setReadOnly("on")
	took := n.waitReady(t, http.StatusServiceUnavailable)
	t.Logf("read-only: not ready after %s", took)
	n.wantWritesRefused(t)
	setReadOnly("off")
	took = n.waitReady(t, http.StatusOK)
	t.Logf("read-write again: ready after %s", took)
	n.wantRecovered(t)
	n.introspectActive(t, before)
}

// processTree returns pid and its descendants, from /proc.
func processTree(t *testing.T, pid int) []int {
	t.Helper()
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(out[i]), "task", strconv.Itoa(out[i]), "children"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestReadinessPostgresFrozen freezes a node's own PostgreSQL (SIGSTOP of
// the server and its backends): /health/ready turns 503 within the bound, a
// write request answers 503 within seconds instead of hanging, and both turn
// back after SIGCONT, with what was acknowledged before still there.
func TestReadinessPostgresFrozen(t *testing.T) {
	pg := services.StartPostgres(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Database.URL = pg.NewDatabase(t)
	n := startWriteNode(t, cfg)
	n.waitReady(t, http.StatusOK)
	before := accessToken(t, n)

	pids := processTree(t, pg.Pid())
	signal := func(sig syscall.Signal) {
		for _, p := range pids {
			_ = syscall.Kill(p, sig)
		}
	}
	signal(syscall.SIGSTOP)
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			signal(syscall.SIGCONT)
		}
	}
	defer thaw()
	took := n.waitReady(t, http.StatusServiceUnavailable)
	t.Logf("frozen (%d processes): not ready after %s", len(pids), took)
	n.wantWritesRefused(t)
	thaw()
	took = n.waitReady(t, http.StatusOK)
	t.Logf("thawed: ready after %s", took)
	n.wantRecovered(t)
	n.introspectActive(t, before)
}
