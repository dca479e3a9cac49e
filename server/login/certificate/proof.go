package certificate

import (
	"context"
	"errors"
	"net/http"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/audit"
	certauth "github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// ProveFunc records that the account holds pid, proven by proof, displacing
// (sessions ended, tokens revoked, audited) an account that had only
// asserted it; it returns that account's ID. It fails when another account
// has proven pid.
type ProveFunc func(ctx context.Context, accountID string, pid identity.PersonalID, proof identity.Proofing) (string, error)

// proofOf is the proof that a verified certificate makes of the personal ID
// it carries: by its trust anchor, the document being its fingerprint.
func (s *Step) proofOf(v *certauth.Verified) identity.Proofing {
	return identity.Verify(identity.ProofCertificate, identity.Proofing{Provider: v.Anchor, Document: v.Fingerprint}, s.env.Now())
}

// proveMatched records the proof of the personal ID a certificate carries
// for the account it mapped to, when the account has not proven one and
// holds that ID or none. It returns the account as stored after the proof
// (acct itself when nothing was recorded). A refused proof (the ID proven
// by another account meanwhile) leaves the account as it is; only an outage
// is an error.
func (s *Step) proveMatched(ctx context.Context, acct *identity.Account, v *certauth.Verified, details map[string]string) (*identity.Account, error) {
	pid := v.Identifiers.PersonalID
	if s.cfg.Prove == nil || pid == "" || acct.PersonalIDVerified() || (acct.PersonalID != "" && acct.PersonalID != pid) {
		return acct, nil
	}
	displaced, err := s.cfg.Prove(ctx, acct.ID, pid, s.proofOf(v))
	if err != nil {
		if provenElsewhere(err) {
			return acct, nil
		}
		return nil, err
	}
	details["personal_id_proven"] = "true"
	if displaced != "" {
		details["displaced"] = displaced
	}
	return s.env.Store.GetAccount(ctx, acct.ID)
}

// provenElsewhere reports whether err is a refused proof rather than an
// outage: the refusal is a problem of the field personal_id.
func provenElsewhere(err error) bool {
	if _, ok := store.IsConflict(err); ok {
		return true
	}
	var p admin.Problems
	if errors.As(err, &p) {
		for _, x := range p {
			if x.Field == "personal_id" {
				return true
			}
		}
	}
	return false
}

// createHolder makes, for a certificate that maps to nobody and carries a
// personal ID that only an unproven account holds, the account of the
// certificate's holder: the certificate's name, and the personal ID proven
// by the certificate, which the account that had asserted it loses. It
// returns nil, nil when the certificate carries no ID, or nobody asserted
// it (the certificate is then offered for binding to an existing account).
func (s *Step) createHolder(w http.ResponseWriter, r *http.Request, v *certauth.Verified, details map[string]string) (*identity.Account, error) {
	ctx := r.Context()
	pid := v.Identifiers.PersonalID
	if s.cfg.Prove == nil || pid == "" {
		return nil, nil
	}
	squat, err := s.env.Store.FindAccount(ctx, store.ByPersonalID, string(pid))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if squat.PersonalIDVerified() {
		return nil, nil
	}
	a := &identity.Account{ID: identity.NewSubject(), Locale: s.env.Kit.Lang(w, r)}
	if name, err := identity.NormalizeFullName(v.Identifiers.CommonName); err == nil {
		a.FullName = name
	}
	if err := s.env.Store.CreateAccount(ctx, a, ""); err != nil {
		return nil, err
	}
	s.env.Record(r, audit.AccountRegister, a.ID, "", map[string]string{"kind": "citizen", "via": "certificate",
		"certificate_fingerprint": v.Fingerprint})
	displaced, err := s.cfg.Prove(ctx, a.ID, pid, s.proofOf(v))
	if err != nil {
		return nil, err
	}
	details["personal_id_proven"], details["created"] = "true", "true"
	if displaced != "" {
		details["displaced"] = displaced
	}
	return s.env.Store.GetAccount(ctx, a.ID)
}
