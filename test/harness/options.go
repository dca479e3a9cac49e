package harness

import (
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
)

// Option changes how Start and StartInProcess run the server.
type Option func(*options)

type options struct {
	env map[string]string
	// localhost names the server http://localhost:PORT rather than http://127.0.0.1:PORT.
	localhost bool
	// assurance keeps the product's default assurance policy.
	assurance bool
	// backend is shared with other nodes (nil: a fresh SQLite data directory).
	backend *Backend
	// middleware wraps the handler of a node in the test process.
	middleware func(http.Handler) http.Handler
}

func newOptions(opts []Option) *options {
	o := &options{env: map[string]string{}}
	for _, opt := range opts {
		opt(o)
	}
	return o
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
// of the commands run with Server.CLI. A node in the test process reads the
// DINHDANH_* variables with config.Load, as "dinhdanh serve" does.
func WithEnv(name, value string) Option {
	return func(o *options) { o.env[name] = value }
}

// WithConfigFile has the server and the commands run with Server.CLI read
// the configuration file at path (DINHDANH_CONFIG), for what only a file can
// set, such as lists of sections; the harness's variables (data directory,
// listen address, issuer) still override it.
func WithConfigFile(path string) Option {
	return WithEnv(config.EnvConfigFile, path)
}

// WithBackend makes the server one node of a deployment whose nodes share
// the backend b: its database, its ephemeral state, its seal key and its
// issuer (the URL of the first node started on it).
func WithBackend(b *Backend) Option {
	return func(o *options) { o.backend = b }
}

// WithMiddleware wraps the handler of a node started with StartInProcess,
// for instance to record which node served a request. Start refuses it: a
// process's handler is out of the test's reach.
func WithMiddleware(m func(http.Handler) http.Handler) Option {
	return func(o *options) { o.middleware = m }
}

// started records the first node's URL as the shared issuer.
func (o *options) started(s *Server) {
	if o.backend != nil && o.backend.issuer == "" {
		o.backend.issuer = s.Issuer
	}
}

// Server is a running dinhdanh node: a "dinhdanh serve" process (Start) or
// a node assembled through server/app in the test process (StartInProcess).
// Both are driven the same way: over HTTP at Issuer, and administered with
// the command line against the same configuration (CLI and the fixtures).
type Server struct {
	// Issuer is the server's issuer URL (http://127.0.0.1:PORT); for a node
	// of a shared backend, the first node's URL.
	Issuer string
	// Base is the node's own base URL: Issuer, except for the second and
	// later nodes of a shared backend (http://127.0.0.1:PORT of the node).
	// URL, PostForm and NewBrowser address the node through it.
	Base string
	// Addr is the host:port it listens on.
	Addr string
	// DataDir holds its SQLite database and seal key.
	DataDir string
	// HTTP is a plain client (no cookies, redirects not followed) for API calls.
	HTTP *http.Client
	// Config is the node's configuration, read from the same variables (and
	// file) as "dinhdanh serve" reads them.
	Config *config.Config
	// App is the assembled node of StartInProcess (nil for a process); a
	// Restart replaces it.
	App *app.App

	bin string
	env []string
	log *syncBuffer
	// proc is the process of Start, inproc the node of StartInProcess.
	proc   *process
	inproc *inProcess
}

// process is the "dinhdanh serve" process of a Server.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	werr error // the process's exit status, set before done is closed
	// logFrom is where the current process's output starts in log (after a Restart).
	logFrom int
	// killed is set by Kill: the process ending is then expected.
	killed bool
}

// newServer returns a node's handle on the loopback port, with its
// environment and configuration, not yet started.
func newServer(t testing.TB, o *options, port int) *Server {
	t.Helper()
	s := &Server{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		log:  &syncBuffer{},
		HTTP: &http.Client{Timeout: RequestTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
	s.Issuer = "http://" + s.Addr
	if o.localhost {
		s.Issuer = "http://localhost:" + strconv.Itoa(port)
	}
	s.Base = s.Issuer
	base := map[string]string{}
	s.DataDir = t.TempDir()
	if b := o.backend; b != nil {
		if b.dataDir != "" {
			s.DataDir = b.dataDir
		}
		if b.issuer != "" {
			s.Base, s.Issuer = "http://"+s.Addr, b.issuer
		}
		for k, v := range b.env {
			base[k] = v
		}
	}
	base["DINHDANH_DATA_DIR"] = s.DataDir
	base["DINHDANH_LISTEN"] = s.Addr
	base["DINHDANH_ISSUER"] = s.Issuer
	if !o.assurance {
		base["DINHDANH_MFA_OFFICIAL_MINIMUM"] = "LoA1"
		base["DINHDANH_MFA_ADMIN_MINIMUM"] = "LoA1"
	}
	s.env = environ(base, o.env)
	cfg, err := loadConfig(s.env)
	if err != nil {
		t.Fatalf("the server's configuration: %v", err)
	}
	s.Config = cfg
	return s
}

// loadConfig reads the configuration from the environment env (and the
// file DINHDANH_CONFIG names) and validates it, as "dinhdanh serve" does.
func loadConfig(env []string) (*config.Config, error) {
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, config.EnvConfigFile+"="); ok {
			path = v
		}
	}
	cfg, err := config.Load(path, env)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Env returns the environment of the server and of its commands (every
// DINHDANH_* variable it runs with), for a tool that runs the command line
// itself.
func (s *Server) Env() []string { return slices.Clone(s.env) }

// InProcess reports whether the node runs in the test process.
func (s *Server) InProcess() bool { return s.inproc != nil }
