package identity_test

import (
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestNormalizeEmail(t *testing.T) {
	valid := []struct{ in, want string }{
		{"an.nguyen@example.vn", "an.nguyen@example.vn"},
		{"  An.Nguyen@Example.GOV.VN \n", "an.nguyen@example.gov.vn"},
		{"a+tag@b.co", "a+tag@b.co"},
		{"x@sub.domain.example", "x@sub.domain.example"},
		{"ánh@ví-dụ.vn", "ánh@ví-dụ.vn"},
		{"ÁNH@VÍ-DỤ.VN", "ánh@ví-dụ.vn"},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"},
	}
	for _, tt := range valid {
		got, err := identity.NormalizeEmail(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			continue
		}
		if again, err := identity.NormalizeEmail(got); err != nil || again != got {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want it unchanged", got, again, err)
		}
	}

	invalid := []struct{ name, in string }{
		{"empty", ""},
		{"blank", "   "},
		{"no at", "an.example.vn"},
		{"two ats", "an@nguyen@example.vn"},
		{"empty local", "@example.vn"},
		{"empty domain", "an@"},
		{"domain without dot", "an@localhost"},
		{"leading dot in domain", "an@.example.vn"},
		{"trailing dot in domain", "an@example.vn."},
		{"double dot in domain", "an@example..vn"},
		{"inner space", "an nguyen@example.vn"},
		{"tab", "an\t@example.vn"},
		{"newline", "an@example.vn\nBcc: x@y.z"},
		{"control char", "an\x01@example.vn"},
		{"zero-width space", "an\u200b@example.vn"},
		{"angle brackets", "An <an@example.vn>"},
		{"comma list", "a@b.vn,c@d.vn"},
		{"quoted local", `"an"@example.vn`},
		{"invalid UTF-8", "an\xff@example.vn"},
		{"local part 65 bytes", strings.Repeat("a", 65) + "@example.vn"},
		{"255 bytes", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.NormalizeEmail(tt.in)
			if got != "" {
				t.Errorf("NormalizeEmail(%q) = %q, want \"\"", tt.in, got)
			}
			wantInvalid(t, err, "email", "invalid")
		})
	}
}

func TestNormalizePhone(t *testing.T) {
	valid := []struct{ in, want string }{
		{"0912345678", "+84912345678"},
		{"+84912345678", "+84912345678"},
		{"84912345678", "+84912345678"},
		{"0084912345678", "+84912345678"},
		{"091 234 5678", "+84912345678"},
		{"091.234.5678", "+84912345678"},
		{"091-234-5678", "+84912345678"},
		{"+84 912 345 678", "+84912345678"},
		{"(+84) 912.345.678", "+84912345678"},
		{"  0912345678  ", "+84912345678"},
		{"0383456789", "+84383456789"},
		{"02838291234", "+842838291234"},
		{"(028) 3829-1234", "+842838291234"},
		{"+84 24 3825 1234", "+842438251234"},
		{"842438251234", "+842438251234"},
	}
	for _, tt := range valid {
		got, err := identity.NormalizePhone(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			continue
		}
		if again, err := identity.NormalizePhone(got); err != nil || again != got {
			t.Errorf("NormalizePhone(%q) = %q, %v; want it unchanged", got, again, err)
		}
	}

	invalid := []struct{ name, in string }{
		{"empty", ""},
		{"blank", "   "},
		{"too short", "091234567"},
		{"too long", "091234567890"},
		{"no trunk prefix", "912345678"},
		{"trunk 0 after country code", "+840912345678"},
		{"national number starting with 0", "00912345678"},
		{"other country", "+14155552671"},
		{"other country 0033", "0033612345678"},
		{"letters", "09123abcde"},
		{"plus in the middle", "09+12345678"},
		{"two pluses", "++84912345678"},
		{"slash", "0912/345/678"},
		{"full-width digits", "０９１２３４５６７８"},
		{"extension", "0912345678 ext 12"},
		{"only country code", "+84"},
		{"huge", strings.Repeat("0", 100)},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.NormalizePhone(tt.in)
			if got != "" {
				t.Errorf("NormalizePhone(%q) = %q, want \"\"", tt.in, got)
			}
			wantInvalid(t, err, "phone", "invalid")
		})
	}
}
