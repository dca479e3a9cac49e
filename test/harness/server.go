package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts of the harness.
const (
	// ReadyTimeout bounds the wait for a started server to answer /health/ready.
	ReadyTimeout = 30 * time.Second
	// StopTimeout is how long a server may take to exit after SIGTERM before it is killed.
	StopTimeout = 10 * time.Second
	// CLITimeout bounds one administrative command.
	CLITimeout = 60 * time.Second
	// RequestTimeout bounds one HTTP request made by the harness.
	RequestTimeout = 15 * time.Second
)

// servingMessage is logged by "dinhdanh serve" once it listens.
const servingMessage = "dinhdanh serving"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// ModuleRoot returns the directory of the dinhdanh module (from "go env GOMOD").
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside a module")
	}
	return filepath.Dir(gomod), nil
}

// Binary returns the path of the dinhdanh binary, building it on the first
// call of the test process; a failed build fails every test that asks.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := binary()
	if err != nil {
		t.Fatalf("building dinhdanh: %v", err)
	}
	return path
}

// binary builds ./cmd/dinhdanh on its first call and returns its path.
func binary() (string, error) {
	build.once.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			build.err = err
			return
		}
		dir, err := os.MkdirTemp("", "dinhdanh-e2e-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.dir = dir
		path := filepath.Join(dir, "dinhdanh")
		cmd := exec.Command("go", "build", "-o", path, "./cmd/dinhdanh")
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/dinhdanh: %v\n%s", err, out.String())
			return
		}
		build.path = path
	})
	return build.path, build.err
}

// RunTests runs the tests of a package and then removes the built binary;
// call it from TestMain: os.Exit(harness.RunTests(m)).
func RunTests(m *testing.M) int {
	code := m.Run()
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	return code
}

// Start builds the binary (once), starts "dinhdanh serve" as a process with
// a fresh data directory (or the shared one of WithBackend) on a free
// loopback port and waits until it is ready. The server is stopped when the
// test ends; its log is written to the test output when the test failed.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := newOptions(opts)
	if o.middleware != nil {
		t.Fatal("harness.WithMiddleware: only a node started with StartInProcess runs its handler in the test")
	}
	bin := Binary(t)
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("finding a free port: %v", err)
		}
		s := newServer(t, o, port)
		s.bin = bin
		s.proc = &process{done: make(chan struct{})}
		err = s.start()
		if err == nil {
			o.started(s)
			t.Cleanup(func() { s.stop(t) })
			return s
		}
		lastErr = err
		if !strings.Contains(s.log.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("starting dinhdanh serve: %v", lastErr)
	return nil
}

// environ returns the process environment without any DINHDANH_* variable
// (configuration would leak in from the developer's shell, and unknown
// variables are refused), plus the given variables.
func environ(base, extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DINHDANH_") {
			env = append(env, kv)
		}
	}
	for _, m := range []map[string]string{base, extra} {
		for k, v := range m {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	s.proc.cmd = exec.Command(s.bin, "serve")
	s.proc.cmd.Env = s.env
	s.proc.cmd.Dir = s.DataDir
	s.proc.cmd.Stdout, s.proc.cmd.Stderr = s.log, s.log
	if err := s.proc.cmd.Start(); err != nil {
		return err
	}
	go func() {
		s.proc.werr = s.proc.cmd.Wait()
		close(s.proc.done)
	}()
	deadline := time.Now().Add(ReadyTimeout)
	probe := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.proc.done:
			return fmt.Errorf("dinhdanh serve exited before it was ready (%v):\n%s", s.proc.werr, s.log.String())
		default:
		}
		// Until this process says it listens, whatever answers on the port is
		// not it (another test's server may have taken the port meanwhile).
		if strings.Contains(s.log.String()[s.proc.logFrom:], servingMessage) {
			resp, err := probe.Get(s.Base + "/health/ready")
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("dinhdanh serve was not ready within %s:\n%s", ReadyTimeout, s.log.String())
		}
		time.Sleep(15 * time.Millisecond)
	}
}

