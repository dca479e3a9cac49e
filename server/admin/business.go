package admin

import (
	"context"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// BusinessView is a business with the people who represent it.
type BusinessView struct {
	Business        *identity.Business
	Representatives []RepresentativeInfo
}

// RepresentativeInfo is one representative of a business.
type RepresentativeInfo struct {
	*identity.Representation
	// Name is the representative's full name ("" when the account is gone).
	Name string
}

// Business returns the business with the tax code and its representatives
// (business.read: the helpdesk, a super_admin). Bad input is Problems;
// ErrNotFound: no such business.
func (s *Service) Business(ctx context.Context, taxCode string) (*BusinessView, error) {
	tc, err := identity.ParseTaxCode(taxCode)
	if err != nil {
		return nil, Problems{{Field: "tax_code", Message: err.Error()}}
	}
	if err := s.allowSomewhere(ctx, PermBusinessRead); err != nil {
		return nil, err
	}
	b, err := s.Store.GetBusiness(ctx, tc)
	if err != nil {
		return nil, err
	}
	reps, err := s.Store.RepresentativesOf(ctx, tc)
	if err != nil {
		return nil, err
	}
	v := &BusinessView{Business: b, Representatives: []RepresentativeInfo{}}
	for _, r := range reps {
		info := RepresentativeInfo{Representation: r}
		if a, err := s.Store.GetAccount(ctx, r.AccountID); err == nil {
			info.Name = a.FullName
		} else if !IsNotFound(err) {
			return nil, err
		}
		v.Representatives = append(v.Representatives, info)
	}
	return v, nil
}
