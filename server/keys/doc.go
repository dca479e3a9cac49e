// Package keys holds the server's signing keys and the secrets sealed at rest.
//
// A Sealer encrypts private keys (and, later, TOTP seeds) with AES-256-GCM
// under the configured seal key. A Set is the key set shared by every node
// through the store: one current key per algorithm (RS256 always, ES256 and
// EdDSA on demand), retired keys kept published until every token they
// signed has expired. Rotate adds a new current key and retires the old one.
// The JWKS document is prepared bytes, rebuilt only when the set changes.
//
// Signer implements fosite's jwt.Signer over a Set: the algorithm of each
// token is taken from its "alg" header hint, so ID tokens can be signed per
// client (RS256, ES256, EdDSA) and access tokens with the configured one.
package keys
