package app

import (
	"context"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/directory"
)

// adminDirectories gives the administrative service a node's directories:
// admin.DirectoryOps over a *directory.Set.
type adminDirectories struct{ set *directory.Set }

var _ admin.DirectoryOps = adminDirectories{}

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
	return &admin.SyncResult{Directory: r.Directory, Full: r.Full, Seen: r.Seen, Created: r.Created, Linked: r.Linked,
		Updated: r.Updated, Disabled: r.Disabled, Enabled: r.Enabled, Skipped: r.Skipped, HighWater: r.HighWater,
		Duration: r.Duration}, nil
}
