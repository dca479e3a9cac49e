package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MFA configures second factors (authenticator apps, recovery codes, security keys and passkeys) and the
// assurance levels that logins must reach. The levels are the acr values of the province: "LoA1" (one
// factor: a password), "LoA2" (two factors, or a passkey that verifies its user) and "LoA3" (a certificate on
// a USB token). The level a login must reach is the highest of the minimum of the person's kind (raised to
// enrolled_minimum once the person has set up a second factor), the minimum
// of the application (dinhdanh client create --min-acr) and what the application asks for (acr_values, or
// acr as an essential claim). A person who needs a second factor and has none is led through enrolling one.
//
//	mfa:
//	  official_minimum: LoA2
//	  totp:
//	    issuer: Sở TT&TT
//	  webauthn:
//	    rp_id: sso.example.gov.vn
type MFA struct {
	// CitizenMinimum is the lowest level of a login in the citizen capacity: "LoA1" or "LoA2". Default "LoA1".
	CitizenMinimum string `yaml:"citizen_minimum"`

	// OfficialMinimum is the lowest level of a login in the official capacity: "LoA1" or "LoA2".
	// Default "LoA2".
	OfficialMinimum string `yaml:"official_minimum"`

	// AdminMinimum is the lowest level of a login of an administrator, in any capacity: "LoA1" or "LoA2";
	// at least official_minimum. Default "LoA2".
	AdminMinimum string `yaml:"admin_minimum"`

	// EnrolledMinimum is the lowest level of a login of a person who has set up a second factor (an
	// authenticator app, a security key or a passkey), whatever their kind: "LoA2" asks for the factor at
	// every login, as the enrolment pages promise; "LoA1" asks for it only when the person's kind, the
	// application or the request needs LoA2. Default "LoA2".
	EnrolledMinimum string `yaml:"enrolled_minimum"`

	// ReauthenticationMaxAge is how recent a login with both factors must be before a person may remove a
	// second factor in the account console; an older one is asked to confirm again. From 1m to 1h.
	// Default "10m".
	ReauthenticationMaxAge Duration `yaml:"reauthentication_max_age"`

	// RecoveryCodes is how many single-use recovery codes are made at a time (shown once, when the first
	// second factor is enrolled and whenever they are made again); from 5 to 20. Default 10.
	RecoveryCodes int `yaml:"recovery_codes"`

	// TOTP configures authenticator apps. See MFATOTP. Default: 6 digits every 30s, one step of skew.
	TOTP MFATOTP `yaml:"totp"`

	// WebAuthn configures security keys and passkeys. See MFAWebAuthn.
	// Default: relying party id and origin taken from the issuer.
	WebAuthn MFAWebAuthn `yaml:"webauthn"`
}

// MFATOTP configures authenticator apps (RFC 6238 time-based one-time passwords, HMAC-SHA1, as every
// authenticator app understands). A code is accepted once: the last time step used is recorded.
type MFATOTP struct {
	// Issuer is the name an authenticator app shows next to the account. Default "": ui.product_name.
	Issuer string `yaml:"issuer"`

	// Digits is the length of a code: 6 or 8. Default 6.
	Digits int `yaml:"digits"`

	// Period is the time step: a new code every period; from 15s to 2m, in whole seconds. Default "30s".
	Period Duration `yaml:"period"`

	// Skew is how many time steps before and after the current one are also accepted, for clocks that
	// differ: 0, 1 or 2. Default 1.
	Skew int `yaml:"skew"`
}

