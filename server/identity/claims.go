package identity

import "slices"

// The scopes that release claims, in addition to "openid"; see [Account.Claims].
const (
	// ScopeProfile releases the name, birth date, gender, locale and, for an
	// official, the agency, department and title.
	ScopeProfile = "profile"
	// ScopeEmail releases the e-mail address and whether it is verified.
	ScopeEmail = "email"
	// ScopePhone releases the phone number and whether it is verified.
	ScopePhone = "phone"
	// ScopePersonalID releases the personal ID number, with the user's consent.
	ScopePersonalID = "personal_id"
	// ScopeBusiness releases the business the user acts for.
	ScopeBusiness = "business"
	// ScopeRoles releases an official's roles and directory groups.
	ScopeRoles = "roles"
)

// ClaimRequest says which claims an application may receive about an account
// in one session.
type ClaimRequest struct {
	Scopes              []string        // the granted scopes; unknown scopes are ignored
	Capacity            Capacity        // the capacity of the session
	Business            *Representation // the business the user acts for, when chosen
	PersonalIDConsented bool            // the user consented to releasing the personal ID to this application
	// Verified is the application's request for "verified_claims" (nil:
	// none); see [Account.VerifiedClaims].
	Verified *VerifiedClaimsRequest
}

// ScopeClaims returns, for each scope, the claims [Account.Claims] may release
// under it, for discovery ("scopes_supported", "claims_supported") and consent
// pages. "account_kind" is released whatever the scopes and is listed under
// "openid". "verified_claims", released under "personal_id" only when
// asked for, is not listed. The caller owns the returned map.
func ScopeClaims() map[string][]string {
	m := make(map[string][]string, len(scopeClaims))
	for scope, claims := range scopeClaims {
		m[scope] = slices.Clone(claims)
	}
	return m
}

var scopeClaims = map[string][]string{
	"openid":        {"account_kind"},
	ScopeProfile:    {"name", "family_name", "given_name", "middle_name", "birthdate", "gender", "locale", "updated_at", "organization", "department", "title"},
	ScopeEmail:      {"email", "email_verified"},
	ScopePhone:      {"phone_number", "phone_number_verified"},
	ScopePersonalID: {"personal_id"},
	ScopeBusiness:   {"tax_code", "business"},
	ScopeRoles:      {"roles", "groups"},
}

// Claims returns the claims about a that r allows an application to receive.
// It does not include "sub" (the caller adds it) nor any protocol claim.
// A claim whose value is empty is omitted, never released as "".
//
//   - Always: "account_kind" = string(r.Capacity).
//   - "profile": "name", "family_name", "middle_name", "given_name" (the
//     name split by [SplitName]), "birthdate", "gender", "locale",
//     "updated_at" (Unix seconds, int64, omitted when UpdatedAt is zero); and
//     when r.Capacity is official and a.Official is not nil: "organization"
//     (the agency), "department", "title".
//   - "email": "email" and "email_verified", when Email is not "".
//   - "phone": "phone_number" and "phone_number_verified", when Phone is not "".
//   - "personal_id": "personal_id", only when r.PersonalIDConsented and
//     PersonalID is proven ([Account.PersonalIDVerified]): a self-asserted
//     number is never released. Under the same conditions, when r.Verified
//     is not nil, "verified_claims" ([Account.VerifiedClaims]): they are
//     released only when asked for, never by the scope alone.
//   - "business": when r.Business is not nil, "tax_code" (string) and
//     "business" = map[string]any{"tax_code", "name", "role"} (strings). A
//     representation whose AccountID is set and is not a.ID is ignored.
//   - "roles": when r.Capacity is official and a.Official is not nil,
//     "roles" and "groups" ([]string, copies; omitted when empty).
//
// Values are of JSON-ready types: string, bool, int64, []string and
// map[string]any.
func (a *Account) Claims(r ClaimRequest) map[string]any {
	c := map[string]any{"account_kind": string(r.Capacity)}
	official := r.Capacity == CapacityOfficial && a.Official != nil
	for _, scope := range r.Scopes {
		switch scope {
		case ScopeProfile:
			family, middle, given := SplitName(a.FullName)
			putString(c, "name", a.FullName)
			putString(c, "family_name", family)
			putString(c, "middle_name", middle)
			putString(c, "given_name", given)
			putString(c, "birthdate", a.Birthdate)
			putString(c, "gender", string(a.Gender))
			putString(c, "locale", a.Locale)
			if !a.UpdatedAt.IsZero() {
				c["updated_at"] = a.UpdatedAt.Unix()
			}
			if official {
				putString(c, "organization", a.Official.Agency)
				putString(c, "department", a.Official.Department)
				putString(c, "title", a.Official.Title)
			}
		case ScopeEmail:
			if a.Email != "" {
				c["email"] = a.Email
				c["email_verified"] = a.EmailVerified
			}
		case ScopePhone:
			if a.Phone != "" {
				c["phone_number"] = a.Phone
				c["phone_number_verified"] = a.PhoneVerified
			}
		case ScopePersonalID:
			if r.PersonalIDConsented && a.PersonalIDVerified() {
				c["personal_id"] = string(a.PersonalID)
				if v := a.VerifiedClaims(r.Verified); v != nil {
					c["verified_claims"] = v
				}
			}
		case ScopeBusiness:
			b := r.Business
			if b != nil && (b.AccountID == "" || b.AccountID == a.ID) {
				c["tax_code"] = string(b.TaxCode)
				c["business"] = map[string]any{
					"tax_code": string(b.TaxCode),
					"name":     b.BusinessName,
					"role":     string(b.Role),
				}
			}
		case ScopeRoles:
			if official {
				putStrings(c, "roles", a.Official.Roles)
				putStrings(c, "groups", a.Official.Groups)
			}
		}
	}
	return c
}

func putString(c map[string]any, name, value string) {
	if value != "" {
		c[name] = value
	}
}

func putStrings(c map[string]any, name string, values []string) {
	if len(values) > 0 {
		c[name] = slices.Clone(values)
	}
}
