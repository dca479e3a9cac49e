package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/directory"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/notify"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// Services are the components a configuration makes that serve no HTTP:
// the stores, the seal key, the signing keys and their signer, the SSO
// sessions, the logout service, the brute-force guard and the password
// hasher. A serving node (New) and the command line (Open) get them from
// newServices, so both end sessions, sign logout tokens and check passwords
// alike. Nothing here starts background work: App.Background does, for a
// node.
type Services struct {
	Config *config.Config
	Store  store.Store
	Eph    store.Ephemeral
	DB     *sqlstore.DB
	Sealer *keys.Sealer
	// SealKeyCreated reports that this start generated the seal key.
	SealKeyCreated bool
	Keys           *keys.Set
	// Signer signs with the current key of Keys; it signs the logout tokens.
	Signer   *keys.Signer
	Sessions *session.Manager
	Logout   *session.Logout
	Guard    *authn.Guard
	Hasher   authn.Hasher
	// Audit records every authentication and administrative action.
	Audit *audit.Recorder
	// Outbox sends emails and SMS through the durable outbox; set for a
	// serving node (New), nil for the command line (Open).
	Outbox *notify.Outbox
	// AuditStream copies every audit event to syslog; nil when audit.syslog
	// configures none.
	AuditStream *audit.Syslog
	Log         *slog.Logger

	ownsDB bool // Open opened DB: Close closes it
	// dirs are a node's directories for the administrative service (nil
	// for the command line, which opens its own).
	dirs admin.DirectoryOps
}

// sealKey is the seal key as a process found it.
type sealKey struct {
	sealer  *keys.Sealer // nil when there is none and none was to be created
	created bool
}

// newServices makes the services over opened stores, a seal key and a key
// set. The logout service signs with the key set's signer, exactly as the
// node's provider does (same set, RS256 unless a client chose another).
func newServices(cfg *config.Config, db *sqlstore.DB, eph store.Ephemeral, sk sealKey, ks *keys.Set,
	log *slog.Logger, ownsDB bool, stream *audit.Syslog) *Services {
	sessions := NewSessions(cfg, eph, db)
	signer := &keys.Signer{Set: ks, Default: keys.RS256}
	bf := cfg.BruteForce
	rec := audit.NewRecorder(db, log, auditStreamOption(stream)...)
	return &Services{AuditStream: stream,
		Config: cfg, Store: db, Eph: eph, DB: db, Sealer: sk.sealer, SealKeyCreated: sk.created, Keys: ks,
		Signer: signer, Sessions: sessions, Log: log, ownsDB: ownsDB, Audit: rec,
		Logout: session.NewLogout(session.Logout{Sessions: sessions, Store: db, Signer: signer, Issuer: cfg.Issuer,
			HTTP: &http.Client{Timeout: 10 * time.Second}, Log: log}, rec),
		Hasher: authn.Hasher{Params: authn.Argon2Params{MemoryKiB: cfg.Password.MemoryKiB,
			Iterations: cfg.Password.Iterations, Parallelism: cfg.Password.Parallelism}},
		Guard: &authn.Guard{Counters: eph, Policy: authn.GuardPolicy{AccountMaxFailures: bf.AccountMaxFailures,
			AddressMaxFailures: bf.AddressMaxFailures, Window: bf.Window.D(), LockDuration: bf.LockDuration.D(),
			BaseDelay: bf.BaseDelay.D(), MaxDelay: bf.MaxDelay.D()}},
	}
}

// OpenOptions say how Open treats what may be missing.
type OpenOptions struct {
	// Log receives the services' messages (and go-redis's); nil discards them.
	Log *slog.Logger
	// CreateSealKey writes a new seal key when its file does not exist, as a
	// node's first start does. Without it a missing seal key leaves the key
	// set empty: nothing can be signed, everything else works.
	CreateSealKey bool
}

