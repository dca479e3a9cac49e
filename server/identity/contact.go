package identity

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEmailLength is the largest length in bytes of an address that
// [NormalizeEmail] accepts (RFC 5321 path limit less the angle brackets).
const MaxEmailLength = 254

// NormalizeEmail returns an e-mail address in canonical form: surrounding
// white space removed and the whole address lower-cased. It fails with Field
// "email" and Reason "invalid" unless the result
//
//   - is valid UTF-8 of at most [MaxEmailLength] bytes;
//   - contains exactly one "@", with a local part of 1 to 64 bytes before it;
//   - has a domain containing a dot, with no empty label (no leading,
//     trailing or doubled dot);
//   - contains no white space, control or invisible formatting characters,
//     and none of the characters `"(),:;<>[\]`, which only quoted or
//     obsolete address forms use.
//
// An empty input is "invalid" too: whether an address is required is the
// caller's decision. The result is accepted again unchanged.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 4*MaxEmailLength || !utf8.ValidString(s) {
		return "", invalid(fieldEmail, "invalid")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			strings.ContainsRune(`"(),:;<>[\]`, r) {
			return "", invalid(fieldEmail, "invalid")
		}
	}
	s = strings.ToLower(s)
	if len(s) > MaxEmailLength || strings.Count(s, "@") != 1 {
		return "", invalid(fieldEmail, "invalid")
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || len(local) > 64 || !strings.Contains(domain, ".") {
		return "", invalid(fieldEmail, "invalid")
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" {
			return "", invalid(fieldEmail, "invalid")
		}
	}
	return s, nil
}

// NormalizePhone returns a Vietnamese telephone number, mobile or landline, in
// E.164 form "+84" followed by the national significant number. Accepted
// inputs write the number as
//
//   - national: "0" and the national significant number ("0912345678");
//   - international: "+84", "84" or "0084" and the national significant
//     number ("+84912345678", "84912345678");
//
// with any spaces, dots, hyphens or parentheses between the digits
// ("091 234 5678", "(+84) 912.345.678", "(028) 3829-1234"). The national
// significant number must be 9 digits (mobile) or 10 digits (landline) and
// must not start with 0. Anything else fails with Field "phone" and Reason
// "invalid", including numbers of other countries and a trunk 0 after the
// country code ("+84 0912…"). The result is accepted again unchanged.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return "", invalid(fieldPhone, "invalid")
	}
	digits := make([]byte, 0, 16)
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r == '+' && !plus && len(digits) == 0:
			plus = true
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", invalid(fieldPhone, "invalid")
		}
	}
	d := string(digits)
	var nsn string
	switch {
	case plus:
		rest, ok := strings.CutPrefix(d, "84")
		if !ok {
			return "", invalid(fieldPhone, "invalid")
		}
		nsn = rest
	case strings.HasPrefix(d, "0084"):
		nsn = d[4:]
	case strings.HasPrefix(d, "0"):
		nsn = d[1:]
	case strings.HasPrefix(d, "84"):
		nsn = d[2:]
	default:
		return "", invalid(fieldPhone, "invalid")
	}
	if (len(nsn) != 9 && len(nsn) != 10) || nsn[0] == '0' {
		return "", invalid(fieldPhone, "invalid")
	}
	return "+84" + nsn, nil
}
