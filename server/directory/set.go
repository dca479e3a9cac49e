package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// Set is every configured directory, in order. It authenticates officials
// (authn.DirectoryAuthenticator) and synchronises the directories.
type Set struct {
	dirs   []*Directory
	prov   *provisioner
	log    *slog.Logger
	leases store.Leases
	holder string // names this process in the leases it holds
	// loginTimeout bounds the directories' part of one login (Options.LoginTimeout).
	loginTimeout time.Duration
	audit        *audit.Recorder
	actor        string
}

var _ authn.DirectoryAuthenticator = (*Set)(nil)

// NewSet prepares the directories of cfgs. Accounts are written to st;
// accounts whose entry is gone or disabled are disabled through locker
// (nil: only marked disabled, sessions are left to expire).
func NewSet(cfgs []config.Directory, o Options, st Store, locker Locker) (*Set, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Set{prov: &provisioner{store: st, locker: locker, log: o.Log}, log: o.Log, leases: o.Leases, audit: o.Audit,
		actor: o.Actor, loginTimeout: o.LoginTimeout}
	if s.loginTimeout <= 0 {
		s.loginTimeout = DefaultLoginTimeout
	}
	if s.actor == "" {
		s.actor = "directory"
	}
	s.prov.record = s.record
	if s.holder, _ = os.Hostname(); s.holder == "" {
		s.holder = "node"
	}
	for _, c := range cfgs {
		d, err := New(c, o)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.dirs = append(s.dirs, d)
	}
	return s, nil
}

// Directories returns the directories in configured order.
func (s *Set) Directories() []*Directory { return s.dirs }

// Directory returns the directory with the name, or nil.
func (s *Set) Directory(name string) *Directory {
	for _, d := range s.dirs {
		if d.cfg.Name == name {
			return d
		}
	}
	return nil
}

// Close closes every pooled connection.
func (s *Set) Close() {
	for _, d := range s.dirs {
		d.Close()
	}
}

// byDomain returns the directory one of whose domains is dom.
func (s *Set) byDomain(dom string) *Directory {
	for _, d := range s.dirs {
		for _, x := range d.cfg.Domains {
			if strings.EqualFold(x, dom) {
				return d
			}
		}
	}
	return nil
}

// target is one directory to search, with the values to look for.
type target struct {
	dir    *Directory
	values []string
	linked bool // an account of this directory has the username
}

