package config

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestLoadMFA(t *testing.T) {
	path := writeFile(t, `
issuer: https://sso.example.gov.vn
mfa:
  citizen_minimum: LoA2
  totp:
    issuer: Sở TT&TT
    digits: 8
  webauthn:
    rp_id: example.gov.vn
    origins: [https://sso.example.gov.vn, https://dvc.example.gov.vn]
    user_verification: required
`)
	c := mustLoad(t, path, []string{"DINHDANH_MFA_TOTP_SKEW=0"})
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	m := c.MFA
	if m.CitizenMinimum != "LoA2" || m.OfficialMinimum != "LoA2" || m.TOTP.Issuer != "Sở TT&TT" || m.TOTP.Digits != 8 ||
		m.TOTP.Skew != 0 || m.TOTP.Period.D() != 30*time.Second || m.WebAuthn.UserVerification != "required" {
		t.Errorf("mfa = %+v", m)
	}
	if got := c.WebAuthnRPID(); got != "example.gov.vn" {
		t.Errorf("WebAuthnRPID() = %q", got)
	}
	if got := c.WebAuthnOrigins(); !slices.Equal(got, []string{"https://sso.example.gov.vn", "https://dvc.example.gov.vn"}) {
		t.Errorf("WebAuthnOrigins() = %q", got)
	}
	c = mustLoad(t, "", []string{"DINHDANH_MFA_WEBAUTHN_ORIGINS=http://localhost:8080, http://127.0.0.1:8080"})
	if !slices.Equal(c.MFA.WebAuthn.Origins, Origins{"http://localhost:8080", "http://127.0.0.1:8080"}) {
		t.Errorf("origins from the environment = %q", c.MFA.WebAuthn.Origins)
	}
}

func TestWebAuthnDefaultsFromIssuer(t *testing.T) {
	c := Default()
	c.Issuer = "https://dichvucong.example.gov.vn:8443/sso"
	if got := c.WebAuthnRPID(); got != "dichvucong.example.gov.vn" {
		t.Errorf("WebAuthnRPID() = %q", got)
	}
	if got := c.WebAuthnOrigins(); !slices.Equal(got, []string{"https://dichvucong.example.gov.vn:8443"}) {
		t.Errorf("WebAuthnOrigins() = %q", got)
	}
}

func TestValidateMFA(t *testing.T) {
	c := Default()
	c.Issuer = "https://sso.example.gov.vn"
	c.MFA.CitizenMinimum = "LoA3"
	c.MFA.OfficialMinimum = "LoA2"
	c.MFA.AdminMinimum = "LoA1"
	c.MFA.EnrolledMinimum = "ask"
	c.MFA.ReauthenticationMaxAge = Duration(2 * time.Hour)
	c.MFA.RecoveryCodes = 3
	c.MFA.TOTP.Digits = 7
	c.MFA.TOTP.Period = Duration(1500 * time.Millisecond)
	c.MFA.TOTP.Skew = 3
	c.MFA.WebAuthn.RPID = "other.example.vn"
	c.MFA.WebAuthn.Origins = Origins{"https://sso.example.gov.vn/path", "http://sso.example.gov.vn"}
	c.MFA.WebAuthn.UserVerification = "always"
	c.MFA.WebAuthn.ChallengeLifetime = Duration(time.Second)
	err := c.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v, want a *ValidationError", err)
	}
	want := []string{"mfa.citizen_minimum", "mfa.enrolled_minimum", "mfa.admin_minimum", "mfa.reauthentication_max_age", "mfa.recovery_codes",
		"mfa.totp.digits", "mfa.totp.period", "mfa.totp.skew", "mfa.webauthn.rp_id", "mfa.webauthn.origins[0]",
		"mfa.webauthn.origins[1]", "mfa.webauthn.user_verification", "mfa.webauthn.challenge_lifetime"}
	if got := problemKeys(ve.Problems); !slices.Equal(got, want) {
		t.Errorf("problems %q\nwant %q\n%v", got, want, err)
	}
}
