package identity_test

import (
	"maps"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestParseClaimProfile(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want identity.ClaimProfile
	}{
		{"", identity.ProfileStandard},
		{"standard", identity.ProfileStandard},
		{" dvcqg\n", identity.ProfileDVCQG},
	} {
		got, err := identity.ParseClaimProfile(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseClaimProfile(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"DVCQG", "wso2", "dvc qg", "standard,dvcqg"} {
		got, err := identity.ParseClaimProfile(in)
		if got != "" {
			t.Errorf("ParseClaimProfile(%q) = %q, want \"\"", in, got)
		}
		wantInvalid(t, err, "claim_profile", "invalid")
	}
}

// TestClaimProfileApply is the mapping table of the dvcqg profile: each row
// is a set of released standard claims and the portal's names it adds.
func TestClaimProfileApply(t *testing.T) {
	tests := []struct {
		name     string
		standard map[string]any
		added    map[string]any
	}{
		{"citizen with everything released",
			map[string]any{"account_kind": "citizen", "personal_id": "001099000123", "name": "Nguyễn Văn An",
				"birthdate": "1999-03-07", "gender": "male"},
			map[string]any{"SoDinhDanh": "001099000123", "HoVaTen": "Nguyễn Văn An", "NgayThangNamSinh": "19990307",
				"GioiTinh": "1", "LoaiTaiKhoan": "1"}},
		{"female", map[string]any{"account_kind": "citizen", "gender": "female"},
			map[string]any{"GioiTinh": "2", "LoaiTaiKhoan": "1"}},
		{"personal ID not released: no SoDinhDanh",
			map[string]any{"account_kind": "citizen", "name": "Nguyễn Văn An"},
			map[string]any{"HoVaTen": "Nguyễn Văn An", "LoaiTaiKhoan": "1"}},
		{"acting for a business",
			map[string]any{"account_kind": "citizen", "tax_code": "0101234565",
				"business": map[string]any{"tax_code": "0101234565", "name": "Hoàng Long", "role": "legal_representative"}},
			map[string]any{"MaSoThue": "0101234565", "LoaiTaiKhoan": "2"}},
		{"acting for a household business",
			map[string]any{"account_kind": "citizen", "tax_code": "001099000123"},
			map[string]any{"MaSoThue": "001099000123", "LoaiTaiKhoan": "2"}},
		{"official", map[string]any{"account_kind": "official", "name": "Phạm Minh Châu", "organization": "Sở Tài chính"},
			map[string]any{"HoVaTen": "Phạm Minh Châu", "LoaiTaiKhoan": "3"}},
		{"birth date not in the stored form", map[string]any{"account_kind": "citizen", "birthdate": "1999"},
			map[string]any{"LoaiTaiKhoan": "1"}},
		{"birth date with letters", map[string]any{"account_kind": "citizen", "birthdate": "1999-0a-07"},
			map[string]any{"LoaiTaiKhoan": "1"}},
		{"unknown gender", map[string]any{"account_kind": "citizen", "gender": "other"},
			map[string]any{"LoaiTaiKhoan": "1"}},
		{"not strings", map[string]any{"account_kind": "citizen", "personal_id": 1, "name": true, "tax_code": []string{"x"}},
			map[string]any{"LoaiTaiKhoan": "1"}},
		{"no account kind", map[string]any{"name": "An"}, map[string]any{"HoVaTen": "An"}},
		{"nothing", map[string]any{}, map[string]any{}},
		{"an existing name is kept", map[string]any{"account_kind": "citizen", "name": "An", "HoVaTen": "kept"},
			map[string]any{"LoaiTaiKhoan": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := maps.Clone(tt.standard)
			identity.ProfileDVCQG.Apply(got)
			want := maps.Clone(tt.standard)
			maps.Copy(want, tt.added)
			wantSameClaims(t, got, want)

			plain := maps.Clone(tt.standard)
			identity.ProfileStandard.Apply(plain)
			wantSameClaims(t, plain, tt.standard)
		})
	}
	identity.ProfileDVCQG.Apply(nil) // must not panic
}

// TestClaimProfileFollowsClaims checks the profile against Account.Claims:
// SoDinhDanh is released exactly when personal_id is.
func TestClaimProfileFollowsClaims(t *testing.T) {
	for _, verified := range []bool{false, true} {
		a := &identity.Account{ID: "acct", PersonalID: "001099000123", FullName: "Nguyễn Văn An", Birthdate: "1999-03-07",
			Gender: identity.GenderMale, UpdatedAt: time.Unix(1700000000, 0)}
		if verified {
			a.Proofing = identity.Proofing{State: identity.ProofingVerified, Method: identity.ProofInPerson,
				Document: "cccd", By: "tt.an", At: time.Unix(1700000000, 0)}
		}
		for _, consented := range []bool{false, true} {
			c := a.Claims(identity.ClaimRequest{Scopes: []string{"openid", "profile", "personal_id"},
				Capacity: identity.CapacityCitizen, PersonalIDConsented: consented})
			_, released := c["personal_id"]
			identity.ProfileDVCQG.Apply(c)
			if _, got := c["SoDinhDanh"]; got != released || released != (consented && verified) {
				t.Errorf("verified %v, consented %v: personal_id released %v, SoDinhDanh released %v", verified, consented,
					released, got)
			}
			if c["NgayThangNamSinh"] != "19990307" || c["HoVaTen"] != "Nguyễn Văn An" || c["GioiTinh"] != "1" {
				t.Errorf("verified %v, consented %v: %v", verified, consented, c)
			}
		}
	}
}

func wantSameClaims(t *testing.T, got, want map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("claims = %v, want %v", got, want)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Fatalf("claim %q missing: %v", k, got)
		}
		if gs, ok := w.(string); ok {
			if g != gs {
				t.Fatalf("claim %q = %v, want %q", k, g, gs)
			}
		}
	}
}
