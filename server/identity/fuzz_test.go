package identity_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// checkRejection fails t unless err is an *identity.InvalidError for field
// with a non-empty reason.
func checkRejection(t *testing.T, in string, err error, field string) {
	t.Helper()
	var ie *identity.InvalidError
	if !errors.As(err, &ie) || ie.Field != field || ie.Reason == "" {
		t.Fatalf("input %q: error %v (%T), want an InvalidError for %s", in, err, err, field)
	}
}

func FuzzParsePersonalID(f *testing.F) {
	for _, s := range []string{
		"001099012345", "079303001234", "800123456789", " 096205000001 ",
		"003099012345", "00109901234", "00109901234a", "００１０９９０１２３４５", "", "0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := identity.ParsePersonalID(s)
		if err != nil {
			checkRejection(t, s, err, "personal_id")
			if p != "" {
				t.Fatalf("ParsePersonalID(%q) = %q with an error", s, p)
			}
			return
		}
		if len(p) != 12 {
			t.Fatalf("ParsePersonalID(%q) = %q, not 12 bytes", s, p)
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				t.Fatalf("ParsePersonalID(%q) = %q, not ASCII digits", s, p)
			}
		}
		if string(p) != strings.TrimSpace(s) {
			t.Fatalf("ParsePersonalID(%q) = %q, changed more than white space", s, p)
		}
		again, err := identity.ParsePersonalID(string(p))
		if err != nil || again != p {
			t.Fatalf("ParsePersonalID(%q) = %q, %v; want it unchanged", p, again, err)
		}
		code, name, abroad := p.Province()
		if code != string(p[:3]) || abroad != (p[0] != '0') || (name == "") != abroad {
			t.Fatalf("%q.Province() = %q, %q, %v", p, code, name, abroad)
		}
		if y := p.BirthYear(); y < 1900 || y > 2399 || y%100 != int(p[4]-'0')*10+int(p[5]-'0') {
			t.Fatalf("%q.BirthYear() = %d", p, y)
		}
		if g := p.Gender(); g != identity.GenderMale && g != identity.GenderFemale {
			t.Fatalf("%q.Gender() = %q", p, g)
		}
		if m := p.Masked(); len(m) != 12 || m[:3] != string(p[:3]) || m[10:] != string(p[10:]) || m[3:10] != "*******" {
			t.Fatalf("%q.Masked() = %q", p, m)
		}
	})
}

