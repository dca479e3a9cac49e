package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// SyncResult counts what one synchronisation did.
type SyncResult struct {
	Directory string
	Full      bool   // every entry was read (removed entries were looked for)
	Seen      int    // people read from the directory
	Created   int    // accounts made
	Updated   int    // accounts whose attributes, agency, groups or roles changed
	Disabled  int    // accounts disabled: entry disabled, outside the required group, or gone
	Enabled   int    // accounts the directory had disabled, enabled again
	Skipped   int    // entries without a username, or repeating one
	HighWater string // the cursor after the run
	Duration  time.Duration
}

// Progress is told how many of the people read have been processed.
type Progress func(done, total int)

// SyncOptions say how one synchronisation runs.
type SyncOptions struct {
	// Full reads every entry and disables the accounts whose entry is gone.
	Full bool
	// Force applies a full run that would disable more accounts than the
	// directory's sync.max_disable_percent allows.
	Force bool
	// Progress, if not nil, is told how many people have been processed.
	Progress Progress
}

// ErrSyncRunning is returned (wrapped) when another node or process holds
// the directory's synchronisation lease: that run goes on, this one did nothing.
var ErrSyncRunning = errors.New("a synchronisation of this directory is running elsewhere")

// TooManyGoneError is returned by a full run that would disable more
// accounts, because their entries are gone, than the directory's
// sync.max_disable_percent allows, or any when the search returned no entry:
// an empty or truncated answer looks like a directory that lost its people.
// Nothing was changed.
type TooManyGoneError struct {
	Directory string
	Seen      int // people the search returned
	Enabled   int // enabled accounts of the directory before the run
	Gone      int // enabled accounts whose entry was not returned
	Limit     int // how many the run may disable
	Percent   int // sync.max_disable_percent
}

func (e *TooManyGoneError) Error() string {
	return fmt.Sprintf("directory %s: the full synchronisation would disable %d of %d enabled officials (the search returned %d "+
		"people; at most %d may go, max_disable_percent %d); nothing was changed. If they really left, run it again with --force",
		e.Directory, e.Gone, e.Enabled, e.Seen, e.Limit, e.Percent)
}

// disableLimit is how many of enabled accounts one full run may disable when
// it saw seen people: percent of them, at least one, none when the search
// returned nobody.
func disableLimit(enabled, seen, percent int) int {
	if seen == 0 {
		return 0
	}
	return max(1, enabled*percent/100)
}

// syncLeaseTTL is how long a node holds a directory's synchronisation lease
// without renewing it; it renews it every third of that while it runs.
const syncLeaseTTL = 2 * time.Minute

// Sync synchronises the directory named name into accounts; it is SyncWith
// without Force.
func (s *Set) Sync(ctx context.Context, name string, full bool, progress Progress) (*SyncResult, error) {
	return s.SyncWith(ctx, name, SyncOptions{Full: full, Progress: progress})
}

