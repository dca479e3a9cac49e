package certificate

import (
	"errors"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/pki"
)

// verified runs the certificate validators over the leaf's chain.
func (f *fixture) verified(t *testing.T, l *pki.Leaf) *Verified {
	t.Helper()
	v, r, err := f.v.VerifyCertificate(t.Context(), l.Chain())
	if err != nil || r != nil {
		t.Fatalf("VerifyCertificate(%s) = %v, %v", l.Name, r, err)
	}
	return v
}

func newAccount(t *testing.T, db store.Accounts, a *identity.Account) *identity.Account {
	t.Helper()
	a.ID = identity.NewSubject()
	a.Locale = "vi"
	if a.PersonalID != "" && a.Proofing.State == "" {
		// The people of these tests proved their IDs; an asserted one is
		// made with State unverified.
		a.Proofing = identity.Verify(identity.ProofAuthoritativeSource, identity.Proofing{Provider: "test fixtures"}, time.Now())
	}
	if a.Proofing.State == identity.ProofingUnverified {
		a.Proofing = identity.Proofing{}
	}
	if err := db.CreateAccount(t.Context(), a, ""); err != nil {
		t.Fatal(err)
	}
	return a
}

func accountCount(t *testing.T, db store.Accounts) int {
	t.Helper()
	list, err := db.ListAccounts(t.Context(), store.AccountFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestMapper(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	db := openStore(t)
	m := &Mapper{Bindings: db, Accounts: db}
	ctx := t.Context()

	an := newAccount(t, db, &identity.Account{FullName: "Nguyễn Văn An", PersonalID: pki.OfficialPersonalID,
		Official: &identity.Official{Username: "an.nv", Agency: "Sở Thông tin và Truyền thông"}})
	binh := newAccount(t, db, &identity.Account{FullName: "Trần Thị Bình", Email: pki.OfficialNoIDEmail,
		Official: &identity.Official{Username: "binh.tt", Agency: "Sở Thông tin và Truyền thông"}})
	citizen := newAccount(t, db, &identity.Account{FullName: "Lê Thị Cúc", PersonalID: pki.CitizenPersonalID})

	tests := []struct {
		name    string
		leaf    *pki.Leaf
		account *identity.Account
		by      MatchMethod
		tax     identity.TaxCode
	}{
		{"official by personal ID", p.Official, an, MatchPersonalID, ""},
		{"official by e-mail", p.OfficialNoID, binh, MatchEmail, ""},
		{"citizen by a twelve-digit CMND", p.Citizen, citizen, MatchPersonalID, ""},
		{"business: unknown person, business named", p.Business, nil, "", pki.BusinessTaxCode},
		{"branch: unknown person, branch named", p.BusinessBranch, nil, "", pki.BranchTaxCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := accountCount(t, db)
			match, ok, err := m.Map(ctx, f.verified(t, tt.leaf))
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tt.account != nil) {
				t.Fatalf("ok = %v", ok)
			}
			if tt.account != nil && (match.Account.ID != tt.account.ID || match.By != tt.by) {
				t.Fatalf("mapped to %s by %s, want %s by %s", match.Account.FullName, match.By, tt.account.FullName, tt.by)
			}
			if tt.account == nil && match.Account != nil {
				t.Fatalf("an unknown person mapped to %s", match.Account.FullName)
			}
			if tt.tax == "" && match.Business != nil || tt.tax != "" && (match.Business == nil || match.Business.TaxCode != tt.tax ||
				match.Business.Name != pki.BusinessName) {
				t.Fatalf("business %+v, want %q", match.Business, tt.tax)
			}
			if after := accountCount(t, db); after != before {
				t.Fatalf("Map created %d accounts", after-before)
			}
		})
	}

	t.Run("e-mail of a citizen is not an official's", func(t *testing.T) {
		db := openStore(t)
		newAccount(t, db, &identity.Account{FullName: "Trần Thị Bình", Email: pki.OfficialNoIDEmail, PersonalID: "001190000123"})
		_, ok, err := (&Mapper{Bindings: db, Accounts: db}).Map(ctx, f.verified(t, p.OfficialNoID))
		if err != nil || ok {
			t.Fatalf("Map = %v, %v; want an unknown person", ok, err)
		}
	})

	t.Run("e-mail of an anchor that does not vouch for addresses", func(t *testing.T) {
		v := f.verified(t, p.OfficialNoID)
		v.MapEmail = false
		if _, ok, err := m.Map(ctx, v); err != nil || ok {
			t.Fatalf("Map = %v, %v; want an unknown person", ok, err)
		}
	})

	t.Run("binding wins and is found by fingerprint", func(t *testing.T) {
		v := f.verified(t, p.Business)
		if err := db.BindCertificate(ctx, v.Binding(citizen.ID)); err != nil {
			t.Fatal(err)
		}
		match, ok, err := m.Map(ctx, v)
		if err != nil || !ok || match.Account.ID != citizen.ID || match.By != MatchBinding || match.Business == nil {
			t.Fatalf("Map = %+v, %v, %v", match, ok, err)
		}
	})

	t.Run("binding found by issuer and serial", func(t *testing.T) {
		v := f.verified(t, p.BusinessBranch)
		b := v.Binding(binh.ID)
		b.Fingerprint = "0000000000000000000000000000000000000000000000000000000000000000"
		if err := db.BindCertificate(ctx, b); err != nil {
			t.Fatal(err)
		}
		match, ok, err := m.Map(ctx, v)
		if err != nil || !ok || match.Account.ID != binh.ID || match.By != MatchBinding {
			t.Fatalf("Map = %+v, %v, %v", match, ok, err)
		}
	})

	t.Run("binding to another person than the personal ID names", func(t *testing.T) {
		v := f.verified(t, p.Official)
		if err := db.BindCertificate(ctx, v.Binding(binh.ID)); err != nil {
			t.Fatal(err)
		}
		defer db.UnbindCertificate(ctx, binh.ID, v.Fingerprint)
		if _, ok, err := m.Map(ctx, v); !errors.Is(err, ErrIdentityConflict) || ok {
			t.Fatalf("Map = %v, %v; want ErrIdentityConflict", ok, err)
		}
	})

	t.Run("disabled account", func(t *testing.T) {
		db := openStore(t)
		a := newAccount(t, db, &identity.Account{FullName: "Nguyễn Văn An", PersonalID: pki.OfficialPersonalID, Disabled: true})
		match, ok, err := (&Mapper{Bindings: db, Accounts: db}).Map(ctx, f.verified(t, p.Official))
		if !errors.Is(err, authn.ErrAccountDisabled) || !ok || match.Account.ID != a.ID {
			t.Fatalf("Map = %+v, %v, %v; want the account and ErrAccountDisabled", match, ok, err)
		}
	})
}