func FuzzParseTaxCode(f *testing.F) {
	for _, s := range []string{
		"0100233488", "0314409058", "0100109106", "0106323762", "0100233488-001", "0314409058999",
		"0100233489", "0100233488-000", "0100000003", "010023348", "0100233488-", "", "-",
		"001099000123", "000023348800", "123456789012",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tc, err := identity.ParseTaxCode(s)
		if err != nil {
			checkRejection(t, s, err, "tax_code")
			if tc != "" {
				t.Fatalf("ParseTaxCode(%q) = %q with an error", s, tc)
			}
			return
		}
		if len(tc) == 12 {
			// The personal-ID form: exactly what ParsePersonalID accepts.
			p, err := identity.ParsePersonalID(string(tc))
			if err != nil || string(p) != string(tc) || !tc.IsPersonal() || tc.IsBranch() || tc.Parent() != tc {
				t.Fatalf("ParseTaxCode(%q) = %q: ParsePersonalID = %q, %v; IsPersonal %v", s, tc, p, err, tc.IsPersonal())
			}
			if again, err := identity.ParseTaxCode(string(tc)); err != nil || again != tc {
				t.Fatalf("ParseTaxCode(%q) = %q, %v; want it unchanged", tc, again, err)
			}
			return
		}
		if tc.IsPersonal() {
			t.Fatalf("%q.IsPersonal() = true", tc)
		}
		head := string(tc.Parent())
		switch {
		case len(tc) == 10:
			if tc.IsBranch() || head != string(tc) {
				t.Fatalf("%q: IsBranch() = %v, Parent() = %q", tc, tc.IsBranch(), head)
			}
		case len(tc) == 14:
			suffix := string(tc[11:])
			if !tc.IsBranch() || tc[10] != '-' || head != string(tc[:10]) || suffix == "000" {
				t.Fatalf("%q: IsBranch() = %v, Parent() = %q", tc, tc.IsBranch(), head)
			}
			for i := 0; i < 3; i++ {
				if suffix[i] < '0' || suffix[i] > '9' {
					t.Fatalf("ParseTaxCode(%q) = %q, suffix not digits", s, tc)
				}
			}
		default:
			t.Fatalf("ParseTaxCode(%q) = %q, length %d", s, tc, len(tc))
		}
		for i := 0; i < 10; i++ {
			if head[i] < '0' || head[i] > '9' {
				t.Fatalf("ParseTaxCode(%q) = %q, head not digits", s, tc)
			}
		}
		if check := 10 - taxSum(head)%11; check == 10 || int(head[9]-'0') != check {
			t.Fatalf("ParseTaxCode(%q) = %q, check digit %c, computed %d", s, tc, head[9], check)
		}
		if head[2:9] == "0000000" {
			t.Fatalf("ParseTaxCode(%q) = %q, digits 3-9 zero", s, tc)
		}
		again, err := identity.ParseTaxCode(string(tc))
		if err != nil || again != tc {
			t.Fatalf("ParseTaxCode(%q) = %q, %v; want it unchanged", tc, again, err)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"0912345678", "+84912345678", "84912345678", "0084912345678", "(+84) 912.345.678",
		"(028) 3829-1234", "+840912345678", "+14155552671", "091234567", "", "+", "84",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := identity.NormalizePhone(s)
		if err != nil {
			checkRejection(t, s, err, "phone")
			if p != "" {
				t.Fatalf("NormalizePhone(%q) = %q with an error", s, p)
			}
			return
		}
		nsn, ok := strings.CutPrefix(p, "+84")
		if !ok || (len(nsn) != 9 && len(nsn) != 10) || nsn[0] == '0' {
			t.Fatalf("NormalizePhone(%q) = %q, not +84 and 9 or 10 digits", s, p)
		}
		for i := 0; i < len(nsn); i++ {
			if nsn[i] < '0' || nsn[i] > '9' {
				t.Fatalf("NormalizePhone(%q) = %q, not digits", s, p)
			}
		}
		if !strings.HasSuffix(digitsOf(s), nsn) {
			t.Fatalf("NormalizePhone(%q) = %q, digits not taken from the input", s, p)
		}
		again, err := identity.NormalizePhone(p)
		if err != nil || again != p {
			t.Fatalf("NormalizePhone(%q) = %q, %v; want it unchanged", p, again, err)
		}
	})
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func FuzzNormalizeFullName(f *testing.F) {
	for _, s := range []string{
		"Nguyễn Thị Ánh", norm.NFD.String("Nguyễn Thị Ánh"), "  Trần   Đức\tThắng ", "K’Bông", "K'Sơr",
		"Hồ-Nguyễn Minh", "Ng. Văn A", "สมชาย ใจดี", "a \u0301", "\u0301", "Ánh 🌸", "Nguy\xffn", "", " ",
		strings.Repeat("ễ", 101),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := identity.NormalizeFullName(s)
		if err != nil {
			checkRejection(t, s, err, "full_name")
			if n != "" {
				t.Fatalf("NormalizeFullName(%q) = %q with an error", s, n)
			}
			return
		}
		if !utf8.ValidString(n) || !norm.NFC.IsNormalString(n) {
			t.Fatalf("NormalizeFullName(%q) = %q, not valid NFC", s, n)
		}
		if c := utf8.RuneCountInString(n); c < 1 || c > identity.MaxFullNameLength {
			t.Fatalf("NormalizeFullName(%q) = %q, %d runes", s, n, c)
		}
		if n != strings.TrimSpace(n) || strings.Contains(n, "  ") || strings.Join(strings.Fields(n), " ") != n {
			t.Fatalf("NormalizeFullName(%q) = %q, white space not normalised", s, n)
		}
		if strings.ContainsAny(n, "0123456789@<>\"’") {
			t.Fatalf("NormalizeFullName(%q) = %q, forbidden character", s, n)
		}
		again, err := identity.NormalizeFullName(n)
		if err != nil || again != n {
			t.Fatalf("NormalizeFullName(%q) = %q, %v; want it unchanged", n, again, err)
		}
		family, middle, given := identity.SplitName(n)
		if given == "" || strings.Join(slicesNonEmpty(family, middle, given), " ") != n {
			t.Fatalf("SplitName(%q) = %q, %q, %q", n, family, middle, given)
		}
	})
}

func slicesNonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
