package identity_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestParsePersonalIDValid(t *testing.T) {
	tests := []struct {
		in        string
		want      identity.PersonalID
		code      string
		province  string
		abroad    bool
		gender    identity.Gender
		birthYear int
		masked    string
	}{
		{"001099012345", "001099012345", "001", "Hà Nội", false, identity.GenderMale, 1999, "001*******45"},
		{"079303001234", "079303001234", "079", "Hồ Chí Minh", false, identity.GenderFemale, 2003, "079*******34"},
		{"  001099012345\t", "001099012345", "001", "Hà Nội", false, identity.GenderMale, 1999, "001*******45"},
		{"096205000001", "096205000001", "096", "Cà Mau", false, identity.GenderMale, 2005, "096*******01"},
		{"077185123456", "077185123456", "077", "Bà Rịa - Vũng Tàu", false, identity.GenderFemale, 1985, "077*******56"},
		{"046000000000", "046000000000", "046", "Thừa Thiên Huế", false, identity.GenderMale, 1900, "046*******00"},
		{"800123456789", "800123456789", "800", "", true, identity.GenderFemale, 1923, "800*******89"},
		{"101199000000", "101199000000", "101", "", true, identity.GenderFemale, 1999, "101*******00"},
		{"999999999999", "999999999999", "999", "", true, identity.GenderFemale, 2399, "999*******99"},
		{"001410000000", "001410000000", "001", "Hà Nội", false, identity.GenderMale, 2110, "001*******00"},
		{"001699000000", "001699000000", "001", "Hà Nội", false, identity.GenderMale, 2299, "001*******00"},
		{"001800000000", "001800000000", "001", "Hà Nội", false, identity.GenderMale, 2300, "001*******00"},
	}
	for _, tt := range tests {
		t.Run(tt.want.Masked(), func(t *testing.T) {
			p, err := identity.ParsePersonalID(tt.in)
			if err != nil {
				t.Fatalf("ParsePersonalID(%q) error = %v", tt.in, err)
			}
			if p != tt.want {
				t.Fatalf("ParsePersonalID(%q) = %q, want %q", tt.in, p, tt.want)
			}
			code, name, abroad := p.Province()
			if code != tt.code || name != tt.province || abroad != tt.abroad {
				t.Errorf("Province() = %q, %q, %v; want %q, %q, %v", code, name, abroad, tt.code, tt.province, tt.abroad)
			}
			if g := p.Gender(); g != tt.gender {
				t.Errorf("Gender() = %q, want %q", g, tt.gender)
			}
			if y := p.BirthYear(); y != tt.birthYear {
				t.Errorf("BirthYear() = %d, want %d", y, tt.birthYear)
			}
			if m := p.Masked(); m != tt.masked {
				t.Errorf("Masked() = %q, want %q", m, tt.masked)
			}
		})
	}
}

func TestParsePersonalIDInvalid(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "format"},
		{"blank", "   ", "format"},
		{"11 digits", "00109901234", "format"},
		{"13 digits", "0010990123456", "format"},
		{"letter", "00109901234a", "format"},
		{"letter O for zero", "OO1099012345", "format"},
		{"inner spaces", "001 099 012 345", "format"},
		{"hyphens", "001-099-012345", "format"},
		{"sign", "+01099012345", "format"},
		{"full-width digits", "００１０９９０１２３４５", "format"},
		{"Arabic-Indic digits", "٠٠١٠٩٩٠١٢٣٤٥", "format"},
		{"unknown code 003", "003099012345", "province"},
		{"unknown code 097", "097099012345", "province"},
		{"unknown code 099", "099099012345", "province"},
		{"code 000", "000099012345", "province"},
		{"code 050", "050099012345", "province"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := identity.ParsePersonalID(tt.in)
			if p != "" {
				t.Errorf("ParsePersonalID(%q) = %q, want \"\"", tt.in, p)
			}
			wantInvalid(t, err, "personal_id", tt.reason)
		})
	}
}

