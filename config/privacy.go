package config

import (
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Privacy configures what Law 91/2025/QH15 on personal data protection asks of the operator: the privacy
// notice a person accepts when registering, and how long the audit events about an account its holder
// deleted are kept.
//
//	privacy:
//	  notice_url_vi: https://dichvucong.tinh.gov.vn/chinh-sach-bao-ve-du-lieu-ca-nhan
//	  notice_url_en: https://dichvucong.tinh.gov.vn/en/privacy
//	  notice_version: "2026-01"
//	  closed_account_audit_retention: 43800h   # 5 years
type Privacy struct {
	// NoticeURLVI is the operator's privacy notice in Vietnamese, linked from the registration page: an
	// absolute https URL (http only on localhost, 127.0.0.1 or ::1). Empty (the default) shows the short
	// notice of the message catalogs (what is collected, why, the person's rights) and no link.
	NoticeURLVI string `yaml:"notice_url_vi"`

	// NoticeURLEN is the same notice in English, linked on the English pages; empty (the default) links
	// the Vietnamese one.
	NoticeURLEN string `yaml:"notice_url_en"`

	// NoticeVersion names the version of the notice: a registration records that the person accepted this
	// version, and when. 1 to 64 printable characters. Change it when the notice changes. Default "1".
	NoticeVersion string `yaml:"notice_version"`

	// ClosedAccountAuditRetention is how long after its holder deleted an account the audit events about
	// it are kept at least: until then audit.retention's purge stops before the oldest of them (the chain
	// is only ever cut at its start), and after it they go with the other old events. The events name the
	// account by its subject, a random identifier that no longer leads to the person once the account is
	// erased. At least 24h. Default 43800h (5 years).
	ClosedAccountAuditRetention Duration `yaml:"closed_account_audit_retention"`
}

func defaultPrivacy() Privacy {
	return Privacy{NoticeVersion: "1", ClosedAccountAuditRetention: Duration(43800 * time.Hour)}
}

// NoticeURL returns the privacy notice's URL for the language lang ("vi" or "en"): the English one when
// lang is "en" and it is set, else the Vietnamese one ("" when none is configured).
func (p *Privacy) NoticeURL(lang string) string {
	if lang == "en" && p.NoticeURLEN != "" {
		return p.NoticeURLEN
	}
	return p.NoticeURLVI
}

// validatePrivacy checks the privacy section.
func (c *Config) validatePrivacy(v *validator) {
	p := &c.Privacy
	for _, f := range []struct{ key, value string }{{"privacy.notice_url_vi", p.NoticeURLVI}, {"privacy.notice_url_en", p.NoticeURLEN}} {
		if f.value != "" && !publicURL(f.value) {
			v.add(f.key, "%q must be an absolute https URL (http only on localhost)", f.value)
		}
	}
	if p.NoticeURLEN != "" && p.NoticeURLVI == "" {
		v.add("privacy.notice_url_en", "is set but privacy.notice_url_vi is empty: the Vietnamese notice comes first")
	}
	if n := utf8.RuneCountInString(p.NoticeVersion); n == 0 || n > 64 || strings.ContainsFunc(p.NoticeVersion, func(r rune) bool { return r < 32 || r == 127 }) {
		v.add("privacy.notice_version", "%q must be 1 to 64 printable characters", p.NoticeVersion)
	}
	if r := p.ClosedAccountAuditRetention.D(); r < 24*time.Hour {
		v.add("privacy.closed_account_audit_retention", "is %s; it must be at least 24h", p.ClosedAccountAuditRetention)
	}
}

// publicURL reports whether s is an absolute https URL with a host, or an http one on a loopback host.
func publicURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
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
