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
// and (zero, false, err) for an outage.
//
// The guard limits tries per subject (an account, AccountKey, whatever
// identifier named it; an identifier that matches no account, IdentifierKey,
// so that answers never reveal whether an account exists; a second factor,
// SecondFactorKey) and per source address. Guard.Attempt reserves a try
// atomically before the credential is verified, and refuses it when the limit
// is reached or a lock is in force; the caller waits the growing delay,
// verifies, and settles the try once with Succeed, Fail (which starts a
// temporary lock at the limit) or Release (an outage). Parallel requests on
// any number of nodes thus verify at most the limit of tries per lock period;
// Attempt's comment gives the argument.
package authn
