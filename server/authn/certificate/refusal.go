package certificate

import (
	"crypto/x509"
	"fmt"
)

// Check names one validator of the pipeline. The order of the constants is
// the order in which [Verifier.Verify] runs them.
type Check string

// The validators, in order.
const (
	CheckChallenge  Check = "challenge"
	CheckSignature  Check = "signature"
	CheckChain      Check = "chain"
	CheckValidity   Check = "validity"
	CheckKeyUsage   Check = "key_usage"
	CheckCRL        Check = "revocation.crl"  // a CRL lists the certificate
	CheckOCSP       Check = "revocation.ocsp" // the OCSP responder reports the certificate revoked
	CheckRevocation Check = "revocation"      // no revocation source answered and the policy fails closed
)

// Reason is the stable key of a refusal. Pages show the message
// "error.<Reason>" of the person's catalog; the audit log records the key.
type Reason string

// The reasons of a refusal.
const (
	// ReasonChallengeUnknown: no challenge was issued to this flow, it expired, or it was used already.
	ReasonChallengeUnknown Reason = "certificate.challenge_unknown"
	// ReasonChallengeMismatch: the signed content is not the flow's challenge.
	ReasonChallengeMismatch Reason = "certificate.challenge_mismatch"
	// ReasonMalformed: the submission cannot be decoded.
	ReasonMalformed Reason = "certificate.malformed"
	// ReasonAlgorithm: the signature uses an algorithm that is not accepted.
	ReasonAlgorithm Reason = "certificate.algorithm"
	// ReasonSignatureInvalid: the signature does not verify with the signer's certificate.
	ReasonSignatureInvalid Reason = "certificate.signature_invalid"
	// ReasonUntrusted: the certificate does not chain to a configured trust anchor.
	ReasonUntrusted Reason = "certificate.untrusted"
	// ReasonExpired: a certificate of the chain has expired.
	ReasonExpired Reason = "certificate.expired"
	// ReasonNotYetValid: a certificate of the chain is not valid yet.
	ReasonNotYetValid Reason = "certificate.not_yet_valid"
	// ReasonKeyUsage: the certificate may not be used to log in (key usage, or a CA certificate).
	ReasonKeyUsage Reason = "certificate.key_usage"
	// ReasonRevoked: a certificate of the chain is revoked.
	ReasonRevoked Reason = "certificate.revoked"
	// ReasonRevocationUnavailable: revocation could not be checked and the policy fails closed.
	ReasonRevocationUnavailable Reason = "certificate.revocation_unavailable"
)

// Reasons lists every reason, for message catalogs and their tests.
var Reasons = []Reason{ReasonChallengeUnknown, ReasonChallengeMismatch, ReasonMalformed, ReasonAlgorithm,
	ReasonSignatureInvalid, ReasonUntrusted, ReasonExpired, ReasonNotYetValid, ReasonKeyUsage, ReasonRevoked,
	ReasonRevocationUnavailable}

// Refusal is the answer of a validator that refused. Check and Reason are
// stable; Detail is English text for the process log, never for a page.
type Refusal struct {
	Check  Check
	Reason Reason
	// Detail says what exactly failed, for logs. It names certificates by
	// serial number and issuer, never by subject (no personal ID, tax code or
	// e-mail address).
	Detail string
	// Certificate is the certificate concerned, when there is one (the
	// signer, or the expired or revoked certificate of the chain).
	Certificate *x509.Certificate
}

// Error returns "certificate: <check>: <reason>: <detail>" for logs.
func (r *Refusal) Error() string {
	s := "certificate: " + string(r.Check) + ": " + string(r.Reason)
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	return s
}

// AuditDetails returns what the audit log records of a refusal: the check,
// the reason and, when there is one, the certificate's subject, issuer and
// serial number. Detail stays in the process log.
func (r *Refusal) AuditDetails() map[string]string {
	d := map[string]string{"certificate_check": string(r.Check), "reason": string(r.Reason)}
	if c := r.Certificate; c != nil {
		d["certificate_subject"] = c.Subject.String()
		d["certificate_issuer"] = IssuerKey(c)
		d["certificate_serial"] = SerialKey(c)
	}
	return d
}

// MessageKey returns the message-catalog key "error.<Reason>".
func (r *Refusal) MessageKey() string { return "error." + string(r.Reason) }

// Is reports whether target is a *Refusal with the same Check and Reason
// (either left empty matches any), so that errors.Is(err,
// &Refusal{Reason: ReasonExpired}) matches every expiry.
func (r *Refusal) Is(target error) bool {
	t, ok := target.(*Refusal)
	if !ok || t == nil {
		return false
	}
	return (t.Check == "" || t.Check == r.Check) && (t.Reason == "" || t.Reason == r.Reason)
}

func refuse(check Check, reason Reason, cert *x509.Certificate, format string, args ...any) *Refusal {
	return &Refusal{Check: check, Reason: reason, Certificate: cert, Detail: fmt.Sprintf(format, args...)}
}
