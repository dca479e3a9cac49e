// Package passkey is the passwordless login with a passkey.
//
// The login page offers a button and, where the browser supports it, the
// passkeys it holds in the autofill of the identifier field (conditional
// mediation). Both run the same ceremony through /login/passkey/begin and
// /login/passkey/finish, bound to the login flow: the browser picks a
// discoverable credential, the authenticator verifies its user (PIN or
// biometrics: required) and signs the challenge. A passkey that verifies its
// user is two factors at once (possession and knowledge or inherence): the
// login reaches LoA2 with amr ["hwk" or "swk", "user"]. The capacity is the
// citizen's when the person has a personal ID, else the official's.
//
// The same endpoints confirm who is signed in before a sensitive change
// (a re-authentication flow): the ceremony is then limited to that
// person's passkeys and renews the session's auth_time instead of starting
// a new session.
package passkey
