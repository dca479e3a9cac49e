package identity_test

import (
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestParseBirthdate(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	now := time.Date(2025, time.March, 10, 8, 30, 0, 0, ict)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

	valid := []struct {
		in   string
		want time.Time
	}{
		{"1999-05-17", day(1999, 5, 17)},
		{" 1999-05-17 ", day(1999, 5, 17)},
		{"17/05/1999", day(1999, 5, 17)},
		{"7/5/1999", day(1999, 5, 7)},
		{"29/02/2000", day(2000, 2, 29)},
		{"1900-01-01", day(1900, 1, 1)},
		{"2025-03-10", day(2025, 3, 10)},
		{"10/03/2025", day(2025, 3, 10)},
	}
	for _, tt := range valid {
		got, err := identity.ParseBirthdate(tt.in, now)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseBirthdate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if s := got.Format(identity.BirthdateLayout); s != tt.want.Format("2006-01-02") {
			t.Errorf("formatted = %q", s)
		}
	}

	invalid := []struct {
		name, in, reason string
	}{
		{"empty", "", "required"},
		{"blank", "  ", "required"},
		{"garbage", "yesterday", "invalid"},
		{"month 13", "1999-13-01", "invalid"},
		{"29 February of a common year", "2001-02-29", "invalid"},
		{"31 April", "31/04/1999", "invalid"},
		{"one-digit ISO month", "1999-5-17", "invalid"},
		{"two-digit year", "17/05/99", "invalid"},
		{"American order", "05/17/1999", "invalid"},
		{"with time", "1999-05-17T00:00:00Z", "invalid"},
		{"trailing text", "1999-05-17 x", "invalid"},
		{"before 1900", "1899-12-31", "invalid"},
		{"year 0001", "0001-01-01", "invalid"},
		{"tomorrow", "2025-03-11", "future"},
		{"tomorrow DD/MM", "11/03/2025", "future"},
		{"next century", "2125-01-01", "future"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.ParseBirthdate(tt.in, now)
			if !got.IsZero() {
				t.Errorf("ParseBirthdate(%q) = %v, want zero", tt.in, got)
			}
			wantInvalid(t, err, "birthdate", tt.reason)
		})
	}
}

// TestParseBirthdateTodayInNowsLocation: at 01:00 on 10 March in Vietnam it is
// still 9 March in UTC; a child born on 10 March is born today, not in the
// future.
func TestParseBirthdateTodayInNowsLocation(t *testing.T) {
	now := time.Date(2025, time.March, 10, 1, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	if _, err := identity.ParseBirthdate("2025-03-10", now); err != nil {
		t.Fatalf("ParseBirthdate(today) error = %v", err)
	}
}

func TestParseGender(t *testing.T) {
	valid := []struct {
		in   string
		want identity.Gender
	}{
		{"male", identity.GenderMale},
		{"female", identity.GenderFemale},
		{" Male ", identity.GenderMale},
		{"FEMALE", identity.GenderFemale},
		{"nam", identity.GenderMale},
		{"Nam", identity.GenderMale},
		{"nữ", identity.GenderFemale},
		{"Nữ", identity.GenderFemale},
		{"NỮ", identity.GenderFemale},
		{norm.NFD.String("nữ"), identity.GenderFemale},
		{"nu", identity.GenderFemale},
	}
	for _, tt := range valid {
		if got, err := identity.ParseGender(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseGender(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	invalid := []struct{ in, reason string }{
		{"", "required"},
		{"  ", "required"},
		{"m", "invalid"},
		{"f", "invalid"},
		{"other", "invalid"},
		{"nam nữ", "invalid"},
		{"0", "invalid"},
	}
	for _, tt := range invalid {
		got, err := identity.ParseGender(tt.in)
		if got != "" {
			t.Errorf("ParseGender(%q) = %q, want \"\"", tt.in, got)
		}
		wantInvalid(t, err, "gender", tt.reason)
	}
}
