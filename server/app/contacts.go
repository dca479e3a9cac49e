package app

import "github.com/dinhdanh/dinhdanh/server/account"

// contacts returns what the account console needs to verify a changed
// email or phone number: the node's outbox and notices, the seal key, the
// ephemeral store and the contacts section of the configuration.
func (s *Services) contacts() *account.Contacts {
	c := s.Config.Contacts
	return &account.Contacts{Outbox: s.Outbox, Notices: s.notices(), Sealer: s.Sealer, Eph: s.Eph,
		Lifetime: c.CodeLifetime.D(), MaxAttempts: c.MaxAttempts, MaxSends: c.MaxSends, SendWindow: c.SendWindow.D(),
		Product: s.Config.UI.ProductName}
}
