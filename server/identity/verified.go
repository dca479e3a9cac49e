package identity

import (
	"slices"
	"time"
)

// The trust frameworks under which dinhdanh states a proven personal ID in
// "verified_claims" (OpenID Connect for Identity Assurance 1.0,
// "verification"."trust_framework").
const (
	// TrustFrameworkEID: the national e-identity system (VNeID, Decree
	// 69/2024/NĐ-CP): the ID was proven by an upstream e-ID provider.
	TrustFrameworkEID = "vn_eid"
	// TrustFrameworkDinhdanh: dinhdanh's own proofing rules: a certificate
	// from a trusted CA, an official in person, or an authoritative source.
	TrustFrameworkDinhdanh = "vn_dinhdanh"
)

// The evidence types of "verified_claims" (Identity Assurance 1.0, section
// 5.4.4) that dinhdanh issues, by proofing method: in person "document"
// (check method "vpip"); certificate "electronic_signature"; upstream e-ID
// and authoritative source "electronic_record".
const (
	EvidenceDocument            = "document"
	EvidenceElectronicRecord    = "electronic_record"
	EvidenceElectronicSignature = "electronic_signature"
)

// TrustFrameworks returns the trust frameworks of [Account.VerifiedClaims],
// for discovery ("trust_frameworks_supported").
func TrustFrameworks() []string { return []string{TrustFrameworkEID, TrustFrameworkDinhdanh} }

// EvidenceTypes returns the evidence types of [Account.VerifiedClaims], for
// discovery ("evidence_supported").
func EvidenceTypes() []string {
	return []string{EvidenceDocument, EvidenceElectronicRecord, EvidenceElectronicSignature}
}

// verifiedClaimNames are the claims that "verified_claims"."claims" may hold.
var verifiedClaimNames = []string{"personal_id", "name", "family_name", "middle_name", "given_name", "birthdate"}

// VerifiedClaimNames returns the claims that [Account.VerifiedClaims] may
// release, for discovery ("claims_in_verified_claims_supported").
func VerifiedClaimNames() []string { return slices.Clone(verifiedClaimNames) }

// VerifiedClaimsRequest is a request for "verified_claims" by an
// application, in the ID token or at userinfo (the claims parameter).
type VerifiedClaimsRequest struct {
	// Claims are the claims asked for within "verified_claims"."claims";
	// empty asks for every one that [VerifiedClaimNames] lists.
	Claims []string `json:"c,omitempty"`
}

// VerifiedClaims returns the "verified_claims" object (OpenID Connect for
// Identity Assurance 1.0) of a, with the claims of r, or nil when a's
// personal ID is not proven ([Account.PersonalIDVerified]), r is nil, or
// none of the claims r asks for is known.
//
//   - "verification": "trust_framework" ([TrustFrameworkEID] for an
//     upstream e-ID, [TrustFrameworkDinhdanh] otherwise), "time" (when the
//     ID was proven, RFC 3339 UTC, omitted when unknown), and "evidence",
//     one object of the method's type (see [EvidenceDocument] …), stating
//     the issuer, source or document where the proof recorded one. Who
//     recorded it (Proofing.By) is never released.
//   - "claims": "personal_id" and, when set, "name", "family_name",
//     "middle_name", "given_name", "birthdate"; only those r asks for.
func (a *Account) VerifiedClaims(r *VerifiedClaimsRequest) map[string]any {
	if r == nil || !a.PersonalIDVerified() {
		return nil
	}
	p := a.Proofing
	at := ""
	if !p.At.IsZero() {
		at = p.At.UTC().Format(time.RFC3339)
	}
	framework := TrustFrameworkDinhdanh
	evidence := map[string]any{}
	switch p.Method {
	case ProofUpstreamEID:
		framework = TrustFrameworkEID
		evidence["type"] = EvidenceElectronicRecord
		evidence["check_details"] = []any{map[string]any{"check_method": "auth"}}
		record := map[string]any{"type": "population_register"}
		if p.Provider != "" {
			record["source"] = map[string]any{"name": p.Provider}
		}
		evidence["record"] = record
	case ProofCertificate:
		evidence["type"] = EvidenceElectronicSignature
		evidence["signature_type"] = "digital_signature_certificate"
		putString(evidence, "issuer", p.Provider)
		putString(evidence, "created_at", at)
	case ProofInPerson:
		evidence["type"] = EvidenceDocument
		evidence["check_details"] = []any{map[string]any{"check_method": "vpip"}}
		if p.Document != "" {
			evidence["document_details"] = map[string]any{"type": p.Document}
		}
	default: // ProofAuthoritativeSource
		evidence["type"] = EvidenceElectronicRecord
		evidence["check_details"] = []any{map[string]any{"check_method": "data"}}
		record := map[string]any{"type": "authoritative_register"}
		if p.Provider != "" {
			record["source"] = map[string]any{"name": p.Provider}
		}
		evidence["record"] = record
	}
	putString(evidence, "time", at)
	verification := map[string]any{"trust_framework": framework, "evidence": []any{evidence}}
	putString(verification, "time", at)

	family, middle, given := SplitName(a.FullName)
	all := map[string]string{"personal_id": string(a.PersonalID), "name": a.FullName, "family_name": family,
		"middle_name": middle, "given_name": given, "birthdate": a.Birthdate}
	claims := map[string]any{}
	for _, name := range verifiedClaimNames {
		if len(r.Claims) == 0 || slices.Contains(r.Claims, name) {
			putString(claims, name, all[name])
		}
	}
	if len(claims) == 0 {
		return nil
	}
	return map[string]any{"verification": verification, "claims": claims}
}
