package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// Store is what the directories need of the durable store.
type Store interface {
	GetAccount(ctx context.Context, id string) (*identity.Account, error)
	FindAccount(ctx context.Context, kind store.IdentifierKind, value string) (*identity.Account, error)
	CreateAccount(ctx context.Context, a *identity.Account, passwordHash string) error
	UpdateAccount(ctx context.Context, a *identity.Account) error
	store.DirectorySync
}

// Locker disables an account, ending its sessions and revoking its refresh
// tokens, and records personal IDs an authoritative directory proves (see
// admin.Service.ProveFromDirectory: the squatter it displaces loses its
// sessions and tokens); *admin.Service is one.
type Locker interface {
	Lock(ctx context.Context, a *identity.Account, reason string) error
	ProveFromDirectory(ctx context.Context, accountID string, personalID identity.PersonalID, source string) (string, error)
}

// DisabledReasonPrefix starts the DisabledReason of every account a
// directory disabled. Only such accounts are enabled again when their entry
// is enabled; an account an administrator locked stays locked.
const DisabledReasonPrefix = "directory:"

// provisioner writes officials' accounts from directory entries.
type provisioner struct {
	store  Store
	locker Locker
	log    *slog.Logger
	// record audits an event of the directory (the Set's record).
	record func(ctx context.Context, ev audit.Event, details map[string]string)
}

// outcome says what apply did to an account.
type outcome int

const (
	unchanged outcome = iota
	created
	updated
	disabled
	enabled
)

// apply creates, links or updates the account of p from directory d, and
// disables or enables it as the entry says. acct is the account already
// linked to the entry (nil when there is none yet) and prev its entry record
// (nil when there is none).
func (pr *provisioner) apply(ctx context.Context, d *Directory, p *Person, acct *identity.Account, prev *store.DirectoryEntry) (*identity.Account, outcome, error) {
	official := &identity.Official{Username: p.Username, Agency: d.cfg.Agency, Department: p.Department,
		Title: p.Title, Directory: d.cfg.Name, Roles: p.Roles, Groups: p.Groups}
	var out outcome
	var err error
	if acct == nil {
		acct, out, err = pr.create(ctx, d, p, official)
		if err != nil {
			return nil, unchanged, err
		}
	} else {
		changed := false
		if p.FullName != "" && acct.FullName != p.FullName {
			acct.FullName, changed = p.FullName, true
		}
		if p.Email != "" && acct.Email != p.Email {
			acct.Email, acct.EmailVerified, changed = p.Email, false, true
		}
		if p.Phone != "" && acct.Phone != p.Phone {
			acct.Phone, acct.PhoneVerified, changed = p.Phone, false, true
		}
		if p.PersonalID != "" && acct.PersonalID == "" {
			acct.PersonalID, changed = p.PersonalID, true
		}
		if !sameOfficial(acct.Official, official) {
			acct.Official, changed = official, true
		}
		if !p.Disabled && acct.Disabled && strings.HasPrefix(acct.DisabledReason, DisabledReasonPrefix) {
			acct.Disabled, acct.DisabledReason, changed = false, "", true
			out = enabled
		}
		if changed && !(p.Disabled && !acct.Disabled) {
			if err := pr.update(ctx, acct); err != nil {
				return nil, unchanged, err
			}
			if out == unchanged {
				out = updated
			}
		}
	}
	if d.cfg.PersonalIDAuthoritative && p.PersonalID != "" && pr.locker != nil &&
		!(acct.PersonalID == p.PersonalID && acct.PersonalIDVerified()) {
		if acct, err = pr.prove(ctx, d, p, acct); err != nil {
			return nil, unchanged, err
		}
	}
	if p.Disabled && !acct.Disabled {
		if err := pr.disable(ctx, acct, p.DisabledReason); err != nil {
			return nil, unchanged, err
		}
		out = disabled
	}
	if prev == nil || prev.DN != p.DN || prev.EmployeeNumber != p.EmployeeNumber || prev.AccountID != acct.ID {
		if err := pr.store.PutDirectoryEntry(ctx, &store.DirectoryEntry{Directory: d.cfg.Name, Username: p.Username,
			AccountID: acct.ID, DN: p.DN, EmployeeNumber: p.EmployeeNumber}); err != nil {
			return nil, unchanged, err
		}
	}
	return acct, out, nil
}

