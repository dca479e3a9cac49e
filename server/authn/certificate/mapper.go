package certificate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// BindingLookup finds certificates bound to accounts.
type BindingLookup interface {
	FindCertificateBinding(ctx context.Context, fingerprint string) (*store.CertificateBinding, error)
	FindCertificateBindingByIssuerSerial(ctx context.Context, issuer, serial string) (*store.CertificateBinding, error)
}

// AccountLookup finds accounts.
type AccountLookup interface {
	GetAccount(ctx context.Context, id string) (*identity.Account, error)
	FindAccount(ctx context.Context, kind store.IdentifierKind, value string) (*identity.Account, error)
}

// OfficialLookup finds the official whose directory entry has an e-mail
// address. It returns store.ErrNotFound when there is none.
type OfficialLookup interface {
	OfficialByEmail(ctx context.Context, email string) (*identity.Account, error)
}

// StoreOfficials is an OfficialLookup over the accounts store: the account
// with the e-mail address, when it is an official's (local or synchronised
// from a directory).
type StoreOfficials struct{ Accounts AccountLookup }

// OfficialByEmail implements OfficialLookup.
func (s StoreOfficials) OfficialByEmail(ctx context.Context, email string) (*identity.Account, error) {
	a, err := s.Accounts.FindAccount(ctx, store.ByEmail, email)
	if err != nil {
		return nil, err
	}
	if a.Official == nil {
		return nil, store.ErrNotFound
	}
	return a, nil
}

// MatchMethod says how a certificate was mapped to its account.
type MatchMethod string

// The ways a certificate maps to an account, in the order Map tries them.
const (
	MatchBinding    MatchMethod = "binding"     // a binding made earlier, by fingerprint or issuer and serial
	MatchPersonalID MatchMethod = "personal_id" // the personal ID in the subject
	MatchEmail      MatchMethod = "email"       // an e-mail address of the certificate, an official's
)

// Match is the outcome of mapping a certificate.
type Match struct {
	// Account is the certificate holder's account; nil for an unknown person.
	Account *identity.Account
	// By says how Account was found.
	By MatchMethod
	// Business is the business the certificate names ("MST:…" in the
	// subject), whose representative the holder may act as; nil when it
	// names none. Its Name comes from the subject's O (or CN).
	Business *identity.Business
}

// ErrIdentityConflict is returned by Map when the certificate's subject names
// a person whose account is not the one the certificate is bound to.
var ErrIdentityConflict = errors.New("certificate: the certificate names another person than its binding")

// Mapper maps verified certificates to accounts.
type Mapper struct {
	Bindings BindingLookup
	Accounts AccountLookup
	// Officials matches e-mail addresses to officials; nil means
	// StoreOfficials over Accounts.
	Officials OfficialLookup
}

// Map finds the account of a verified certificate: by a binding (by
// fingerprint, then by issuer and serial number), then by the personal ID in
// its subject (only an account that has proven that ID: one that merely
// asserted it is never matched), then, when its trust anchor allows it (Verified.MapEmail), by
// its e-mail addresses matched to officials. ok is false
// for an unknown person: the certificate is valid but maps to no account
// (Match.Business may still be set); it never creates one. A disabled
// account is returned with ok true and authn.ErrAccountDisabled.
// ErrIdentityConflict reports a binding to one account of a certificate
// whose personal ID is another account's. Any other error is an outage.
func (m *Mapper) Map(ctx context.Context, v *Verified) (match Match, ok bool, err error) {
	ids := v.Identifiers
	if ids.TaxCode != "" {
		name := ids.Organization
		if name == "" {
			name = ids.CommonName
		}
		match.Business = &identity.Business{TaxCode: ids.TaxCode, Name: name}
	}
	var byID *identity.Account
	if ids.PersonalID != "" {
		byID, err = m.Accounts.FindAccount(ctx, store.ByPersonalID, string(ids.PersonalID))
		if errors.Is(err, store.ErrNotFound) {
			byID, err = nil, nil
		}
		if err != nil {
			return match, false, err
		}
		if byID != nil && !byID.PersonalIDVerified() {
			// An asserted ID is nobody's: the certificate does not log
			// into, nor conflict with, the account that asserted it.
			byID = nil
		}
	}

	b, err := m.Bindings.FindCertificateBinding(ctx, v.Fingerprint)
	if errors.Is(err, store.ErrNotFound) {
		b, err = m.Bindings.FindCertificateBindingByIssuerSerial(ctx, IssuerKey(v.Certificate), SerialKey(v.Certificate))
	}
	switch {
	case err == nil:
		a, err := m.Accounts.GetAccount(ctx, b.AccountID)
		if err != nil {
			return match, false, fmt.Errorf("certificate: the account of a binding: %w", err)
		}
		if byID != nil && byID.ID != a.ID {
			return match, false, ErrIdentityConflict
		}
		match.Account, match.By = a, MatchBinding
		return match, true, disabled(a)
	case !errors.Is(err, store.ErrNotFound):
		return match, false, err
	}

	if byID != nil {
		match.Account, match.By = byID, MatchPersonalID
		return match, true, disabled(byID)
	}

	if !v.MapEmail {
		return match, false, nil
	}
	officials := m.Officials
	if officials == nil {
		officials = StoreOfficials{Accounts: m.Accounts}
	}
	for _, e := range ids.Emails {
		a, err := officials.OfficialByEmail(ctx, e)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return match, false, err
		}
		match.Account, match.By = a, MatchEmail
		return match, true, disabled(a)
	}
	return match, false, nil
}

func disabled(a *identity.Account) error {
	if a.Disabled {
		return authn.ErrAccountDisabled
	}
	return nil
}

// BusinessStore is what LinkBusiness needs to record a representation.
type BusinessStore interface {
	GetBusiness(ctx context.Context, code identity.TaxCode) (*identity.Business, error)
	PutBusiness(ctx context.Context, b *identity.Business) error
	AddRepresentation(ctx context.Context, r *identity.Representation) error
	Representations(ctx context.Context, accountID string) ([]*identity.Representation, error)
}

// LinkBusiness records that the account may act for the business a verified
// certificate names ("MST:…"), as authorised staff granted by the
// certificate ("certificate:<fingerprint>"). The business is created, with
// the certificate's organisation name, when it is not known yet; a known
// business keeps its name. An existing link is returned unchanged. It
// returns nil, nil when the certificate names no business.
func LinkBusiness(ctx context.Context, s BusinessStore, accountID string, v *Verified) (*identity.Representation, error) {
	code := v.Identifiers.TaxCode
	if code == "" {
		return nil, nil
	}
	b, err := s.GetBusiness(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		name := strings.TrimSpace(v.Identifiers.Organization)
		if name == "" {
			name = strings.TrimSpace(v.Identifiers.CommonName)
		}
		b = &identity.Business{TaxCode: code, Name: name}
		err = s.PutBusiness(ctx, b)
	}
	if err != nil {
		return nil, err
	}
	r := &identity.Representation{AccountID: accountID, TaxCode: code, BusinessName: b.Name,
		Role: identity.RoleAuthorisedStaff, GrantedBy: "certificate:" + v.Fingerprint}
	err = s.AddRepresentation(ctx, r)
	if _, conflict := store.IsConflict(err); conflict {
		list, err := s.Representations(ctx, accountID)
		if err != nil {
			return nil, err
		}
		for _, have := range list {
			if have.TaxCode == code {
				return have, nil
			}
		}
		return nil, fmt.Errorf("certificate: representation of %s reported taken but not found", code)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}