// targets decides where input may be a person: DOMAIN\user and user@domain
// with a configured domain name one directory; a personal ID, and an e-mail
// address or a phone number of a local account (one no directory provisioned)
// name no directory; anything else is looked for in the directories linked to
// an account with that username (or e-mail address or phone number) first,
// then in configured order.
func (s *Set) targets(ctx context.Context, input string) ([]target, error) {
	if len(s.dirs) == 0 || input == "" {
		return nil, nil
	}
	if _, err := identity.ParsePersonalID(input); err == nil {
		return nil, nil
	}
	if dom, user, ok := strings.Cut(input, `\`); ok && user != "" {
		if d := s.byDomain(dom); d != nil {
			return []target{{dir: d, values: []string{user}, linked: true}}, nil
		}
	}
	if i := strings.LastIndex(input, "@"); i > 0 {
		if d := s.byDomain(input[i+1:]); d != nil {
			return []target{{dir: d, values: []string{input, input[:i]}, linked: true}}, nil
		}
	}
	// An e-mail address or a phone number of a local account is that
	// account's login: no directory is asked (a directory that is down must
	// not slow citizens). One of a directory's account names its directory.
	owner, err := s.identifierOwner(ctx, input)
	if err != nil {
		return nil, err
	}
	if owner != nil && (owner.Official == nil || owner.Official.Directory == "") {
		return nil, nil
	}
	accts, err := s.prov.store.DirectoryAccountsByUsername(ctx, strings.ToLower(input))
	if err != nil {
		return nil, err
	}
	if owner != nil {
		accts = append(accts, owner)
	}
	var first, rest []target
	for _, d := range s.dirs {
		t := target{dir: d, values: []string{input}}
		for _, a := range accts {
			if a.Official != nil && a.Official.Directory == d.cfg.Name {
				t.linked = true
			}
		}
		if t.linked {
			first = append(first, t)
		} else {
			rest = append(rest, t)
		}
	}
	return append(first, rest...), nil
}

// Authenticate implements authn.DirectoryAuthenticator. An empty password
// is a wrong password, decided before any request to a directory.
func (s *Set) Authenticate(ctx context.Context, input, password string) (acct *identity.Account, handled, ok bool, err error) {
	input = NormalizeInput(input)
	targets, err := s.targets(ctx, input)
	if err != nil {
		return nil, false, false, err
	}
	if len(targets) == 0 {
		return nil, false, false, nil
	}
	if password == "" {
		return nil, true, false, nil
	}
	// The directories' part of the login has its own deadline, within the
	// request's: waits for directories never outlast the response.
	dctx, cancel := context.WithTimeout(ctx, s.loginTimeout)
	defer cancel()
	var unreachable []error
	for _, t := range targets {
		d := t.dir
		entry, err := d.findPerson(dctx, t.values...)
		switch {
		case errors.Is(err, errNoEntry):
			continue
		case errors.Is(err, errAmbiguous):
			// The input is a username, an e-mail address or a phone number: its pseudonym, never itself.
			d.log.Warn("several directory entries match a login; refused", "login_attributes", d.cfg.Users.LoginAttributes,
				"input_pseudonym", identity.Pseudonym(t.values[0]))
			return nil, true, false, nil
		case err != nil:
			if ctx.Err() != nil {
				return nil, true, false, ctx.Err()
			}
			if t.linked {
				return nil, true, false, fmt.Errorf("%w: %w", authn.ErrUnavailable, err)
			}
			unreachable = append(unreachable, err)
			continue
		}
		return s.login(ctx, dctx, d, entry, password)
	}
	if len(unreachable) == 0 {
		return nil, false, false, nil
	}
	// The person may be in a directory that is down, unless the input is a
	// local account's identifier.
	if s.isLocal(ctx, input) {
		return nil, false, false, nil
	}
	return nil, true, false, fmt.Errorf("%w: %w", authn.ErrUnavailable, errors.Join(unreachable...))
}

// identifierOwner returns the account whose e-mail address or phone number
// input is, or nil when input is neither or names no account: one indexed
// lookup in dinhdanh's own database.
func (s *Set) identifierOwner(ctx context.Context, input string) (*identity.Account, error) {
	var kind store.IdentifierKind
	var value string
	if strings.Contains(input, "@") {
		e, err := identity.NormalizeEmail(input)
		if err != nil {
			return nil, nil
		}
		kind, value = store.ByEmail, e
	} else if p, err := identity.NormalizePhone(input); err == nil {
		kind, value = store.ByPhone, p
	} else {
		return nil, nil
	}
	acct, err := s.prov.store.FindAccount(ctx, kind, value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return acct, err
}

// isLocal reports whether input names an account that is not a directory's.
func (s *Set) isLocal(ctx context.Context, input string) bool {
	kind, value := store.ByUsername, strings.ToLower(input)
	if strings.Contains(input, "@") {
		if e, err := identity.NormalizeEmail(input); err == nil {
			kind, value = store.ByEmail, e
		}
	} else if p, err := identity.NormalizePhone(input); err == nil {
		if _, err := s.prov.store.FindAccount(ctx, store.ByPhone, p); err == nil {
			return true
		}
	}
	_, err := s.prov.store.FindAccount(ctx, kind, value)
	return err == nil
}

// login checks the password of the entry found, then provisions the account.
// Requests to the directory run under dctx, the directories' deadline within
// ctx; its end is an outage, ctx's end the caller's.
func (s *Set) login(ctx, dctx context.Context, d *Directory, entry *ldap.Entry, password string) (*identity.Account, bool, bool, error) {
	p := d.person(entry)
	if p.Username == "" {
		d.log.Warn("directory entry has no username attribute; login refused", "dn", entry.DN, "attribute", d.username)
		return nil, true, false, nil
	}
	ok, err := d.bind(dctx, p.DN, password)
	existing, ferr := s.prov.store.FindDirectoryAccount(ctx, d.cfg.Name, p.Username)
	if ferr != nil && !errors.Is(ferr, store.ErrNotFound) {
		return nil, true, false, ferr
	}
	switch {
	case errors.Is(err, errAccountDisabled):
		return existing, true, false, fmt.Errorf("%w: %s", authn.ErrAccountDisabled, d.cfg.Name)
	case errors.Is(err, errPasswordExpired):
		return existing, true, false, fmt.Errorf("%w: %s", authn.ErrPasswordExpired, d.cfg.Name)
	case err != nil:
		if ctx.Err() != nil {
			return nil, true, false, ctx.Err()
		}
		return existing, true, false, fmt.Errorf("%w: %w", authn.ErrUnavailable, err)
	case !ok:
		return existing, true, false, nil
	}
	if d.cfg.Groups.BaseDN != "" {
		ix, err := d.cachedGroups(dctx)
		if err != nil {
			return existing, true, false, fmt.Errorf("%w: %w", authn.ErrUnavailable, err)
		}
		d.applyGroups(p, ix)
	}
	var prev *store.DirectoryEntry
	if existing != nil {
		prev = &store.DirectoryEntry{Directory: d.cfg.Name, Username: p.Username, AccountID: existing.ID,
			DN: p.DN, EmployeeNumber: p.EmployeeNumber}
	}
	acct, _, err := s.prov.apply(ctx, d, p, existing, prev)
	if err != nil {
		return existing, true, false, err
	}
	if p.Disabled {
		return acct, true, false, fmt.Errorf("%w: %s", authn.ErrAccountDisabled, p.DisabledReason)
	}
	return acct, true, true, nil
}
