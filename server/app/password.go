package app

import (
	"github.com/dinhdanh/dinhdanh/server/account"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/login/reset"
	"github.com/dinhdanh/dinhdanh/server/login/upstream"
)

// passwordRules are the rules of every new password (config password.min_length).
func (s *Services) passwordRules() authn.PasswordRules {
	return authn.PasswordRules{MinLength: s.Config.Password.MinLength}
}

// provingUpstreams returns the names of the upstream providers that prove
// the personal ID, with their display names.
func provingUpstreams(ups *upstream.Config) []reset.Upstream {
	if ups == nil {
		return nil
	}
	var out []reset.Upstream
	for _, p := range ups.Providers {
		if p.ProvesPersonalID {
			out = append(out, reset.Upstream{Name: p.Name, DisplayName: p.DisplayName})
		}
	}
	return out
}

// passwordReset returns the configuration of "forgot password" at the login
// page, or nil (off) when the node has no outbox to send codes through.
func (s *Services) passwordReset(ups *upstream.Config) *reset.Config {
	if s.Outbox == nil {
		return nil
	}
	r := s.Config.Password.Reset
	return &reset.Config{Hasher: s.Hasher, Rules: s.passwordRules(), Outbox: s.Outbox, Product: s.Config.UI.ProductName,
		Issuer: s.Config.Issuer, CodeLifetime: r.CodeLifetime.D(), CodeDigits: r.CodeDigits, MaxAttempts: r.MaxAttempts,
		MaxPerRecipient: r.MaxPerRecipient, MaxPerAddress: r.MaxPerAddress, Window: r.Window.D(),
		Upstreams: provingUpstreams(ups)}
}

// passwordChange returns the console's change of password.
func (s *Services) passwordChange(ups *upstream.Config) *account.PasswordChange {
	proving := map[string]bool{}
	for _, u := range provingUpstreams(ups) {
		proving[u.Name] = true
	}
	return &account.PasswordChange{Hasher: s.Hasher, Rules: s.passwordRules(), Guard: s.Guard,
		ReauthMaxAge: s.Config.MFA.ReauthenticationMaxAge.D(), ProvesPersonalID: func(p string) bool { return proving[p] }}
}