// MFAWebAuthn configures security keys and passkeys (WebAuthn). Browsers bind a credential to the relying
// party id, a domain; changing it later makes every registered credential unusable.
type MFAWebAuthn struct {
	// RPID is the relying party id: the issuer's host name or a registrable suffix of it (credentials made
	// for "example.gov.vn" work on every subdomain). Browsers use WebAuthn on domain names only: with an
	// issuer on an IP address, security keys and passkeys are off (a warning is logged). Default "": the
	// issuer's host name.
	RPID string `yaml:"rp_id"`

	// RPDisplayName is the name browsers show when a credential is made. Default "": ui.product_name.
	RPDisplayName string `yaml:"rp_display_name"`

	// Origins are the origins (scheme://host[:port]) pages that use credentials are served from. Their
	// hosts must be rp_id or below it. In an environment variable, a comma-separated list.
	// Default [] (empty): the issuer's origin.
	Origins Origins `yaml:"origins"`

	// UserVerification says whether a security key used as a second factor must verify its user (PIN or
	// biometrics): "required", "preferred" (ask, accept without) or "discouraged". A passkey login without a
	// password always requires user verification. Default "preferred".
	UserVerification string `yaml:"user_verification"`

	// ChallengeLifetime is how long a registration or login with a security key may take; each challenge is
	// used once. From 30s to 10m. Default "5m".
	ChallengeLifetime Duration `yaml:"challenge_lifetime"`
}

// defaultMFA returns the defaults of the mfa section.
func defaultMFA() MFA {
	return MFA{
		CitizenMinimum:         "LoA1",
		OfficialMinimum:        "LoA2",
		AdminMinimum:           "LoA2",
		EnrolledMinimum:        "LoA2",
		ReauthenticationMaxAge: Duration(10 * time.Minute),
		RecoveryCodes:          10,
		TOTP: MFATOTP{
			Issuer: "",
			Digits: 6,
			Period: Duration(30 * time.Second),
			Skew:   1,
		},
		WebAuthn: MFAWebAuthn{
			RPID:              "",
			RPDisplayName:     "",
			Origins:           Origins{},
			UserVerification:  "preferred",
			ChallengeLifetime: Duration(5 * time.Minute),
		},
	}
}

// Origins is a list of web origins (scheme://host[:port]). In YAML it is a list of strings (or one
// comma-separated string); in an environment variable a comma-separated string.
type Origins []string

// UnmarshalText parses a comma-separated list; environment variables are read through it.
func (o *Origins) UnmarshalText(text []byte) error {
	*o = splitOrigins(strings.Split(string(text), ","))
	return nil
}

