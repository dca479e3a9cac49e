package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/store"
)

// KeyInfo is one published signing key as administrators see it: never
// its private part.
type KeyInfo struct {
	ID        string
	Algorithm string
	// State is keys.StateCurrent, keys.StateNext or keys.StateRetired.
	State     string
	CreatedAt time.Time
	RetiredAt time.Time // zero while nothing replaces it
}

// ErrNoKeys is returned by SigningKeys and RotateKeys when the service has
// no key set (no seal key: nothing can be signed).
var ErrNoKeys = errors.New("admin: no signing key set (is the seal key present?)")

// SigningKeys lists the published signing keys, newest first (keys.read,
// province-wide).
func (s *Service) SigningKeys(ctx context.Context) ([]KeyInfo, error) {
	if err := s.Allow(ctx, PermKeysRead, Target{Ref: "keys"}); err != nil {
		return nil, err
	}
	if s.Keys == nil {
		return nil, ErrNoKeys
	}
	out := []KeyInfo{}
	for _, k := range s.Keys.Keys() {
		out = append(out, KeyInfo{ID: k.ID, Algorithm: k.Algorithm, State: s.Keys.State(k), CreatedAt: k.CreatedAt,
			RetiredAt: k.RetiredAt})
	}
	return out, nil
}

// RotateKeys adds a new signing key of the algorithm (RS256, ES256 or
// EdDSA): published at once, signing after the publication delay, when the
// current key retires (keys.rotate, province-wide, destructive). Audited
// as keys.rotate.
func (s *Service) RotateKeys(ctx context.Context, algorithm string) (KeyInfo, error) {
	if err := s.Allow(ctx, PermKeysRotate, Target{Ref: "keys"}); err != nil {
		return KeyInfo{}, err
	}
	if !keys.Supported(algorithm) {
		return KeyInfo{}, Problems{{Field: "algorithm", Message: fmt.Sprintf("%q is not supported (RS256, ES256, EdDSA)", algorithm)}}
	}
	if s.Keys == nil {
		return KeyInfo{}, ErrNoKeys
	}
	k, err := s.Keys.Rotate(ctx, algorithm)
	if err != nil {
		return KeyInfo{}, err
	}
	s.audit(ctx, audit.KeysRotate, "", "", map[string]string{"algorithm": algorithm, "kid": k.ID})
	return KeyInfo{ID: k.ID, Algorithm: k.Algorithm, State: s.Keys.State(k), CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt}, nil
}

// DirectoryOps is what the service asks of the configured staff
// directories; server/app implements it over a *directory.Set.
type DirectoryOps interface {
	// Configured returns the directories, in configuration order.
	Configured() []DirectoryConfig
	// Ping connects to every server of the directory and binds: the error
	// of each server by URL (nil: it answered). ok is false when no
	// directory has the name.
	Ping(ctx context.Context, name string) (results map[string]error, ok bool)
	// Sync runs a synchronisation of the directory, full or incremental
	// (see directory.Set.SyncWith), telling progress (when not nil) how
	// many people were processed.
	Sync(ctx context.Context, name string, full bool, progress func(done, total int)) (*SyncResult, error)
}

// SyncResult counts what one synchronisation did (directory.SyncResult).
type SyncResult struct {
	Directory string
	Full      bool
	Seen      int
	Created   int
	Updated   int
	Disabled  int
	Enabled   int
	Skipped   int
	HighWater string
	Duration  time.Duration
}

// DirectoryConfig is what the status of a directory shows of its configuration.
type DirectoryConfig struct {
	Name   string
	Agency string
	URLs   []string
}

// DirectoryBreakers is what DirectoryOps may also do (server/app's does):
// report a directory's circuit breaker on this node.
type DirectoryBreakers interface {
	// Breaker returns the breaker of the directory named name; ok is false
	// when no directory has the name.
	Breaker(name string) (b DirectoryBreaker, ok bool)
}

// DirectoryBreaker is the state of a directory's circuit breaker on one
// node (directory.BreakerState).
type DirectoryBreaker struct {
	State     string    // "closed", "open" or "half-open"
	Failures  int       // consecutive failed requests
	OpenUntil time.Time // when an open breaker lets a probe through; zero when closed
}

// DirectoryStatus is a directory's synchronisation state, and its circuit
// breaker on the node that answers.
type DirectoryStatus struct {
	DirectoryConfig
	Accounts   int // accounts of its officials
	Disabled   int // of which disabled
	SyncedAt   time.Time
	FullSyncAt time.Time
	Entries    int // people the last full run saw
	HighWater  string
	// Breaker is the directory's circuit breaker on this node; its State is
	// "" where the service has no breakers (the command line).
	Breaker DirectoryBreaker
}

