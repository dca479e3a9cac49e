package admin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
)

// AccountSpec describes an account to create. Kind "citizen" needs a personal
// ID, a birth date and a gender; kind "official" needs a username and an
// agency. Evidence, when given, proves the personal ID; without it the ID is
// recorded unverified (asserted).
//
// An official whose personal ID belongs to an existing person who has proven
// it is added to that person (one subject), not created twice; a Password is
// then refused (the person keeps theirs), never silently dropped. When the
// existing holder only asserted the ID, nothing is merged: with Evidence the
// official is created apart and takes the ID from the holder (see
// [Service.VerifyPersonalID]); without, the creation is refused.
type AccountSpec struct {
	Kind       identity.Capacity
	PersonalID string
	FullName   string
	Birthdate  string
	Gender     string
	Email      string
	Phone      string
	Username   string
	Agency     string
	Department string
	Title      string
	Admin      bool
	Password   string
	Evidence   Evidence
}

// CreateAccount validates and creates (or, for an official who is already a
// citizen, links) an account. linked reports that an existing person was extended.
func (s *Service) CreateAccount(ctx context.Context, spec AccountSpec, now time.Time) (acct *identity.Account, linked bool, err error) {
	var p Problems
	fail := func(field string, err error) {
		var ie *identity.InvalidError
		if errors.As(err, &ie) {
			p.add(field, "%s", ie.Error())
		} else {
			p.add(field, "%s", err.Error())
		}
	}
	if err := s.allowCreate(ctx, spec); err != nil {
		return nil, false, err
	}
	a := &identity.Account{Locale: "vi", Admin: spec.Admin}
	if a.FullName, err = identity.NormalizeFullName(spec.FullName); err != nil {
		fail("name", err)
	}
	if spec.Email != "" {
		if a.Email, err = identity.NormalizeEmail(spec.Email); err != nil {
			fail("email", err)
		}
	}
	if spec.Phone != "" {
		if a.Phone, err = identity.NormalizePhone(spec.Phone); err != nil {
			fail("phone", err)
		}
	}
	if spec.PersonalID != "" {
		pid, err := identity.ParsePersonalID(spec.PersonalID)
		if err != nil {
			fail("personal_id", err)
		}
		a.PersonalID = pid
	}
	if spec.Birthdate != "" {
		b, err := identity.ParseBirthdate(spec.Birthdate, now)
		if err != nil {
			fail("birthdate", err)
		} else {
			a.Birthdate = b.Format(identity.BirthdateLayout)
		}
	}
	if spec.Gender != "" {
		if a.Gender, err = identity.ParseGender(spec.Gender); err != nil {
			fail("gender", err)
		}
	}
	switch spec.Kind {
	case identity.CapacityCitizen:
		if spec.PersonalID == "" {
			p.add("personal_id", "is required for a citizen")
		}
		if spec.Birthdate == "" {
			p.add("birthdate", "is required for a citizen")
		}
		if spec.Gender == "" {
			p.add("gender", "is required for a citizen")
		}
		if a.PersonalID != "" && a.Birthdate != "" {
			b, _ := time.Parse(identity.BirthdateLayout, a.Birthdate)
			if err := a.PersonalID.CheckBirth(b, a.Gender); err != nil {
				fail("personal_id", err)
			}
		}
	case identity.CapacityOfficial:
		user := strings.ToLower(strings.TrimSpace(spec.Username))
		if !validUsername(user) {
			p.add("username", "must be 2–64 characters: letters, digits, '.', '_' or '-'")
		}
		if strings.TrimSpace(spec.Agency) == "" {
			p.add("agency", "is required for an official")
		}
		a.Official = &identity.Official{Username: user, Agency: strings.TrimSpace(spec.Agency),
			Department: strings.TrimSpace(spec.Department), Title: strings.TrimSpace(spec.Title)}
	default:
		p.add("kind", "must be citizen or official")
	}
	if spec.Password != "" {
		switch (authn.PasswordRules{MinLength: s.MinPasswordLength}).Check(spec.Password) {
		case "":
		case authn.PasswordCommon:
			p.add("password", "is a common password (in the list of common and breached passwords): choose another")
		default:
			p.add("password", "must be %d to 256 characters", s.MinPasswordLength)
		}
	}
	proof := spec.Evidence.proofing(&p, now)
	if spec.Evidence != (Evidence{}) && spec.PersonalID == "" {
		p.add("evidence", "proves a personal ID: give the personal ID too")
	}
	if err := p.err(); err != nil {
		return nil, false, err
	}
	hash := ""
	if spec.Password != "" {
		if hash, err = s.Hasher.Hash(spec.Password); err != nil {
			return nil, false, err
		}
	}
	// An official who is already a citizen: the same person, when that
	// person has proven the ID. An unproven holder is never extended.
	var takeFromSquatter identity.PersonalID
	if a.PersonalID != "" {
		holder, err := s.holderOf(ctx, a.PersonalID)
		if err != nil {
			return nil, false, err
		}
		switch {
		case holder == nil:
			a.Proofing = proof
		case holder.PersonalIDVerified() && spec.Kind == identity.CapacityOfficial:
			if holder.Official != nil {
				return nil, false, Problems{{Field: "personal_id", Message: "this person is already an official"}}
			}
			if spec.Password != "" {
				return nil, false, Problems{{Field: "password", Message: "this person has an account already, with its own " +
					"password: the official capacity is added to it and the password is left as it is; give no password"}}
			}
			holder.Official = a.Official
			holder.Admin = holder.Admin || a.Admin
			if err := s.Store.UpdateAccount(ctx, holder); err != nil {
				return nil, false, conflictProblem(err)
			}
			s.audit(ctx, audit.AccountLinkOfficial, holder.ID, "", map[string]string{"username": a.Official.Username})
			return holder, true, nil
		case holder.PersonalIDVerified():
			return nil, false, Problems{{Field: "personal_id", Message: "is already used by another account"}}
		case !proof.Verified() && spec.Kind == identity.CapacityOfficial:
			return nil, false, errUnprovenHolder
		case !proof.Verified():
			return nil, false, Problems{{Field: "personal_id", Message: "is already used by another account"}}
		default:
			// Created without it, then proven: the squatter loses it.
			takeFromSquatter, a.PersonalID = a.PersonalID, ""
		}
	}
	a.ID = identity.NewSubject()
	if err := s.Store.CreateAccount(ctx, a, hash); err != nil {
		return nil, false, conflictProblem(err)
	}
	s.audit(ctx, audit.AccountCreate, a.ID, "", map[string]string{"kind": string(spec.Kind), "admin": boolText(a.Admin)})
	if a.PersonalIDVerified() {
		s.audit(ctx, audit.AccountVerifyPersonalID, a.ID, "", map[string]string{"method": string(proof.Method)})
	}
	if takeFromSquatter != "" {
		if _, err := s.prove(ctx, a.ID, takeFromSquatter, proof); err != nil {
			return a, false, fmt.Errorf("account %s was created without its personal ID, which it could not take: %w", a.ID, err)
		}
		a.PersonalID, a.Proofing = takeFromSquatter, proof
	}
	return a, false, nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func conflictProblem(err error) error {
	if f, ok := store.IsConflict(err); ok {
		return Problems{{Field: f, Message: "is already used by another account"}}
	}
	return err
}

func validUsername(u string) bool {
	if len(u) < 2 || len(u) > 64 {
		return false
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// FindAccount resolves a reference typed by an operator: a subject, a
// personal ID, an email, a phone number or a local official's username.
func (s *Service) FindAccount(ctx context.Context, ref string) (*identity.Account, error) {
	a, err := s.findAccount(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := s.allowOn(ctx, PermAccountRead, a); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Service) findAccount(ctx context.Context, ref string) (*identity.Account, error) {
	ref = strings.TrimSpace(ref)
	if identity.ValidSubject(ref) {
		if a, err := s.Store.GetAccount(ctx, ref); err == nil || !errors.Is(err, store.ErrNotFound) {
			return a, err
		}
	}
	if pid, err := identity.ParsePersonalID(ref); err == nil {
		return s.Store.FindAccount(ctx, store.ByPersonalID, string(pid))
	}
	if strings.Contains(ref, "@") {
		e, err := identity.NormalizeEmail(ref)
		if err != nil {
			return nil, store.ErrNotFound
		}
		return s.Store.FindAccount(ctx, store.ByEmail, e)
	}
	if ph, err := identity.NormalizePhone(ref); err == nil {
		if a, err := s.Store.FindAccount(ctx, store.ByPhone, ph); err == nil || !errors.Is(err, store.ErrNotFound) {
			return a, err
		}
	}
	return s.Store.FindAccount(ctx, store.ByUsername, strings.ToLower(ref))
}

// Identifiers returns the brute-force keys of the account, by name: "account"
// for the password/first-factor tries of the account whatever identifier they
// named (authn.AccountKey), one per identifier for the counters kept per
// identifier, and "second_factor".
func Identifiers(a *identity.Account) map[string]string {
	m := map[string]string{"account": authn.AccountKey(a.ID)}
	if a.PersonalID != "" {
		m["personal_id"] = authn.IdentifierKey(string(store.ByPersonalID) + ":" + string(a.PersonalID))
	}
	if a.Email != "" {
		m["email"] = authn.IdentifierKey(string(store.ByEmail) + ":" + a.Email)
	}
	if a.Phone != "" {
		m["phone"] = authn.IdentifierKey(string(store.ByPhone) + ":" + a.Phone)
	}
	if a.Official != nil && a.Official.Directory == "" && a.Official.Username != "" {
		m["username"] = authn.IdentifierKey(string(store.ByUsername) + ":" + a.Official.Username)
	}
	m["second_factor"] = authn.SecondFactorKey(a.ID)
	return m
}

// LockStatus is an account's lock state as administrators see it.
type LockStatus struct {
	Disabled       bool
	DisabledReason string
	// TemporarilyLocked lists the identifiers under a brute-force lock.
	TemporarilyLocked []string
	// Failures counts recent failed logins per identifier.
	Failures map[string]int64
}

// Status returns the account's lock state.
func (s *Service) Status(ctx context.Context, a *identity.Account) (LockStatus, error) {
	if err := s.allowOn(ctx, PermAccountRead, a); err != nil {
		return LockStatus{}, err
	}
	st := LockStatus{Disabled: a.Disabled, DisabledReason: a.DisabledReason, Failures: map[string]int64{}}
	for name, key := range Identifiers(a) {
		n, locked, err := s.Guard.Status(ctx, key)
		if err != nil {
			return st, err
		}
		if n > 0 {
			st.Failures[name] = n
		}
		if locked {
			st.TemporarilyLocked = append(st.TemporarilyLocked, name)
		}
	}
	return st, nil
}

// Lock disables the account: its sessions end (their applications are
// notified), and its refresh tokens, its access tokens (the records of JWT
// and opaque ones alike, which introspection reads) and its authorization
// codes not yet exchanged are revoked before it returns. Directory synchronisation disables officials through it too.
func (s *Service) Lock(ctx context.Context, a *identity.Account, reason string) error {
	if err := s.allowOn(ctx, PermAccountLock, a); err != nil {
		return err
	}
	before := lockFields(a)
	reason = strings.TrimSpace(reason)
	if err := s.writeAccount(ctx, a, func(a *identity.Account) { a.Disabled, a.DisabledReason = true, reason }); err != nil {
		return err
	}
	if _, err := s.endSessions(ctx, a.ID, session.ReasonDisabled); err != nil {
		return err
	}
	if err := s.revokeTokens(ctx, a.ID); err != nil {
		return err
	}
	s.audit(ctx, audit.AccountLock, a.ID, "", withChanges(map[string]string{"reason": a.DisabledReason}, before, lockFields(a)))
	return nil
}

// lockFields are the fields of a that Lock and Unlock change, as the audit
// log records their before and after.
func lockFields(a *identity.Account) map[string]string {
	return map[string]string{"disabled": fmt.Sprint(a.Disabled), "lock_reason": a.DisabledReason}
}

// withChanges adds to details the before and after of the fields that
// differ (audit.Changes).
func withChanges(details, before, after map[string]string) map[string]string {
	if details == nil {
		details = map[string]string{}
	}
	maps.Copy(details, audit.Changes(before, after))
	return details
}

// EndSessions ends every SSO session of the account, notifies the
// applications of each, and revokes all its refresh tokens; it returns how
// many sessions ended.
func (s *Service) EndSessions(ctx context.Context, accountID string) (int, error) {
	if err := s.allowOnID(ctx, PermAccountSessions, accountID); err != nil {
		return 0, err
	}
	n, err := s.endSessions(ctx, accountID, session.ReasonAdmin)
	if err == nil {
		s.audit(ctx, audit.AccountEndSessions, accountID, "", map[string]string{"sessions": fmt.Sprint(n)})
	}
	return n, err
}

func (s *Service) endSessions(ctx context.Context, accountID, reason string) (int, error) {
	ended, err := s.Logout.EndAll(ctx, accountID, reason, s.Actor)
	if err != nil {
		return len(ended), err
	}
	return len(ended), s.Store.RevokeRefreshTokensOfSubject(ctx, accountID, "")
}

// revokeTokens revokes the access tokens of the account durably (every one
// issued until now: a JWT stays revoked when the ephemeral store loses its
// record), then removes the authorization codes and the access-token
// records: a code whose record is gone is refused at the token endpoint
// (invalid_grant); an access token whose record is gone introspects as
// inactive and is refused by userinfo.
func (s *Service) revokeTokens(ctx context.Context, accountID string) error {
	life := s.AccessTokenLifespan
	if life <= 0 {
		life = time.Hour
	}
	now := time.Now()
	if err := s.Store.RevokeSubjectTokens(ctx, accountID, now, now.Add(life+5*time.Minute)); err != nil {
		return err
	}
	for _, kind := range []store.RecordKind{store.KindAuthorizeCode, store.KindAccessToken} {
		recs, err := s.Eph.RecordsBySubject(ctx, kind, accountID)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := s.Eph.DeleteRecord(ctx, kind, r.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// Unlock enables the account and lifts brute-force locks on its identifiers.
func (s *Service) Unlock(ctx context.Context, a *identity.Account) error {
	if err := s.allowOn(ctx, PermAccountUnlock, a); err != nil {
		return err
	}
	before := lockFields(a)
	if err := s.writeAccount(ctx, a, func(a *identity.Account) { a.Disabled, a.DisabledReason = false, "" }); err != nil {
		return err
	}
	for _, key := range Identifiers(a) {
		if err := s.Guard.Unlock(ctx, key); err != nil {
			return err
		}
	}
	s.audit(ctx, audit.AccountUnlock, a.ID, "", withChanges(nil, before, lockFields(a)))
	return nil
}

// SetPassword replaces the account's password; its sessions end.
func (s *Service) SetPassword(ctx context.Context, a *identity.Account, password string) error {
	if err := s.allowOn(ctx, PermAccountPassword, a); err != nil {
		return err
	}
	switch (authn.PasswordRules{MinLength: s.MinPasswordLength}).Check(password) {
	case "":
	case authn.PasswordCommon:
		return Problems{{Field: "password", Message: "is a common password (in the list of common and breached passwords): choose another"}}
	default:
		return Problems{{Field: "password", Message: "must be at least " + itoa(s.MinPasswordLength) + " characters (at most 256 bytes)"}}
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return err
	}
	if err := s.Store.SetPasswordHash(ctx, a.ID, hash); err != nil {
		return err
	}
	if _, err := s.endSessions(ctx, a.ID, session.ReasonAdmin); err != nil {
		return err
	}
	s.audit(ctx, audit.AccountSetPassword, a.ID, "", map[string]string{"password": audit.Changed})
	return nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// HasAdmin reports whether any administrator exists.
func (s *Service) HasAdmin(ctx context.Context) (bool, error) {
	offset := 0
	for {
		as, err := s.Store.ListAccounts(ctx, store.AccountFilter{Limit: 500, Offset: offset})
		if err != nil {
			return false, err
		}
		for _, a := range as {
			if a.Admin {
				return true, nil
			}
		}
		if len(as) < 500 {
			return false, nil
		}
		offset += 500
	}
}

// LinkRepresentative records that the account represents the business
// (creating the business when a name is given). The account must have
// proven its personal ID: an asserted one links no business.
func (s *Service) LinkRepresentative(ctx context.Context, a *identity.Account, taxCode, businessName, role string) (*identity.Representation, error) {
	if err := s.allowOn(ctx, PermBusinessWrite, a); err != nil {
		return nil, err
	}
	var p Problems
	tc, err := identity.ParseTaxCode(taxCode)
	if err != nil {
		p.add("tax_code", "%s", err.Error())
	}
	rr, err := identity.ParseRepresentativeRole(role)
	if err != nil {
		p.add("role", "must be legal_representative or authorised_staff")
	}
	switch {
	case a.PersonalID == "":
		p.add("account", "only a citizen can represent a business")
	case !a.PersonalIDVerified():
		p.add("account", "the personal ID of this person is not proven: prove it first ('dinhdanh account verify')")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if name := strings.TrimSpace(businessName); name != "" {
		if err := s.Store.PutBusiness(ctx, &identity.Business{TaxCode: tc, Name: name}); err != nil {
			return nil, err
		}
	}
	b, err := s.Store.GetBusiness(ctx, tc)
	if errors.Is(err, store.ErrNotFound) {
		return nil, Problems{{Field: "tax_code", Message: "no business with this tax code: give its name to create it"}}
	}
	if err != nil {
		return nil, err
	}
	rep := &identity.Representation{AccountID: a.ID, TaxCode: tc, BusinessName: b.Name, Role: rr, GrantedBy: s.Actor}
	if err := s.Store.AddRepresentation(ctx, rep); err != nil {
		if _, ok := store.IsConflict(err); ok {
			return nil, Problems{{Field: "tax_code", Message: "this person already represents this business"}}
		}
		return nil, err
	}
	s.audit(ctx, audit.BusinessLink, a.ID, "", withChanges(map[string]string{"tax_code": string(tc), "role": string(rr)},
		nil, map[string]string{"representative": string(tc) + ":" + string(rr)}))
	return rep, nil
}

// UnlinkRepresentative removes the link, then revokes the person's refresh
// tokens that act for the business (at every application), so that no
// application keeps acting for it. Both are written before it returns. The
// order matters: a refresh that reads the representation before it is
// removed either rotates first (and its new token, which carries the
// business, is revoked here) or finds its token revoked; a refresh after the
// removal no longer carries the business (oauth's refresh re-check).
func (s *Service) UnlinkRepresentative(ctx context.Context, a *identity.Account, taxCode string) error {
	if err := s.allowOn(ctx, PermBusinessWrite, a); err != nil {
		return err
	}
	tc, err := identity.ParseTaxCode(taxCode)
	if err != nil {
		return Problems{{Field: "tax_code", Message: err.Error()}}
	}
	if err := s.Store.RemoveRepresentation(ctx, a.ID, tc); err != nil {
		return err
	}
	if err := s.Store.RevokeRefreshTokensOfBusiness(ctx, a.ID, string(tc)); err != nil {
		return err
	}
	s.audit(ctx, audit.BusinessUnlink, a.ID, "", withChanges(map[string]string{"tax_code": string(tc)},
		map[string]string{"representative": string(tc)}, nil))
	return nil
}

// ResetFactors removes every second factor of the account (authenticator
// app, recovery codes, security keys and passkeys) and ends its sessions:
// for a person who lost their phone and their recovery codes. At their next
// login that needs a second factor they are led through enrolment again. It
// returns how many factors were removed.
func (s *Service) ResetFactors(ctx context.Context, a *identity.Account) (int, error) {
	if err := s.allowOn(ctx, PermAccountFactors, a); err != nil {
		return 0, err
	}
	n := 0
	if _, err := s.Store.GetTOTP(ctx, a.ID); err == nil {
		if err := s.Store.DeleteTOTP(ctx, a.ID); err != nil {
			return n, err
		}
		n++
	} else if !errors.Is(err, store.ErrNotFound) {
		return n, err
	}
	if left, err := s.Store.RecoveryCodesLeft(ctx, a.ID); err != nil {
		return n, err
	} else if left > 0 {
		n++
	}
	if err := s.Store.DeleteRecoveryCodes(ctx, a.ID); err != nil {
		return n, err
	}
	keys, err := s.Store.WebAuthnCredentials(ctx, a.ID)
	if err != nil {
		return n, err
	}
	for _, k := range keys {
		if err := s.Store.DeleteWebAuthnCredential(ctx, a.ID, k.ID); err != nil {
			return n, err
		}
		n++
	}
	if _, err := s.endSessions(ctx, a.ID, session.ReasonAdmin); err != nil {
		return n, err
	}
	s.audit(ctx, audit.AccountResetFactors, a.ID, "", map[string]string{"removed": fmt.Sprint(n)})
	return n, nil
}

// writeAccount applies change to a and writes it on condition that the
// account is unchanged since a was read (store.UpdateAccountIf); when
// another write came in between, it reads a again and re-applies change, so
// that a lock never overwrites a change made meanwhile (a contact verified,
// the profile saved). On success a holds the account as written.
func (s *Service) writeAccount(ctx context.Context, a *identity.Account, change func(*identity.Account)) error {
	for {
		next := *a
		change(&next)
		err := s.Store.UpdateAccountIf(ctx, &next, a.UpdatedAt)
		if err == nil {
			*a = next
			return nil
		}
		if !errors.Is(err, store.ErrChanged) {
			return err
		}
		fresh, err := s.Store.GetAccount(ctx, a.ID)
		if err != nil {
			return err
		}
		*a = *fresh
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
