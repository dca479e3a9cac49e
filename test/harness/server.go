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
	"strconv"
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
	if build.err != nil {
		t.Fatalf("building dinhdanh: %v", build.err)
	}
	return build.path
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

// Option changes how Start runs the server.
type Option func(*options)

type options struct {
	env map[string]string
	// localhost names the server http://localhost:PORT rather than http://127.0.0.1:PORT.
	localhost bool
	// assurance keeps the product's default assurance policy.
	assurance bool
}

// WithLocalhostIssuer makes the server's issuer (and the browser's origin)
// http://localhost:PORT: a secure context with a domain name, which WebAuthn
// needs (its relying party id cannot be an IP address).
func WithLocalhostIssuer() Option {
	return func(o *options) { o.localhost = true }
}

// WithDefaultAssurance keeps the product's default assurance policy, under
// which officials and administrators need a second factor. Without it a
// server lets them log in with a password alone (mfa.official_minimum and
// mfa.admin_minimum LoA1), as the tests of features other than second
// factors expect.
func WithDefaultAssurance() Option {
	return func(o *options) { o.assurance = true }
}

// WithEnv sets a DINHDANH_* (or any) environment variable of the server and
// of the commands run with Server.CLI.
func WithEnv(name, value string) Option {
	return func(o *options) { o.env[name] = value }
}

// WithConfigFile has the server and the commands run with Server.CLI read
// the configuration file at path (DINHDANH_CONFIG), for what only a file can
// set, such as lists of sections; the harness's variables (data directory,
// listen address, issuer) still override it.
func WithConfigFile(path string) Option {
	return WithEnv("DINHDANH_CONFIG", path)
}

// Server is a running "dinhdanh serve" process.
type Server struct {
	// Issuer is the server's issuer URL (http://127.0.0.1:PORT), also its base URL.
	Issuer string
	// Addr is the host:port it listens on.
	Addr string
	// DataDir holds its SQLite database and seal key.
	DataDir string
	// HTTP is a plain client (no cookies, redirects not followed) for API calls.
	HTTP *http.Client

	bin  string
	env  []string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
	werr error // the process's exit status, set before done is closed
	// logFrom is where the current process's output starts in log (after a Restart).
	logFrom int
	// killed is set by Kill: the process ending is then expected.
	killed bool
}

// Start builds the binary (once), starts a server with a fresh data
// directory on a free loopback port and waits until it is ready. The server
// is stopped when the test ends; its log is written to the test output when
// the test failed.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := &options{env: map[string]string{}}
	for _, opt := range opts {
		opt(o)
	}
	bin := Binary(t)
	dataDir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("finding a free port: %v", err)
		}
		s := &Server{
			Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			DataDir: dataDir,
			bin:     bin,
			log:     &syncBuffer{},
			done:    make(chan struct{}),
			HTTP: &http.Client{Timeout: RequestTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			}},
		}
		s.Issuer = "http://" + s.Addr
		if o.localhost {
			s.Issuer = "http://localhost:" + strconv.Itoa(port)
		}
		base := map[string]string{
			"DINHDANH_DATA_DIR": dataDir,
			"DINHDANH_LISTEN":   s.Addr,
			"DINHDANH_ISSUER":   s.Issuer,
		}
		if !o.assurance {
			base["DINHDANH_MFA_OFFICIAL_MINIMUM"] = "LoA1"
			base["DINHDANH_MFA_ADMIN_MINIMUM"] = "LoA1"
		}
		s.env = environ(base, o.env)
		err = s.start()
		if err == nil {
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
	s.cmd = exec.Command(s.bin, "serve")
	s.cmd.Env = s.env
	s.cmd.Dir = s.DataDir
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return err
	}
	go func() {
		s.werr = s.cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(ReadyTimeout)
	probe := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.done:
			return fmt.Errorf("dinhdanh serve exited before it was ready (%v):\n%s", s.werr, s.log.String())
		default:
		}
		// Until this process says it listens, whatever answers on the port is
		// not it (another test's server may have taken the port meanwhile).
		if strings.Contains(s.log.String()[s.logFrom:], servingMessage) {
			resp, err := probe.Get(s.Issuer + "/health/ready")
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
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop sends SIGTERM, kills the process when it does not exit in time, and
// reports an unclean exit.
func (s *Server) stop(t testing.TB) {
	select {
	case <-s.done:
		if !s.killed {
			t.Errorf("dinhdanh serve exited during the test (%v)", s.werr)
		}
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
			if s.werr != nil {
				t.Errorf("dinhdanh serve exited with %v after SIGTERM", s.werr)
			}
		case <-time.After(StopTimeout):
			s.kill()
			t.Errorf("dinhdanh serve did not exit within %s of SIGTERM; killed", StopTimeout)
		}
	}
	if t.Failed() {
		t.Logf("dinhdanh serve log (%s):\n%s", s.Addr, s.log.String())
	}
}

// Kill ends the server at once with SIGKILL, as a crash or an operator's
// kill -9 would, and waits until it is gone. Its exit is not a test failure.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.killed = true
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("killing dinhdanh serve: %v", err)
	}
	<-s.done
}

// Log returns what the server has written to stdout and stderr so far.
func (s *Server) Log() string { return s.log.String() }

// URL returns the absolute URL of a path on the server.
func (s *Server) URL(path string) string { return s.Issuer + path }

// CLIResult is the outcome of one administrative command.
type CLIResult struct {
	Stdout, Stderr string
	// ExitCode is the process's exit code (0 on success).
	ExitCode int
}

// RunCLI runs "dinhdanh ARGS…" with the server's environment (the same data
// directory) and stdin as its standard input. err reports only a failure to
// run the command at all; a non-zero exit is in the result.
func (s *Server) RunCLI(stdin string, args ...string) (CLIResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), CLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = s.env
	cmd.Dir = s.DataDir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
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
