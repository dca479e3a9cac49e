package upstream

import (
	"errors"
	"net/http"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// represent records, when p identifies the person as acting for an
// organisation (its tax code claim), that the account represents that
// business, granted by the provider ("upstream:NAME"), and audits it
// (business.link, with the provider, the role and the organisation's
// TechID). Only a provider that proves the personal ID, for an account
// whose ID is proven, links a business. The business is created when it is
// not known yet, named by the organisation-name claim (or its tax code); a
// known business keeps its name. An existing link is kept as it is. A tax
// code that does not parse links nothing (logged). An error is an outage.
func (s *Step) represent(r *http.Request, p *provider, id *identityClaims, acct *identity.Account, clientID string) error {
	raw := id.text(p.Claims.TaxCode)
	if p.Claims.TaxCode == "" || raw == "" || !p.ProvesPersonalID || !acct.PersonalIDVerified() {
		return nil
	}
	ctx := r.Context()
	code, err := identity.ParseTaxCode(raw)
	if err != nil {
		s.env.Log.Warn("upstream released a malformed tax code; no business is linked", "provider", p.Name,
			"err", err, "request_id", web.RequestID(r))
		return nil
	}
	b, err := s.env.Store.GetBusiness(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		name := id.text(p.Claims.OrganizationName)
		if name == "" {
			name = string(code)
		}
		b = &identity.Business{TaxCode: code, Name: name}
		err = s.env.Store.PutBusiness(ctx, b)
	}
	if err != nil {
		return err
	}
	role := identity.RoleAuthorisedStaff
	if rr, err := identity.ParseRepresentativeRole(p.Claims.RoleCodes[id.text(p.Claims.Role)]); err == nil {
		role = rr
	}
	rep := &identity.Representation{AccountID: acct.ID, TaxCode: code, BusinessName: b.Name, Role: role,
		GrantedBy: "upstream:" + p.Name}
	err = s.env.Store.AddRepresentation(ctx, rep)
	if _, conflict := store.IsConflict(err); conflict {
		return nil // linked before
	}
	if err != nil {
		return err
	}
	details := map[string]string{"tax_code": string(code), "role": string(role), "via": "upstream", "provider": p.Name}
	if techID := id.text(p.Claims.OrganizationTechID); techID != "" {
		details["organization_techid"] = techID
	}
	s.env.Record(r, audit.BusinessLink, acct.ID, clientID, details)
	return nil
}
