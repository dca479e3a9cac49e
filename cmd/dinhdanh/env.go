package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// cliEnv holds a command's standard streams.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// flags returns a flag set with the shared --config option.
func (e *cliEnv) flags(name, synopsis string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfg := fs.String("config", os.Getenv(config.EnvConfigFile), "configuration file (YAML); env "+config.EnvConfigFile)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: dinhdanh %s\n\nOptions:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs, cfg
}

func (e *cliEnv) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	return nil
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

// adminEnv opens the store for an administrative command.
type adminEnv struct {
	cfg *config.Config
	db  *sqlstore.DB
	eph store.Ephemeral
	svc *admin.Service
}

func (e *cliEnv) openAdmin(ctx context.Context, cfgPath string) (*adminEnv, error) {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	db, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	eph, err := app.OpenEphemeral(ctx, cfg, db, newLogger(cfg, e.stderr))
	if err != nil {
		db.Close()
		return nil, err
	}
	bf := cfg.BruteForce
	log := newLogger(cfg, e.stderr)
	rec := audit.NewRecorder(db, log)
	sessions := app.NewSessions(cfg, eph, db)
	svc := admin.NewService(admin.Service{Store: db, Eph: eph, Actor: "cli", MinPasswordLength: cfg.Password.MinLength,
		Sessions: sessions,
		Logout:   session.NewLogout(session.Logout{Sessions: sessions, Store: db, Issuer: cfg.Issuer, Log: log}, rec),
		Guard: &authn.Guard{Counters: eph, Policy: authn.GuardPolicy{AccountMaxFailures: bf.AccountMaxFailures,
			AddressMaxFailures: bf.AddressMaxFailures, Window: bf.Window.D(), LockDuration: bf.LockDuration.D(),
			BaseDelay: bf.BaseDelay.D(), MaxDelay: bf.MaxDelay.D()}},
		Hasher: authn.Hasher{Params: authn.Argon2Params{MemoryKiB: cfg.Password.MemoryKiB,
			Iterations: cfg.Password.Iterations, Parallelism: cfg.Password.Parallelism}},
	}, rec)
	return &adminEnv{cfg: cfg, db: db, eph: eph, svc: svc}, nil
}

func (a *adminEnv) Close() {
	app.CloseEphemeral(a.eph)
	a.db.Close()
}

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

// onAccount runs a command that names one ACCOUNT: it parses the flags,
// opens the store, resolves the account and calls do.
func (e *cliEnv) onAccount(ctx context.Context, fs *flag.FlagSet, cfgPath *string, args []string,
	do func(a *adminEnv, acct *identity.Account) error) error {
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := e.oneArg(fs, "account"); err != nil {
		return err
	}
	a, err := e.openAdmin(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	acct, err := e.findAccount(ctx, a, fs.Arg(0))
	if err != nil {
		return err
	}
	return do(a, acct)
}