// SyncWith synchronises the directory named name into accounts. A full run
// (o.Full, no cursor yet, or a group changed since the cursor) reads every
// entry with a paged search and disables the accounts whose entry is gone;
// an incremental run reads the entries whose modified attribute is at or
// after the cursor (a run after any change of the groups is full). Accounts
// are disabled through the Locker, so that their sessions end and their
// refresh tokens are revoked.
//
// One node runs at a time: the run holds the lease "directory-sync:<name>"
// (Options.Leases), renewed while it runs; when another holds it, SyncWith
// returns ErrSyncRunning and does nothing. A full run that would disable
// more than sync.max_disable_percent of the enabled accounts, or any when the
// search returned nobody, returns a *TooManyGoneError and changes nothing,
// unless o.Force.
func (s *Set) SyncWith(ctx context.Context, name string, o SyncOptions) (*SyncResult, error) {
	d := s.Directory(name)
	if d == nil {
		return nil, fmt.Errorf("directory: no directory named %q", name)
	}
	if s.leases != nil {
		release, err := s.lease(ctx, name)
		if err != nil {
			return nil, err
		}
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer func() { cancel(nil) }()
		stop := release(cancel)
		defer stop()
	}
	full, progress := o.Full, o.Progress
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

	if full {
		if err := s.checkGone(ctx, d, entries, accounts, o.Force); err != nil {
			return nil, err
		}
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
	d.log.Info("directory synchronised", "full", full, "seen", r.Seen, "created", r.Created,
		"updated", r.Updated, "disabled", r.Disabled, "enabled", r.Enabled, "skipped", r.Skipped,
		"duration", r.Duration.Round(time.Millisecond).String())
	return r, nil
}

// checkGone refuses a full run that would disable too many accounts because
// their entries are gone (see TooManyGoneError), with a log line and an audit
// record; with force it lets the run go on and records that it was forced.
func (s *Set) checkGone(ctx context.Context, d *Directory, entries []*ldap.Entry, accounts []*identity.Account, force bool) error {
	present := make(map[string]bool, len(entries))
	seen := 0
	for _, e := range entries {
		if u := d.person(e).Username; u != "" && !present[u] {
			present[u] = true
			seen++
		}
	}
	enabled, gone := 0, 0
	for _, a := range accounts {
		if a.Disabled {
			continue
		}
		enabled++
		if !present[a.Official.Username] {
			gone++
		}
	}
	pct := d.cfg.Sync.MaxDisablePercent
	limit := disableLimit(enabled, seen, pct)
	if gone <= limit {
		return nil
	}
	e := &TooManyGoneError{Directory: d.cfg.Name, Seen: seen, Enabled: enabled, Gone: gone, Limit: limit, Percent: pct}
	details := map[string]string{"directory": d.cfg.Name, "seen": strconv.Itoa(seen), "enabled": strconv.Itoa(enabled),
		"gone": strconv.Itoa(gone), "limit": strconv.Itoa(limit), "max_disable_percent": strconv.Itoa(pct)}
	if force {
		d.log.Warn("directory synchronisation forced past its disable limit", "seen", seen, "enabled", enabled,
			"gone", gone, "limit", limit)
		details["forced"] = "true"
		s.record(ctx, audit.DirectorySyncForced, details)
		return nil
	}
	d.log.Error("directory synchronisation refused: it would disable too many officials; nothing was changed",
		"seen", seen, "enabled", enabled, "gone", gone, "limit", limit, "max_disable_percent", pct)
	s.record(ctx, audit.DirectorySyncRefused, details)
	return e
}

// record writes an audit record of the synchronisation, when the set has a recorder.
func (s *Set) record(ctx context.Context, ev audit.Event, details map[string]string) {
	if s.audit == nil {
		return
	}
	_ = s.audit.Record(context.WithoutCancel(ctx), audit.Entry{Event: ev, Actor: s.actor, Details: details})
}

// lease takes the directory's synchronisation lease, or returns
// ErrSyncRunning. The function it returns starts renewing the lease, calling
// lost when it cannot be renewed (the run must stop: another node may take
// over); the function that one returns stops the renewal and releases the
// lease.
func (s *Set) lease(ctx context.Context, name string) (func(lost context.CancelCauseFunc) (stop func()), error) {
	key, holder := "directory-sync:"+name, s.holder+":"+rand.Text()
	ok, err := s.leases.AcquireLease(ctx, key, holder, syncLeaseTTL)
	if err != nil {
		return nil, fmt.Errorf("directory %s: taking the synchronisation lease: %w", name, err)
	}
	if !ok {
		s.log.Info("directory synchronisation skipped: it is running elsewhere", "directory", name)
		return nil, fmt.Errorf("directory %s: %w", name, ErrSyncRunning)
	}
	return func(lost context.CancelCauseFunc) func() {
		done := make(chan struct{})
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			t := time.NewTicker(syncLeaseTTL / 3)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
				}
				ok, err := s.leases.AcquireLease(ctx, key, holder, syncLeaseTTL)
				if err != nil || !ok {
					s.log.Error("directory synchronisation stopped: its lease could not be renewed", "directory", name, "err", err)
					lost(fmt.Errorf("directory %s: the synchronisation lease was lost: %v", name, err))
					return
				}
			}
		}()
		return func() {
			close(done)
			<-finished
			if err := s.leases.ReleaseLease(context.WithoutCancel(ctx), key, holder); err != nil {
				s.log.Warn("directory synchronisation lease not released; it expires by itself", "directory", name, "err", err)
			}
		}
	}, nil
}

func count(r *SyncResult, out outcome) {
	switch out {
	case created:
		r.Created++
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
		if _, err := s.Sync(ctx, d.cfg.Name, full, nil); errors.Is(err, ErrSyncRunning) {
			// Another node runs it: logged by lease.
		} else if err != nil && ctx.Err() == nil {
			d.log.Error("directory synchronisation failed", "full", full, "err", err)
		}
		t.Reset(interval)
	}
}
