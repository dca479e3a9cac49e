package app

import (
	"log/slog"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/account"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/login"
	"github.com/dinhdanh/dinhdanh/store"
)

// secondFactors assembles the authenticator app, recovery codes, security
// keys and passkeys, and the assurance policy, for the login flow and the
// account console. Security keys and passkeys are turned off, with a
// warning, when the relying party id is not a domain name (an issuer on an
// IP address): browsers offer WebAuthn on domains only.
func secondFactors(cfg *config.Config, st store.Store, eph store.Ephemeral, sealer *keys.Sealer, log *slog.Logger) (*login.MFA, *account.Factors) {
	m := cfg.MFA
	issuer := m.TOTP.Issuer
	if issuer == "" {
		issuer = cfg.UI.ProductName
	}
	totp := &authn.TOTP{Store: st, Records: eph, Sealer: sealer, Options: authn.TOTPOptions{Issuer: issuer,
		Digits: m.TOTP.Digits, Period: m.TOTP.Period.D(), Skew: m.TOTP.Skew, EnrolmentLifetime: cfg.Login.FlowLifespan.D()}}
	recovery := &authn.Recovery{Store: st, Count: m.RecoveryCodes}
	policy := authn.Policy{Citizen: m.CitizenMinimum, Official: m.OfficialMinimum, Admin: m.AdminMinimum,
		Enrolled: m.EnrolledMinimum}
	rpName := m.WebAuthn.RPDisplayName
	if rpName == "" {
		rpName = cfg.UI.ProductName
	}
	wa, err := authn.NewWebAuthn(authn.WebAuthnOptions{RPID: cfg.WebAuthnRPID(), RPDisplayName: rpName,
		Origins: cfg.WebAuthnOrigins(), UserVerification: m.WebAuthn.UserVerification,
		ChallengeLifetime: m.WebAuthn.ChallengeLifetime.D()}, st, eph)
	if err != nil {
		log.Warn("security keys and passkeys are off: the WebAuthn relying party id must be a domain name; "+
			"set mfa.webauthn.rp_id or use an issuer with a host name", "err", err)
		wa = nil
	}
	inventory := authn.NewInventory(st, wa != nil)
	return &login.MFA{TOTP: totp, Recovery: recovery, WebAuthn: wa, Policy: policy, Inventory: inventory},
		&account.Factors{TOTP: totp, Recovery: recovery, WebAuthn: wa, Policy: policy, Inventory: inventory,
			ReauthMaxAge: m.ReauthenticationMaxAge.D()}
}
