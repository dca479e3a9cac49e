package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/store"
)

// serveGCPercent is the garbage collector's target of a serving node when
// GOGC is not set. Every password check allocates the argon2id memory (19 MiB
// with the default parameters) and drops it some 20 ms later, so with Go's
// default of 100 % a node under a burst of logins collected every third
// login, about 1.3 ms of CPU per login. At 300 % it collects every seventh;
// measured with test/load on two cores, 32 concurrent logins take about
// 80 MB more memory at their peak (250 instead of 170 MB).
const serveGCPercent = 300

func (e *cliEnv) serveCommand() *cobra.Command {
	return &cobra.Command{Use: "serve [--config FILE]", Short: "run a node (embedded SQLite when unconfigured)",
		Args: noArgs, RunE: func(c *cobra.Command, _ []string) error { return e.serve(c.Context()) }}
}

func (e *cliEnv) serve(ctx context.Context) error {
	start := time.Now()
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
	cfg, err := loadConfig(e.cfgPath)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	db, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := app.New(ctx, cfg, db, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.SealKeyCreated {
		log.Info("generated a new seal key: back it up, it protects the signing keys", "file", cfg.SealKeyPath())
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	// The public and the mutual-TLS listeners share the connection cap
	// (server.max_connections); the server's timeouts free stalled slots.
	ln = a.Connections.Listener(ln)
	srv := app.NewHTTPServer(cfg.Server, a.Handler, nil)
	// The mutual-TLS listener of certificate login, when configured.
	mtls, err := a.MutualTLSServer()
	if err != nil {
		return err
	}
	var mtlsLn net.Listener
	if mtls != nil {
		if mtlsLn, err = net.Listen("tcp", cfg.Certificates.MutualTLS.Listen); err != nil {
			ln.Close()
			return err
		}
		log.Info("certificate login over mutual TLS", "listen", mtlsLn.Addr().String())
		mtlsLn = a.Connections.Listener(mtlsLn)
	}
	bg, cancel := context.WithCancel(ctx)
	defer cancel()
	a.Background(bg)
	if err := e.firstStartHint(ctx, a, cfg, e.cfgPath); err != nil {
		return err
	}
	log.Info("dinhdanh serving", "issuer", cfg.Issuer, "listen", ln.Addr().String(), "database", databaseName(cfg),
		"ephemeral", ephemeralName(cfg), "max_connections", cfg.Server.MaxConnections,
		"startup", time.Since(start).Round(time.Millisecond).String())
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if mtls != nil {
		go func() { errc <- mtls.ServeTLS(mtlsLn, "", "") }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if mtls != nil {
		if err := mtls.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// firstStartHint tells the operator how to begin when the database is empty.
func (e *cliEnv) firstStartHint(ctx context.Context, a *app.App, cfg *config.Config, cfgPath string) error {
	accounts, err := a.Store.ListAccounts(ctx, store.AccountFilter{Limit: 1})
	if err != nil {
		return err
	}
	clients, err := a.Store.ListClients(ctx)
	if err != nil {
		return err
	}
	cfgFlag := ""
	if cfgPath != "" {
		cfgFlag = " --config " + cfgPath
	}
	if len(accounts) == 0 {
		fmt.Fprintf(e.stderr, `
The database is empty. Create the first administrator (once; the password is read from standard input):

  printf '%%s\n' 'a-long-password' | dinhdanh account bootstrap-admin%s --username admin --name "Quản trị viên" --agency "Sở Khoa học và Công nghệ" --password-stdin

`, cfgFlag)
	}
	if len(clients) == 0 {
		fmt.Fprintf(e.stderr, `No application is registered yet. Register one (its secret is shown once):

  dinhdanh client create%s --id portal --name "Cổng thông tin điện tử" --redirect-uri https://portal.example.gov.vn/callback --first-party

Applications discover the endpoints at %s/.well-known/openid-configuration

`, cfgFlag, cfg.Issuer)
	}
	return nil
}

func (e *cliEnv) migrateCommand() *cobra.Command {
	return &cobra.Command{Use: "migrate [--config FILE]", Short: "apply database migrations",
		Args: noArgs, RunE: func(c *cobra.Command, _ []string) error { return e.migrate(c.Context()) }}
}

func (e *cliEnv) migrate(ctx context.Context) error {
	cfg, err := config.Load(e.cfgPath, osEnviron())
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	db, err := app.OpenStore(ctx, cfg, false)
	if err != nil && !isSchemaTooOld(err) {
		return err
	}
	if db == nil {
		if db, err = openRaw(ctx, cfg); err != nil {
			return err
		}
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	cur, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "the schema is up to date (version %d)\n", cur)
		return nil
	}
	fmt.Fprintf(e.stdout, "applied migrations %v; the schema is at version %d\n", applied, cur)
	return nil
}

func (e *cliEnv) configCommand() *cobra.Command {
	example := &cobra.Command{Use: "example", Short: "print the commented example configuration", Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := e.stdout.Write(config.Example())
			return err
		}}
	check := &cobra.Command{Use: "check [--config FILE]", Short: "validate the configuration", Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if _, err := loadConfig(e.cfgPath); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "the configuration is valid")
			return nil
		}}
	return group("config", "validate the configuration or print an example", check, example)
}
