// Package authn holds the authenticators (passwords, authenticator apps,
// recovery codes, security keys and passkeys) and the brute-force guard in
// front of them, and the assurance levels a login reaches: the levels and
// methods (assurance.go), the policy of who needs which level (policy.go).
//
// Second factors: TOTP checks codes of authenticator apps whose secrets are
// sealed at rest, accepting each time step once (a conditional update of the
// last step used); Recovery makes single-use codes stored as hashes;
// WebAuthn registers security keys and passkeys and verifies their
// assertions, with challenges kept in the ephemeral store, bound to the flow
// or session that began them, taken once and expiring, and refuses a
// signature counter that does not move forward.
//
// A credential check has three outcomes, as Dex's PasswordConnector.Login:
// (result, true, nil) for a match, (zero, false, nil) for a wrong credential
// and (zero, false, err) for an outage. The guard counts failures per account
// identifier and per source address, delays answers with a growing backoff
// and locks temporarily after repeated failures; the counters are kept for
// identifiers that match no account too, so that answers never reveal
// whether an account exists.
package authn
