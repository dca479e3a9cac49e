package services

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresServer is a throwaway PostgreSQL server on a loopback port. Its
// superuser "postgres" logs in without a password (trust, loopback only).
type PostgresServer struct {
	// Addr is the host:port it listens on.
	Addr string
	// Dir holds its data directory and is removed when it is stopped for good.
	Dir string

	bin     string // the directory of postgres and initdb
	cred    *syscall.Credential
	port    int
	durable bool // production-like settings (see LaunchPostgres)

	daemon
	dbs     atomic.Int64
	schemas atomic.Int64
	shared  struct {
		once sync.Once
		url  string
		err  error
	}
}

// Postgres returns the URL of a fresh, empty schema on the shared
// PostgreSQL server (see Run): a schema of its own in a shared database
// (encoding UTF-8, locale C.UTF-8), first on the URL's search_path, so that
// unqualified names are the test's own. A schema costs a fraction of a
// millisecond where a database costs a tenth of a second.
func Postgres(t testing.TB) string {
	t.Helper()
	s := sharedServer(t, &shared.pg, startPostgres)
	return s.NewSchema(t)
}

// StartPostgres starts a PostgreSQL server of the test's own, stopped and
// removed when the test ends.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	return startPostgres(t, func(stop func() error) {
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
	})
}

func startPostgres(t testing.TB, cleanup func(func() error)) *PostgresServer {
	t.Helper()
	s, err := LaunchPostgres(false)
	if err != nil {
		fail(t, err)
	}
	cleanup(s.Close)
	return s
}

// LaunchPostgres starts a PostgreSQL server outside a test; Close stops it
// and removes its directory. A missing program is a *MissingError.
//
// Durable gives it the settings of a production server: fsync,
// synchronous_commit and full_page_writes on (PostgreSQL's defaults) and
// shared_buffers 128MB, for measurements whose commits must reach the disk.
// Otherwise it has the settings of the tests' servers, which do not wait for
// the disk (fsync, synchronous_commit and full_page_writes off).
func LaunchPostgres(durable bool) (*PostgresServer, error) {
	initdb, err := findBinary("initdb", true)
	if err != nil {
		return nil, &MissingError{What: "PostgreSQL (initdb)", Err: err}
	}
	bin := filepath.Dir(initdb)
	if _, err := os.Stat(filepath.Join(bin, "postgres")); err != nil {
		return nil, &MissingError{What: "PostgreSQL (postgres)", Err: err}
	}
	cred, err := credential()
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL needs an unprivileged user: %w", err)
	}
	dir, err := os.MkdirTemp("", "dinhdanh-pg-")
	if err != nil {
		return nil, err
	}
	s := &PostgresServer{Dir: dir, bin: bin, cred: cred, durable: durable,
		daemon: daemon{what: "PostgreSQL", stopSignal: syscall.SIGINT}}
	if err := chownAll(dir, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := []string{"--pgdata", filepath.Join(dir, "data"), "--username", "postgres", "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C.UTF-8", "--no-instructions"}
	if !durable {
		// The tests' servers do not survive a crash of the machine anyway.
		args = append(args, "--no-sync")
	}
	cmd := exec.Command(initdb, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		if s.port, err = freePort(false); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.port)
		err = s.start()
		if err == nil {
			return s, nil
		}
		if attempt == 4 {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("starting PostgreSQL: %w", err)
		}
	}
}

// Close stops the server for good and removes its directory.
func (s *PostgresServer) Close() error {
	err := s.halt()
	if rerr := os.RemoveAll(s.Dir); err == nil {
		err = rerr
	}
	return err
}

