// Package certificate turns a digital-signature certificate on a USB token
// into a login: the strongest dinhdanh offers ([Verified.Assurance]: acr
// LoA3, amr sc, hwk and mfa).
//
// # Signed challenge
//
// The login page asks for a challenge: [Challenges.Issue] makes a random,
// single-use value bound to the login flow (or, for binding a certificate in
// the account console, to the session) that expires after a configured
// lifetime (two minutes by default) and keeps it in the ephemeral store. A
// browser-side adapter (ui/assets/signing) asks the local signing software to
// sign it and posts back a [Submission]: CMS/PKCS#7 SignedData, attached or
// detached, or a bare signature with the signer's certificate chain.
// [Challenges.Consume] takes the challenge out of the store atomically, so a
// replay finds nothing, whatever the outcome of the first attempt.
//
// # The pipeline
//
// [Verifier.Verify] runs the validators in this fixed order; each is its own
// small function with its own table test, and the first refusal ends the run:
//
//  1. challenge: a challenge was issued to this flow and has not expired, and
//     the signed content is exactly its value (the server's copy, never a
//     value sent by the client);
//  2. signature: the signature over the challenge verifies with the signer's
//     certificate (for CMS with signed attributes: content type and message
//     digest too), with an allowed algorithm;
//  3. chain: the signer's certificate chains to one of the configured trust
//     anchors, with intermediates from the submission or configured;
//  4. validity: every certificate of the chain is within its validity period;
//  5. key usage: the signer's certificate is an end-entity certificate whose
//     key usage meets the policy (digital signature, non-repudiation);
//  6. revocation: every certificate below the anchor is looked up in the CRLs
//     it names (downloaded, kept until nextUpdate, refreshed in the
//     background) and asked of the OCSP responder it names (the answer signed
//     by the issuing CA or a responder it delegated). Revoked by either is a
//     refusal; when neither answers, the configured failure mode decides. A
//     subordinate CA that names none of the enabled sources is skipped; the
//     signer's certificate must name one. A CRL vouches for a certificate only
//     within its scope (its Issuing Distribution Point, RFC 5280 §5.2.5): the
//     partition of another distribution point, a CRL of CA certificates only
//     for an end-entity certificate (or the reverse), of attribute
//     certificates only, or an indirect CRL answers nothing, and one covering
//     only some reasons can revoke but not prove good. A CRL with a critical
//     extension, or an entry with a critical entry extension, that the check
//     does not understand is not used at all; neither is a delta CRL. OCSP
//     answers are cached (at most 10,000, each until due; those due are
//     pruned by the background refresh). Every source of every certificate
//     is asked at once within one budget (RevocationOptions.Budget); a
//     download or OCSP request is shared by concurrent logins and runs to
//     its own limit when a caller stops waiting; a failure is remembered for
//     RevocationOptions.FailureCache; a source that has not answered when
//     the budget runs out is unavailable.
//
// [Verifier.VerifyCertificate] runs steps 3 to 6 for a certificate whose
// possession was proved otherwise: the client certificate of a mutual-TLS
// handshake, read by [ClientCertificates.FromRequest] from the connection or
// from a header set by a trusted reverse proxy.
//
// A refusal is a [*Refusal]: the [Check] that refused and a stable [Reason]
// key ("certificate.expired", …) for the person's message
// ("error.certificate.expired" in the catalogs) and the audit log; its Detail
// is for the process log only. Verify has three outcomes, as every credential
// check in dinhdanh: verified, refused, or an error for an outage that let
// nothing be decided.
//
// # Mapping to an account
//
// [Mapper.Map] finds the account of a verified certificate, in this order: a
// certificate bound to an account earlier (by fingerprint, then by issuer and
// serial number); the personal ID in the subject (UID or serialNumber
// "CCCD:…", or "CMND:…" when twelve digits); an e-mail address of the
// certificate matched to an official, when the certificate's trust anchor
// vouches for addresses (Anchor.MapEmail). A certificate that maps to nobody is an
// unknown person: never a new account; the flow offers to bind it after
// another login ([Verified.Binding] for store.CertificateBindings). A
// certificate whose subject carries "MST:…" names a business
// ([Match.Business]); [LinkBusiness] records that the account may act for it,
// and the login may then be as its representative.
//
// [Verified.AuditDetails] and [Refusal.AuditDetails] give the certificate's
// subject, issuer and serial number (and, once verified, its fingerprint,
// trust anchor and how its revocation was checked) for the audit log.
package certificate
