package config

import (
	"net/mail"
	"net/url"
	"regexp"
	"unicode/utf8"
)

// SupportContact says whom a person should contact when something goes wrong. Error pages and the login page's
// help show what is set; every field is optional. Default: all empty (nothing is shown).
//
//	ui:
//	  support_contact:
//	    text_vi: "Tổ hỗ trợ Cổng dịch vụ công, 7:30–17:00 các ngày làm việc"
//	    text_en: "Public-service portal help desk, 7:30–17:00 on working days"
//	    email: hotro@example.gov.vn
//	    phone: "0236 1022"
//	    url: https://dichvucong.example.gov.vn/ho-tro
type SupportContact struct {
	// TextVI is a sentence in Vietnamese (the help desk's name, its hours), at most 300 characters; a page in a
	// language without its own text shows the other one. Default "".
	TextVI string `yaml:"text_vi"`

	// TextEN is the same sentence in English, at most 300 characters. Default "".
	TextEN string `yaml:"text_en"`

	// Email is a bare address (name@domain), linked with mailto:. Default "".
	Email string `yaml:"email"`

	// Phone is a number: digits, spaces, dots, dashes, parentheses and a leading +, at least 3 digits; linked
	// with tel:. Default "".
	Phone string `yaml:"phone"`

	// URL is an absolute https (or http) page of help. Default "".
	URL string `yaml:"url"`
}

var supportPhone = regexp.MustCompile(`^\+?[0-9 .()\-]{3,32}$`)

func (c *Config) validateSupport(v *validator) {
	s := c.UI.SupportContact
	for name, text := range map[string]string{"ui.support_contact.text_vi": s.TextVI, "ui.support_contact.text_en": s.TextEN} {
		if utf8.RuneCountInString(text) > 300 {
			v.add(name, "is %d characters long; at most 300", utf8.RuneCountInString(text))
		}
	}
	if s.Email != "" {
		if a, err := mail.ParseAddress(s.Email); err != nil || a.Address != s.Email || a.Name != "" {
			v.add("ui.support_contact.email", "%q is not a bare email address (name@domain)", s.Email)
		}
	}
	if s.Phone != "" {
		digits := 0
		for _, r := range s.Phone {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if !supportPhone.MatchString(s.Phone) || digits < 3 {
			v.add("ui.support_contact.phone", "%q is not a phone number (digits, spaces, . - ( ) and a leading +)", s.Phone)
		}
	}
	if s.URL != "" {
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			v.add("ui.support_contact.url", "%q is not an absolute http or https URL", s.URL)
		}
	}
}
