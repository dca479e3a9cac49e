package identity_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

var updated = time.Date(2025, time.March, 10, 8, 30, 0, 0, time.UTC)

// fullAccount is a citizen who is also an official, with every field set.
func fullAccount() *identity.Account {
	return &identity.Account{
		ID:            "k3xq7m2a4bcdefghijklmnopqr",
		FullName:      "Nguyễn Thị Ánh",
		Birthdate:     "2003-05-17",
		Gender:        identity.GenderFemale,
		Email:         "anh.nt@example.gov.vn",
		EmailVerified: true,
		Phone:         "+84912345678",
		PhoneVerified: false,
		Locale:        "vi",
		PersonalID:    "079303001234",
		Proofing: identity.Proofing{State: identity.ProofingVerified, Method: identity.ProofInPerson,
			Document: "cccd", By: "tn.hoa", At: updated.Add(-2 * time.Hour)},
		Official: &identity.Official{
			Username:   "anh.nt",
			Agency:     "Sở Thông tin và Truyền thông",
			Department: "Phòng Công nghệ thông tin",
			Title:      "Chuyên viên",
			Directory:  "province-ad",
			Roles:      []string{"vbdh.user", "motcua.clerk"},
			Groups:     []string{"stttt-cntt"},
		},
		CreatedAt: updated.Add(-time.Hour),
		UpdatedAt: updated,
	}
}

var representation = &identity.Representation{
	AccountID:    "k3xq7m2a4bcdefghijklmnopqr",
	TaxCode:      "0314409058-001",
	BusinessName: "Công ty TNHH Ví Dụ - Chi nhánh Cần Thơ",
	Role:         identity.RoleAuthorisedStaff,
	GrantedBy:    "admin",
	CreatedAt:    updated,
}

// scopeClaims is what each scope adds for fullAccount with representation
// and consent, per capacity.
func scopeClaims(c identity.Capacity) map[string]map[string]any {
	profile := map[string]any{
		"name":        "Nguyễn Thị Ánh",
		"family_name": "Nguyễn",
		"middle_name": "Thị",
		"given_name":  "Ánh",
		"birthdate":   "2003-05-17",
		"gender":      "female",
		"locale":      "vi",
		"updated_at":  updated.Unix(),
	}
	roles := map[string]any{}
	if c == identity.CapacityOfficial {
		profile["organization"] = "Sở Thông tin và Truyền thông"
		profile["department"] = "Phòng Công nghệ thông tin"
		profile["title"] = "Chuyên viên"
		roles["roles"] = []string{"vbdh.user", "motcua.clerk"}
		roles["groups"] = []string{"stttt-cntt"}
	}
	return map[string]map[string]any{
		"openid":      {},
		"profile":     profile,
		"email":       {"email": "anh.nt@example.gov.vn", "email_verified": true},
		"phone":       {"phone_number": "+84912345678", "phone_number_verified": false},
		"personal_id": {"personal_id": "079303001234"},
		"business": {
			"tax_code": "0314409058-001",
			"business": map[string]any{
				"tax_code": "0314409058-001",
				"name":     "Công ty TNHH Ví Dụ - Chi nhánh Cần Thơ",
				"role":     "authorised_staff",
			},
		},
		"roles": roles,
	}
}

// TestClaimsEveryScopeCombination checks every subset of the scopes, in both
// capacities: the claims are exactly account_kind plus the union of what each
// granted scope adds.
func TestClaimsEveryScopeCombination(t *testing.T) {
	all := []string{"openid", "profile", "email", "phone", "personal_id", "business", "roles"}
	for _, capacity := range []identity.Capacity{identity.CapacityCitizen, identity.CapacityOfficial} {
		per := scopeClaims(capacity)
		for mask := 0; mask < 1<<len(all); mask++ {
			var scopes []string
			want := map[string]any{"account_kind": string(capacity)}
			for i, s := range all {
				if mask&(1<<i) != 0 {
					scopes = append(scopes, s)
					maps.Copy(want, per[s])
				}
			}
			got := fullAccount().Claims(identity.ClaimRequest{
				Scopes:              scopes,
				Capacity:            capacity,
				Business:            representation,
				PersonalIDConsented: true,
			})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("capacity %s, scopes %v:\n got %v\nwant %v", capacity, scopes, got, want)
			}
		}
	}
}

