package identity

import (
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// BirthdateLayout is the layout of a stored birth date ([Account.Birthdate])
// and of the OpenID Connect "birthdate" claim.
const BirthdateLayout = time.DateOnly

// earliestBirthdate is the first birth date ParseBirthdate accepts.
var earliestBirthdate = time.Date(1900, time.January, 1, 0, 0, 0, 0, time.UTC)

// ParseBirthdate parses a date of birth written "YYYY-MM-DD" (ISO 8601, two
// digits for month and day) or "DD/MM/YYYY" (as written in Vietnam; a
// one-digit day or month is accepted, "1/2/2000"), after trimming surrounding
// white space. The result is midnight UTC of that day; format it with
// [BirthdateLayout] to store it.
//
// It fails with Field "birthdate" and Reason
//
//   - "required" when s is blank;
//   - "invalid" when s is in neither form, names a day that does not exist
//     ("2001-02-29") or is before 1900-01-01;
//   - "future" when the day is after the calendar day of now in now's location
//     (a person born today is accepted).
func ParseBirthdate(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, invalid(fieldBirthdate, "required")
	}
	layout := BirthdateLayout
	if strings.Contains(s, "/") {
		layout = "2/1/2006"
	}
	t, err := time.Parse(layout, s)
	if err != nil || t.Before(earliestBirthdate) {
		return time.Time{}, invalid(fieldBirthdate, "invalid")
	}
	y, m, d := now.Date()
	if t.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
		return time.Time{}, invalid(fieldBirthdate, "future")
	}
	return t, nil
}

// Gender is a person's gender as recorded on the citizen identity card and
// released in the OpenID Connect "gender" claim. The zero value "" means
// unknown.
type Gender string

// The genders of the citizen identity record.
const (
	// GenderMale is male (nam).
	GenderMale Gender = "male"
	// GenderFemale is female (nữ).
	GenderFemale Gender = "female"
)

// ParseGender parses "male" or "female", or the Vietnamese "nam" (male), "nữ"
// or "nu" (female), ignoring case and surrounding white space; "nữ" may be
// NFC or NFD. It fails with Field "gender" and Reason "required" when s is
// blank and "invalid" for anything else.
func ParseGender(s string) (Gender, error) {
	s = strings.ToLower(norm.NFC.String(strings.TrimSpace(s)))
	switch s {
	case "":
		return "", invalid(fieldGender, "required")
	case "male", "nam":
		return GenderMale, nil
	case "female", "nữ", "nu":
		return GenderFemale, nil
	}
	return "", invalid(fieldGender, "invalid")
}
