package conformance

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// RunStore runs the suite of the durable store (store.Store) against the
// backend that open returns. open is called for every subtest or group of
// subtests and must return a fresh, empty, migrated backend.
func RunStore(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open) })
	t.Run("AccountSearch", func(t *testing.T) { testSearch(t, open) })
	t.Run("Businesses", func(t *testing.T) { testBusinesses(t, open) })
	t.Run("Clients", func(t *testing.T) { testClients(t, open) })
	t.Run("Consents", func(t *testing.T) { testConsents(t, open) })
	t.Run("SigningKeys", func(t *testing.T) { testSigningKeys(t, open) })
	t.Run("RefreshTokens", func(t *testing.T) { testRefreshTokens(t, open) })
	t.Run("RefreshSuccessor", func(t *testing.T) { testRefreshSuccessor(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("AuditLog", func(t *testing.T) { testAuditLog(t, open) })
	t.Run("DirectorySync", func(t *testing.T) { testDirectorySync(t, open) })
	t.Run("CertificateBindings", func(t *testing.T) { testCertificateBindings(t, open) })
	t.Run("Logout", func(t *testing.T) { testLogout(t, open) })
	t.Run("Credentials", func(t *testing.T) { testCredentials(t, open) })
	t.Run("AdminRoles", func(t *testing.T) { testAdminRoles(t, open) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, open) })
	t.Run("AdminViews", func(t *testing.T) { testAdminViews(t, open) })
	t.Run("PersonalData", func(t *testing.T) { testPersonalData(t, open) })
	t.Run("TokenRevocations", func(t *testing.T) { testTokenRevocations(t, open) })
	t.Run("AccountCAS", func(t *testing.T) { testAccountCAS(t, open) })
	t.Run("Ping", func(t *testing.T) {
		s := open(t)
		must(t, s.Ping(t.Context()), "Ping")
	})
}

// citizen returns a citizen account with the identifiers given ("" for none).
func citizen(name, personalID, email, phone string) *identity.Account {
	return &identity.Account{ID: identity.NewSubject(), FullName: name, PersonalID: identity.PersonalID(personalID),
		Email: email, Phone: phone, Locale: "vi"}
}

// localOfficial returns an official account of the local staff register.
func localOfficial(name, username string) *identity.Account {
	return &identity.Account{ID: identity.NewSubject(), FullName: name, Locale: "vi",
		Official: &identity.Official{Username: username, Agency: "Văn phòng UBND tỉnh"}}
}

// fullAccount returns an account with every field set: a citizen who is also
// a local official, an administrator, locked.
func fullAccount() *identity.Account {
	return &identity.Account{
		ID:            identity.NewSubject(),
		FullName:      "Đinh Thị Hồng Nhung",
		Birthdate:     "1990-04-30",
		Gender:        identity.GenderFemale,
		Email:         "nhung.dth@example.vn",
		EmailVerified: true,
		Phone:         "+84912345678",
		PhoneVerified: true,
		Locale:        "en",
		PersonalID:    "001190012345",
		Proofing: identity.Proofing{State: identity.ProofingVerified, Method: identity.ProofInPerson,
			Provider: "Bộ phận một cửa tỉnh", Assurance: "LoA2", Document: "cccd", By: "tn.hoa", At: now().Add(-time.Hour)},
		Official: &identity.Official{
			Username:   "nhungdth",
			Agency:     "Sở Tư pháp",
			Department: "Phòng Hành chính tư pháp",
			Title:      "Chuyên viên",
			Roles:      []string{"vanban.xuly", "motcua.tiepnhan"},
			Groups:     []string{"stp-hctp", "stp"},
		},
		Admin:          true,
		Disabled:       true,
		DisabledReason: "nghỉ phép dài hạn",
		CreatedAt:      now().Add(-48 * time.Hour),
	}
}

// accountString formats an account for a failure message, official included.
func accountString(a *identity.Account) string {
	if a == nil {
		return "<nil>"
	}
	c := *a
	c.Official = nil
	s := fmt.Sprintf("%+v", c)
	if a.Official != nil {
		s += fmt.Sprintf(" official=%+v", *a.Official)
	}
	return s
}

// profile returns a copy of a without its timestamps and with empty slices as
// nil, for comparison.
func profile(a *identity.Account) identity.Account {
	c := *a
	c.CreatedAt, c.UpdatedAt = time.Time{}, time.Time{}
	if a.Official != nil {
		o := *a.Official
		o.Roles, o.Groups = orNil(o.Roles), orNil(o.Groups)
		c.Official = &o
	}
	return c
}

// sameAccount fails the test unless got has want's profile.
func sameAccount(t *testing.T, got, want *identity.Account, what string) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got no account", what)
	}
	if g, w := profile(got), profile(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %s\n want %s", what, accountString(got), accountString(want))
	}
}

