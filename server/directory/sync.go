package directory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// SyncResult counts what one synchronisation did.
type SyncResult struct {
	Directory string
	Full      bool   // every entry was read (removed entries were looked for)
	Seen      int    // people read from the directory
	Created   int    // accounts made
	Linked    int    // citizens who became officials of the directory
	Updated   int    // accounts whose attributes, agency, groups or roles changed
	Disabled  int    // accounts disabled: entry disabled, outside the required group, or gone
	Enabled   int    // accounts the directory had disabled, enabled again
	Skipped   int    // entries without a username, or repeating one
	HighWater string // the cursor after the run
	Duration  time.Duration
}

// Progress is told how many of the people read have been processed.
type Progress func(done, total int)

// Sync synchronises the directory named name into accounts. A full run (full
// true, no cursor yet, or a group changed since the cursor) reads every
// entry with a paged search and disables the accounts whose entry is gone;
// an incremental run reads the entries whose modified attribute is at or
// after the cursor (a run after any change of the groups is full). Accounts are disabled through the Locker, so that their
// sessions end and their refresh tokens are revoked.
func (s *Set) Sync(ctx context.Context, name string, full bool, progress Progress) (*SyncResult, error) {
	d := s.Directory(name)
	if d == nil {
		return nil, fmt.Errorf("directory: no directory named %q", name)
	}
	start := d.now()
	st := s.prov.store
	cur, err := st.GetDirectoryCursor(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		cur, err = &store.DirectoryCursor{Directory: name}, nil
	}
	if err != nil {
		return nil, err
	}
	if cur.HighWater == "" {
		full = true
	}
	var ix *groupIndex
	if d.cfg.Groups.BaseDN != "" {
		if ix, err = d.loadGroups(ctx); err != nil {
			return nil, err
		}
		d.setGroups(ix)
		// Membership lives in the groups: when any changed, every person's groups may have.
		if ix.digest != cur.GroupsDigest {
			full = true
		}
	}
	filter := d.cfg.Users.Filter
	if !full {
		filter = d.ModifiedFilter(cur.HighWater)
	}
	req := ldap.NewSearchRequest(d.cfg.Users.BaseDN, scope(d.cfg.Users.Scope), ldap.NeverDerefAliases, 0, 0, false,
		filter, d.attrs, nil)
	var entries []*ldap.Entry
	err = d.withConn(ctx, true, func(c *conn) error {
		res, err := d.search(c, req, uint32(d.cfg.Sync.PageSize))
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return misconfigured("users.base_dn %s does not exist", d.cfg.Users.BaseDN)
		}
		if err != nil {
			return err
		}
		entries = res.Entries
		return nil
	})
	if err != nil {
		return nil, err
	}

	accounts, err := st.ListDirectoryAccounts(ctx, name)
	if err != nil {
		return nil, err
	}
	byUser := make(map[string]*identity.Account, len(accounts))
	for _, a := range accounts {
		byUser[a.Official.Username] = a
	}
	links, err := st.ListDirectoryEntries(ctx, name)
	if err != nil {
		return nil, err
	}
	linkOf := make(map[string]*store.DirectoryEntry, len(links))
	for _, l := range links {
		linkOf[l.Username] = l
	}

	r := &SyncResult{Directory: name, Full: full, HighWater: cur.HighWater}
	seen := make(map[string]bool, len(entries))
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		p := d.person(e)
		switch {
		case p.Username == "":
			d.log.Warn("directory entry has no username attribute; skipped", "dn", e.DN, "attribute", d.username)
			r.Skipped++
			continue
		case seen[p.Username]:
			d.log.Warn("two directory entries have the same username; the second is skipped", "dn", e.DN, "username", p.Username)
			r.Skipped++
			continue
		}
		seen[p.Username] = true
		r.Seen++
		d.applyGroups(p, ix)
		_, out, err := s.prov.apply(ctx, d, p, byUser[p.Username], linkOf[p.Username])
		if err != nil {
			return r, fmt.Errorf("directory %s: entry %s: %w", name, e.DN, err)
		}
		count(r, out)
		if p.Modified > r.HighWater {
			r.HighWater = p.Modified
		}
		if progress != nil {
			progress(i+1, len(entries))
		}
	}
	if full {
		for _, a := range accounts {
			if seen[a.Official.Username] || a.Disabled {
				continue
			}
			if err := s.prov.disable(ctx, a, DisabledReasonPrefix+" entry no longer in "+name); err != nil {
				return r, err
			}
			r.Disabled++
		}
	}
	now := d.now()
	cur.HighWater, cur.SyncedAt = r.HighWater, now
	if ix != nil {
		cur.GroupsDigest = ix.digest
	}
	if full {
		cur.FullSyncAt, cur.Entries = now, r.Seen
	}
	if err := st.PutDirectoryCursor(ctx, cur); err != nil {
		return r, err
	}
	r.Duration = now.Sub(start)
	d.log.Info("directory synchronised", "full", full, "seen", r.Seen, "created", r.Created, "linked", r.Linked,
		"updated", r.Updated, "disabled", r.Disabled, "enabled", r.Enabled, "skipped", r.Skipped,
		"duration", r.Duration.Round(time.Millisecond).String())
	return r, nil
}

func count(r *SyncResult, out outcome) {
	switch out {
	case created:
		r.Created++
	case linked:
		r.Linked++
	case updated:
		r.Updated++
	case disabled:
		r.Disabled++
	case enabled:
		r.Enabled++
	}
}

// Run synchronises every directory whose sync.interval is not zero, until
// ctx ends: each interval an incremental run, and a full run when the last
// one is older than sync.full_interval. A directory never synchronised is
// synchronised (fully) soon after start. Failures are logged and retried at
// the next interval.
func (s *Set) Run(ctx context.Context) {
	for _, d := range s.dirs {
		if d.cfg.Sync.Interval <= 0 {
			continue
		}
		go s.schedule(ctx, d)
	}
}

// firstSyncDelay is how long after start a directory never synchronised is.
const firstSyncDelay = 10 * time.Second

func (s *Set) schedule(ctx context.Context, d *Directory) {
	interval := d.cfg.Sync.Interval.D()
	wait := interval
	if cur, err := s.prov.store.GetDirectoryCursor(ctx, d.cfg.Name); errors.Is(err, store.ErrNotFound) {
		wait = firstSyncDelay
	} else if err == nil {
		if next := cur.SyncedAt.Add(interval).Sub(d.now()); next < wait {
			wait = max(next, firstSyncDelay)
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		full := false
		cur, err := s.prov.store.GetDirectoryCursor(ctx, d.cfg.Name)
		if err != nil || d.now().Sub(cur.FullSyncAt) >= d.cfg.Sync.FullInterval.D() {
			full = true
		}
		if _, err := s.Sync(ctx, d.cfg.Name, full, nil); err != nil && ctx.Err() == nil {
			d.log.Error("directory synchronisation failed", "full", full, "err", err)
		}
		t.Reset(interval)
	}
}
