// Package pki is the test public-key infrastructure of dinhdanh's
// certificate login, generated at test time: no private key is checked in.
//
// [New] builds, for one test:
//
//   - a government chain named like the Government Cipher Committee's (Ban
//     Cơ yếu Chính phủ): root "RootCA chuyên dùng Chính phủ G2", subordinate
//     "CA phục vụ các cơ quan Nhà nước G2" (RSA);
//   - a public chain named like the Vietnam National Root CA and a public CA
//     under it (ECDSA P-256);
//   - a rogue root with the government root's very name but another key;
//   - leaf certificates for officials (with and without "CCCD:" in the
//     subject's UID), a citizen, a business and a branch of it ("MST:…"),
//     and the bad ones: expired, not yet valid, wrong key usage, revoked by
//     CRL, revoked by OCSP, and untrusted (under the rogue root);
//   - one loopback HTTP server ([httptest]) that publishes each CA's CRL and
//     answers OCSP for it, with switches that make either misbehave
//     ([CA.SetCRLMode], [CA.SetOCSPMode]) and counters of the requests.
//
// The PKI has its own clock ([PKI.Now], [PKI.SetNow]): certificates are
// valid around the instant New was called, and CRLs and OCSP answers are
// made at request time from the clock, so a test can move time forward.
//
// [Leaf.SignCMS] and [Leaf.SignRaw] sign as the signing software of a USB
// token does: CMS SignedData (attached or detached, with or without signed
// attributes, DER or BER) or a bare signature. Keys are generated once per
// test binary and reused by every PKI, to keep tests fast; certificates are
// issued anew by each.
package pki