func TestPersonalIDProvinces(t *testing.T) {
	codes := identity.ProvinceCodes()
	if len(codes) != 63 {
		t.Fatalf("ProvinceCodes() has %d codes, want 63", len(codes))
	}
	for i, code := range codes {
		if i > 0 && codes[i-1] >= code {
			t.Errorf("ProvinceCodes() not ascending at %q", code)
		}
		name, ok := identity.ProvinceName(code)
		if !ok || name == "" {
			t.Errorf("ProvinceName(%q) = %q, %v", code, name, ok)
		}
		if !norm.NFC.IsNormalString(name) {
			t.Errorf("ProvinceName(%q) = %q is not NFC", code, name)
		}
		p, err := identity.ParsePersonalID(code + "099012345")
		if err != nil {
			t.Errorf("ParsePersonalID with code %s: %v", code, err)
			continue
		}
		if c, n, abroad := p.Province(); c != code || n != name || abroad {
			t.Errorf("Province() = %q, %q, %v; want %q, %q, false", c, n, abroad, code, name)
		}
	}
	if codes[0] != "001" || codes[62] != "096" {
		t.Errorf("ProvinceCodes() from %s to %s, want 001 to 096", codes[0], codes[62])
	}
	for _, code := range []string{"000", "003", "097", "099", "100", "800", "01", "0001"} {
		if name, ok := identity.ProvinceName(code); ok {
			t.Errorf("ProvinceName(%q) = %q, true; want false", code, name)
		}
	}
}

func TestPersonalIDCheckBirth(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		id     identity.PersonalID
		birth  time.Time
		gender identity.Gender
		reason string // "" for no error
	}{
		{"man born 1999", "001099012345", day(1999, 5, 17), identity.GenderMale, ""},
		{"gender unknown", "001099012345", day(1999, 5, 17), "", ""},
		{"woman born 2003", "079303001234", day(2003, 12, 31), identity.GenderFemale, ""},
		{"birth year mismatch", "001099012345", day(1998, 5, 17), identity.GenderMale, "birth_year"},
		{"century mismatch", "001099012345", day(2099, 5, 17), identity.GenderMale, "birth_year"},
		{"both wrong reports year", "001099012345", day(2000, 1, 1), identity.GenderFemale, "birth_year"},
		{"gender mismatch", "001099012345", day(1999, 5, 17), identity.GenderFemale, "gender"},
		{"gender mismatch woman", "079303001234", day(2003, 1, 1), identity.GenderMale, "gender"},
		{"year of the location", "001099012345", time.Date(1999, 12, 31, 23, 0, 0, 0, time.FixedZone("ICT", 7*3600)), identity.GenderMale, ""},
		{"malformed", "12345", day(1999, 5, 17), identity.GenderMale, "format"},
		{"unknown province", "003099012345", day(1999, 5, 17), identity.GenderMale, "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.id.CheckBirth(tt.birth, tt.gender)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("CheckBirth() error = %v, want nil", err)
				}
				return
			}
			wantInvalid(t, err, "personal_id", tt.reason)
		})
	}
}

func TestPersonalIDMalformedValues(t *testing.T) {
	for _, p := range []identity.PersonalID{"", "123", "00109901234a", "003099012345", "0010990123456"} {
		if code, name, abroad := p.Province(); code != "" || name != "" || abroad {
			t.Errorf("%q.Province() = %q, %q, %v; want zero", p, code, name, abroad)
		}
		if g := p.Gender(); g != "" {
			t.Errorf("%q.Gender() = %q, want \"\"", p, g)
		}
		if y := p.BirthYear(); y != 0 {
			t.Errorf("%q.BirthYear() = %d, want 0", p, y)
		}
		if len(p) == 12 {
			continue
		}
		if m := p.Masked(); m != strings.Repeat("*", len(p)) {
			t.Errorf("%q.Masked() = %q, want all stars", p, m)
		}
	}
}

func TestPersonalIDLogValueIsMasked(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("login", "personal_id", identity.PersonalID("001099012345"))
	out := buf.String()
	if strings.Contains(out, "001099012345") || !strings.Contains(out, "personal_id=001*******45") {
		t.Errorf("log line = %q, want the masked number only", out)
	}
}
