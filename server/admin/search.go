package admin

import (
	"context"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// AccountQuery is a search for people.
type AccountQuery struct {
	// Text is a substring of the name, email, phone or username, or a
	// prefix of the personal ID ("" = everyone).
	Text string
	// Kind narrows to a capacity: identity.CapacityCitizen or
	// identity.CapacityOfficial ("" = both).
	Kind identity.Capacity
	// Agency narrows to the officials of one agency ("" = any).
	Agency string
	// Limit is the page size: 1 to 200 (0 = 50).
	Limit int
	// Offset skips that many results of the principal's view.
	Offset int
	// After is the cursor of the last account of the previous page
	// (store.AccountCursor): the page starts after it, skipping and
	// repeating no one when accounts are created meanwhile.
	After string
}

// maxSearchScan bounds how many accounts one search reads to fill a page
// of the principal's view.
const maxSearchScan = 20000

// SearchAccounts returns a page of the people the principal may read
// (account.read), oldest first: a province-wide super_admin everyone; a
// helpdesk the citizens and the officials of its scope; an agency_admin the
// officials of its scope.
// Bad input is Problems. Administrators outside the principal's reach are
// still listed when their agency is in scope: reading is not acting.
func (s *Service) SearchAccounts(ctx context.Context, q AccountQuery) ([]*identity.Account, error) {
	var p Problems
	q.Text, q.Agency = strings.TrimSpace(q.Text), strings.TrimSpace(q.Agency)
	switch {
	case q.Limit == 0:
		q.Limit = 50
	case q.Limit < 1 || q.Limit > 200:
		p.add("limit", "must be between 1 and 200")
	}
	if q.Offset < 0 || q.Offset > maxSearchScan {
		p.add("offset", "must be between 0 and %d", maxSearchScan)
	}
	if q.Kind != "" && q.Kind != identity.CapacityCitizen && q.Kind != identity.CapacityOfficial {
		p.add("kind", "must be citizen or official")
	}
	if len(q.Text) > 200 {
		p.add("q", "at most 200 characters")
	}
	if len(q.Agency) > 200 {
		p.add("agency", "at most 200 characters")
	}
	if _, _, err := store.ParseAccountCursor(q.After); q.After != "" && err != nil {
		p.add("after", "is not a cursor of this search")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if q.Agency != "" {
		// Searching an agency outside the principal's scope is refused (and
		// audited), not answered with an empty page.
		if err := s.Allow(ctx, PermAccountRead, Target{Agency: q.Agency, Ref: q.Agency}); err != nil {
			return nil, err
		}
	} else if err := s.allowSomewhere(ctx, PermAccountRead); err != nil {
		return nil, err
	}
	return s.searchAccounts(ctx, q)
}

// searchAccounts reads accounts matching q from the store and keeps those
// the principal may read. It is the one place that asks the store: when the
// store filters by agency and pages by key, only this changes.
func (s *Service) searchAccounts(ctx context.Context, q AccountQuery) ([]*identity.Account, error) {
	out := []*identity.Account{}
	skip := q.Offset
	// The first read asks for the page (all of it is in view when the store
	// narrows to the principal's scope); later ones, when some accounts were
	// out of view, for more at a time.
	batch := min(500, max(q.Offset+q.Limit, 20))
	for read := 0; read < maxSearchScan; read += batch {
		if read > 0 {
			batch = 500
		}
		page, err := s.Store.ListAccounts(ctx, store.AccountFilter{Capacity: q.Kind, Query: q.Text, Agency: q.Agency,
			Agencies: s.readAgencies(), After: q.After, Limit: batch, Offset: read})
		if err != nil {
			return nil, err
		}
		for _, a := range page {
			if !s.mayRead(a) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, a)
			if len(out) == q.Limit {
				return out, nil
			}
		}
		if len(page) < batch {
			break
		}
	}
	return out, nil
}

// mayRead reports whether the principal's scope covers reading the
// account, as AccountTarget places it (without its grants: reading is not
// acting on them).
func (s *Service) mayRead(a *identity.Account) bool {
	if s.principal == nil {
		return true
	}
	t := Target{Ref: a.ID, Citizen: a.Official == nil}
	if a.Official != nil {
		t.Agency = a.Official.Agency
	}
	return s.covers(s.principal, PermAccountRead, t)
}

// readAgencies narrows a search to the agencies the principal reads people
// of, when the store can say it: nil (no narrowing) for the command line, a
// province-wide grant or a helpdesk (who reads every citizen; mayRead
// drops the officials outside its scope); else the agencies of its
// agency_admin grants, with their sub-units in Policy.Agencies.
func (s *Service) readAgencies() []string {
	p := s.principal
	if p == nil {
		return nil
	}
	agencies := []string{}
	for _, g := range p.Grants {
		r := Role(g.Role)
		if !r.Allows(PermAccountRead) {
			continue
		}
		if g.Agency == "" || r == RoleHelpdesk {
			return nil
		}
		agencies = append(agencies, g.Agency)
		if g.SubUnits {
			for a := range s.Policy.Agencies {
				if a != g.Agency && s.Policy.Agencies.Within(a, g.Agency, true) {
					agencies = append(agencies, a)
				}
			}
		}
	}
	return agencies
}
