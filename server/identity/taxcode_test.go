package identity_test

import (
	"fmt"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// weights of the first nine digits of a tax code, written out again here so
// that the test does not trust the code under test.
var testTaxWeights = []int{31, 29, 23, 19, 17, 13, 7, 5, 3}

// taxSum returns Σ dᵢ·wᵢ over the first nine digits of code.
func taxSum(code string) int {
	sum := 0
	for i, w := range testTaxWeights {
		sum += int(code[i]-'0') * w
	}
	return sum
}

func TestParseTaxCodeValid(t *testing.T) {
	tests := []struct {
		in       string
		want     identity.TaxCode
		isBranch bool
		parent   identity.TaxCode
	}{
		{"0100233488", "0100233488", false, "0100233488"},
		{"0314409058", "0314409058", false, "0314409058"},
		{"0100109106", "0100109106", false, "0100109106"},
		{"0106323762", "0106323762", false, "0106323762"},
		{" 0106323762\n", "0106323762", false, "0106323762"},
		{"0100233488-001", "0100233488-001", true, "0100233488"},
		{"0314409058-999", "0314409058-999", true, "0314409058"},
		{"0100109106-042", "0100109106-042", true, "0100109106"},
		{"0100233488001", "0100233488-001", true, "0100233488"},
		{"0314409058999", "0314409058-999", true, "0314409058"},
		{"  0314409058-999  ", "0314409058-999", true, "0314409058"},
		// The personal ID of an individual or a household business.
		{"001099000123", "001099000123", false, "001099000123"},
		{"079203001234", "079203001234", false, "079203001234"},
		{" 010023348800\t", "010023348800", false, "010023348800"},
		{"123456789012", "123456789012", false, "123456789012"}, // birth registered abroad
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := identity.ParseTaxCode(tt.in)
			if err != nil {
				t.Fatalf("ParseTaxCode(%q) error = %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseTaxCode(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got.IsBranch() != tt.isBranch {
				t.Errorf("IsBranch() = %v, want %v", got.IsBranch(), tt.isBranch)
			}
			if personal := len(tt.want) == 12; got.IsPersonal() != personal {
				t.Errorf("IsPersonal() = %v, want %v", got.IsPersonal(), personal)
			}
			if got.Parent() != tt.parent {
				t.Errorf("Parent() = %q, want %q", got.Parent(), tt.parent)
			}
			again, err := identity.ParseTaxCode(string(got))
			if err != nil || again != got {
				t.Errorf("ParseTaxCode(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestParseTaxCodeInvalid(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "format"},
		{"9 digits", "010023348", "format"},
		{"11 digits", "01002334880", "format"},
		{"12 digits, unknown province", "000023348800", "province"},
		{"12 digits, province code 099", "099203001234", "province"},
		{"12 digits with a hyphen", "0010990-00123", "format"},
		{"12 full-width digits", "００１０９９０００１２３", "format"},
		{"15 digits", "010023348800100", "format"},
		{"letters", "01002334AB", "format"},
		{"full-width digits", "０１００２３３４８８", "format"},
		{"inner space", "0100 233488", "format"},
		{"hyphen in head", "01002-33488", "format"},
		{"short suffix", "0100233488-01", "format"},
		{"long suffix", "0100233488-0001", "format"},
		{"letter suffix", "0100233488-0A1", "format"},
		{"en dash", "0100233488–001", "format"},
		{"hyphen only", "0100233488-", "format"},
		{"wrong check digit", "0100233489", "checksum"},
		{"wrong check digit 2", "0314409050", "checksum"},
		{"transposed digits", "0100234388", "checksum"},
		{"branch of bad head", "0100233489-001", "checksum"},
		{"branch of bad head without hyphen", "0100233489001", "checksum"},
		{"suffix 000", "0100233488-000", "branch"},
		{"suffix 000 without hyphen", "0100233488000", "branch"},
		{"digits 3-9 zero, check matches", "0100000003", "zero"},
		{"digits 3-9 zero, check wrong", "0100000000", "zero"},
		{"all zero", "0000000000", "zero"},
		{"branch of zero head", "0100000003-001", "zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.ParseTaxCode(tt.in)
			if got != "" {
				t.Errorf("ParseTaxCode(%q) = %q, want \"\"", tt.in, got)
			}
			wantInvalid(t, err, "tax_code", tt.reason)
		})
	}
}

// TestParseTaxCodeZeroRuleCheckMatches guards the "zero" case above: its
// check digit really is right, so only the zero rule rejects it.
func TestParseTaxCodeZeroRuleCheckMatches(t *testing.T) {
	if got := 10 - taxSum("0100000003")%11; got != 3 {
		t.Fatalf("check digit of 010000000 = %d, want 3", got)
	}
}

// TestParseTaxCodeCheckTen finds nine-digit heads whose computed check is 10
// and asserts that no final digit makes them valid.
func TestParseTaxCodeCheckTen(t *testing.T) {
	found := 0
	for n := 100000000; n < 100001000 && found < 3; n++ {
		head := fmt.Sprintf("%09d", n)
		if head[2:9] == "0000000" || taxSum(head)%11 != 0 {
			continue
		}
		found++
		for d := '0'; d <= '9'; d++ {
			code := head + string(d)
			_, err := identity.ParseTaxCode(code)
			wantInvalid(t, err, "tax_code", "checksum")
			_, err = identity.ParseTaxCode(code + "-001")
			wantInvalid(t, err, "tax_code", "checksum")
		}
	}
	if found == 0 {
		t.Fatal("no head with a computed check of 10 in the searched range")
	}
}

// TestParseTaxCodeOneCheckDigit asserts, for many heads, that exactly the
// computed check digit is accepted.
func TestParseTaxCodeOneCheckDigit(t *testing.T) {
	for n := 100233400; n < 100233600; n++ {
		head := fmt.Sprintf("%09d", n)
		check := 10 - taxSum(head)%11
		for d := 0; d <= 9; d++ {
			code := fmt.Sprintf("%s%d", head, d)
			got, err := identity.ParseTaxCode(code)
			switch {
			case d == check:
				if err != nil || string(got) != code {
					t.Errorf("ParseTaxCode(%q) = %q, %v; want it valid", code, got, err)
				}
			default:
				wantInvalid(t, err, "tax_code", "checksum")
			}
		}
	}
}

func TestTaxCodeParentOfMalformed(t *testing.T) {
	for _, tc := range []identity.TaxCode{"", "123", "0100233488"} {
		if tc.IsBranch() {
			t.Errorf("%q.IsBranch() = true", tc)
		}
		if tc.Parent() != tc {
			t.Errorf("%q.Parent() = %q, want itself", tc, tc.Parent())
		}
	}
}
