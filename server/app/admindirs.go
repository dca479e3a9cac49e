package app

import (
	"context"
	"fmt"
	"io"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/directory"
)

// adminDirectories gives the administrative service a node's directories:
// admin.DirectoryOps over a *directory.Set.
type adminDirectories struct{ set *directory.Set }

var (
	_ admin.DirectoryOps      = adminDirectories{}
	_ admin.DirectoryBreakers = adminDirectories{}
)

// directoryOps returns the set as the service's directories, nil when none
// is configured.
func directoryOps(set *directory.Set) admin.DirectoryOps {
	if set == nil {
		return nil
	}
	return adminDirectories{set}
}

func (d adminDirectories) Configured() []admin.DirectoryConfig {
	var out []admin.DirectoryConfig
	for _, x := range d.set.Directories() {
		c := x.Config()
		out = append(out, admin.DirectoryConfig{Name: c.Name, Agency: c.Agency, URLs: c.URLs})
	}
	return out
}

func (d adminDirectories) Ping(ctx context.Context, name string) (map[string]error, bool) {
	x := d.set.Directory(name)
	if x == nil {
		return nil, false
	}
	return x.Ping(ctx), true
}

func (d adminDirectories) Sync(ctx context.Context, name string, full bool, progress func(done, total int)) (*admin.SyncResult, error) {
	r, err := d.set.SyncWith(ctx, name, directory.SyncOptions{Full: full, Progress: progress})
	if err != nil {
		return nil, err
	}
	return &admin.SyncResult{Directory: r.Directory, Full: r.Full, Seen: r.Seen, Created: r.Created,
		Updated: r.Updated, Disabled: r.Disabled, Enabled: r.Enabled, Skipped: r.Skipped, HighWater: r.HighWater,
		Duration: r.Duration}, nil
}

func (d adminDirectories) Breaker(name string) (admin.DirectoryBreaker, bool) {
	x := d.set.Directory(name)
	if x == nil {
		return admin.DirectoryBreaker{}, false
	}
	b := x.Breaker()
	return admin.DirectoryBreaker{State: b.State, Failures: b.Failures, OpenUntil: b.OpenUntil}, true
}

// writeDirectoryMetrics writes the state of each directory's circuit breaker
// on this node: dinhdanh_directory_breaker_open is 1 while the breaker
// refuses requests (open or half-open), and the counters tell how often it
// opened and how many requests it refused.
func writeDirectoryMetrics(w io.Writer, set *directory.Set) {
	dirs := set.Directories()
	if len(dirs) == 0 {
		return
	}
	states := make([]directory.BreakerState, len(dirs))
	for i, d := range dirs {
		states[i] = d.Breaker()
	}
	fmt.Fprintln(w, "# HELP dinhdanh_directory_breaker_open 1 while the directory's circuit breaker is open or half-open on this node.")
	fmt.Fprintln(w, "# TYPE dinhdanh_directory_breaker_open gauge")
	for i, d := range dirs {
		open := 0
		if states[i].State != directory.BreakerClosed {
			open = 1
		}
		fmt.Fprintf(w, "dinhdanh_directory_breaker_open{directory=%q} %d\n", d.Name(), open)
	}
	fmt.Fprintln(w, "# HELP dinhdanh_directory_breaker_opened_total Times the directory's circuit breaker opened on this node.")
	fmt.Fprintln(w, "# TYPE dinhdanh_directory_breaker_opened_total counter")
	for i, d := range dirs {
		fmt.Fprintf(w, "dinhdanh_directory_breaker_opened_total{directory=%q} %d\n", d.Name(), states[i].Opened)
	}
	fmt.Fprintln(w, "# HELP dinhdanh_directory_breaker_refused_total Requests to the directory refused by its open circuit breaker on this node.")
	fmt.Fprintln(w, "# TYPE dinhdanh_directory_breaker_refused_total counter")
	for i, d := range dirs {
		fmt.Fprintf(w, "dinhdanh_directory_breaker_refused_total{directory=%q} %d\n", d.Name(), states[i].Refused)
	}
}
