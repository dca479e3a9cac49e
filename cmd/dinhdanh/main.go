// Command dinhdanh runs the identity provider and administers it.
//
//	dinhdanh serve            run a node (embedded SQLite when unconfigured)
//	dinhdanh migrate          apply database migrations
//	dinhdanh client …         register and manage applications
//	dinhdanh account …        manage accounts of citizens and officials
//	dinhdanh business …       link citizens to businesses as representatives
//	dinhdanh keys …           list and rotate signing keys
//	dinhdanh directory …      list, synchronise and test LDAP staff directories
//	dinhdanh config check     validate the configuration
//
// Every command takes --config FILE (or DINHDANH_CONFIG) and DINHDANH_*
// environment overrides.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

const usage = `dinhdanh — identity provider and single sign-on

Usage:
  dinhdanh serve [--config FILE]
  dinhdanh migrate [--config FILE]
  dinhdanh config check|example [--config FILE]
  dinhdanh client create|list|show|delete|rotate-secret …
  dinhdanh account create|bootstrap-admin|list|show|lock|unlock|set-password|end-sessions|reset-factors …
  dinhdanh business link|unlink|show …
  dinhdanh keys list|rotate …
  dinhdanh directory list|sync NAME [--full] [--force]|test NAME
  dinhdanh logout deliveries [--state pending|delivered|failed]
  dinhdanh version

Run "dinhdanh COMMAND --help" for the options of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		code := 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		fmt.Fprintln(os.Stderr, "dinhdanh:", err)
		os.Exit(code)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError("no command given")
	}
	env := &cliEnv{stdin: stdin, stdout: stdout, stderr: stderr}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return env.serve(ctx, rest)
	case "migrate":
		return env.migrate(ctx, rest)
	case "config":
		return env.configCmd(ctx, rest)
	case "client":
		return env.client(ctx, rest)
	case "account":
		return env.account(ctx, rest)
	case "business":
		return env.business(ctx, rest)
	case "keys":
		return env.keysCmd(ctx, rest)
	case "directory":
		return env.directoryCmd(ctx, rest)
	case "logout":
		return env.logoutCmd(ctx, rest)
	case "version":
		fmt.Fprintln(stdout, "dinhdanh", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError("unknown command %q", cmd)
}

var version = "dev"
