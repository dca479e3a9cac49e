// Package authn holds the authenticators (password today) and the brute-force
// guard in front of them, and the assurance levels a login reaches.
//
// A credential check has three outcomes, as Dex's PasswordConnector.Login:
// (result, true, nil) for a match, (zero, false, nil) for a wrong credential
// and (zero, false, err) for an outage. The guard counts failures per account
// identifier and per source address, delays answers with a growing backoff
// and locks temporarily after repeated failures; the counters are kept for
// identifiers that match no account too, so that answers never reveal
// whether an account exists.
package authn
