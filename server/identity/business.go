package identity

import (
	"strings"
	"time"
)

// RepresentativeRole is the role in which a person acts for a business.
type RepresentativeRole string

// The roles of a [Representation].
const (
	// RoleLegalRepresentative is the business's legal representative
	// (người đại diện theo pháp luật).
	RoleLegalRepresentative RepresentativeRole = "legal_representative"
	// RoleAuthorisedStaff is a person the business authorised to act for it
	// (người được ủy quyền).
	RoleAuthorisedStaff RepresentativeRole = "authorised_staff"
)

// ParseRepresentativeRole parses "legal_representative" or
// "authorised_staff" (exactly, after trimming surrounding white space). It
// fails with Field "representative_role" and Reason "required" when s is blank
// and "invalid" otherwise.
func ParseRepresentativeRole(s string) (RepresentativeRole, error) {
	switch r := RepresentativeRole(strings.TrimSpace(s)); r {
	case "":
		return "", invalid(fieldRole, "required")
	case RoleLegalRepresentative, RoleAuthorisedStaff:
		return r, nil
	}
	return "", invalid(fieldRole, "invalid")
}

// Business is an enterprise, or a dependent unit of one, known by its tax
// code.
type Business struct {
	TaxCode   TaxCode // canonical, as returned by ParseTaxCode
	Name      string  // registered name
	CreatedAt time.Time
}

// Representation links an account to a business it may act for. It is
// created when the person proves the link with the business's
// digital-signature certificate or when an administrator approves it.
type Representation struct {
	AccountID    string // the Account.ID of the representative
	TaxCode      TaxCode
	BusinessName string // the Business.Name at the time it was read
	Role         RepresentativeRole
	GrantedBy    string // who or what granted the link, such as the approving administrator's account ID
	CreatedAt    time.Time
}
