// Package reset is "forgot password" at the login page.
//
// GET /login/forgot shows a form for an email address or a phone number.
// POST /login/forgot counts the request against the client address
// (password.reset.max_per_address per window: beyond it a 429 page) and
// against the contact (password.reset.max_per_recipient per window: beyond
// it nothing more is sent, and the answer is the same), then looks the
// contact up. An account is eligible when it is enabled, holds that contact
// verified (EmailVerified, PhoneVerified) and is not an official whose
// password lives only in a staff directory. Every request, eligible or not,
// makes a reset ticket (32 random bytes) and a random code of
// password.reset.code_digits digits, and stores the ticket in the ephemeral
// store (store.KindPasswordReset) with the account ("" when not eligible)
// and SHA-256(ticket, code) — never the code — for
// password.reset.code_lifetime. Only for an eligible account is the code
// enqueued in the outbox (email: the code and a link carrying the ticket and
// the code; SMS: the code). The browser is sent to the code page of the
// ticket whatever happened: the answer, its status and the work done are the
// same for an existing, a missing and an unverified contact.
//
// POST /login/forgot/reset checks the new password first (the rules of
// authn.PasswordRules, twice the same): a refused password uses no try.
// Then one try is reserved atomically (a Hit on the ticket's counter) before
// the code is compared in constant time: the tries beyond
// password.reset.max_attempts are refused without a comparison, and the
// failure that uses the last try voids the ticket. A right code takes the
// ticket (TakeRecord): of parallel requests with the right code exactly one
// gets it and sets the password, the others are told the code is void. The
// password is set; every session of the account ends with back-channel
// logout to its applications (session.Logout.EndAll); every refresh token of
// the account is revoked, its authorization codes and access tokens
// removed; the brute-force locks of its password and identifiers are lifted
// (not the second factor's: a reset does not remove or bypass a second
// factor). The person is sent to log in with the new password.
//
// GET /login/forgot/upstream?provider=NAME starts a login through an
// upstream e-ID provider that proves the personal ID (VNeID) and comes back
// to the account console's /account/password, where a session of such a
// login, fresh, for an account whose personal ID is proven, may set a new
// password without the old one (server/account). The flow is marked
// flow.Flow.PasswordReset: when no account holds the personal ID proven (nor
// is linked to the person at the provider), the login creates no account
// and answers with a page that says so (register, or log in another way),
// audited as a login.failure with reason upstream.reset_no_account. A
// provider that does not prove the personal ID is not offered and its name
// is answered with 404.
package reset
