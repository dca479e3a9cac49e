package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// verifiedClaimsRequest asks, with the claims parameter, for the verified
// personal ID and name in the ID token and every verified claim at userinfo.
const verifiedClaimsRequest = `{"id_token":{"verified_claims":{"verification":{"trust_framework":null},` +
	`"claims":{"personal_id":null,"name":null}}},"userinfo":{"verified_claims":{"verification":{"trust_framework":null,"evidence":null},"claims":null}}}`

// TestVerifiedClaims: a relying party that asks for verified_claims gets
// them, under the trust framework and evidence of the proof, for a citizen
// whose personal ID is proven, and not for one who only asserted it; one
// that does not ask gets none. Discovery advertises them.
func TestVerifiedClaims(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	scopes := []string{"openid", "profile", "personal_id"}
	rp := newRP(t, srv, srv.CreateClient(t, booking(scopes...)))
	claimsParam := oauth2.SetAuthURLParam("claims", verifiedClaimsRequest)

	var disc struct {
		Supported   bool     `json:"verified_claims_supported"`
		Frameworks  []string `json:"trust_frameworks_supported"`
		Evidence    []string `json:"evidence_supported"`
		ClaimsInVCs []string `json:"claims_in_verified_claims_supported"`
		Claims      []string `json:"claims_supported"`
	}
	if err := json.Unmarshal([]byte(fetch(t, srv.URL("/.well-known/openid-configuration"), nil).body), &disc); err != nil {
		t.Fatal(err)
	}
	if !disc.Supported || !slices.Contains(disc.Frameworks, "vn_dinhdanh") || !slices.Contains(disc.Frameworks, "vn_eid") ||
		!slices.Contains(disc.Evidence, "electronic_record") || !slices.Contains(disc.ClaimsInVCs, "personal_id") ||
		!slices.Contains(disc.Claims, "verified_claims") {
		t.Errorf("discovery of verified claims: %+v", disc)
	}

	// A verified citizen (the fixtures prove IDs by an authoritative source).
	srv.CreateCitizen(t, dat)
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, scopes, claimsParam)
	resp = allow(t, b, login(t, b, resp, dat.PersonalID, dat.Password).MustPage(t, http.StatusOK, "/consent"))
	toks := rp.exchange(t, ar, rp.code(t, ar, resp))
	wantClaims(t, "ID token", toks.Claims, map[string]any{"personal_id": dat.PersonalID, "acr": "LoA1"})
	vc := verifiedClaims(t, "ID token", toks.Claims)
	wantClaims(t, "ID token verified_claims.claims", vc["claims"].(map[string]any),
		map[string]any{"personal_id": dat.PersonalID, "name": dat.Name})
	noClaims(t, "ID token verified_claims.claims (not asked)", vc["claims"].(map[string]any), "birthdate")
	verification := vc["verification"].(map[string]any)
	if verification["trust_framework"] != "vn_dinhdanh" {
		t.Errorf("trust_framework = %v, want vn_dinhdanh", verification["trust_framework"])
	}
	evidence, _ := verification["evidence"].([]any)
	if len(evidence) != 1 {
		t.Fatalf("evidence = %v, want one", verification["evidence"])
	}
	wantClaims(t, "evidence", evidence[0].(map[string]any), map[string]any{"type": "electronic_record",
		"record": map[string]any{"type": "authoritative_register", "source": map[string]any{"name": "test fixtures"}}})
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(verification["time"])); err != nil {
		t.Errorf("verification.time %v: %v", verification["time"], err)
	}

	_, info := rp.userinfo(t, toks.AccessToken)
	vcu := verifiedClaims(t, "userinfo", info)
	wantClaims(t, "userinfo verified_claims.claims", vcu["claims"].(map[string]any),
		map[string]any{"personal_id": dat.PersonalID, "name": dat.Name, "birthdate": dat.Birthdate})

	// Refreshed ID tokens carry them too.
	tok, err := rp.refresh(toks.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	verifiedClaims(t, "refreshed ID token", rp.verify(t, tok).Claims)

	// Not asked for: not released (the consent is remembered).
	b2 := srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b2, scopes)
	toks = rp.exchange(t, ar, rp.code(t, ar, login(t, b2, resp, dat.PersonalID, dat.Password)))
	wantClaims(t, "ID token, verified_claims not asked", toks.Claims, map[string]any{"personal_id": dat.PersonalID})
	noClaims(t, "ID token, verified_claims not asked", toks.Claims, "verified_claims")
	_, info = rp.userinfo(t, toks.AccessToken)
	noClaims(t, "userinfo, verified_claims not asked", info, "verified_claims")

	// A self-registered (unverified) personal ID gets none.
	b3 := srv.NewBrowser(t)
	reg := harness.Citizen{PersonalID: "001088004321", Name: "Hoàng Văn Giả", Birthdate: "1988-02-03", Gender: "male",
		Email: "gia.hv@example.vn", Password: "Mạo-danh-người-khác-2024"}
	ar, resp = selfRegister(t, rp, b3, reg, scopes, claimsParam)
	toks = rp.exchange(t, ar, rp.code(t, ar, allow(t, b3, resp.MustPage(t, http.StatusOK, "/consent"))))
	noClaims(t, "ID token of a self-asserted ID", toks.Claims, "verified_claims", "personal_id")
	_, info = rp.userinfo(t, toks.AccessToken)
	noClaims(t, "userinfo of a self-asserted ID", info, "verified_claims", "personal_id")
}

// verifiedClaims returns the verified_claims object of claims.
func verifiedClaims(t *testing.T, where string, claims map[string]any) map[string]any {
	t.Helper()
	vc, ok := claims["verified_claims"].(map[string]any)
	if !ok {
		t.Fatalf("%s: no verified_claims object in %v", where, claims)
	}
	if _, ok := vc["claims"].(map[string]any); !ok {
		t.Fatalf("%s: verified_claims.claims is %v", where, vc["claims"])
	}
	if _, ok := vc["verification"].(map[string]any); !ok {
		t.Fatalf("%s: verified_claims.verification is %v", where, vc["verification"])
	}
	return vc
}