func (s *Server) kill() {
	_ = s.proc.cmd.Process.Kill()
	<-s.proc.done
}

// stop stops the node when the test ends and writes its log into the test
// output when the test failed.
func (s *Server) stop(t testing.TB) {
	if s.inproc != nil {
		s.inproc.stop(t)
	} else {
		s.stopProcess(t)
	}
	if t.Failed() {
		t.Logf("dinhdanh serve log (%s):\n%s", s.Addr, s.log.String())
	}
}

// stopProcess sends SIGTERM, kills the process when it does not exit in
// time, and reports an unclean exit.
func (s *Server) stopProcess(t testing.TB) {
	select {
	case <-s.proc.done:
		if !s.proc.killed {
			t.Errorf("dinhdanh serve exited during the test (%v)", s.proc.werr)
		}
	default:
		_ = s.proc.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.proc.done:
			if s.proc.werr != nil {
				t.Errorf("dinhdanh serve exited with %v after SIGTERM", s.proc.werr)
			}
		case <-time.After(StopTimeout):
			s.kill()
			t.Errorf("dinhdanh serve did not exit within %s of SIGTERM; killed", StopTimeout)
		}
	}
}

// Kill ends the server at once with SIGKILL, as a crash or an operator's
// kill -9 would, and waits until it is gone. Its exit is not a test failure.
// A node in the test process closes its listener and every connection at
// once and drops its database handles, without a graceful shutdown.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if s.inproc != nil {
		s.inproc.kill()
		return
	}
	s.proc.killed = true
	if err := s.proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("killing dinhdanh serve: %v", err)
	}
	<-s.proc.done
}

// PID returns the process id of "dinhdanh serve" (Start), for a test that
// reads its /proc entry; 0 for a node in the test process.
func (s *Server) PID() int {
	if s.proc == nil || s.proc.cmd == nil || s.proc.cmd.Process == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Log returns what the server has written to stdout and stderr so far.
func (s *Server) Log() string { return s.log.String() }

// URL returns the absolute URL of a path on the node (at Base).
func (s *Server) URL(path string) string { return s.base() + path }

// base returns Base, or Issuer for a Server made by hand with an Issuer only.
func (s *Server) base() string {
	if s.Base == "" {
		return s.Issuer
	}
	return s.Base
}

// CLIResult is the outcome of one administrative command.
type CLIResult struct {
	Stdout, Stderr string
	// ExitCode is the process's exit code (0 on success).
	ExitCode int
}

// RunCLI runs "dinhdanh ARGS…" with the server's environment (the same data
// directory) and stdin as its standard input; for a node in the test
// process the binary is built on first use. err reports only a failure to
// run the command at all; a non-zero exit is in the result.
func (s *Server) RunCLI(stdin string, args ...string) (CLIResult, error) {
	bin, err := binary()
	if err != nil {
		return CLIResult{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), CLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = s.env
	cmd.Dir = s.DataDir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	res := CLIResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.ExitCode = ee.ExitCode()
		if ctx.Err() != nil {
			return res, fmt.Errorf("dinhdanh %s: timed out after %s", strings.Join(args, " "), CLITimeout)
		}
		return res, nil
	}
	return res, err
}

// CLI runs "dinhdanh ARGS…" like RunCLI and returns its standard output; it
// fails the test when the command cannot run or exits with a non-zero code.
func (s *Server) CLI(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	res, err := s.RunCLI(stdin, args...)
	if err != nil {
		t.Fatalf("dinhdanh %s: %v", strings.Join(args, " "), err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("dinhdanh %s: exit code %d\nstderr:\n%s\nstdout:\n%s", strings.Join(args, " "), res.ExitCode, res.Stderr, res.Stdout)
	}
	return res.Stdout
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
