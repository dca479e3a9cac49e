package config

import "time"

// Contacts configures how a person proves a new or changed email address or phone number in the account
// console: a one-time code is sent to the new contact (through the outbox), and the contact counts as
// verified only once the code is entered there.
//
//	contacts:
//	  code_lifetime: 10m   # a code is valid this long
//	  max_attempts: 5      # wrong codes before a code stops working
//	  max_sends: 3         # codes per account, and per contact, within send_window
//	  send_window: 1h
type Contacts struct {
	// CodeLifetime is how long a code sent to a contact stays valid; from 1m to 1h. Default "10m".
	CodeLifetime Duration `yaml:"code_lifetime"`

	// MaxAttempts is how many codes may be entered for one code sent before it stops working (the person
	// asks for a new one); from 1 to 20. Default 5.
	MaxAttempts int `yaml:"max_attempts"`

	// MaxSends is how many codes one account may have sent within SendWindow, and how many codes one email
	// address or phone number may receive within it, whichever account asks; from 1 to 50. Default 3.
	MaxSends int `yaml:"max_sends"`

	// SendWindow is the period MaxSends counts in; at least CodeLifetime. Default "1h".
	SendWindow Duration `yaml:"send_window"`
}

func defaultContacts() Contacts {
	return Contacts{CodeLifetime: Duration(10 * time.Minute), MaxAttempts: 5, MaxSends: 3, SendWindow: Duration(time.Hour)}
}

// validateContacts checks the contacts section.
func (c *Config) validateContacts(v *validator) {
	k := &c.Contacts
	if d := k.CodeLifetime.D(); d < time.Minute || d > time.Hour {
		v.add("contacts.code_lifetime", "is %s; it must be from 1m to 1h", k.CodeLifetime)
	}
	if k.MaxAttempts < 1 || k.MaxAttempts > 20 {
		v.add("contacts.max_attempts", "is %d; it must be from 1 to 20", k.MaxAttempts)
	}
	if k.MaxSends < 1 || k.MaxSends > 50 {
		v.add("contacts.max_sends", "is %d; it must be from 1 to 50", k.MaxSends)
	}
	if k.SendWindow.D() < k.CodeLifetime.D() {
		v.add("contacts.send_window", "is %s; it must be at least contacts.code_lifetime (%s)", k.SendWindow, k.CodeLifetime)
	}
}