// start runs postgres on s.port and waits until it accepts connections.
func (s *PostgresServer) start() error {
	argv := []string{filepath.Join(s.bin, "postgres"),
		"-D", filepath.Join(s.Dir, "data"),
		"-c", "listen_addresses=127.0.0.1", "-c", "port=" + strconv.Itoa(s.port),
		"-c", "unix_socket_directories=",
		"-c", "max_connections=300",
	}
	if s.durable {
		// fsync, synchronous_commit and full_page_writes keep their default, on.
		argv = append(argv, "-c", "shared_buffers=128MB")
	} else {
		argv = append(argv, "-c", "shared_buffers=32MB",
			// Durability is not what these servers are for.
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	argv = append(argv, "-c", "log_min_messages=warning")
	p, err := startProcess("postgres", argv, s.Dir, s.cred, syscall.SIGINT)
	if err != nil {
		return err
	}
	err = p.waitUntil(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
	if err != nil {
		_ = p.stop(syscall.SIGQUIT)
		return err
	}
	s.running(p) // Pid is then the postmaster's, the parent of every other process of the server
	return nil
}

// settingName is what SHOW accepts here as the name of a setting.
var settingName = regexp.MustCompile(`^[a-z_][a-z0-9_.]*$`)

// Show returns the value of a run-time setting as SHOW reports it, such as
// "on" for fsync or "15.14 (Debian 15.14-0+deb12u1)" for server_version.
func (s *PostgresServer) Show(setting string) (string, error) {
	if !settingName.MatchString(setting) {
		return "", fmt.Errorf("SHOW %q: not a setting name", setting)
	}
	var v string
	err := s.exec(s.URL("postgres"), func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SHOW "+setting).Scan(&v)
	})
	if err != nil {
		return "", fmt.Errorf("SHOW %s: %w", setting, err)
	}
	return v, nil
}

// exec runs f on a connection of its own to the database at url, within 30 s.
func (s *PostgresServer) exec(url string, f func(ctx context.Context, conn *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL at %s: %w", s.Addr, err)
	}
	defer conn.Close(ctx)
	return f(ctx, conn)
}

// URL returns the URL of the database on the server.
func (s *PostgresServer) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", s.Addr, database)
}

// NewDatabase creates a fresh, empty database and returns its URL.
func (s *PostgresServer) NewDatabase(t testing.TB) string {
	t.Helper()
	url, err := s.CreateDatabase(fmt.Sprintf("test_%d", s.dbs.Add(1)))
	if err != nil {
		t.Fatalf("creating a database: %v", err)
	}
	return url
}

// CreateDatabase creates an empty database (encoding UTF-8, locale
// C.UTF-8) and returns its URL.
func (s *PostgresServer) CreateDatabase(name string) (string, error) {
	err := s.exec(s.URL("postgres"), func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'`)
		return err
	})
	if err != nil {
		return "", err
	}
	return s.URL(name), nil
}

// NewSchema creates a fresh, empty schema in a database shared by the
// callers and returns a URL whose search_path starts with it.
func (s *PostgresServer) NewSchema(t testing.TB) string {
	t.Helper()
	s.shared.once.Do(func() {
		s.shared.url, s.shared.err = s.CreateDatabase("schemas")
	})
	if s.shared.err != nil {
		t.Fatalf("creating the database of schemas: %v", s.shared.err)
	}
	name := fmt.Sprintf("test_%d", s.schemas.Add(1))
	err := s.exec(s.shared.url, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, `CREATE SCHEMA `+name)
		return err
	})
	if err != nil {
		t.Fatalf("creating a schema: %v", err)
	}
	return s.shared.url + "&search_path=" + name
}

// Start starts a stopped server (Stop: a fast shutdown, connections are
// closed) again on the same port, with its data.
func (s *PostgresServer) Start(t testing.TB) {
	t.Helper()
	s.restart(t, s.start)
}

// Relaunch starts a server stopped by Shutdown (or Stop) again on the same
// port with its data, as Start does, for a caller outside a test.
func (s *PostgresServer) Relaunch() error {
	if s.Pid() != 0 {
		return fmt.Errorf("PostgreSQL at %s is already running", s.Addr)
	}
	return s.start()
}
