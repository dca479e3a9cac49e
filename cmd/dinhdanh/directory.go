package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dinhdanh/dinhdanh/server/directory"
	"github.com/dinhdanh/dinhdanh/store"
)

func (e *cliEnv) directoryCommand() *cobra.Command {
	list := &cobra.Command{Use: "list [--json]", Short: "list the configured directories and their last synchronisation",
		Args: noArgs}
	listJSON := list.Flags().Bool("json", false, "print as JSON")
	list.RunE = func(c *cobra.Command, _ []string) error { return e.directoryList(c.Context(), *listJSON) }

	sync := &cobra.Command{Use: "sync NAME [--full] [--force] [--json]", Short: "synchronise the officials of a directory",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("directory sync takes the name of one directory")
			}
			return nil
		}}
	full := sync.Flags().Bool("full", false, "read every entry (finds removed ones) instead of those changed since the last run")
	force := sync.Flags().Bool("force", false,
		"disable the officials whose entries are gone even beyond the directory's sync.max_disable_percent")
	syncJSON := sync.Flags().Bool("json", false, "print the result as JSON")
	sync.RunE = func(c *cobra.Command, args []string) error {
		return e.directorySync(c.Context(), args[0], *full, *force, *syncJSON)
	}

	test := &cobra.Command{Use: "test NAME", Short: "connect to every server of a directory and bind",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("directory test takes the name of one directory")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error { return e.directoryTest(c.Context(), args[0]) }}
	return group("directory", "list, synchronise and test LDAP staff directories", list, sync, test)
}

// openDirectories opens the store and the configured directories.
func (e *cliEnv) openDirectories(ctx context.Context, cfgPath string) (*adminEnv, *directory.Set, error) {
	a, err := e.openAdmin(ctx, cfgPath)
	if err != nil {
		return nil, nil, err
	}
	set, err := a.app.OpenDirectories("cli")
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, set, nil
}

func (e *cliEnv) directoryList(ctx context.Context, asJSON bool) error {
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	type row struct {
		Name       string   `json:"name"`
		Agency     string   `json:"agency"`
		URLs       []string `json:"urls"`
		Accounts   int      `json:"accounts"`
		Disabled   int      `json:"disabled"`
		SyncedAt   string   `json:"synced_at"`
		FullSyncAt string   `json:"full_sync_at"`
		HighWater  string   `json:"high_water"`
		// The circuit breaker's settings; its state lives in each serving
		// node (the admin API's directories, /metrics).
		BreakerFailures int    `json:"breaker_failures"`
		BreakerCoolDown string `json:"breaker_cool_down"`
	}
	var rows []row
	for _, d := range a.cfg.Directories {
		r := row{Name: d.Name, Agency: d.Agency, URLs: d.URLs, SyncedAt: "-", FullSyncAt: "-",
			BreakerFailures: d.Breaker.Failures, BreakerCoolDown: d.Breaker.CoolDown.D().String()}
		accts, err := a.db.ListDirectoryAccounts(ctx, d.Name)
		if err != nil {
			return err
		}
		r.Accounts = len(accts)
		for _, acct := range accts {
			if acct.Disabled {
				r.Disabled++
			}
		}
		cur, err := a.db.GetDirectoryCursor(ctx, d.Name)
		switch {
		case err == nil:
			r.SyncedAt, r.FullSyncAt, r.HighWater = fmtTime(cur.SyncedAt), fmtTime(cur.FullSyncAt), cur.HighWater
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		rows = append(rows, r)
	}
	if asJSON {
		if rows == nil {
			rows = []row{}
		}
		return e.printJSON(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "no directory is configured (see \"directories\" in the configuration file)")
		return nil
	}
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "%s\t%s\n  urls:       %s\n  accounts:   %d (%d disabled)\n  last sync:  %s (full: %s)\n"+
			"  breaker:    opens after %d failed requests for %s (state per node: admin API, /metrics)\n",
			r.Name, r.Agency, strings.Join(r.URLs, " "), r.Accounts, r.Disabled, r.SyncedAt, r.FullSyncAt,
			r.BreakerFailures, r.BreakerCoolDown)
	}
	return nil
}

// The exit codes of "directory sync" besides 0 (done), 1 (failed) and 2 (usage).
const (
	// exitSyncRefused: a full run would have disabled too many officials; nothing was changed.
	exitSyncRefused = 3
	// exitSyncRunning: another node or process is synchronising the directory; nothing was done.
	exitSyncRunning = 4
)

func (e *cliEnv) directorySync(ctx context.Context, name string, full, force, asJSON bool) error {
	a, set, err := e.openDirectories(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	defer set.Close()
	if set.Directory(name) == nil {
		return usageError("no directory named %q is configured", name)
	}
	var bar *progressBar
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !asJSON {
		bar = &progressBar{w: f, label: name}
	}
	var progress directory.Progress
	if bar != nil {
		progress = bar.update
	}
	res, err := set.SyncWith(ctx, name, directory.SyncOptions{Full: full, Force: force, Progress: progress})
	if bar != nil {
		bar.done()
	}
	var gone *directory.TooManyGoneError
	switch {
	case errors.As(err, &gone):
		return &exitError{code: exitSyncRefused, err: err}
	case errors.Is(err, directory.ErrSyncRunning):
		return &exitError{code: exitSyncRunning, err: err}
	case err != nil:
		return err
	}
	if asJSON {
		return e.printJSON(map[string]any{"directory": res.Directory, "full": res.Full, "seen": res.Seen,
			"created": res.Created, "updated": res.Updated, "disabled": res.Disabled,
			"enabled": res.Enabled, "skipped": res.Skipped, "high_water": res.HighWater,
			"seconds": res.Duration.Seconds()})
	}
	kind := "incremental"
	if res.Full {
		kind = "full"
	}
	fmt.Fprintf(e.stdout, "%s: %s sync of %d entries in %s: %d created, %d updated, %d disabled, %d enabled, %d skipped\n",
		name, kind, res.Seen, res.Duration.Round(time.Millisecond), res.Created, res.Updated, res.Disabled,
		res.Enabled, res.Skipped)
	return nil
}

func (e *cliEnv) directoryTest(ctx context.Context, name string) error {
	a, set, err := e.openDirectories(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	defer set.Close()
	d := set.Directory(name)
	if d == nil {
		return usageError("no directory named %q is configured", name)
	}
	failed := 0
	results := d.Ping(ctx)
	for _, u := range d.Config().URLs {
		err := results[u]
		if err != nil {
			failed++
			fmt.Fprintf(e.stdout, "%s\tFAIL\t%v\n", u, err)
			continue
		}
		fmt.Fprintf(e.stdout, "%s\tok\tconnected, bound as %s, read %s\n", u, d.Config().BindDN, d.Config().Users.BaseDN)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d servers of %s failed", failed, len(d.Config().URLs), d.Name())
	}
	return nil
}

// progressBar draws "name [#####     ] 1234/10000" on a terminal.
type progressBar struct {
	w     io.Writer
	label string
	last  time.Time
	shown bool
}

func (b *progressBar) update(done, total int) {
	now := time.Now()
	if done != total && now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last, b.shown = now, true
	const width = 30
	filled := width
	if total > 0 {
		filled = done * width / total
	}
	fmt.Fprintf(b.w, "\r%s [%s%s] %d/%d", b.label, strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, total)
}

func (b *progressBar) done() {
	if b.shown {
		fmt.Fprintln(b.w)
	}
}
