package identity_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestVerifiedClaims(t *testing.T) {
	at := time.Date(2025, time.July, 1, 2, 3, 4, 0, time.FixedZone("ICT", 7*3600))
	const when = "2025-06-30T19:03:04Z"
	person := map[string]any{"personal_id": "079303001234", "name": "Nguyễn Thị Ánh", "family_name": "Nguyễn",
		"middle_name": "Thị", "given_name": "Ánh", "birthdate": "2003-05-17"}
	cases := []struct {
		name     string
		proofing identity.Proofing
		request  *identity.VerifiedClaimsRequest
		want     map[string]any // nil: no verified_claims
	}{
		{"in person", identity.Verify(identity.ProofInPerson, identity.Proofing{Document: "cccd", By: "tn.hoa"}, at),
			&identity.VerifiedClaimsRequest{},
			map[string]any{"verification": map[string]any{"trust_framework": "vn_dinhdanh", "time": when,
				"evidence": []any{map[string]any{"type": "document", "time": when,
					"check_details": []any{map[string]any{"check_method": "vpip"}}, "document_details": map[string]any{"type": "cccd"}}}},
				"claims": person}},
		{"upstream e-ID", identity.Verify(identity.ProofUpstreamEID, identity.Proofing{Provider: "vneid", Assurance: "LoA2"}, at),
			&identity.VerifiedClaimsRequest{Claims: []string{"personal_id", "birthdate"}},
			map[string]any{"verification": map[string]any{"trust_framework": "vn_eid", "time": when,
				"evidence": []any{map[string]any{"type": "electronic_record", "time": when,
					"check_details": []any{map[string]any{"check_method": "auth"}},
					"record":        map[string]any{"type": "population_register", "source": map[string]any{"name": "vneid"}}}}},
				"claims": map[string]any{"personal_id": "079303001234", "birthdate": "2003-05-17"}}},
		{"certificate", identity.Verify(identity.ProofCertificate, identity.Proofing{Provider: "Ban Cơ yếu Chính phủ", Document: "ab12"}, at),
			&identity.VerifiedClaimsRequest{Claims: []string{"personal_id"}},
			map[string]any{"verification": map[string]any{"trust_framework": "vn_dinhdanh", "time": when,
				"evidence": []any{map[string]any{"type": "electronic_signature", "time": when, "created_at": when,
					"signature_type": "digital_signature_certificate", "issuer": "Ban Cơ yếu Chính phủ"}}},
				"claims": map[string]any{"personal_id": "079303001234"}}},
		{"authoritative source, no time", identity.Proofing{State: identity.ProofingVerified, Method: identity.ProofAuthoritativeSource, Provider: "hr"},
			&identity.VerifiedClaimsRequest{Claims: []string{"given_name"}},
			map[string]any{"verification": map[string]any{"trust_framework": "vn_dinhdanh",
				"evidence": []any{map[string]any{"type": "electronic_record",
					"check_details": []any{map[string]any{"check_method": "data"}},
					"record":        map[string]any{"type": "authoritative_register", "source": map[string]any{"name": "hr"}}}}},
				"claims": map[string]any{"given_name": "Ánh"}}},
		{"unverified", identity.Proofing{}, &identity.VerifiedClaimsRequest{}, nil},
		{"not requested", identity.Verify(identity.ProofInPerson, identity.Proofing{}, at), nil, nil},
		{"only unknown claims", identity.Verify(identity.ProofInPerson, identity.Proofing{}, at),
			&identity.VerifiedClaimsRequest{Claims: []string{"email"}}, nil},
	}
	for _, c := range cases {
		a := fullAccount()
		a.Proofing = c.proofing
		got := a.VerifiedClaims(c.request)
		if c.want == nil {
			if got != nil {
				t.Errorf("%s: %v, want none", c.name, got)
			}
			continue
		}
		// Compare the JSON an application reads.
		raw, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, c.want) {
			t.Errorf("%s:\n got %s\nwant %v", c.name, raw, c.want)
		}
	}
}

// verified_claims are released under the personal_id scope, with consent,
// for a proven ID, and only when asked for.
func TestClaimsVerifiedClaims(t *testing.T) {
	req := &identity.VerifiedClaimsRequest{}
	cases := []struct {
		name      string
		scopes    []string
		consented bool
		verified  *identity.VerifiedClaimsRequest
		proven    bool
		want      bool
	}{
		{"asked, consented, proven", []string{"openid", "personal_id"}, true, req, true, true},
		{"not asked", []string{"openid", "personal_id"}, true, nil, true, false},
		{"no personal_id scope", []string{"openid", "profile"}, true, req, true, false},
		{"no consent", []string{"openid", "personal_id"}, false, req, true, false},
		{"self-asserted", []string{"openid", "personal_id"}, true, req, false, false},
	}
	for _, c := range cases {
		a := fullAccount()
		if !c.proven {
			a.Proofing = identity.Proofing{}
		}
		claims := a.Claims(identity.ClaimRequest{Scopes: c.scopes, Capacity: identity.CapacityCitizen,
			PersonalIDConsented: c.consented, Verified: c.verified})
		if _, got := claims["verified_claims"]; got != c.want {
			t.Errorf("%s: verified_claims released = %v, want %v", c.name, got, c.want)
		}
	}
}
