package identity_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestParseProofingMethod(t *testing.T) {
	for in, want := range map[string]identity.ProofingMethod{
		"in-person": identity.ProofInPerson, " in_person ": identity.ProofInPerson,
		"authoritative-source": identity.ProofAuthoritativeSource, "certificate": identity.ProofCertificate,
		"upstream_eid": identity.ProofUpstreamEID,
	} {
		if got, err := identity.ParseProofingMethod(in); err != nil || got != want {
			t.Errorf("ParseProofingMethod(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, reason := range map[string]string{"": "required", " ": "required", "selfie": "invalid", "verified": "invalid"} {
		_, err := identity.ParseProofingMethod(in)
		if !errors.Is(err, &identity.InvalidError{Field: "evidence", Reason: reason}) {
			t.Errorf("ParseProofingMethod(%q) = %v, want evidence.%s", in, err, reason)
		}
	}
}

func TestProofingVerified(t *testing.T) {
	at := time.Date(2025, 7, 1, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	p := identity.Verify(identity.ProofInPerson, identity.Proofing{State: identity.ProofingUnverified, Document: "cccd", By: "tn.hoa"}, at)
	if !p.Verified() || p.Method != identity.ProofInPerson || p.Document != "cccd" || p.By != "tn.hoa" || !p.At.Equal(at) || p.At.Location() != time.UTC {
		t.Errorf("Verify = %+v", p)
	}
	a := &identity.Account{PersonalID: "079303001234"}
	if a.PersonalIDVerified() || (identity.Proofing{}).Verified() {
		t.Error("the zero Proofing reads as verified")
	}
	a.Proofing = p
	if !a.PersonalIDVerified() {
		t.Error("a verified personal ID reads as unverified")
	}
	a.PersonalID = ""
	if a.PersonalIDVerified() {
		t.Error("no personal ID reads as verified")
	}
}
