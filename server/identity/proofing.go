package identity

import (
	"strings"
	"time"
)

// ProofingState says whether the personal ID of an account is proven.
type ProofingState string

// The proofing states of a personal ID; see [Proofing].
const (
	// ProofingUnverified is a personal ID the person only asserted (typed at
	// self-registration, or given by an administrator without evidence). It
	// is never released as a claim and never links an official capacity, a
	// certificate or a business.
	ProofingUnverified ProofingState = "unverified"
	// ProofingVerified is a personal ID proven by the evidence of [Proofing].
	ProofingVerified ProofingState = "verified"
)

// ProofingMethod is how a personal ID was proven.
type ProofingMethod string

// The methods of proving a personal ID.
const (
	// ProofUpstreamEID: an upstream e-identity provider (VNeID, the national
	// public-service portal) asserted it; Provider names it, Assurance is
	// its level.
	ProofUpstreamEID ProofingMethod = "upstream_eid"
	// ProofCertificate: a certificate from a trusted certification authority
	// carries it, and its holder proved possession of the key; Provider is
	// the issuer, Document the certificate's fingerprint.
	ProofCertificate ProofingMethod = "certificate"
	// ProofInPerson: an official saw the person and their identity document
	// at a one-stop centre; By names the official, Document the document
	// ("cccd", "passport", …).
	ProofInPerson ProofingMethod = "in_person"
	// ProofAuthoritativeSource: an HR or directory source the operator marks
	// as authoritative holds it; Provider names the source.
	ProofAuthoritativeSource ProofingMethod = "authoritative_source"
)

// ParseProofingMethod parses a method name as written in the API
// ("in_person") or on a command line ("in-person"), after trimming
// surrounding white space. It fails with Field "evidence" and Reason
// "required" when s is blank and "invalid" otherwise.
func ParseProofingMethod(s string) (ProofingMethod, error) {
	m := ProofingMethod(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	switch m {
	case "":
		return "", invalid(fieldEvidence, "required")
	case ProofUpstreamEID, ProofCertificate, ProofInPerson, ProofAuthoritativeSource:
		return m, nil
	}
	return "", invalid(fieldEvidence, "invalid")
}

// Proofing is the verification state of an account's personal ID and its
// evidence. The zero value is an unverified ID (no evidence).
type Proofing struct {
	State     ProofingState  // "" reads as ProofingUnverified
	Method    ProofingMethod // "" while unverified
	Provider  string         // the upstream, the certificate's issuer, or the authoritative source; "" if none
	Assurance string         // the upstream's or certificate's level (such as "LoA2"), "" if none
	Document  string         // the identity document shown, or the certificate's fingerprint; "" if none
	By        string         // who recorded the proof: the official in person, the administrator; "" if none
	At        time.Time      // when it was proven; zero while unverified
}

// Verified reports whether the proof is of State [ProofingVerified].
func (p Proofing) Verified() bool { return p.State == ProofingVerified }

// Verify returns a verified proof by method m at t, with the other evidence
// of e (its State, Method and At are ignored).
func Verify(m ProofingMethod, e Proofing, t time.Time) Proofing {
	e.State, e.Method, e.At = ProofingVerified, m, t.UTC()
	return e
}

// PersonalIDVerified reports whether the account has a personal ID and it is
// proven ([Proofing.Verified]).
func (a *Account) PersonalIDVerified() bool {
	return a.PersonalID != "" && a.Proofing.Verified()
}
