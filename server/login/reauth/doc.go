// Package reauth is the re-authentication step: before a sensitive change
// in the account console (removing a second factor, making new recovery codes), the signed-in
// person confirms who they are, as prompt=login would, without losing their
// session: /login/reauth?return=PATH asks for the password (checked by the
// directory for an official who has no local password), then for a second
// factor when the account has one; or for a passkey alone. The session's
// auth_time is renewed and the browser goes back to PATH.
//
// The password check goes through the brute-force guard on the account's
// second-factor counter. A flow whose password is confirmed is sent to the
// second-factor step (/login/mfa) when the account has a factor; otherwise
// the session is renewed here and the flow goes back to the dispatcher,
// which returns the browser to PATH (a local path only: web.LocalPath).
package reauth
