// Package password is the password login: the form of the login page
// posts an identifier and a password to POST /login.
//
// The identifier is a 12-digit personal ID, an email, a phone number, or
// else an official's username (classify). It names a local account or
// none; the brute-force counter is the account's, so that every identifier
// of one person shares it, or the typed identifier's when it names nobody —
// with the same answer either way. The check goes through the guard
// (authn.Guard.Check): a try is reserved before the password is verified,
// so parallel guesses cannot exceed the limit. A staff directory answers
// first for its officials (the directory step: authn.DirectoryAuthenticator,
// an outage or an open circuit breaker is a 503 page, a disabled or expired
// directory account its own page); then the local password
// (flow.Passwords). An identifier that can only be local — a personal ID,
// or an email or phone number of an account no directory provisioned — asks
// no directory at all, so a directory that is down costs citizens nothing.
// A missing account spends the time of a check.
//
// A right password starts the SSO session at LoA1 (amr pwd), as an
// official when the login used a username or the account has no personal
// ID, else as a citizen, and hands the flow back to the dispatcher, which
// asks for a second factor when the request needs more.
package password
