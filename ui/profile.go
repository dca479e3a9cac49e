package ui

// ProfilePage is the account console's profile (template "profile"): the
// person's details, posted to /account/profile with the fields csrf_token,
// full_name, birthdate, gender and locale (name, birthdate and gender only
// when Proven is false: a proven personal ID's details come from the e-ID
// and are shown read-only); and the contacts, each with its state and a
// form posting to /account/contacts with the fields csrf_token, channel
// ("email" or "phone") and value, which sends a code to the new contact.
// An unverified current contact offers the same form with its own value.
type ProfilePage struct {
	Base
	FullName  string
	Birthdate string // "YYYY-MM-DD", "" if unknown
	Gender    string // "male", "female" or ""
	Locale    string // "vi" or "en"
	// Proven is set when the personal ID is proven: name, birthdate and
	// gender are read-only.
	Proven bool
	Email  string
	Phone  string // E.164
	// EmailVerified and PhoneVerified tell whether the person proved control
	// of Email and Phone.
	EmailVerified, PhoneVerified bool
	// PendingEmail and PendingPhone are contacts a code was sent to, not
	// yet entered ("" when none).
	PendingEmail, PendingPhone string
	// Invalid names the field of ErrorKey ("full_name", "email", …), marked
	// invalid, or "".
	Invalid string
	// EmailInput and PhoneInput refill the contact fields after an error.
	EmailInput, PhoneInput string
}

// ContactVerifyPage asks for the code sent to a new contact (template
// "contact_verify"): a form posting to /account/contacts/verify with the
// fields csrf_token, channel and code; a form posting to
// /account/contacts/resend (csrf_token, channel) for a new code; and one
// posting to /account/contacts/cancel (csrf_token, channel).
type ContactVerifyPage struct {
	Base
	Channel   string // "email" or "phone"
	Recipient string // the contact the code was sent to
	// Minutes is how long a code stays valid.
	Minutes      int
	CodeRejected bool // a wrong code was entered: the field is marked invalid
}

// Every page type of this file can be passed to Render.
var (
	_ interface{ Language() string } = (*ProfilePage)(nil)
	_ interface{ Language() string } = (*ContactVerifyPage)(nil)
)
