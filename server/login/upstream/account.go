package upstream

import (
	"errors"
	"net/http"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// account returns the person's account: the one linked to the provider's
// sub; at a first login the one holding the released personal ID proven,
// or a new one; the sub is then linked to it. A provider that proves the
// personal ID proves it for the account, displacing whoever had only
// asserted it. With mayCreate false (a login to reset a password) no account
// is created: a person for whom no account is found is refused with 404 and
// upstream.reset_no_account, and nothing changes. It reports a page's status and message key instead when the
// login is refused (a disabled account, an ID proven by another).
func (s *Step) account(w http.ResponseWriter, r *http.Request, p *provider, id *identityClaims, mayCreate bool) (*identity.Account, int, string, error) {
	ctx := r.Context()
	var pid identity.PersonalID
	if raw := id.text(p.Claims.PersonalID); raw != "" {
		parsed, err := identity.ParsePersonalID(raw)
		if err != nil {
			return nil, http.StatusBadRequest, "upstream.bad_personal_id", nil
		}
		pid = parsed
	}
	if p.ProvesPersonalID && pid == "" {
		return nil, http.StatusBadRequest, "upstream.bad_personal_id", nil
	}
	var acct *identity.Account
	linked, err := s.env.Store.FindUpstreamLink(ctx, p.Name, id.sub)
	switch {
	case err == nil:
		if acct, err = s.env.Store.GetAccount(ctx, linked); err != nil {
			return nil, 0, "", err
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, 0, "", err
	case pid != "":
		// A first login: only an ID someone proved finds an account.
		holder, err := s.env.Store.FindAccount(ctx, store.ByPersonalID, string(pid))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, 0, "", err
		}
		if err == nil && holder.PersonalIDVerified() {
			acct = holder
		}
	}
	if acct != nil && acct.Disabled {
		return nil, http.StatusForbidden, "upstream.account_disabled", nil
	}
	if acct != nil && pid != "" && acct.PersonalID != pid && acct.PersonalIDVerified() {
		// The provider now releases another ID than the one this account proved.
		return nil, http.StatusConflict, "upstream.personal_id_mismatch", nil
	}
	created := false
	if acct == nil && !mayCreate {
		return nil, http.StatusNotFound, "upstream.reset_no_account", nil
	}
	if acct == nil {
		if acct, err = s.create(w, r, p, id, pid); err != nil {
			return nil, 0, "", err
		}
		created = true
	}
	if p.ProvesPersonalID && !(acct.PersonalID == pid && acct.PersonalIDVerified()) {
		proof := identity.Verify(identity.ProofUpstreamEID, identity.Proofing{Provider: p.Name, Assurance: p.Assurance}, s.env.Now())
		if _, err := s.cfg.Prove(ctx, acct.ID, pid, proof); err != nil {
			if _, conflict := store.IsConflict(err); conflict || !created {
				return nil, http.StatusConflict, "upstream.personal_id_mismatch", nil
			}
			return nil, 0, "", err
		}
		if acct, err = s.env.Store.GetAccount(ctx, acct.ID); err != nil {
			return nil, 0, "", err
		}
	}
	if linked == "" {
		if err := s.env.Store.LinkUpstream(ctx, p.Name, id.sub, acct.ID); err != nil {
			return nil, 0, "", err
		}
	}
	return acct, 0, "", nil
}

// create makes the account of a person's first login through p, with the
// attributes it released. A personal ID that p does not prove is kept,
// unproven, when nobody holds it; a proven one is added by the caller.
func (s *Step) create(w http.ResponseWriter, r *http.Request, p *provider, id *identityClaims, pid identity.PersonalID) (*identity.Account, error) {
	a := &identity.Account{ID: identity.NewSubject(), Locale: s.env.Kit.Lang(w, r)}
	if name, err := identity.NormalizeFullName(id.text(p.Claims.Name)); err == nil {
		a.FullName = name
	}
	a.Birthdate = id.birthdate(p.Claims.Birthdate, p.Claims.BirthdateLayout)
	if g, err := identity.ParseGender(p.Claims.GenderCodes[id.text(p.Claims.Gender)]); err == nil {
		a.Gender = g
	}
	if !p.ProvesPersonalID {
		a.PersonalID = pid
	}
	err := s.env.Store.CreateAccount(r.Context(), a, "")
	if f, ok := store.IsConflict(err); ok && f == "personal_id" {
		a.PersonalID = ""
		err = s.env.Store.CreateAccount(r.Context(), a, "")
	}
	if err != nil {
		return nil, err
	}
	s.env.Record(r, audit.AccountRegister, a.ID, "", map[string]string{"kind": "citizen", "provider": p.Name})
	return a, nil
}
