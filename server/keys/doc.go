// Package keys holds the server's signing keys and the secrets sealed at rest.
//
// A Sealer encrypts private keys and TOTP seeds with AES-256-GCM under the
// configured seal key; a sealed value names the seal key by its key id, so
// the seal key can be rotated (PrepareSealKeyRotation, FinishSealKeyRotation;
// the re-sealing itself is app.RotateSealKey). Values sealed before key ids
// existed still open. A Set is the key set shared by every node through the
// store: one current key per algorithm (RS256 always, ES256 and EdDSA on
// demand), retired keys kept published until every token they signed has
// expired. Rotate adds a "next" key, published at once, that starts signing
// (and retires the current one) when the publication delay has passed; the
// switch is decided from timestamps when a key is asked for, on every node
// alike. The JWKS document is prepared bytes, rebuilt only when the set
// changes.
//
// Signer implements fosite's jwt.Signer over a Set: the algorithm of each
// token is taken from its "alg" header hint, so ID tokens can be signed per
// client (RS256, ES256, EdDSA) and access tokens with the configured one.
package keys
