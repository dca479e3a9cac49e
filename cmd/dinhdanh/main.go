// Command dinhdanh runs the identity provider and administers it.
//
//	dinhdanh serve            run a node (embedded SQLite when unconfigured)
//	dinhdanh migrate          apply database migrations
//	dinhdanh client …         register and manage applications
//	dinhdanh account …        manage accounts of citizens and officials
//	dinhdanh business …       link citizens to businesses as representatives
//	dinhdanh keys …           list and rotate signing keys and the seal key
//	dinhdanh directory …      list, synchronise and test LDAP staff directories
//	dinhdanh logout …         show the back-channel logout queue
//	dinhdanh audit …          search, export and verify the audit log
//	dinhdanh config check     validate the configuration
//	dinhdanh completion SHELL print a shell completion script
//
// Every command takes --config FILE (or DINHDANH_CONFIG) and DINHDANH_*
// environment overrides. "--help" (or "-h") on any command prints its help
// and does nothing else. A usage error exits with code 2, any other failure
// with code 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/config"
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

// run executes the command line args with the given streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &cliEnv{stdin: stdin, stdout: stdout, stderr: stderr}
	root := e.rootCommand()
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// rootCommand builds the command tree. Every command of the tree is built
// by the functions it calls; cobra parses the flags, answers --help and
// offers shell completion.
func (e *cliEnv) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "dinhdanh",
		Short: "dinhdanh — identity provider and single sign-on",
		Long: "dinhdanh — identity provider and single sign-on.\n\n" +
			"Every command takes --config FILE (or " + config.EnvConfigFile + ") and the DINHDANH_* environment overrides.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				c.SetOut(e.stderr)
				_ = c.Usage()
				return usageError("no command given")
			}
			return usageError("unknown command %q (see \"dinhdanh --help\")", args[0])
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%s: %v (see \"%s --help\")", c.CommandPath(), err, c.CommandPath())
	})
	root.PersistentFlags().StringVar(&e.cfgPath, "config", os.Getenv(config.EnvConfigFile),
		"configuration file (YAML); env "+config.EnvConfigFile)
	root.AddCommand(
		e.serveCommand(),
		e.migrateCommand(),
		e.configCommand(),
		e.clientCommand(),
		e.accountCommand(),
		e.businessCommand(),
		e.keysCommand(),
		e.directoryCommand(),
		e.logoutCommand(),
		e.outboxCommand(),
		e.auditCommand(),
		&cobra.Command{
			Use: "version", Short: "print the version", Args: noArgs,
			Run: func(*cobra.Command, []string) { fmt.Fprintln(e.stdout, "dinhdanh", version) },
		},
	)
	return root
}

// group returns a command that only holds subcommands: run without one, or
// with an unknown one, it is a usage error.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs}
	c.AddCommand(subs...)
	c.RunE = func(c *cobra.Command, args []string) error {
		var names []string
		for _, s := range c.Commands() {
			if s.IsAvailableCommand() {
				names = append(names, s.Name())
			}
		}
		if len(args) == 0 {
			return usageError("%s %s (see \"%s --help\")", c.CommandPath(), strings.Join(names, "|"), c.CommandPath())
		}
		return usageError("unknown %s command %q (see \"%s --help\")", c.Name(), args[0], c.CommandPath())
	}
	return c
}

// noArgs refuses positional arguments.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no arguments", c.CommandPath())
	}
	return nil
}

// oneArg requires exactly one positional argument, named what.
func oneArg(what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageError("give exactly one %s", what)
		}
		return nil
	}
}

var version = "dev"
