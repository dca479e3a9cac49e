package identity

import (
	"log/slog"
	"strings"
	"time"
)

// PersonalID is a 12-digit personal identification number (số định danh cá
// nhân), the number printed on the citizen identity card (CCCD). A value
// returned by [ParsePersonalID] is exactly 12 ASCII digits with a known
// province code or an abroad code; the methods return zero values for any
// other string.
//
// Layout: digits 1–3 are the place of birth registration, digit 4 encodes
// century and gender, digits 5–6 are the last two digits of the year of birth
// and digits 7–12 are a serial number. The number has no check digit.
//
// A PersonalID is personal data: it is never used as a subject identifier,
// and logs and pages show [PersonalID.Masked]. Its slog value is masked.
type PersonalID string

// ParsePersonalID trims surrounding white space from s and returns it as a
// PersonalID. It fails with Field "personal_id" and Reason
//
//   - "format" when the rest is not exactly 12 ASCII digits (full-width or
//     other non-ASCII digits are rejected, not converted);
//   - "province" when the first three digits start with 0 and are not one of
//     the 63 province codes of Circular 07/2016/TT-BCA (see [ProvinceName]).
//
// Codes whose first digit is not zero denote a birth registered abroad and are
// accepted. No other digit is checked: the number carries no check digit.
func ParsePersonalID(s string) (PersonalID, error) {
	s = strings.TrimSpace(s)
	if !isDigits(s, personalIDLen) {
		return "", invalid(fieldPersonalID, "format")
	}
	if s[0] == '0' {
		if _, ok := provinces[s[:3]]; !ok {
			return "", invalid(fieldPersonalID, "province")
		}
	}
	return PersonalID(s), nil
}

const personalIDLen = 12

// valid reports whether p has the shape ParsePersonalID guarantees.
func (p PersonalID) valid() bool {
	if !isDigits(string(p), personalIDLen) {
		return false
	}
	if p[0] != '0' {
		return true
	}
	_, ok := provinces[string(p[:3])]
	return ok
}

// Province returns the three-digit place-of-birth-registration code. For a
// province code, name is the province's name as listed in Circular
// 07/2016/TT-BCA and abroad is false; for a code whose first digit is not zero
// name is "" and abroad is true. For a value that ParsePersonalID would reject
// all three results are zero.
func (p PersonalID) Province() (code, name string, abroad bool) {
	if !p.valid() {
		return "", "", false
	}
	code = string(p[:3])
	if code[0] != '0' {
		return code, "", true
	}
	return code, provinces[code], false
}

// Gender returns the gender encoded in the fourth digit: even is
// [GenderMale], odd is [GenderFemale]. It returns "" for a value that
// ParsePersonalID would reject.
func (p PersonalID) Gender() Gender {
	if !p.valid() {
		return ""
	}
	if (p[3]-'0')%2 == 0 {
		return GenderMale
	}
	return GenderFemale
}

// BirthYear returns the year of birth encoded in digits 4–6: the fourth digit
// gives the century (0/1 → 1900s, 2/3 → 2000s, 4/5 → 2100s, 6/7 → 2200s,
// 8/9 → 2300s) and digits 5–6 the year within it. It returns 0 for a value
// that ParsePersonalID would reject.
func (p PersonalID) BirthYear() int {
	if !p.valid() {
		return 0
	}
	century := int(p[3]-'0') / 2
	return 1900 + 100*century + 10*int(p[4]-'0') + int(p[5]-'0')
}

// CheckBirth compares the number with a declared date of birth and gender. It
// returns an error with Field "personal_id" and Reason
//
//   - "format" when p is not a value ParsePersonalID accepts;
//   - "birth_year" when the calendar year of birthdate (in its own location)
//     is not [PersonalID.BirthYear];
//   - "gender" when g is not "" and differs from [PersonalID.Gender].
//
// An empty g skips the gender comparison. The year is checked first.
func (p PersonalID) CheckBirth(birthdate time.Time, g Gender) error {
	if !p.valid() {
		return invalid(fieldPersonalID, "format")
	}
	if birthdate.Year() != p.BirthYear() {
		return invalid(fieldPersonalID, "birth_year")
	}
	if g != "" && g != p.Gender() {
		return invalid(fieldPersonalID, "gender")
	}
	return nil
}

// Masked returns the number with all but its first three and last two digits
// replaced by "*", such as "001*******45", for logs and pages. A value that is
// not 12 bytes long is masked entirely, one "*" per byte.
func (p PersonalID) Masked() string {
	if len(p) != personalIDLen {
		return strings.Repeat("*", len(p))
	}
	return string(p[:3]) + strings.Repeat("*", personalIDLen-5) + string(p[personalIDLen-2:])
}

// LogValue implements [slog.LogValuer]: a PersonalID logged through log/slog
// appears as [PersonalID.Masked].
func (p PersonalID) LogValue() slog.Value {
	return slog.StringValue(p.Masked())
}

// isDigits reports whether s is exactly n ASCII digits.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