// ids returns the accounts' ids in order.
func ids(as []*identity.Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func testAccounts(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := fullAccount()
		want := profile(a)
		created := a.CreatedAt
		before := time.Now().Add(-time.Second)
		must(t, s.CreateAccount(ctx, a, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"), "CreateAccount")
		got, err := s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		sameAccount(t, got, &want, "GetAccount")
		if !sameTime(got.CreatedAt, created) {
			t.Errorf("CreatedAt = %v, want the given %v", got.CreatedAt, created)
		}
		if got.UpdatedAt.Before(before) || got.UpdatedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("UpdatedAt = %v, want about now", got.UpdatedAt)
		}

		// An account without any optional field.
		b := &identity.Account{ID: identity.NewSubject(), FullName: "Quản trị viên", Admin: true}
		must(t, s.CreateAccount(ctx, b, ""), "CreateAccount(minimal)")
		got, err = s.GetAccount(ctx, b.ID)
		must(t, err, "GetAccount(minimal)")
		sameAccount(t, got, b, "GetAccount(minimal)")
		if got.CreatedAt.IsZero() {
			t.Error("CreatedAt of an account created without one is zero, want now")
		}
		if len(got.Capacities()) != 0 {
			t.Errorf("Capacities = %v, want none", got.Capacities())
		}
	})

	t.Run("GetUnknown", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		_, err := s.GetAccount(ctx, identity.NewSubject())
		wantErr(t, err, store.ErrNotFound, "GetAccount(unknown)")
		_, err = s.GetAccount(ctx, "")
		wantErr(t, err, store.ErrNotFound, `GetAccount("")`)
	})

	t.Run("FindByEachIdentifier", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := fullAccount()
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		other := citizen("Phạm Văn Đồng", "001080000001", "dong.pv@example.vn", "+84900000001")
		must(t, s.CreateAccount(ctx, other, ""), "CreateAccount(other)")
		for _, tc := range []struct {
			kind  store.IdentifierKind
			value string
		}{
			{store.ByPersonalID, string(a.PersonalID)},
			{store.ByEmail, a.Email},
			{store.ByPhone, a.Phone},
			{store.ByUsername, a.Official.Username},
		} {
			got, err := s.FindAccount(ctx, tc.kind, tc.value)
			must(t, err, fmt.Sprintf("FindAccount(%s, %q)", tc.kind, tc.value))
			sameAccount(t, got, a, fmt.Sprintf("FindAccount(%s)", tc.kind))
		}
		for _, tc := range []struct {
			kind  store.IdentifierKind
			value string
		}{
			{store.ByPersonalID, "001190012346"},
			{store.ByPersonalID, "00119001234"},
			{store.ByEmail, "nobody@example.vn"},
			{store.ByPhone, "+84912345679"},
			{store.ByUsername, "nhung"},
			// One kind's value is not found under another kind.
			{store.ByEmail, a.Official.Username},
			{store.ByUsername, a.Email},
			{store.ByPhone, string(a.PersonalID)},
			// Nobody is found by an empty identifier, though many have none.
			{store.ByPersonalID, ""},
			{store.ByEmail, ""},
			{store.ByPhone, ""},
			{store.ByUsername, ""},
		} {
			_, err := s.FindAccount(ctx, tc.kind, tc.value)
			wantErr(t, err, store.ErrNotFound, fmt.Sprintf("FindAccount(%s, %q)", tc.kind, tc.value))
		}
	})

	t.Run("FindByUsernameOnlyLocalOfficials", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		synced := localOfficial("Trần Văn Bình", "binh.tv")
		synced.Official.Directory = "ad-tinh"
		must(t, s.CreateAccount(ctx, synced, ""), "CreateAccount(directory official)")
		got, err := s.GetAccount(ctx, synced.ID)
		must(t, err, "GetAccount(directory official)")
		sameAccount(t, got, synced, "GetAccount(directory official)")
		_, err = s.FindAccount(ctx, store.ByUsername, "binh.tv")
		wantErr(t, err, store.ErrNotFound, "FindAccount(username of a directory official)")

		// The same login name in another directory and in the local register
		// belongs to other people.
		other := localOfficial("Trần Văn Bình", "binh.tv")
		other.Official.Directory = "openldap-sxd"
		must(t, s.CreateAccount(ctx, other, ""), "CreateAccount(same username, other directory)")
		local := localOfficial("Trần Thanh Bình", "binh.tv")
		must(t, s.CreateAccount(ctx, local, ""), "CreateAccount(same username, local)")
		got, err = s.FindAccount(ctx, store.ByUsername, "binh.tv")
		must(t, err, "FindAccount(local username)")
		if got.ID != local.ID {
			t.Fatalf("FindAccount(username) = %s, want the local official %s", got.ID, local.ID)
		}
	})

	t.Run("Conflicts", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		base := fullAccount()
		must(t, s.CreateAccount(ctx, base, ""), "CreateAccount(base)")
		for _, tc := range []struct {
			field string
			make  func() *identity.Account
		}{
			{"personal_id", func() *identity.Account { return citizen("Lê Văn Tám", string(base.PersonalID), "", "") }},
			{"email", func() *identity.Account { return citizen("Lê Văn Tám", "", base.Email, "") }},
			{"phone", func() *identity.Account { return citizen("Lê Văn Tám", "", "", base.Phone) }},
			{"username", func() *identity.Account { return localOfficial("Lê Văn Tám", base.Official.Username) }},
		} {
			t.Run(tc.field, func(t *testing.T) {
				a := tc.make()
				wantConflict(t, s.CreateAccount(ctx, a, "hash"), tc.field, "CreateAccount")
				_, err := s.GetAccount(ctx, a.ID)
				wantErr(t, err, store.ErrNotFound, "GetAccount after a conflict")
			})
		}
		t.Run("directory username", func(t *testing.T) {
			a := localOfficial("Vũ Thị Mai", "mai.vt")
			a.Official.Directory = "ad-tinh"
			must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
			b := localOfficial("Vũ Thị Mai", "mai.vt")
			b.Official.Directory = "ad-tinh"
			wantConflict(t, s.CreateAccount(ctx, b, ""), "username", "CreateAccount(same directory and username)")
		})
		t.Run("subject", func(t *testing.T) {
			a := citizen("Lê Văn Tám", "001099999999", "", "")
			a.ID = base.ID
			wantConflict(t, s.CreateAccount(ctx, a, ""), "", "CreateAccount(same subject)")
			got, err := s.GetAccount(ctx, base.ID)
			must(t, err, "GetAccount")
			sameAccount(t, got, base, "GetAccount after a conflict")
		})
		t.Run("no identifiers", func(t *testing.T) {
			// Accounts without a personal ID, email, phone or username do not
			// conflict with each other.
			for i := range 3 {
				a := &identity.Account{ID: identity.NewSubject(), FullName: "Khách"}
				must(t, s.CreateAccount(ctx, a, ""), fmt.Sprintf("CreateAccount(bare %d)", i))
				o := localOfficial("Khách", "")
				must(t, s.CreateAccount(ctx, o, ""), fmt.Sprintf("CreateAccount(official without username %d)", i))
			}
		})
	})

	t.Run("OfficialAndCitizenOneSubject", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Hoàng Minh Tuấn", "036085000123", "tuan.hm@example.vn", "")
		a.Official = &identity.Official{Username: "tuanhm", Agency: "Sở Tài chính"}
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		byID, err := s.FindAccount(ctx, store.ByPersonalID, "036085000123")
		must(t, err, "FindAccount(personal ID)")
		byUser, err := s.FindAccount(ctx, store.ByUsername, "tuanhm")
		must(t, err, "FindAccount(username)")
		if byID.ID != a.ID || byUser.ID != a.ID {
			t.Fatalf("subjects %s (citizen) and %s (official), want both %s", byID.ID, byUser.ID, a.ID)
		}
		if !byUser.Has(identity.CapacityCitizen) || !byUser.Has(identity.CapacityOfficial) {
			t.Fatalf("Capacities = %v, want citizen and official", byUser.Capacities())
		}
		for _, c := range []identity.Capacity{identity.CapacityCitizen, identity.CapacityOfficial} {
			list, err := s.ListAccounts(ctx, store.AccountFilter{Capacity: c})
			must(t, err, "ListAccounts")
			if !slices.Equal(ids(list), []string{a.ID}) {
				t.Errorf("ListAccounts(%s) = %v, want [%s]", c, ids(list), a.ID)
			}
		}
	})

	t.Run("Update", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := fullAccount()
		must(t, s.CreateAccount(ctx, a, "hash-1"), "CreateAccount")
		created := a.CreatedAt

		u := fullAccount()
		u.ID, u.CreatedAt = a.ID, time.Time{}
		u.FullName, u.Birthdate, u.Gender = "Đinh Thị Hồng Nhung Mới", "1990-05-01", identity.GenderMale
		u.Email, u.EmailVerified = "nhung.moi@example.vn", false
		u.Phone, u.PhoneVerified = "+84987654321", false
		u.Locale, u.PersonalID = "vi", "001190054321"
		u.Official = &identity.Official{Username: "nhung.moi", Directory: "ad-tinh", Agency: "Sở Nội vụ", Roles: []string{"nhansu.xem"}}
		u.Admin, u.Disabled, u.DisabledReason = false, false, ""
		must(t, s.UpdateAccount(ctx, u), "UpdateAccount")
		got, err := s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		// Administrators are made by roles, not by an update (see
		// testAdminRoles): a holds the super_admin role it was created with.
		u.Admin = true
		sameAccount(t, got, u, "GetAccount after UpdateAccount")
		if !sameTime(got.CreatedAt, created) {
			t.Errorf("CreatedAt = %v after an update, want %v", got.CreatedAt, created)
		}
		h, err := s.PasswordHash(ctx, a.ID)
		must(t, err, "PasswordHash")
		if h != "hash-1" {
			t.Errorf("PasswordHash = %q after UpdateAccount, want it unchanged", h)
		}
		// The old identifiers are free again, the new ones find the account.
		for kind, v := range map[store.IdentifierKind]string{store.ByPersonalID: "001190012345",
			store.ByEmail: "nhung.dth@example.vn", store.ByPhone: "+84912345678", store.ByUsername: "nhungdth"} {
			_, err := s.FindAccount(ctx, kind, v)
			wantErr(t, err, store.ErrNotFound, fmt.Sprintf("FindAccount(old %s)", kind))
		}
		for kind, v := range map[store.IdentifierKind]string{store.ByPersonalID: "001190054321",
			store.ByEmail: "nhung.moi@example.vn", store.ByPhone: "+84987654321"} {
			got, err := s.FindAccount(ctx, kind, v)
			must(t, err, fmt.Sprintf("FindAccount(new %s)", kind))
			if got.ID != a.ID {
				t.Errorf("FindAccount(new %s) = %s, want %s", kind, got.ID, a.ID)
			}
		}
		reuse := citizen("Người khác", "001190012345", "nhung.dth@example.vn", "+84912345678")
		must(t, s.CreateAccount(ctx, reuse, ""), "CreateAccount(with the freed identifiers)")

		// No longer an official.
		u.Official = nil
		must(t, s.UpdateAccount(ctx, u), "UpdateAccount(without official)")
		got, err = s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		if got.Official != nil || got.Has(identity.CapacityOfficial) {
			t.Errorf("Official = %+v after removing it, want nil", got.Official)
		}
	})

	t.Run("UpdateConflictChangesNothing", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Nguyễn Văn A", "001099000001", "a@example.vn", "+84900000001")
		b := citizen("Nguyễn Văn B", "001099000002", "b@example.vn", "+84900000002")
		b.Official = &identity.Official{Username: "bnv"}
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount(a)")
		must(t, s.CreateAccount(ctx, b, ""), "CreateAccount(b)")
		for _, tc := range []struct {
			field  string
			change func(u *identity.Account)
		}{
			{"email", func(u *identity.Account) { u.Email = b.Email }},
			{"phone", func(u *identity.Account) { u.Phone = b.Phone }},
			{"personal_id", func(u *identity.Account) { u.PersonalID = b.PersonalID }},
			{"username", func(u *identity.Account) { u.Official = &identity.Official{Username: "bnv"} }},
		} {
			t.Run(tc.field, func(t *testing.T) {
				u := *a
				u.FullName, u.Locale = "Tên đã đổi", "en"
				tc.change(&u)
				wantConflict(t, s.UpdateAccount(ctx, &u), tc.field, "UpdateAccount")
				got, err := s.GetAccount(ctx, a.ID)
				must(t, err, "GetAccount")
				sameAccount(t, got, a, "account after a refused update")
				got, err = s.GetAccount(ctx, b.ID)
				must(t, err, "GetAccount(b)")
				sameAccount(t, got, b, "the other account after a refused update")
			})
		}
	})

	t.Run("UpdateUnknown", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		err := s.UpdateAccount(ctx, citizen("Không Có", "001099000009", "", ""))
		wantErr(t, err, store.ErrNotFound, "UpdateAccount(unknown)")
		list, err := s.ListAccounts(ctx, store.AccountFilter{})
		must(t, err, "ListAccounts")
		if len(list) != 0 {
			t.Fatalf("UpdateAccount(unknown) created %d accounts", len(list))
		}
	})

	t.Run("PasswordHash", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		with := citizen("Có Mật Khẩu", "001099000011", "", "")
		without := citizen("Không Mật Khẩu", "001099000012", "", "")
		must(t, s.CreateAccount(ctx, with, "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB"), "CreateAccount(with)")
		must(t, s.CreateAccount(ctx, without, ""), "CreateAccount(without)")
		h, err := s.PasswordHash(ctx, with.ID)
		must(t, err, "PasswordHash")
		if h != "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB" {
			t.Fatalf("PasswordHash = %q", h)
		}
		_, err = s.PasswordHash(ctx, without.ID)
		wantErr(t, err, store.ErrNotFound, "PasswordHash(no password)")
		_, err = s.PasswordHash(ctx, identity.NewSubject())
		wantErr(t, err, store.ErrNotFound, "PasswordHash(unknown account)")

		must(t, s.SetPasswordHash(ctx, without.ID, "$argon2id$new"), "SetPasswordHash(first)")
		must(t, s.SetPasswordHash(ctx, with.ID, "$argon2id$changed"), "SetPasswordHash(change)")
		for id, want := range map[string]string{without.ID: "$argon2id$new", with.ID: "$argon2id$changed"} {
			h, err := s.PasswordHash(ctx, id)
			must(t, err, "PasswordHash")
			if h != want {
				t.Errorf("PasswordHash(%s) = %q, want %q", id, h, want)
			}
		}
		err = s.SetPasswordHash(ctx, identity.NewSubject(), "$argon2id$x")
		wantErr(t, err, store.ErrNotFound, "SetPasswordHash(unknown account)")
		got, err := s.GetAccount(ctx, with.ID)
		must(t, err, "GetAccount")
		sameAccount(t, got, with, "account after SetPasswordHash")
	})

	t.Run("List", func(t *testing.T) { testListAccounts(t, open) })

	t.Run("ListDefaultLimit", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for i := range 105 {
			a := &identity.Account{ID: identity.NewSubject(), FullName: fmt.Sprintf("Người %d", i)}
			must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		}
		list, err := s.ListAccounts(ctx, store.AccountFilter{})
		must(t, err, "ListAccounts")
		if len(list) != 100 {
			t.Fatalf("ListAccounts with no limit returned %d accounts, want 100", len(list))
		}
		list, err = s.ListAccounts(ctx, store.AccountFilter{Limit: 200})
		must(t, err, "ListAccounts(limit 200)")
		if len(list) != 105 {
			t.Fatalf("ListAccounts(limit 200) returned %d accounts, want 105", len(list))
		}
	})

	t.Run("Proofing", func(t *testing.T) { testProofing(t, open) })
	t.Run("UpstreamLinks", func(t *testing.T) { testUpstreamLinks(t, open) })

	t.Run("ConcurrentCreateSamePersonalID", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for round := range Repeats {
			pid := fmt.Sprintf("0010990%05d", round)
			accounts := make([]*identity.Account, 2)
			for i := range accounts {
				accounts[i] = citizen("Người Tranh", pid, fmt.Sprintf("r%d.c%d@example.vn", round, i), "")
			}
			errs := Concurrently(len(accounts), func(i int) error { return s.CreateAccount(ctx, accounts[i], "") })
			winner := -1
			for i, err := range errs {
				if err == nil {
					if winner >= 0 {
						t.Fatalf("round %d: both accounts with personal ID %s were created", round, pid)
					}
					winner = i
					continue
				}
				wantConflict(t, err, "personal_id", fmt.Sprintf("round %d: CreateAccount", round))
			}
			if winner < 0 {
				t.Fatalf("round %d: no account was created (errors %v)", round, errs)
			}
			got, err := s.FindAccount(ctx, store.ByPersonalID, pid)
			must(t, err, "FindAccount")
			if got.ID != accounts[winner].ID {
				t.Fatalf("round %d: personal ID belongs to %s, want the winner %s", round, got.ID, accounts[winner].ID)
			}
			_, err = s.GetAccount(ctx, accounts[1-winner].ID)
			wantErr(t, err, store.ErrNotFound, "GetAccount(loser)")
		}
	})
}