func TestClaimsRules(t *testing.T) {
	allScopes := []string{"openid", "profile", "email", "phone", "personal_id", "business", "roles"}
	tests := []struct {
		name    string
		account func(*identity.Account)
		req     identity.ClaimRequest
		want    map[string]any
	}{
		{
			name: "no scopes",
			req:  identity.ClaimRequest{Capacity: identity.CapacityCitizen},
			want: map[string]any{"account_kind": "citizen"},
		},
		{
			name: "unknown scope ignored",
			req:  identity.ClaimRequest{Scopes: []string{"openid", "address", "offline_access"}, Capacity: identity.CapacityCitizen},
			want: map[string]any{"account_kind": "citizen"},
		},
		{
			name: "personal ID without consent",
			req:  identity.ClaimRequest{Scopes: []string{"personal_id"}, Capacity: identity.CapacityCitizen},
			want: map[string]any{"account_kind": "citizen"},
		},
		{
			name:    "personal ID consented but unverified",
			account: func(a *identity.Account) { a.Proofing = identity.Proofing{} },
			req:     identity.ClaimRequest{Scopes: []string{"personal_id"}, Capacity: identity.CapacityCitizen, PersonalIDConsented: true},
			want:    map[string]any{"account_kind": "citizen"},
		},
		{
			name:    "personal ID consented but none",
			account: func(a *identity.Account) { a.PersonalID = "" },
			req:     identity.ClaimRequest{Scopes: []string{"personal_id"}, Capacity: identity.CapacityOfficial, PersonalIDConsented: true},
			want:    map[string]any{"account_kind": "official"},
		},
		{
			name: "business scope without a chosen business",
			req:  identity.ClaimRequest{Scopes: []string{"business"}, Capacity: identity.CapacityCitizen},
			want: map[string]any{"account_kind": "citizen"},
		},
		{
			name: "business of another account",
			req: identity.ClaimRequest{Scopes: []string{"business"}, Capacity: identity.CapacityCitizen,
				Business: &identity.Representation{AccountID: "someoneelse", TaxCode: "0100233488", BusinessName: "X", Role: identity.RoleLegalRepresentative}},
			want: map[string]any{"account_kind": "citizen"},
		},
		{
			name: "business without account ID",
			req: identity.ClaimRequest{Scopes: []string{"business"}, Capacity: identity.CapacityCitizen,
				Business: &identity.Representation{TaxCode: "0100233488", BusinessName: "Tổng Công ty X", Role: identity.RoleLegalRepresentative}},
			want: map[string]any{"account_kind": "citizen", "tax_code": "0100233488",
				"business": map[string]any{"tax_code": "0100233488", "name": "Tổng Công ty X", "role": "legal_representative"}},
		},
		{
			name:    "official capacity without official record",
			account: func(a *identity.Account) { a.Official = nil },
			req:     identity.ClaimRequest{Scopes: []string{"profile", "roles"}, Capacity: identity.CapacityOfficial},
			want: map[string]any{"account_kind": "official", "name": "Nguyễn Thị Ánh", "family_name": "Nguyễn",
				"middle_name": "Thị", "given_name": "Ánh", "birthdate": "2003-05-17", "gender": "female",
				"locale": "vi", "updated_at": updated.Unix()},
		},
		{
			name: "empty values omitted",
			account: func(a *identity.Account) {
				*a = identity.Account{ID: a.ID, FullName: "Ánh", Official: &identity.Official{Agency: "UBND tỉnh"}}
			},
			req: identity.ClaimRequest{Scopes: allScopes, Capacity: identity.CapacityOfficial, PersonalIDConsented: true},
			want: map[string]any{"account_kind": "official", "name": "Ánh", "given_name": "Ánh",
				"organization": "UBND tỉnh"},
		},
		{
			name:    "two-word name has no middle name",
			account: func(a *identity.Account) { a.FullName = "Trần Hưng" },
			req:     identity.ClaimRequest{Scopes: []string{"profile"}, Capacity: identity.CapacityCitizen},
			want: map[string]any{"account_kind": "citizen", "name": "Trần Hưng", "family_name": "Trần",
				"given_name": "Hưng", "birthdate": "2003-05-17", "gender": "female", "locale": "vi",
				"updated_at": updated.Unix()},
		},
		{
			name:    "unverified email",
			account: func(a *identity.Account) { a.EmailVerified = false },
			req:     identity.ClaimRequest{Scopes: []string{"email", "email"}, Capacity: identity.CapacityCitizen},
			want:    map[string]any{"account_kind": "citizen", "email": "anh.nt@example.gov.vn", "email_verified": false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fullAccount()
			if tt.account != nil {
				tt.account(a)
			}
			got := a.Claims(tt.req)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Claims():\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestClaimsDoNotAliasAccount(t *testing.T) {
	a := fullAccount()
	c := a.Claims(identity.ClaimRequest{Scopes: []string{"roles"}, Capacity: identity.CapacityOfficial})
	c["roles"].([]string)[0] = "admin"
	if a.Official.Roles[0] != "vbdh.user" {
		t.Errorf("changing the claims changed the account: roles = %v", a.Official.Roles)
	}
}

func TestClaimsJSON(t *testing.T) {
	c := fullAccount().Claims(identity.ClaimRequest{
		Scopes:   []string{"openid", "profile", "business"},
		Capacity: identity.CapacityCitizen,
		Business: representation,
	})
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back["updated_at"] != float64(updated.Unix()) {
		t.Errorf("updated_at = %v, want %d", back["updated_at"], updated.Unix())
	}
	if _, ok := back["sub"]; ok {
		t.Error("claims contain sub")
	}
}

func TestScopeClaimsCoversClaims(t *testing.T) {
	sc := identity.ScopeClaims()
	for _, capacity := range []identity.Capacity{identity.CapacityCitizen, identity.CapacityOfficial} {
		for scope, claims := range scopeClaims(capacity) {
			for name := range claims {
				if !slices.Contains(sc[scope], name) {
					t.Errorf("ScopeClaims()[%q] lacks %q", scope, name)
				}
			}
		}
	}
	sc["email"][0] = "changed"
	if identity.ScopeClaims()["email"][0] != "email" {
		t.Error("ScopeClaims() returns shared slices")
	}
}