// prove records the personal ID of p, provided by the authoritative
// directory d, as verified for acct through the locker. An ID another
// account has proven is not recorded: it is logged and audited, and acct
// stays without it. It returns the account as stored.
func (pr *provisioner) prove(ctx context.Context, d *Directory, p *Person, acct *identity.Account) (*identity.Account, error) {
	displaced, err := pr.locker.ProveFromDirectory(ctx, acct.ID, p.PersonalID, d.cfg.Name)
	if err != nil {
		var problems admin.Problems
		if !errors.As(err, &problems) {
			return nil, err
		}
		pr.log.Warn("personal ID from the authoritative directory proven by another account; not recorded",
			"subject", acct.ID, "username", p.Username, "directory", d.cfg.Name, "error", problems.Error())
		if pr.record != nil {
			pr.record(ctx, audit.DirectoryPersonalIDRefused, map[string]string{"directory": d.cfg.Name,
				"username": p.Username, "subject": acct.ID, "error": problems.Error()})
		}
	} else if displaced != "" {
		pr.log.Info("personal ID proven by the authoritative directory taken from an unproven account",
			"subject", acct.ID, "displaced", displaced, "directory", d.cfg.Name)
	}
	return pr.store.GetAccount(ctx, acct.ID)
}

// disable disables the account through the locker, so that its sessions end.
func (pr *provisioner) disable(ctx context.Context, acct *identity.Account, reason string) error {
	if !strings.HasPrefix(reason, DisabledReasonPrefix) {
		reason = DisabledReasonPrefix + " " + reason
	}
	if pr.locker == nil {
		acct.Disabled, acct.DisabledReason = true, reason
		return pr.update(ctx, acct)
	}
	return pr.locker.Lock(ctx, acct, reason)
}

// update writes the account; an e-mail address or phone number another
// account holds is dropped, not fought over.
func (pr *provisioner) update(ctx context.Context, acct *identity.Account) error {
	for range 3 {
		err := pr.store.UpdateAccount(ctx, acct)
		field, conflict := store.IsConflict(err)
		if !conflict {
			return err
		}
		if !dropField(acct, field) {
			return err
		}
		pr.log.Warn("directory value held by another account; not copied", "subject", acct.ID, "field", field)
	}
	return pr.store.UpdateAccount(ctx, acct)
}

// create makes the account of a person seen for the first time. It never
// merges the official into an existing account: a personal ID that another
// account holds, proven or only asserted, is left out of the new account
// (and logged). That the directory and another account name the same number
// is no proof that whoever holds the directory password controls that
// account, nor the reverse: merging would let either password reach the
// other's capacities, businesses and verified claims. An authoritative
// directory then proves the ID for the new account (apply): an asserted
// holder loses it, a proven one keeps it and the refusal is audited
// (directory.personal_id_refused).
func (pr *provisioner) create(ctx context.Context, d *Directory, p *Person, official *identity.Official) (*identity.Account, outcome, error) {
	pid := p.PersonalID
	if pid != "" {
		c, err := pr.store.FindAccount(ctx, store.ByPersonalID, string(pid))
		switch {
		case err == nil:
			pr.log.Warn("personal ID held by another account; the directory official is made without it",
				"holder", c.ID, "proven", c.PersonalIDVerified(), "username", p.Username, "directory", d.cfg.Name)
			pid = ""
		case !errors.Is(err, store.ErrNotFound):
			return nil, unchanged, err
		}
	}
	a := &identity.Account{ID: identity.NewSubject(), FullName: p.FullName, Email: p.Email, Phone: p.Phone,
		Locale: "vi", PersonalID: pid, Official: official}
	if a.FullName == "" {
		a.FullName = p.Username
	}
	for range 4 {
		err := pr.store.CreateAccount(ctx, a, "")
		if err == nil {
			return a, created, nil
		}
		field, conflict := store.IsConflict(err)
		switch {
		case !conflict:
			return nil, unchanged, err
		case field == "username":
			// Made at the same moment by a login or another node.
			existing, err := pr.store.FindDirectoryAccount(ctx, d.cfg.Name, p.Username)
			if err != nil {
				return nil, unchanged, err
			}
			return existing, unchanged, nil
		case !dropField(a, field):
			return nil, unchanged, err
		}
		pr.log.Warn("directory value held by another account; not copied", "username", p.Username, "field", field)
	}
	return nil, unchanged, fmt.Errorf("directory: creating the account of %s: too many conflicts", p.Username)
}

// dropField clears the identifier named by a conflict; it reports false for
// a field that cannot be dropped.
func dropField(a *identity.Account, field string) bool {
	switch field {
	case "email":
		a.Email, a.EmailVerified = "", false
	case "phone":
		a.Phone, a.PhoneVerified = "", false
	case "personal_id":
		a.PersonalID = ""
	default:
		return false
	}
	return true
}

func sameOfficial(a, b *identity.Official) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Username == b.Username && a.Agency == b.Agency && a.Department == b.Department && a.Title == b.Title &&
		a.Directory == b.Directory && slices.Equal(a.Roles, b.Roles) && slices.Equal(a.Groups, b.Groups)
}
