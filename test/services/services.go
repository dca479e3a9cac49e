package services

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts of the services.
const (
	// StartTimeout bounds the wait for a started server to accept connections.
	StartTimeout = 60 * time.Second
	// StopTimeout is how long a server may take to exit before it is killed.
	StopTimeout = 15 * time.Second
)

// TestUser is the unprivileged user PostgreSQL runs as when the tests run as root.
const TestUser = "dinhdanh-test"

// shared holds the servers shared by the tests of one binary (see Run).
var shared struct {
	mu       sync.Mutex
	active   bool
	pg       *PostgresServer
	redis    *RedisServer
	cluster  *RedisCluster
	sentinel *RedisSentinel
	stops    []func() error
}

// Run runs the tests of a package with shared servers and stops those servers
// afterwards; call it from TestMain: os.Exit(services.Run(m)).
func Run(m *testing.M) int {
	shared.mu.Lock()
	shared.active = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	stops := shared.stops
	shared.stops = nil
	shared.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		if err := stops[i](); err != nil {
			fmt.Fprintln(os.Stderr, "services:", err)
		}
	}
	return code
}

// sharedServer returns the shared server made by start, starting it on first
// use; without Run it returns a server of the test's own.
func sharedServer[S any](t testing.TB, slot *S, start func(t testing.TB, cleanup func(func() error)) S) S {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.active {
		return start(t, func(stop func() error) {
			t.Cleanup(func() {
				if err := stop(); err != nil {
					t.Error(err)
				}
			})
		})
	}
	var zero S
	if any(*slot) != any(zero) {
		return *slot
	}
	*slot = start(t, func(stop func() error) { shared.stops = append(shared.stops, stop) })
	return *slot
}

// MissingError reports that a program a server needs is not installed.
type MissingError struct {
	// What names the program, such as "PostgreSQL (initdb)".
	What string
	// Err is why it was not found.
	Err error
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is not available (%v): run test/services/install.sh, as make test does", e.What, e.Err)
}

func (e *MissingError) Unwrap() error { return e.Err }

// fail ends the test because a server could not be started: a missing
// program skips it (see missing), any other error fails it.
func fail(t testing.TB, err error) {
	t.Helper()
	var me *MissingError
	if errors.As(err, &me) {
		missing(t, me)
	}
	t.Fatal(err)
}

// missing skips the test, or fails it when the CI environment variable is
// set, because a program the test needs is not installed.
func missing(t testing.TB, err *MissingError) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(err.Error())
	}
	t.Skip(err.Error())
}

// findBinary returns the path of a program: from the newest
// /usr/lib/postgresql/<version>/bin for PostgreSQL's programs, else from PATH.
func findBinary(name string, postgres bool) (string, error) {
	if postgres {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
		for _, d := range dirs {
			p := filepath.Join(d, name)
			if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	// Follow a symbolic link such as /usr/local/bin/initdb, so that the
	// directory found holds postgres too. (Not for Redis: redis-server is a
	// link to a program that behaves by the name it is called by.)
	if postgres {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return real, nil
		}
	}
	return p, nil
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// freePort returns a loopback port that was free a moment ago. With
// busAlso, port+10000 (a Redis Cluster bus port) was free too.
func freePort(busAlso bool) (int, error) {
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if !busAlso {
			ln.Close()
			return port, nil
		}
		if port+10000 > 65535 {
			ln.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		ln.Close()
		if err == nil {
			bus.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free loopback port found")
}

// credential returns the credential to run a server as when it must not run
// as root: nil when this process is not root, else that of TestUser (created
// when missing).
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(TestUser)
	if err != nil {
		out, uerr := exec.Command("useradd", "--system", "--user-group", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", TestUser).CombinedOutput()
		if uerr != nil && !strings.Contains(string(out), "already exists") {
			return nil, fmt.Errorf("creating the user %s: %v: %s", TestUser, uerr, out)
		}
		if u, err = user.Lookup(TestUser); err != nil {
			return nil, err
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// chownAll gives the tree at dir to the credential's user.
func chownAll(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(cred.Uid), int(cred.Gid))
	})
}

// daemon is the running process of a throwaway server, shared by its
// start, stop and accounting; embedded in each kind of server.
type daemon struct {
	what       string         // the server's name in messages ("PostgreSQL")
	stopSignal syscall.Signal // its graceful shutdown
	mu         sync.Mutex
	proc       *process // nil while stopped
}

// running records p as the server's process.
func (d *daemon) running(p *process) {
	d.mu.Lock()
	d.proc = p
	d.mu.Unlock()
}

// Pid returns the process id of the server's main process, or 0 when it is
// stopped.
func (d *daemon) Pid() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.proc == nil {
		return 0
	}
	return d.proc.cmd.Process.Pid
}

// halt stops the server if it runs.
func (d *daemon) halt() error {
	d.mu.Lock()
	p := d.proc
	d.proc = nil
	d.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop(d.stopSignal)
}

// Stop shuts the server down, as an outage would.
func (d *daemon) Stop(t testing.TB) {
	t.Helper()
	if err := d.halt(); err != nil {
		t.Fatal(err)
	}
}

// restart starts a stopped server again with start.
func (d *daemon) restart(t testing.TB, start func() error) {
	t.Helper()
	d.mu.Lock()
	up := d.proc != nil
	d.mu.Unlock()
	if up {
		t.Fatal(d.what + " is already running")
	}
	if err := start(); err != nil {
		t.Fatalf("restarting %s: %v", d.what, err)
	}
}

// process is a server process run in the foreground, as a child of the test
// binary: it receives stopSignal when the test binary dies.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *logBuffer
	done chan struct{}
	err  error // set before done is closed
}

func startProcess(name string, argv []string, dir string, cred *syscall.Credential, stopSignal syscall.Signal) (*process, error) {
	p := &process{name: name, log: &logBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: stopSignal, Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig, waits for the exit, and kills the process when it takes
// longer than StopTimeout.
func (p *process) stop(sig syscall.Signal) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(StopTimeout):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("%s did not stop within %s; killed", p.name, StopTimeout)
	}
}

// waitUntil polls ready until it returns nil, the process exits or the
// timeout passes.
func (p *process) waitUntil(ready func() error) error {
	deadline := time.Now().Add(StartTimeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", p.name, p.err, p.log.String())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready within %s (%v):\n%s", p.name, StartTimeout, err, p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logBuffer keeps the last part of a process's output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

const maxLog = 64 << 10

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if l.b.Len() > 2*maxLog {
		tail := append([]byte(nil), l.b.Bytes()[l.b.Len()-maxLog:]...)
		l.b.Reset()
		l.b.Write(tail)
	}
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Shutdown stops the server as Stop does (its graceful shutdown, killed
// after StopTimeout), for a caller outside a test, such as the load
// command's --faults mode; a server that already exited is only marked
// stopped. Relaunch starts it again.
func (d *daemon) Shutdown() error { return d.halt() }
