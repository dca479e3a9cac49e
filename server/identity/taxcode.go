package identity

import (
	"errors"
	"strings"
)

// TaxCode is a tax code (mã số thuế). A value returned by [ParseTaxCode] is
// ten ASCII digits, the code of an enterprise; "NNNNNNNNNN-NNN", the code of a
// dependent unit (branch, representative office) of the enterprise whose code
// is the first ten digits; or twelve digits, a personal ID, which since
// 1 July 2025 is the tax code of an individual and of a household business
// (Circular 86/2024/TT-BTC).
type TaxCode string

// ParseTaxCode trims surrounding white space from s and returns it as a
// TaxCode in canonical form. Accepted forms:
//
//   - ten digits d1…d10 where d10 = 10 − (Σ dᵢ·wᵢ mod 11) over the first nine
//     digits with weights 31, 29, 23, 19, 17, 13, 7, 5, 3; a computed check of
//     10 means the number cannot exist;
//   - "NNNNNNNNNN-NNN", a valid ten-digit code, an ASCII hyphen and a suffix
//     from 001 to 999;
//   - the same thirteen digits without the hyphen, returned with it;
//   - twelve digits that [ParsePersonalID] accepts: the personal ID of an
//     individual or of the owner of a household business.
//
// It fails with Field "tax_code" and Reason
//
//   - "format" for any other shape (lengths other than 10, 12, 13 or 14,
//     letters, non-ASCII digits, inner spaces, a misplaced hyphen);
//   - "province" for twelve digits that are not a personal ID (the Reason
//     ParsePersonalID gives);
//   - "zero" when digits 3 to 9 of the ten-digit code are all zero;
//   - "checksum" when the check digit does not match or the computed check is 10;
//   - "branch" when the suffix is 000.
//
// The rules are checked in that order, so a ten-digit part that is both
// all-zero and mis-checked reports "zero".
func ParseTaxCode(s string) (TaxCode, error) {
	s = strings.TrimSpace(s)
	var head, suffix string
	switch {
	case isDigits(s, 10):
		head = s
	case isDigits(s, personalIDLen):
		p, err := ParsePersonalID(s)
		if err != nil {
			var ie *InvalidError
			if errors.As(err, &ie) {
				return "", invalid(fieldTaxCode, ie.Reason)
			}
			return "", invalid(fieldTaxCode, "format")
		}
		return TaxCode(p), nil
	case isDigits(s, 13):
		head, suffix = s[:10], s[10:]
	case len(s) == 14 && s[10] == '-' && isDigits(s[:10], 10) && isDigits(s[11:], 3):
		head, suffix = s[:10], s[11:]
	default:
		return "", invalid(fieldTaxCode, "format")
	}
	if head[2:9] == "0000000" {
		return "", invalid(fieldTaxCode, "zero")
	}
	if check, ok := taxCheckDigit(head); !ok || check != head[9] {
		return "", invalid(fieldTaxCode, "checksum")
	}
	if suffix == "" {
		return TaxCode(head), nil
	}
	if suffix == "000" {
		return "", invalid(fieldTaxCode, "branch")
	}
	return TaxCode(head + "-" + suffix), nil
}

// taxWeights are the weights of the first nine digits of a tax code.
var taxWeights = [9]int{31, 29, 23, 19, 17, 13, 7, 5, 3}

// taxCheckDigit returns the check digit of the ten-digit tax code whose first
// nine digits start head, and false when the computed check is 10. head must
// start with nine ASCII digits.
func taxCheckDigit(head string) (byte, bool) {
	sum := 0
	for i, w := range taxWeights {
		sum += int(head[i]-'0') * w
	}
	check := 10 - sum%11
	if check == 10 {
		return 0, false
	}
	return byte('0' + check), true
}

// IsPersonal reports whether t is the twelve-digit personal-ID form, the tax
// code of an individual or a household business.
func (t TaxCode) IsPersonal() bool {
	return isDigits(string(t), personalIDLen)
}

// IsBranch reports whether t is the code of a dependent unit, that is
// "NNNNNNNNNN-NNN".
func (t TaxCode) IsBranch() bool {
	return len(t) == 14 && t[10] == '-'
}

// Parent returns the ten-digit code of the enterprise: the head of a branch
// code, or t itself when t is not a branch code.
func (t TaxCode) Parent() TaxCode {
	if t.IsBranch() {
		return t[:10]
	}
	return t
}
