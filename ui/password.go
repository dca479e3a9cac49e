package ui

// ForgotPasswordPage is the data of template "password_forgot": the first
// page of a password reset, posted to /login/forgot with the fields flow,
// csrf_token and contact (an email address or a phone number).
type ForgotPasswordPage struct {
	Base
	FlowID  string
	Contact string // previous input
	// Upstreams are the links to reset the password through an upstream
	// e-ID login (/login/forgot/upstream?provider=…), one per provider.
	Upstreams []UpstreamButton
}

// ResetPasswordPage is the data of template "password_reset": the code
// that was sent and the new password, posted to /login/forgot/reset with
// the fields flow, csrf_token, ticket, code, password and password_confirm.
// A reset after an upstream e-ID login uses the change page instead
// (ChangePasswordPage with Upstream set).
type ResetPasswordPage struct {
	Base
	FlowID            string
	Ticket            string
	Code              string // a code from the link of an email, "" when typed
	Minutes           int    // how long a code lives
	MinPasswordLength int
}

// ChangePasswordPage is the data of template "password_change": the
// account console's form posted to /account/password with the fields
// csrf_token, current_password (when NeedCurrent), password and
// password_confirm. Without NeedCurrent the page says why: a fresh login
// with both factors, or (Upstream) through an upstream e-ID provider that
// proved the personal ID.
type ChangePasswordPage struct {
	Base
	NeedCurrent       bool
	Upstream          bool
	MinPasswordLength int
}