func testListAccounts(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	base := now().Add(-time.Hour)
	an := citizen("Đinh Văn An", "001099000001", "an.dinh@example.vn", "+84901111111")
	binh := citizen("Nguyễn Thị Bình", "001199000002", "binh.nt@example.vn", "+84902222222")
	binh.Official = &identity.Official{Username: "binh.nt", Agency: "Sở Y tế"}
	duong := localOfficial("Trần Ánh Dương", "ha_le")
	duong.Email = "duong@so.gov.vn"
	hoa := localOfficial("Lê Thị Hoa", "halle")
	hoa.Email = "phan%tram@example.vn"
	emi := citizen("Ông Ích Khiêm", "079001099123", "khiem@example.vn", "")
	bare := &identity.Account{ID: identity.NewSubject(), FullName: "ĐOÀN THỊ ĐIỂM"}
	all := []*identity.Account{an, binh, duong, hoa, emi, bare}
	// Created out of order: the list follows the creation time.
	for _, i := range []int{3, 0, 5, 1, 4, 2} {
		all[i].CreatedAt = base.Add(time.Duration(i) * time.Second)
		must(t, s.CreateAccount(ctx, all[i], ""), "CreateAccount("+all[i].FullName+")")
	}
	list := func(as ...*identity.Account) []string { return orNil(ids(as)) }

	for _, tc := range []struct {
		name   string
		filter store.AccountFilter
		want   []string
	}{
		{"all", store.AccountFilter{}, list(all...)},
		{"citizens", store.AccountFilter{Capacity: identity.CapacityCitizen}, list(an, binh, emi)},
		{"officials", store.AccountFilter{Capacity: identity.CapacityOfficial}, list(binh, duong, hoa)},
		{"name with diacritics", store.AccountFilter{Query: "Văn An"}, list(an)},
		{"name, lower case of Đ", store.AccountFilter{Query: "đinh"}, list(an)},
		{"name, upper case with diacritics", store.AccountFilter{Query: "ĐINH VĂN"}, list(an)},
		{"name, capital Đ as stored", store.AccountFilter{Query: "Đinh"}, list(an)},
		{"name, lower case of Ánh", store.AccountFilter{Query: "ánh dương"}, list(duong)},
		{"name, all capitals stored", store.AccountFilter{Query: "đoàn thị điểm"}, list(bare)},
		{"name, Ô and Í", store.AccountFilter{Query: "ông ích"}, list(emi)},
		{"thị", store.AccountFilter{Query: "thị"}, list(binh, hoa, bare)},
		// Names are stored in NFC; some keyboards type decomposed letters.
		{"name typed decomposed", store.AccountFilter{Query: "Nguye\u0302\u0303n Thi\u0323"}, list(binh)},
		{"email", store.AccountFilter{Query: "an.dinh@"}, list(an)},
		{"email domain", store.AccountFilter{Query: "so.gov.vn"}, list(duong)},
		{"phone", store.AccountFilter{Query: "2222"}, list(binh)},
		{"username", store.AccountFilter{Query: "binh.nt"}, list(binh)},
		{"personal ID prefix", store.AccountFilter{Query: "001099"}, list(an)},
		{"personal ID is matched by prefix only", store.AccountFilter{Query: "099000001"}, nil},
		{"underscore is literal", store.AccountFilter{Query: "a_l"}, list(duong)},
		{"lone underscore is literal", store.AccountFilter{Query: "_"}, list(duong)},
		{"percent is literal", store.AccountFilter{Query: "n%t"}, list(hoa)},
		{"lone percent is literal", store.AccountFilter{Query: "%"}, list(hoa)},
		{"backslash is literal", store.AccountFilter{Query: `\`}, nil},
		{"escaped percent is literal", store.AccountFilter{Query: `\%`}, nil},
		{"no match", store.AccountFilter{Query: "không ai"}, nil},
		{"query and capacity", store.AccountFilter{Query: "nguyễn", Capacity: identity.CapacityOfficial}, list(binh)},
		{"query and other capacity", store.AccountFilter{Query: "dương", Capacity: identity.CapacityCitizen}, nil},
		{"limit", store.AccountFilter{Limit: 2}, list(an, binh)},
		{"limit and offset", store.AccountFilter{Limit: 2, Offset: 2}, list(duong, hoa)},
		{"offset to the end", store.AccountFilter{Limit: 10, Offset: 4}, list(emi, bare)},
		{"offset past the end", store.AccountFilter{Offset: 6}, nil},
		{"filter then page", store.AccountFilter{Capacity: identity.CapacityOfficial, Limit: 1, Offset: 1}, list(duong)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListAccounts(ctx, tc.filter)
			must(t, err, "ListAccounts")
			if g := orNil(ids(got)); !slices.Equal(g, tc.want) {
				names := make([]string, len(got))
				for i, a := range got {
					names[i] = a.FullName
				}
				t.Fatalf("ListAccounts(%+v) = %q, want %d accounts %v", tc.filter, names, len(tc.want), tc.want)
			}
		})
	}
	t.Run("returns whole accounts", func(t *testing.T) {
		got, err := s.ListAccounts(ctx, store.AccountFilter{Query: "binh.nt"})
		must(t, err, "ListAccounts")
		if len(got) != 1 {
			t.Fatalf("ListAccounts = %d accounts, want 1", len(got))
		}
		sameAccount(t, got[0], binh, "ListAccounts")
	})
}