// Open makes the services of the configuration for a process that does not
// serve (the command line): it opens the database (migrating the embedded
// SQLite one, see OpenStore) and the store of ephemeral state, reads the
// seal key and loads the signing keys the nodes made. It creates no signing
// key and starts no background work. Release it with Close.
func Open(ctx context.Context, cfg *config.Config, opts OpenOptions) (*Services, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := OpenStore(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	eph, err := OpenEphemeral(ctx, cfg, db, opts.Log)
	if err != nil {
		db.Close()
		return nil, err
	}
	sk, err := readSealKey(cfg, opts.CreateSealKey)
	if err == nil {
		set := NewKeySet(cfg, db, sk.sealer)
		if sk.sealer != nil {
			if err = set.Load(ctx); err != nil {
				err = fmt.Errorf("signing keys: %w", err)
			}
		}
		var stream *audit.Syslog
		if err == nil {
			stream, err = openAuditStream(cfg, log)
		}
		if err == nil {
			return newServices(cfg, db, eph, sk, set, log, true, stream), nil
		}
	}
	CloseEphemeral(eph)
	db.Close()
	return nil, err
}

// readSealKey reads the seal key, creating it when its file does not exist
// and create is set; values sealed with the key of an unfinished rotation
// open too. When it does not exist and create is not set, the
// seal key has no sealer.
func readSealKey(cfg *config.Config, create bool) (sealKey, error) {
	key, created, err := keys.LoadOrCreateSealKey(cfg.SealKeyPath(), create)
	if !create && errors.Is(err, os.ErrNotExist) {
		return sealKey{}, nil
	}
	if err != nil {
		return sealKey{}, err
	}
	// An interrupted seal-key rotation (see RotateSealKey) may have sealed
	// values with the next key already: open them too.
	var older [][]byte
	next, _, err := keys.LoadOrCreateSealKey(keys.NextSealKeyPath(cfg.SealKeyPath()), false)
	switch {
	case err == nil:
		older = append(older, next)
	case !errors.Is(err, os.ErrNotExist):
		return sealKey{}, err
	}
	sealer, err := keys.NewSealer(key, older...)
	return sealKey{sealer: sealer, created: created}, err
}

// Close releases what Open opened: the Redis client and the database. For
// the services of a node (App.Services) it leaves the database to its
// opener.
func (s *Services) Close() error {
	closeAuditStream(s.AuditStream)
	err := CloseEphemeral(s.Eph)
	if s.ownsDB {
		if cerr := s.DB.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Admin returns the administrative operations performed in the name of
// actor, the name the audit log records ("cli" for the command line,
// "directory" for a directory's synchronisation). Locking an account or
// ending its sessions goes through the services' logout service.
func (s *Services) Admin(actor string) *admin.Service {
	return admin.NewService(admin.Service{Store: s.Store, Eph: s.Eph, Sessions: s.Sessions, Logout: s.Logout,
		Guard: s.Guard, Hasher: s.Hasher, MinPasswordLength: s.Config.Password.MinLength, Actor: actor,
		Keys: s.Keys, Dirs: s.dirs, AccessTokenLifespan: s.Config.Tokens.AccessTokenLifespan.D(),
		Policy: admin.Policy{Agencies: admin.Agencies(s.Config.Admin.AgencyParents()),
			ReauthMaxAge: s.Config.MFA.ReauthenticationMaxAge.D()}}, s.Audit)
}

// AdminAs returns the administrative service acting for an administrator
// of the console or the admin API: every operation checks p's roles, scope,
// session level and freshness (admin.Service.Allow) and is audited as p.
func (s *Services) AdminAs(p *admin.Principal) *admin.Service {
	return s.Admin(p.AccountID).As(p)
}

// OpenDirectories returns the configured LDAP staff directories (a set
// with none when none is configured). Accounts a synchronisation disables are
// locked through Admin(actor); refused and forced runs are audited as actor;
// one node or process at a time synchronises a directory, through a lease
// in the ephemeral store. Close the set when done.
func (s *Services) OpenDirectories(actor string) (*directory.Set, error) {
	return directory.NewSet(s.Config.Directories, directory.Options{Log: s.Log, Leases: s.Eph, Audit: s.Audit, Actor: actor},
		s.Store, s.Admin(actor))
}