func splitOrigins(words []string) Origins {
	out := Origins{}
	for _, w := range words {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// UnmarshalYAML parses a YAML list of origins, or one comma-separated string; null and an empty list mean
// none.
func (o *Origins) UnmarshalYAML(value *yaml.Node) error {
	words, err := wordList(value, "an origin such as \"https://sso.example.gov.vn\"", "origins")
	if err != nil {
		return err
	}
	*o = splitOrigins(words)
	return nil
}

// Allowed values of the mfa settings that take one of a few words.
var (
	mfaKindLevels          = []string{"LoA1", "LoA2"}
	webauthnVerifications  = []string{"required", "preferred", "discouraged"}
	minTOTPPeriod          = 15 * time.Second
	maxTOTPPeriod          = 2 * time.Minute
	minWebAuthnChallenge   = 30 * time.Second
	maxWebAuthnChallenge   = 10 * time.Minute
	minReauthenticationAge = time.Minute
	maxReauthenticationAge = time.Hour
)

// WebAuthnRPID returns the relying party id: MFA.WebAuthn.RPID, or the issuer's host name when that is empty.
func (c *Config) WebAuthnRPID() string {
	if c.MFA.WebAuthn.RPID != "" {
		return c.MFA.WebAuthn.RPID
	}
	u, err := url.Parse(c.Issuer)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// WebAuthnOrigins returns the origins of WebAuthn ceremonies: MFA.WebAuthn.Origins, or the issuer's origin
// (scheme://host[:port]) when that is empty.
func (c *Config) WebAuthnOrigins() []string {
	if len(c.MFA.WebAuthn.Origins) > 0 {
		return append([]string(nil), c.MFA.WebAuthn.Origins...)
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || u.Host == "" {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

func (c *Config) validateMFA(v *validator) {
	m := &c.MFA
	v.oneOf("mfa.citizen_minimum", m.CitizenMinimum, mfaKindLevels)
	v.oneOf("mfa.official_minimum", m.OfficialMinimum, mfaKindLevels)
	v.oneOf("mfa.enrolled_minimum", m.EnrolledMinimum, mfaKindLevels)
	if v.oneOfOK("mfa.admin_minimum", m.AdminMinimum, mfaKindLevels) && m.AdminMinimum < m.OfficialMinimum {
		v.add("mfa.admin_minimum", "is %q, below mfa.official_minimum (%q); administrators need at least what officials need",
			m.AdminMinimum, m.OfficialMinimum)
	}
	if d := m.ReauthenticationMaxAge.D(); d < minReauthenticationAge || d > maxReauthenticationAge {
		v.add("mfa.reauthentication_max_age", "is %s; it must be from %s to %s", m.ReauthenticationMaxAge,
			Duration(minReauthenticationAge), Duration(maxReauthenticationAge))
	}
	if m.RecoveryCodes < 5 || m.RecoveryCodes > 20 {
		v.add("mfa.recovery_codes", "is %d; it must be from 5 to 20", m.RecoveryCodes)
	}

	if m.TOTP.Digits != 6 && m.TOTP.Digits != 8 {
		v.add("mfa.totp.digits", "is %d; it must be 6 or 8", m.TOTP.Digits)
	}
	if p := m.TOTP.Period.D(); p < minTOTPPeriod || p > maxTOTPPeriod || p%time.Second != 0 {
		v.add("mfa.totp.period", "is %s; it must be a whole number of seconds from %s to %s", m.TOTP.Period,
			Duration(minTOTPPeriod), Duration(maxTOTPPeriod))
	}
	if m.TOTP.Skew < 0 || m.TOTP.Skew > 2 {
		v.add("mfa.totp.skew", "is %d; it must be 0, 1 or 2", m.TOTP.Skew)
	}

	w := &m.WebAuthn
	rpID := c.WebAuthnRPID()
	if w.RPID != "" && (strings.Contains(w.RPID, "/") || strings.Contains(w.RPID, ":") || strings.ToLower(w.RPID) != w.RPID) {
		v.add("mfa.webauthn.rp_id", "%q must be a lower-case host name without scheme, port or path, such as \"sso.example.gov.vn\"", w.RPID)
	} else if w.RPID != "" {
		if u, err := url.Parse(c.Issuer); err == nil && u.Hostname() != "" && !hostWithin(u.Hostname(), w.RPID) {
			v.add("mfa.webauthn.rp_id", "%q is neither the issuer's host %q nor a suffix of it", w.RPID, u.Hostname())
		}
	}
	for i, o := range w.Origins {
		key := fmt.Sprintf("mfa.webauthn.origins[%d]", i)
		u, err := url.Parse(o)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			v.add(key, "%q is not an origin: write scheme://host[:port], such as \"https://sso.example.gov.vn\"", o)
		case u.Scheme == "http" && !isLoopbackName(u.Hostname()):
			v.add(key, "%q must use https; plain http is allowed only for localhost, 127.0.0.1 and ::1", o)
		case rpID != "" && !hostWithin(u.Hostname(), rpID):
			v.add(key, "%q is not on the relying party id %q or below it", o, rpID)
		}
	}
	v.oneOf("mfa.webauthn.user_verification", w.UserVerification, webauthnVerifications)
	if d := w.ChallengeLifetime.D(); d < minWebAuthnChallenge || d > maxWebAuthnChallenge {
		v.add("mfa.webauthn.challenge_lifetime", "is %s; it must be from %s to %s", w.ChallengeLifetime,
			Duration(minWebAuthnChallenge), Duration(maxWebAuthnChallenge))
	}
}

// hostWithin reports whether host is domain or a subdomain of it.
func hostWithin(host, domain string) bool {
	host, domain = strings.ToLower(host), strings.ToLower(domain)
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// oneOfOK is oneOf that reports whether value was allowed.
func (v *validator) oneOfOK(key, value string, allowed []string) bool {
	n := len(v.problems)
	v.oneOf(key, value, allowed)
	return len(v.problems) == n
}