// Directories returns the status of the directories the principal may read
// (directory.read: every one province-wide, those of its agencies for an
// agency_admin).
func (s *Service) Directories(ctx context.Context) ([]DirectoryStatus, error) {
	if err := s.allowSomewhere(ctx, PermDirectoryRead); err != nil {
		return nil, err
	}
	out := []DirectoryStatus{}
	if s.Dirs == nil {
		return out, nil
	}
	for _, d := range s.Dirs.Configured() {
		if s.principal != nil && s.refusal(s.principal, PermDirectoryRead, Target{Agency: d.Agency, Ref: d.Name}) != "" {
			continue
		}
		st, err := s.directoryStatus(ctx, d)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *Service) directoryStatus(ctx context.Context, d DirectoryConfig) (DirectoryStatus, error) {
	st := DirectoryStatus{DirectoryConfig: d}
	if bs, ok := s.Dirs.(DirectoryBreakers); ok {
		st.Breaker, _ = bs.Breaker(d.Name)
	}
	accts, err := s.Store.ListDirectoryAccounts(ctx, d.Name)
	if err != nil {
		return st, err
	}
	st.Accounts = len(accts)
	for _, a := range accts {
		if a.Disabled {
			st.Disabled++
		}
	}
	cur, err := s.Store.GetDirectoryCursor(ctx, d.Name)
	switch {
	case err == nil:
		st.SyncedAt, st.FullSyncAt, st.Entries, st.HighWater = cur.SyncedAt, cur.FullSyncAt, cur.Entries, cur.HighWater
	case !errors.Is(err, store.ErrNotFound):
		return st, err
	}
	return st, nil
}

// directory returns the configured directory named name, or ErrNotFound.
func (s *Service) directory(name string) (DirectoryConfig, error) {
	if s.Dirs != nil {
		for _, d := range s.Dirs.Configured() {
			if d.Name == name {
				return d, nil
			}
		}
	}
	return DirectoryConfig{}, store.ErrNotFound
}

// ServerCheck is the outcome of connecting to one server of a directory.
type ServerCheck struct {
	URL   string
	OK    bool
	Error string // what failed, when not OK
}

// TestDirectory connects to every server of the directory and binds
// (directory.read on its agency). ErrNotFound: no such directory.
func (s *Service) TestDirectory(ctx context.Context, name string) ([]ServerCheck, error) {
	d, err := s.directory(name)
	if err != nil {
		return nil, err
	}
	if err := s.Allow(ctx, PermDirectoryRead, Target{Agency: d.Agency, Ref: d.Name}); err != nil {
		return nil, err
	}
	results, ok := s.Dirs.Ping(ctx, name)
	if !ok {
		return nil, store.ErrNotFound
	}
	out := []ServerCheck{}
	for _, u := range d.URLs {
		c := ServerCheck{URL: u, OK: results[u] == nil}
		if !c.OK {
			c.Error = results[u].Error()
		}
		out = append(out, c)
	}
	return out, nil
}

// AllowDirectorySync checks, running nothing, that the principal may
// synchronise the directory (what SyncDirectory checks first).
func (s *Service) AllowDirectorySync(ctx context.Context, name string) error {
	d, err := s.directory(name)
	if err != nil {
		return err
	}
	return s.Allow(ctx, PermDirectorySync, Target{Agency: d.Agency, Ref: d.Name})
}

// SyncDirectory runs a synchronisation of the directory (directory.sync on
// its agency): incremental, or full when full is set (a full run that
// would disable too many officials returns the directory's
// *directory.TooManyGoneError and changes nothing; a run elsewhere,
// directory.ErrSyncRunning). progress,
// when not nil, is told how many people were processed. The run is
// audited as directory.sync. ErrNotFound: no such directory.
func (s *Service) SyncDirectory(ctx context.Context, name string, full bool, progress func(done, total int)) (*SyncResult, error) {
	d, err := s.directory(name)
	if err != nil {
		return nil, err
	}
	if err := s.Allow(ctx, PermDirectorySync, Target{Agency: d.Agency, Ref: d.Name}); err != nil {
		return nil, err
	}
	res, err := s.Dirs.Sync(ctx, name, full, progress)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, audit.DirectorySync, "", "", map[string]string{"directory": name, "full": boolText(res.Full),
		"seen": fmt.Sprint(res.Seen), "created": fmt.Sprint(res.Created), "updated": fmt.Sprint(res.Updated),
		"disabled": fmt.Sprint(res.Disabled), "enabled": fmt.Sprint(res.Enabled)})
	return res, nil
}