// A certificate naming a personal ID that an account only asserted maps to
// no account: the asserted ID is nobody's.
func TestMapperUnprovenHolder(t *testing.T) {
	f := newFixture(t, nil)
	db := openStore(t)
	m := &Mapper{Bindings: db, Accounts: db}
	newAccount(t, db, &identity.Account{FullName: "Kẻ Mạo Danh", PersonalID: pki.CitizenPersonalID,
		Proofing: identity.Proofing{State: identity.ProofingUnverified}})
	match, ok, err := m.Map(t.Context(), f.verified(t, f.pki.Citizen))
	if err != nil || ok || match.Account != nil {
		t.Fatalf("Map of a certificate naming an asserted ID = %+v, %v, %v; want no account", match, ok, err)
	}
}

func TestLinkBusiness(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	db := openStore(t)
	ctx := t.Context()
	a := newAccount(t, db, &identity.Account{FullName: "Lê Thị Cúc", PersonalID: pki.CitizenPersonalID})
	v := f.verified(t, p.Business)

	r, err := LinkBusiness(ctx, db, a.ID, v)
	if err != nil {
		t.Fatal(err)
	}
	if r.TaxCode != pki.BusinessTaxCode || r.Role != identity.RoleAuthorisedStaff || r.GrantedBy != "certificate:"+v.Fingerprint {
		t.Fatalf("representation %+v", r)
	}
	b, err := db.GetBusiness(ctx, pki.BusinessTaxCode)
	if err != nil || b.Name != pki.BusinessName {
		t.Fatalf("business %+v, %v", b, err)
	}
	again, err := LinkBusiness(ctx, db, a.ID, v)
	if err != nil || again.TaxCode != r.TaxCode {
		t.Fatalf("linking again = %+v, %v", again, err)
	}
	list, _ := db.Representations(ctx, a.ID)
	if len(list) != 1 {
		t.Fatalf("%d representations after linking twice", len(list))
	}

	// A known business keeps its registered name.
	if err := db.PutBusiness(ctx, &identity.Business{TaxCode: pki.BranchTaxCode, Name: "Chi nhánh Đà Nẵng"}); err != nil {
		t.Fatal(err)
	}
	r, err = LinkBusiness(ctx, db, a.ID, f.verified(t, p.BusinessBranch))
	if err != nil || r.BusinessName != "Chi nhánh Đà Nẵng" {
		t.Fatalf("branch link %+v, %v", r, err)
	}

	// A certificate naming no business links nothing.
	if r, err := LinkBusiness(ctx, db, a.ID, f.verified(t, p.Official)); r != nil || err != nil {
		t.Fatalf("LinkBusiness(official) = %+v, %v", r, err)
	}
}
