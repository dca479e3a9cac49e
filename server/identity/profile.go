package identity

import "strings"

// ClaimProfile names a set of claim names that an application receives in
// its ID tokens and at userinfo besides the standard ones. It is a setting of
// the application (the client), not of the person. The zero value is the
// standard profile: the standard claims only.
type ClaimProfile string

const (
	// ProfileStandard releases the standard claims only.
	ProfileStandard ClaimProfile = ""
	// ProfileDVCQG adds the claim names of the national public-service
	// portal's SSO (Cổng Dịch vụ công quốc gia), for applications written
	// for it; see [ClaimProfile.Apply].
	ProfileDVCQG ClaimProfile = "dvcqg"
)

// ParseClaimProfile trims surrounding white space from s and returns the
// profile it names: "" or "standard" for [ProfileStandard], "dvcqg" for
// [ProfileDVCQG] (exactly, in lower case). It fails with Field
// "claim_profile" and Reason "invalid" for anything else.
func ParseClaimProfile(s string) (ClaimProfile, error) {
	switch s = strings.TrimSpace(s); s {
	case "", "standard":
		return ProfileStandard, nil
	case string(ProfileDVCQG):
		return ProfileDVCQG, nil
	}
	return "", invalid(fieldClaimProfile, "invalid")
}

// Codes of the national portal's "GioiTinh" claim: the ISO/IEC 5218 codes,
// which the national data catalogues use for sex (1 male, 2 female).
const (
	dvcqgMale   = "1"
	dvcqgFemale = "2"
)

// Codes of the national portal's "LoaiTaiKhoan" claim (account type).
const (
	// DVCQGCitizen is a citizen (công dân) acting for themselves.
	DVCQGCitizen = "1"
	// DVCQGBusiness is a person acting for an organisation or a business
	// (tổ chức, doanh nghiệp), identified by "MaSoThue".
	DVCQGBusiness = "2"
	// DVCQGOfficial is an official (cán bộ, công chức, viên chức).
	DVCQGOfficial = "3"
)

// Apply adds to claims, in place, the claim names of profile p, each derived
// from a standard claim already in claims; it never reads the account, so it
// releases nothing that the standard claims (as [Account.Claims] decided
// them, scopes and consent included) do not already release. The standard
// profile adds nothing. [ProfileDVCQG] adds:
//
//	SoDinhDanh        ← personal_id (12 digits), only when present
//	HoVaTen           ← name
//	NgayThangNamSinh  ← birthdate "YYYY-MM-DD" written "YYYYMMDD"
//	GioiTinh          ← gender: "1" male, "2" female (ISO/IEC 5218)
//	LoaiTaiKhoan      ← "3" when account_kind is official; else "2" when
//	                    tax_code is present (acting for a business); else "1"
//	MaSoThue          ← tax_code, only when present
//
// A source claim that is absent, not a string, or not in the expected form
// adds nothing; "LoaiTaiKhoan" is added only when account_kind is present.
// An existing claim is never replaced.
func (p ClaimProfile) Apply(claims map[string]any) {
	if p != ProfileDVCQG || claims == nil {
		return
	}
	str := func(name string) string {
		s, _ := claims[name].(string)
		return s
	}
	put := func(name, value string) {
		if _, taken := claims[name]; !taken && value != "" {
			claims[name] = value
		}
	}
	put("SoDinhDanh", str("personal_id"))
	put("HoVaTen", str("name"))
	if b := str("birthdate"); len(b) == len(BirthdateLayout) && b[4] == '-' && b[7] == '-' &&
		isDigits(b[:4], 4) && isDigits(b[5:7], 2) && isDigits(b[8:], 2) {
		put("NgayThangNamSinh", b[:4]+b[5:7]+b[8:])
	}
	switch Gender(str("gender")) {
	case GenderMale:
		put("GioiTinh", dvcqgMale)
	case GenderFemale:
		put("GioiTinh", dvcqgFemale)
	}
	switch kind := Capacity(str("account_kind")); {
	case kind == CapacityOfficial:
		put("LoaiTaiKhoan", DVCQGOfficial)
	case kind == "":
	case str("tax_code") != "":
		put("LoaiTaiKhoan", DVCQGBusiness)
	default:
		put("LoaiTaiKhoan", DVCQGCitizen)
	}
	put("MaSoThue", str("tax_code"))
}
