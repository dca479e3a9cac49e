package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// cliEnv holds a command's standard streams and the --config option.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// cfgPath is the configuration file (--config, or DINHDANH_CONFIG).
	cfgPath string
}

// loadConfig reads and validates the configuration.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// adminEnv is what an administrative command works with: the services of
// the configuration, opened by app.Open (no background work), and the
// administrative operations recorded as done by "cli".
type adminEnv struct {
	cfg *config.Config
	db  *sqlstore.DB
	app *app.Services
	svc *admin.Service
}

// openAdmin opens the configuration's services for an administrative command.
func (e *cliEnv) openAdmin(ctx context.Context, cfgPath string) (*adminEnv, error) {
	return e.open(ctx, cfgPath, app.OpenOptions{})
}

// open loads the configuration and opens its services with opts (their
// log goes to standard error).
func (e *cliEnv) open(ctx context.Context, cfgPath string, opts app.OpenOptions) (*adminEnv, error) {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	opts.Log = newLogger(cfg, e.stderr)
	s, err := app.Open(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	return &adminEnv{cfg: cfg, db: s.DB, app: s, svc: s.Admin("cli")}, nil
}

func (a *adminEnv) Close() { a.app.Close() }

// readPassword reads one line from standard input.
func (e *cliEnv) readPassword() (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", usageError("reading the password from standard input: %v", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (e *cliEnv) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// stringList is a repeatable flag that also splits on commas and spaces.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

// Type names the flag's value in help texts.
func (s *stringList) Type() string { return "strings" }

func (s *stringList) Set(v string) error {
	for _, x := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		*s = append(*s, x)
	}
	return nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// onAccount returns the RunE of a command that names one ACCOUNT: it opens
// the store, resolves the account and calls do.
func (e *cliEnv) onAccount(do func(ctx context.Context, a *adminEnv, acct *identity.Account) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		ctx := c.Context()
		a, err := e.openAdmin(ctx, e.cfgPath)
		if err != nil {
			return err
		}
		defer a.Close()
		acct, err := e.findAccount(ctx, a, args[0])
		if err != nil {
			return err
		}
		return do(ctx, a, acct)
	}
}
