package ui

import (
	"html/template"
	"net/url"
	"strings"
)

// SupportContact says whom a person should contact when something goes
// wrong: the error pages and the login page's help show it. Every field is
// optional; the zero value shows nothing. The configuration validates the
// values (config.SupportContact); the links are still built here so that
// whatever they hold stays a mailto:, tel: or http(s) link.
type SupportContact struct {
	// Text is a sentence per language ("vi", "en"), e.g. the help desk's
	// name and hours. A language without one shows the other's.
	Text map[string]string
	// Email is an address, linked with mailto:.
	Email string
	// Phone is a number, linked with tel: (digits and a leading + only).
	Phone string
	// URL is an http or https page of help.
	URL string
}

// supportView is what the templates get from the "support" function.
type supportView struct {
	Text             string
	Email, Phone     string
	EmailURL, TelURL template.URL
	URL              string
}

// view returns the contact in lang, or nil when there is nothing to show.
func (s SupportContact) view(lang string) *supportView {
	v := &supportView{Text: s.Text[lang]}
	if v.Text == "" {
		for _, l := range Languages() {
			if t := s.Text[l]; t != "" {
				v.Text = t
				break
			}
		}
	}
	if e := strings.TrimSpace(s.Email); e != "" && strings.Count(e, "@") == 1 && !strings.ContainsAny(e, " \t\r\n<>\"?&#/") {
		v.Email = e
		v.EmailURL = template.URL("mailto:" + e)
	}
	if p := strings.TrimSpace(s.Phone); p != "" {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' {
				return r
			}
			return -1
		}, p)
		if digits != "" {
			v.Phone = p
			v.TelURL = template.URL("tel:" + digits)
		}
	}
	if u, err := url.Parse(strings.TrimSpace(s.URL)); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		v.URL = u.String()
	}
	if v.Text == "" && v.Email == "" && v.Phone == "" && v.URL == "" {
		return nil
	}
	return v
}
