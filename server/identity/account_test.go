package identity_test

import (
	"slices"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestAccountCapacities(t *testing.T) {
	tests := []struct {
		name    string
		account identity.Account
		want    []identity.Capacity
	}{
		{"neither", identity.Account{Admin: true}, []identity.Capacity{}},
		{"citizen", identity.Account{PersonalID: "001099012345"}, []identity.Capacity{identity.CapacityCitizen}},
		{"official", identity.Account{Official: &identity.Official{Username: "an.nv"}}, []identity.Capacity{identity.CapacityOfficial}},
		{"both", identity.Account{PersonalID: "001099012345", Official: &identity.Official{}},
			[]identity.Capacity{identity.CapacityCitizen, identity.CapacityOfficial}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.account.Capacities()
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Capacities() = %v, want %v", got, tt.want)
			}
			for _, c := range []identity.Capacity{identity.CapacityCitizen, identity.CapacityOfficial, "", "admin"} {
				if has, want := tt.account.Has(c), slices.Contains(tt.want, c); has != want {
					t.Errorf("Has(%q) = %v, want %v", c, has, want)
				}
			}
		})
	}
}

func TestParseCapacity(t *testing.T) {
	for _, s := range []string{"citizen", "official", " official "} {
		c, err := identity.ParseCapacity(s)
		if err != nil || string(c) == "" {
			t.Errorf("ParseCapacity(%q) = %q, %v", s, c, err)
		}
	}
	for _, tt := range []struct{ in, reason string }{{"", "required"}, {"Citizen", "invalid"}, {"business", "invalid"}} {
		c, err := identity.ParseCapacity(tt.in)
		if c != "" {
			t.Errorf("ParseCapacity(%q) = %q, want \"\"", tt.in, c)
		}
		wantInvalid(t, err, "capacity", tt.reason)
	}
}

func TestParseRepresentativeRole(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want identity.RepresentativeRole
	}{
		{"legal_representative", identity.RoleLegalRepresentative},
		{"authorised_staff", identity.RoleAuthorisedStaff},
		{" authorised_staff\n", identity.RoleAuthorisedStaff},
	} {
		if got, err := identity.ParseRepresentativeRole(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseRepresentativeRole(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ in, reason string }{
		{"", "required"},
		{"owner", "invalid"},
		{"authorized_staff", "invalid"},
		{"LEGAL_REPRESENTATIVE", "invalid"},
	} {
		got, err := identity.ParseRepresentativeRole(tt.in)
		if got != "" {
			t.Errorf("ParseRepresentativeRole(%q) = %q, want \"\"", tt.in, got)
		}
		wantInvalid(t, err, "representative_role", tt.reason)
	}
}

func TestNewSubject(t *testing.T) {
	if identity.SubjectLength != 26 {
		t.Fatalf("SubjectLength = %d, want 26", identity.SubjectLength)
	}
	seen := make(map[string]bool)
	for range 1000 {
		s := identity.NewSubject()
		if len(s) != 26 {
			t.Fatalf("NewSubject() = %q, length %d, want 26", s, len(s))
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
				t.Fatalf("NewSubject() = %q contains %q", s, r)
			}
		}
		if !identity.ValidSubject(s) {
			t.Fatalf("ValidSubject(%q) = false", s)
		}
		if seen[s] {
			t.Fatalf("NewSubject() repeated %q", s)
		}
		seen[s] = true
	}
}

func TestValidSubject(t *testing.T) {
	s := identity.NewSubject()
	for _, bad := range []string{
		"",
		s[:25],
		s + "a",
		"001099012345",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ", // upper case
		"aaaaaaaaaaaaaaaaaaaaaaaaa1", // 1 is not in the alphabet
		"aaaaaaaaaaaaaaaaaaaaaaaaab", // non-zero trailing bits
		"aaaaaaaaaaaaaaaaaaaaaaaa==", // padding
	} {
		if identity.ValidSubject(bad) {
			t.Errorf("ValidSubject(%q) = true, want false", bad)
		}
	}
	if !identity.ValidSubject("aaaaaaaaaaaaaaaaaaaaaaaaaa") {
		t.Error("ValidSubject(all zero bits) = false, want true")
	}
}

func TestAuthenticatorName(t *testing.T) {
	official := &identity.Official{Agency: "Sở Tư pháp", Username: "lan.nt"}
	for _, tc := range []struct {
		name     string
		acct     identity.Account
		capacity string
		want     string
	}{
		{"official login names the username first", identity.Account{FullName: "Nguyễn Thị Lan", Email: "lan@example.vn", Official: official},
			string(identity.CapacityOfficial), "lan.nt"},
		{"citizen login names the email", identity.Account{FullName: "Nguyễn Thị Lan", PersonalID: "001190012345", Email: "lan@example.vn",
			Official: official}, string(identity.CapacityCitizen), "lan@example.vn"},
		{"then the phone", identity.Account{FullName: "Trần Văn Bình", PersonalID: "001090012345", Phone: "+84912345678"},
			string(identity.CapacityCitizen), "+84912345678"},
		{"then an official's username", identity.Account{FullName: "Nguyễn Thị Lan", Official: official}, string(identity.CapacityCitizen), "lan.nt"},
		{"then the name, never the personal ID", identity.Account{FullName: "Lê Văn Cường", PersonalID: "001090054321"},
			string(identity.CapacityCitizen), "Lê Văn Cường"},
	} {
		if got := tc.acct.AuthenticatorName(tc.capacity); got != tc.want {
			t.Errorf("%s: AuthenticatorName = %q, want %q", tc.name, got, tc.want)
		}
	}
}
