package admin

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/dinhdanh/dinhdanh/store"
)

// maxPurposeLength is the longest purpose statement, in characters.
const maxPurposeLength = 500

// validatePurpose trims the client's purpose statements and checks them and
// its privacy-notice URLs (Law 91/2025/QH15): a statement of at most 500
// characters without control characters; a URL absolute https (http only on
// a loopback host), without user information or fragment. All are optional.
func validatePurpose(p *Problems, spec *ClientSpec) {
	spec.PurposeVI, spec.PurposeEN = strings.TrimSpace(spec.PurposeVI), strings.TrimSpace(spec.PurposeEN)
	for _, f := range []struct{ field, value string }{{"purpose_vi", spec.PurposeVI}, {"purpose_en", spec.PurposeEN}} {
		if utf8.RuneCountInString(f.value) > maxPurposeLength || !utf8.ValidString(f.value) ||
			strings.ContainsFunc(f.value, func(r rune) bool { return r < 32 || r == 127 }) {
			p.add(f.field, "must be at most %d characters on one line", maxPurposeLength)
		}
	}
	spec.PrivacyURLVI, spec.PrivacyURLEN = strings.TrimSpace(spec.PrivacyURLVI), strings.TrimSpace(spec.PrivacyURLEN)
	for _, f := range []struct{ field, value string }{{"privacy_url_vi", spec.PrivacyURLVI}, {"privacy_url_en", spec.PrivacyURLEN}} {
		if f.value != "" && !privacyURL(f.value) {
			p.add(f.field, "%q must be an absolute https URL without a fragment (http only on localhost)", f.value)
		}
	}
}

// privacyURL reports whether s may be linked as a privacy notice.
func privacyURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(s, "#") || len(s) > 2000 {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		return h == "localhost" || h == "127.0.0.1" || h == "::1"
	}
	return false
}

// applyPurpose copies the spec's purpose statements and privacy notices to c.
func applyPurpose(c *store.Client, spec *ClientSpec) {
	c.PurposeVI, c.PurposeEN, c.PrivacyURLVI, c.PrivacyURLEN = spec.PurposeVI, spec.PurposeEN, spec.PrivacyURLVI, spec.PrivacyURLEN
}
