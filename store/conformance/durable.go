package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

func testBusinesses(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("PutGet", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		created := now().Add(-time.Hour)
		b := &identity.Business{TaxCode: "0101243150", Name: "Công ty TNHH Phần mềm Định Danh", CreatedAt: created}
		must(t, s.PutBusiness(ctx, b), "PutBusiness")
		branch := &identity.Business{TaxCode: "0101243150-001", Name: "Chi nhánh Đà Nẵng"}
		must(t, s.PutBusiness(ctx, branch), "PutBusiness(branch)")
		got, err := s.GetBusiness(ctx, b.TaxCode)
		must(t, err, "GetBusiness")
		if got.TaxCode != b.TaxCode || got.Name != b.Name || !sameTime(got.CreatedAt, created) {
			t.Fatalf("GetBusiness = %+v, want %+v", got, b)
		}
		got, err = s.GetBusiness(ctx, branch.TaxCode)
		must(t, err, "GetBusiness(branch)")
		if got.Name != branch.Name || got.CreatedAt.IsZero() {
			t.Fatalf("GetBusiness(branch) = %+v", got)
		}
		_, err = s.GetBusiness(ctx, "0309876543")
		wantErr(t, err, store.ErrNotFound, "GetBusiness(unknown)")
	})

	t.Run("Rename", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		created := now().Add(-time.Hour)
		must(t, s.PutBusiness(ctx, &identity.Business{TaxCode: "0101243150", Name: "Tên cũ", CreatedAt: created}), "PutBusiness")
		must(t, s.PutBusiness(ctx, &identity.Business{TaxCode: "0101243150", Name: "Tên mới"}), "PutBusiness(rename)")
		got, err := s.GetBusiness(ctx, "0101243150")
		must(t, err, "GetBusiness")
		if got.Name != "Tên mới" {
			t.Fatalf("Name = %q after renaming, want %q", got.Name, "Tên mới")
		}
		if !sameTime(got.CreatedAt, created) {
			t.Errorf("CreatedAt = %v after renaming, want it kept: %v", got.CreatedAt, created)
		}
	})

	t.Run("Representations", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Đặng Thu Thảo", "001185000777", "", "")
		other := citizen("Bùi Xuân Phái", "001085000888", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateAccount(ctx, other, ""), "CreateAccount(other)")
		must(t, s.PutBusiness(ctx, &identity.Business{TaxCode: "0312345678", Name: "Công ty Cổ phần Sen Vàng"}), "PutBusiness")
		must(t, s.PutBusiness(ctx, &identity.Business{TaxCode: "0101243150", Name: "Công ty TNHH Định Danh"}), "PutBusiness")

		list, err := s.Representations(ctx, a.ID)
		must(t, err, "Representations(none yet)")
		if len(list) != 0 {
			t.Fatalf("Representations = %d before any was added", len(list))
		}

		granted := now().Add(-time.Minute)
		r1 := &identity.Representation{AccountID: a.ID, TaxCode: "0312345678", Role: identity.RoleLegalRepresentative,
			GrantedBy: "cert:MST:0312345678", CreatedAt: granted}
		r2 := &identity.Representation{AccountID: a.ID, TaxCode: "0101243150", Role: identity.RoleAuthorisedStaff,
			GrantedBy: identity.NewSubject()}
		r3 := &identity.Representation{AccountID: other.ID, TaxCode: "0101243150", Role: identity.RoleLegalRepresentative}
		for _, r := range []*identity.Representation{r1, r2, r3} {
			must(t, s.AddRepresentation(ctx, r), "AddRepresentation")
		}
		wantConflict(t, s.AddRepresentation(ctx, &identity.Representation{AccountID: a.ID, TaxCode: "0312345678",
			Role: identity.RoleAuthorisedStaff}), "representation", "AddRepresentation(duplicate)")
		err = s.AddRepresentation(ctx, &identity.Representation{AccountID: identity.NewSubject(), TaxCode: "0312345678",
			Role: identity.RoleAuthorisedStaff})
		wantErr(t, err, store.ErrNotFound, "AddRepresentation(unknown account)")
		err = s.AddRepresentation(ctx, &identity.Representation{AccountID: a.ID, TaxCode: "0399999999",
			Role: identity.RoleAuthorisedStaff})
		wantErr(t, err, store.ErrNotFound, "AddRepresentation(unknown business)")

		check := func(what string, accountID string, want ...*identity.Representation) {
			t.Helper()
			got, err := s.Representations(ctx, accountID)
			must(t, err, what)
			slices.SortFunc(got, func(x, y *identity.Representation) int { return compareStrings(string(x.TaxCode), string(y.TaxCode)) })
			slices.SortFunc(want, func(x, y *identity.Representation) int { return compareStrings(string(x.TaxCode), string(y.TaxCode)) })
			if len(got) != len(want) {
				t.Fatalf("%s: %d representations, want %d", what, len(got), len(want))
			}
			for i := range got {
				g, w := *got[i], *want[i]
				if g.AccountID != w.AccountID || g.TaxCode != w.TaxCode || g.Role != w.Role || g.GrantedBy != w.GrantedBy ||
					g.BusinessName != w.BusinessName || g.CreatedAt.IsZero() {
					t.Fatalf("%s: representation %d = %+v, want %+v", what, i, g, w)
				}
			}
		}
		r1.BusinessName, r2.BusinessName, r3.BusinessName = "Công ty Cổ phần Sen Vàng", "Công ty TNHH Định Danh", "Công ty TNHH Định Danh"
		check("Representations", a.ID, r1, r2)
		check("Representations(other)", other.ID, r3)
		got, err := s.Representations(ctx, a.ID)
		must(t, err, "Representations")
		for _, r := range got {
			if r.TaxCode == r1.TaxCode && !sameTime(r.CreatedAt, granted) {
				t.Errorf("CreatedAt = %v, want the given %v", r.CreatedAt, granted)
			}
		}

		// The business name is read when the representations are.
		must(t, s.PutBusiness(ctx, &identity.Business{TaxCode: "0312345678", Name: "Công ty Cổ phần Sen Vàng Việt Nam"}), "PutBusiness(rename)")
		r1.BusinessName = "Công ty Cổ phần Sen Vàng Việt Nam"
		check("Representations after renaming the business", a.ID, r1, r2)

		must(t, s.RemoveRepresentation(ctx, a.ID, "0101243150"), "RemoveRepresentation")
		check("Representations after removing one", a.ID, r1)
		check("Representations of someone else", other.ID, r3)
		wantErr(t, s.RemoveRepresentation(ctx, a.ID, "0101243150"), store.ErrNotFound, "RemoveRepresentation(again)")
		wantErr(t, s.RemoveRepresentation(ctx, identity.NewSubject(), "0312345678"), store.ErrNotFound, "RemoveRepresentation(unknown account)")
		must(t, s.AddRepresentation(ctx, r2), "AddRepresentation(after removal)")
		check("Representations after adding it back", a.ID, r1, r2)
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fullClient returns a confidential client with every field set.
func fullClient(id string) *store.Client {
	return &store.Client{
		ID:                      id,
		Name:                    "Hệ thống Quản lý văn bản và điều hành",
		SecretHash:              bytes.Repeat([]byte{0xa5, 0x00, 0xff, 0x31}, 8),
		FirstParty:              true,
		RedirectURIs:            []string{"https://qlvb.tinh.gov.vn/oidc/callback", "https://qlvb.tinh.gov.vn/dang-nhap?x=1&y=2"},
		GrantTypes:              []string{"authorization_code", "refresh_token", "client_credentials"},
		Scopes:                  []string{"openid", "profile", "email", "offline_access", "official"},
		Audience:                []string{"https://api.tinh.gov.vn/lgsp"},
		IDTokenAlgorithm:        "ES256",
		AccessTokenFormat:       store.AccessTokenOpaque,
		TokenEndpointAuthMethod: "client_secret_post",
		ClaimProfile:            "dvcqg",
		PurposeVI:               "Xử lý văn bản đến và đi của cơ quan",
		PurposeEN:               "Processing the agency's incoming and outgoing documents",
		PrivacyURLVI:            "https://qlvb.tinh.gov.vn/quyen-rieng-tu",
		PrivacyURLEN:            "https://qlvb.tinh.gov.vn/en/privacy",
	}
}

// clientSettings returns a copy of c without timestamps and with empty slices
// as nil, for comparison.
func clientSettings(c *store.Client) store.Client {
	x := *c
	x.CreatedAt, x.UpdatedAt = time.Time{}, time.Time{}
	x.SecretHash = orNil(x.SecretHash)
	x.RedirectURIs, x.GrantTypes, x.Scopes, x.Audience = orNil(x.RedirectURIs), orNil(x.GrantTypes), orNil(x.Scopes), orNil(x.Audience)
	return x
}

func sameClient(t *testing.T, got, want *store.Client, what string) {
	t.Helper()
	if g, w := clientSettings(got), clientSettings(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, g, w)
	}
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Fatalf("%s: CreatedAt %v, UpdatedAt %v, want both set", what, got.CreatedAt, got.UpdatedAt)
	}
}

func testClients(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := fullClient("qlvb")
		want := clientSettings(c)
		must(t, s.CreateClient(ctx, c), "CreateClient")
		got, err := s.GetClient(ctx, "qlvb")
		must(t, err, "GetClient")
		sameClient(t, got, &want, "GetClient")

		pub := &store.Client{ID: "app-dvc-mobile", Name: "Ứng dụng Dịch vụ công", Public: true,
			RedirectURIs: []string{"vn.gov.tinh.dvc:/callback", "http://127.0.0.1/callback"},
			GrantTypes:   []string{"authorization_code"}, Scopes: []string{"openid"}}
		must(t, s.CreateClient(ctx, pub), "CreateClient(public)")
		got, err = s.GetClient(ctx, pub.ID)
		must(t, err, "GetClient(public)")
		sameClient(t, got, pub, "GetClient(public)")
		if len(got.SecretHash) != 0 || got.AuthMethod() != "none" {
			t.Fatalf("public client: secret %x, auth method %q", got.SecretHash, got.AuthMethod())
		}

		_, err = s.GetClient(ctx, "unknown")
		wantErr(t, err, store.ErrNotFound, "GetClient(unknown)")
	})

	t.Run("DuplicateID", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		must(t, s.CreateClient(ctx, fullClient("portal")), "CreateClient")
		dup := &store.Client{ID: "portal", Name: "Kẻ mạo danh", Public: true}
		wantConflict(t, s.CreateClient(ctx, dup), "client_id", "CreateClient(same id)")
		got, err := s.GetClient(ctx, "portal")
		must(t, err, "GetClient")
		sameClient(t, got, fullClient("portal"), "GetClient after a conflict")
	})

	t.Run("List", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		list, err := s.ListClients(ctx)
		must(t, err, "ListClients(empty)")
		if len(list) != 0 {
			t.Fatalf("ListClients = %d clients on an empty store", len(list))
		}
		for _, id := range []string{"motcua", "cong-dvc", "qlvb", "a-portal"} {
			must(t, s.CreateClient(ctx, fullClient(id)), "CreateClient("+id+")")
		}
		list, err = s.ListClients(ctx)
		must(t, err, "ListClients")
		var got []string
		for _, c := range list {
			got = append(got, c.ID)
			sameClient(t, c, fullClient(c.ID), "ListClients")
		}
		if want := []string{"a-portal", "cong-dvc", "motcua", "qlvb"}; !slices.Equal(got, want) {
			t.Fatalf("ListClients = %v, want %v", got, want)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		must(t, s.CreateClient(ctx, fullClient("qlvb")), "CreateClient")
		before, err := s.GetClient(ctx, "qlvb")
		must(t, err, "GetClient")
		u := &store.Client{ID: "qlvb", Name: "QLVB (mới)", SecretHash: []byte("0123456789abcdef0123456789abcdef"),
			RedirectURIs: []string{"https://qlvb-moi.tinh.gov.vn/cb"}, GrantTypes: []string{"authorization_code"},
			Scopes: []string{"openid"}, IDTokenAlgorithm: "EdDSA", AccessTokenFormat: store.AccessTokenJWT,
			TokenEndpointAuthMethod: "client_secret_basic"}
		must(t, s.UpdateClient(ctx, u), "UpdateClient")
		got, err := s.GetClient(ctx, "qlvb")
		must(t, err, "GetClient")
		sameClient(t, got, u, "GetClient after UpdateClient")
		if !sameTime(got.CreatedAt, before.CreatedAt) {
			t.Errorf("CreatedAt = %v after an update, want %v", got.CreatedAt, before.CreatedAt)
		}
		if got.UpdatedAt.Before(before.UpdatedAt) {
			t.Errorf("UpdatedAt went back from %v to %v", before.UpdatedAt, got.UpdatedAt)
		}

		// A confidential client becomes public: its secret goes.
		p := clientSettings(u)
		p.Public, p.SecretHash, p.TokenEndpointAuthMethod = true, nil, ""
		must(t, s.UpdateClient(ctx, &p), "UpdateClient(public)")
		got, err = s.GetClient(ctx, "qlvb")
		must(t, err, "GetClient")
		sameClient(t, got, &p, "GetClient after making it public")

		wantErr(t, s.UpdateClient(ctx, fullClient("unknown")), store.ErrNotFound, "UpdateClient(unknown)")
		_, err = s.GetClient(ctx, "unknown")
		wantErr(t, err, store.ErrNotFound, "GetClient after UpdateClient(unknown)")
	})

	t.Run("Delete", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Lý Công Uẩn", "001074000101", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		for _, id := range []string{"gone", "kept"} {
			must(t, s.CreateClient(ctx, fullClient(id)), "CreateClient("+id+")")
			must(t, s.PutConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: id, Scopes: []string{"openid"}}), "PutConsent("+id+")")
			must(t, s.CreateRefreshToken(ctx, refreshToken("rt-"+id, "req-"+id, id, a.ID)), "CreateRefreshToken("+id+")")
		}
		must(t, s.DeleteClient(ctx, "gone"), "DeleteClient")
		_, err := s.GetClient(ctx, "gone")
		wantErr(t, err, store.ErrNotFound, "GetClient(deleted)")
		_, err = s.GetConsent(ctx, a.ID, "gone")
		wantErr(t, err, store.ErrNotFound, "GetConsent(deleted client)")
		_, err = s.GetRefreshToken(ctx, "rt-gone")
		wantErr(t, err, store.ErrNotFound, "GetRefreshToken(deleted client)")

		_, err = s.GetConsent(ctx, a.ID, "kept")
		must(t, err, "GetConsent(other client)")
		_, err = s.GetRefreshToken(ctx, "rt-kept")
		must(t, err, "GetRefreshToken(other client)")
		list, err := s.ListClients(ctx)
		must(t, err, "ListClients")
		if len(list) != 1 || list[0].ID != "kept" {
			t.Fatalf("ListClients after DeleteClient = %d clients", len(list))
		}

		wantErr(t, s.DeleteClient(ctx, "gone"), store.ErrNotFound, "DeleteClient(again)")

		// A client registered again under the same id starts afresh.
		must(t, s.CreateClient(ctx, fullClient("gone")), "CreateClient(again)")
		_, err = s.GetConsent(ctx, a.ID, "gone")
		wantErr(t, err, store.ErrNotFound, "GetConsent(re-created client)")
	})
}

func testConsents(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("PutGetReplaceRevoke", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Trưng Trắc", "001060000001", "", "")
		b := citizen("Trưng Nhị", "001060000002", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateAccount(ctx, b, ""), "CreateAccount")
		for _, id := range []string{"portal", "dvc", "motcua"} {
			must(t, s.CreateClient(ctx, fullClient(id)), "CreateClient")
		}

		_, err := s.GetConsent(ctx, a.ID, "portal")
		wantErr(t, err, store.ErrNotFound, "GetConsent(none)")
		list, err := s.ListConsents(ctx, a.ID)
		must(t, err, "ListConsents(none)")
		if len(list) != 0 {
			t.Fatalf("ListConsents = %d before any consent", len(list))
		}

		granted := now().Add(-time.Hour)
		must(t, s.PutConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "portal", Scopes: []string{"openid", "profile", "email"}, GrantedAt: granted}), "PutConsent")
		must(t, s.PutConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "dvc", Scopes: []string{"openid"}}), "PutConsent")
		must(t, s.PutConsent(ctx, &store.Consent{AccountID: b.ID, ClientID: "portal", Scopes: []string{"openid", "phone"}}), "PutConsent(b)")

		c, err := s.GetConsent(ctx, a.ID, "portal")
		must(t, err, "GetConsent")
		if c.AccountID != a.ID || c.ClientID != "portal" || !slices.Equal(c.Scopes, []string{"openid", "profile", "email"}) || !sameTime(c.GrantedAt, granted) {
			t.Fatalf("GetConsent = %+v", c)
		}
		c, err = s.GetConsent(ctx, a.ID, "dvc")
		must(t, err, "GetConsent")
		if c.GrantedAt.IsZero() || time.Since(c.GrantedAt) > time.Minute {
			t.Errorf("GrantedAt = %v, want now when not given", c.GrantedAt)
		}
		_, err = s.GetConsent(ctx, a.ID, "motcua")
		wantErr(t, err, store.ErrNotFound, "GetConsent(other client)")

		// Replace.
		regranted := now()
		must(t, s.PutConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "portal", Scopes: []string{"openid", "business"}, GrantedAt: regranted}), "PutConsent(replace)")
		c, err = s.GetConsent(ctx, a.ID, "portal")
		must(t, err, "GetConsent")
		if !slices.Equal(c.Scopes, []string{"openid", "business"}) || !sameTime(c.GrantedAt, regranted) {
			t.Fatalf("GetConsent after replacing = %+v", c)
		}

		list, err = s.ListConsents(ctx, a.ID)
		must(t, err, "ListConsents")
		var clients []string
		for _, c := range list {
			clients = append(clients, c.ClientID)
			if c.AccountID != a.ID {
				t.Errorf("ListConsents(a) returned a consent of %s", c.AccountID)
			}
			if c.ClientID == "portal" && !slices.Equal(c.Scopes, []string{"openid", "business"}) {
				t.Errorf("ListConsents: portal scopes %v", c.Scopes)
			}
		}
		if !slices.Equal(clients, []string{"dvc", "portal"}) {
			t.Fatalf("ListConsents = %v, want [dvc portal] (ordered by client)", clients)
		}

		must(t, s.RevokeConsent(ctx, a.ID, "portal"), "RevokeConsent")
		_, err = s.GetConsent(ctx, a.ID, "portal")
		wantErr(t, err, store.ErrNotFound, "GetConsent after RevokeConsent")
		wantErr(t, s.RevokeConsent(ctx, a.ID, "portal"), store.ErrNotFound, "RevokeConsent(again)")
		_, err = s.GetConsent(ctx, b.ID, "portal")
		must(t, err, "GetConsent(b) after revoking a's")
		list, err = s.ListConsents(ctx, a.ID)
		must(t, err, "ListConsents")
		if len(list) != 1 || list[0].ClientID != "dvc" {
			t.Fatalf("ListConsents after RevokeConsent = %d consents", len(list))
		}
	})

	t.Run("EmptyScopes", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Lê Lợi", "001038000001", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateClient(ctx, fullClient("portal")), "CreateClient")
		must(t, s.PutConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "portal"}), "PutConsent(no scopes)")
		c, err := s.GetConsent(ctx, a.ID, "portal")
		must(t, err, "GetConsent")
		if len(c.Scopes) != 0 {
			t.Fatalf("Scopes = %q, want none", c.Scopes)
		}
	})
}

func testSigningKeys(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("AddListRetire", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		keys, err := s.ListSigningKeys(ctx, time.Now())
		must(t, err, "ListSigningKeys(empty)")
		if len(keys) != 0 {
			t.Fatalf("ListSigningKeys = %d keys on an empty store", len(keys))
		}
		t0 := now().Add(-72 * time.Hour)
		key := func(id, alg string, age time.Duration) *store.SigningKey {
			return &store.SigningKey{ID: id, Algorithm: alg, Use: "sig",
				SealedPrivate: append([]byte{0, 1, 2, 0xfe, 0xff}, []byte(id)...),
				PublicJWK:     []byte(fmt.Sprintf(`{"kty":"EC","kid":%q,"alg":%q}`, id, alg)),
				CreatedAt:     t0.Add(age)}
		}
		rsOld, es, rsNew := key("rs-1", "RS256", 0), key("es-1", "ES256", time.Hour), key("rs-2", "RS256", 2*time.Hour)
		// Added out of order: listed newest first.
		for _, k := range []*store.SigningKey{es, rsNew, rsOld} {
			must(t, s.AddSigningKey(ctx, k), "AddSigningKey("+k.ID+")")
		}
		list := func(at time.Time) []string {
			t.Helper()
			keys, err := s.ListSigningKeys(ctx, at)
			must(t, err, "ListSigningKeys")
			var out []string
			for _, k := range keys {
				out = append(out, k.ID)
			}
			return out
		}
		if got := list(time.Now()); !slices.Equal(got, []string{"rs-2", "es-1", "rs-1"}) {
			t.Fatalf("ListSigningKeys = %v, want newest first [rs-2 es-1 rs-1]", got)
		}
		keys, err = s.ListSigningKeys(ctx, time.Now())
		must(t, err, "ListSigningKeys")
		for _, k := range keys {
			want := key(k.ID, k.Algorithm, k.CreatedAt.Sub(t0))
			if k.Use != "sig" || !bytes.Equal(k.SealedPrivate, want.SealedPrivate) || !bytes.Equal(k.PublicJWK, want.PublicJWK) ||
				!k.RetiredAt.IsZero() || !k.ExpiresAt.IsZero() {
				t.Fatalf("key %s = %+v, want %+v", k.ID, k, want)
			}
		}

		retired, expires := now(), now().Add(24*time.Hour)
		must(t, s.RetireSigningKeys(ctx, "RS256", retired, expires), "RetireSigningKeys")
		keys, err = s.ListSigningKeys(ctx, time.Now())
		must(t, err, "ListSigningKeys")
		for _, k := range keys {
			if k.Algorithm == "RS256" && (!sameTime(k.RetiredAt, retired) || !sameTime(k.ExpiresAt, expires)) {
				t.Errorf("retired key %s: RetiredAt %v, ExpiresAt %v, want %v, %v", k.ID, k.RetiredAt, k.ExpiresAt, retired, expires)
			}
			if k.Algorithm == "ES256" && (!k.RetiredAt.IsZero() || !k.ExpiresAt.IsZero()) {
				t.Errorf("key %s of another algorithm was retired: %+v", k.ID, k)
			}
		}
		// Retired keys are still published until they expire.
		if got := list(time.Now()); !slices.Equal(got, []string{"rs-2", "es-1", "rs-1"}) {
			t.Fatalf("ListSigningKeys after retiring = %v, want all three", got)
		}
		if got := list(expires.Add(time.Second)); !slices.Equal(got, []string{"es-1"}) {
			t.Fatalf("ListSigningKeys after expiry = %v, want [es-1]", got)
		}

		// A new current key, then a second retirement leaves the first one's dates alone.
		rs3 := key("rs-3", "RS256", 3*time.Hour)
		must(t, s.AddSigningKey(ctx, rs3), "AddSigningKey(rs-3)")
		must(t, s.RetireSigningKeys(ctx, "RS256", retired.Add(time.Hour), expires.Add(time.Hour)), "RetireSigningKeys(again)")
		keys, err = s.ListSigningKeys(ctx, time.Now())
		must(t, err, "ListSigningKeys")
		for _, k := range keys {
			switch k.ID {
			case "rs-1", "rs-2":
				if !sameTime(k.ExpiresAt, expires) {
					t.Errorf("key %s: ExpiresAt moved to %v by a later retirement", k.ID, k.ExpiresAt)
				}
			case "rs-3":
				if !sameTime(k.ExpiresAt, expires.Add(time.Hour)) {
					t.Errorf("key rs-3: ExpiresAt %v, want %v", k.ExpiresAt, expires.Add(time.Hour))
				}
			}
		}
		if got := list(expires.Add(time.Second)); !slices.Equal(got, []string{"rs-3", "es-1"}) {
			t.Fatalf("ListSigningKeys = %v, want [rs-3 es-1]", got)
		}
	})

	t.Run("ExpiryHidesKey", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		exp := now().Add(time.Hour)
		must(t, s.AddSigningKey(ctx, &store.SigningKey{ID: "old", Algorithm: "EdDSA", Use: "sig", SealedPrivate: []byte{1},
			PublicJWK: []byte(`{}`), CreatedAt: now().Add(-time.Hour), RetiredAt: now(), ExpiresAt: exp}), "AddSigningKey")
		keys, err := s.ListSigningKeys(ctx, exp.Add(-time.Second))
		must(t, err, "ListSigningKeys(before expiry)")
		if len(keys) != 1 {
			t.Fatalf("ListSigningKeys before expiry = %d keys, want 1", len(keys))
		}
		for _, at := range []time.Time{exp, exp.Add(time.Second)} {
			keys, err := s.ListSigningKeys(ctx, at)
			must(t, err, "ListSigningKeys(after expiry)")
			if len(keys) != 0 {
				t.Fatalf("ListSigningKeys(%v) = %d keys, want the key expired at %v hidden", at, len(keys), exp)
			}
		}
	})
}

// refreshToken returns an active refresh token.
func refreshToken(sig, requestID, clientID, subject string) *store.RefreshToken {
	n := now()
	return &store.RefreshToken{Signature: sig, RequestID: requestID, AccessSignature: "at-" + sig, ClientID: clientID,
		Subject: subject, SessionID: "sso-" + requestID, Active: true,
		Request:   []byte(`{"id":"` + requestID + `","bytes":"` + "\x00\xff" + `"}`),
		ExpiresAt: n.Add(30 * 24 * time.Hour), CreatedAt: n}
}

func sameRefreshToken(t *testing.T, got, want *store.RefreshToken, what string) {
	t.Helper()
	if got.Signature != want.Signature || got.RequestID != want.RequestID || got.AccessSignature != want.AccessSignature ||
		got.ClientID != want.ClientID || got.Subject != want.Subject || got.SessionID != want.SessionID ||
		got.TaxCode != want.TaxCode || got.Active != want.Active || got.Offline != want.Offline || !bytes.Equal(got.Request, want.Request) ||
		!sameTime(got.ExpiresAt, want.ExpiresAt) || !sameTime(got.CreatedAt, want.CreatedAt) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func activeOf(t *testing.T, s store.RefreshTokens, sig string) bool {
	t.Helper()
	rt, err := s.GetRefreshToken(t.Context(), sig)
	must(t, err, "GetRefreshToken("+sig+")")
	return rt.Active
}

func testRefreshTokens(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateGetDelete", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		rt := refreshToken("sig-1", "req-1", "portal", "sub-1")
		must(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
		got, err := s.GetRefreshToken(ctx, "sig-1")
		must(t, err, "GetRefreshToken")
		sameRefreshToken(t, got, rt, "GetRefreshToken")
		_, err = s.GetRefreshToken(ctx, "sig-2")
		wantErr(t, err, store.ErrNotFound, "GetRefreshToken(unknown)")
		must(t, s.DeleteRefreshToken(ctx, "sig-1"), "DeleteRefreshToken")
		_, err = s.GetRefreshToken(ctx, "sig-1")
		wantErr(t, err, store.ErrNotFound, "GetRefreshToken after DeleteRefreshToken")
	})

	t.Run("Deactivate", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		rt := refreshToken("sig-1", "req-1", "portal", "sub-1")
		must(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
		must(t, s.CreateRefreshToken(ctx, refreshToken("sig-2", "req-1", "portal", "sub-1")), "CreateRefreshToken")
		must(t, s.DeactivateRefreshToken(ctx, "sig-1"), "DeactivateRefreshToken")
		got, err := s.GetRefreshToken(ctx, "sig-1")
		must(t, err, "GetRefreshToken(deactivated)")
		rt.Active = false
		sameRefreshToken(t, got, rt, "GetRefreshToken(deactivated)")
		if !activeOf(t, s, "sig-2") {
			t.Fatal("deactivating one token deactivated another of its family")
		}
		wantErr(t, s.DeactivateRefreshToken(ctx, "sig-1"), store.ErrAlreadyUsed, "DeactivateRefreshToken(again)")
		wantErr(t, s.DeactivateRefreshToken(ctx, "sig-3"), store.ErrNotFound, "DeactivateRefreshToken(unknown)")
	})

	t.Run("Rotate", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		rt := refreshToken("sig-1", "req-1", "portal", "sub-1")
		must(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
		next := refreshToken("sig-2", "req-1", "portal", "sub-1")
		must(t, s.RotateRefreshToken(ctx, "sig-1", next), "RotateRefreshToken")
		if activeOf(t, s, "sig-1") {
			t.Fatal("the rotated token is still active")
		}
		got, err := s.GetRefreshToken(ctx, "sig-2")
		must(t, err, "GetRefreshToken(successor)")
		sameRefreshToken(t, got, next, "GetRefreshToken(successor)")

		// A token already rotated, or unknown: nothing is inserted.
		wantErr(t, s.RotateRefreshToken(ctx, "sig-1", refreshToken("sig-3", "req-1", "portal", "sub-1")),
			store.ErrAlreadyUsed, "RotateRefreshToken(rotated)")
		wantErr(t, s.RotateRefreshToken(ctx, "sig-9", refreshToken("sig-4", "req-1", "portal", "sub-1")),
			store.ErrNotFound, "RotateRefreshToken(unknown)")
		for _, sig := range []string{"sig-3", "sig-4"} {
			_, err := s.GetRefreshToken(ctx, sig)
			wantErr(t, err, store.ErrNotFound, "GetRefreshToken("+sig+") after a refused rotation")
		}
		if !activeOf(t, s, "sig-2") {
			t.Fatal("a refused rotation changed the active token")
		}

		// A successor whose signature exists already: the rotation does not
		// happen at all.
		wantConflict(t, s.RotateRefreshToken(ctx, "sig-2", refreshToken("sig-1", "req-1", "portal", "sub-1")),
			"signature", "RotateRefreshToken(successor exists)")
		if !activeOf(t, s, "sig-2") {
			t.Fatal("a rotation whose insert failed deactivated the token")
		}
	})

	t.Run("RotateConcurrently", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		must(t, s.CreateRefreshToken(ctx, refreshToken("sig-0", "req-1", "portal", "sub-1")), "CreateRefreshToken")
		const n = 8
		errs := Concurrently(n, func(i int) error {
			return s.RotateRefreshToken(ctx, "sig-0", refreshToken(fmt.Sprintf("next-%d", i), "req-1", "portal", "sub-1"))
		})
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won < 0:
				won = i
			case err == nil:
				t.Fatalf("rotations %d and %d of one token both succeeded", won, i)
			case !errors.Is(err, store.ErrAlreadyUsed):
				t.Fatalf("rotation %d: %v, want success or store.ErrAlreadyUsed", i, err)
			}
		}
		if won < 0 {
			t.Fatalf("no rotation succeeded: %v", errs)
		}
		for i := range n {
			_, err := s.GetRefreshToken(ctx, fmt.Sprintf("next-%d", i))
			if i == won {
				must(t, err, "GetRefreshToken(the winner's successor)")
			} else {
				wantErr(t, err, store.ErrNotFound, fmt.Sprintf("GetRefreshToken(successor of losing rotation %d)", i))
			}
		}
	})

	t.Run("SubjectState", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Lê Thị Hồng", "001180000007", "hong.lt@example.vn", "+84900000007")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateRefreshToken(ctx, refreshToken("sig-a", "req-a", "portal", a.ID)), "CreateRefreshToken")
		must(t, s.CreateRefreshToken(ctx, refreshToken("sig-x", "req-x", "portal", "sub-nobody")), "CreateRefreshToken")
		state := func(sig string) (bool, bool) {
			t.Helper()
			rt, err := s.GetRefreshToken(ctx, sig)
			must(t, err, "GetRefreshToken("+sig+")")
			return rt.SubjectDisabled, rt.SubjectMissing
		}
		if d, m := state("sig-a"); d || m {
			t.Fatalf("token of a live account: disabled=%v missing=%v", d, m)
		}
		if d, m := state("sig-x"); d || !m {
			t.Fatalf("token of no account: disabled=%v missing=%v, want missing", d, m)
		}
		a.Disabled, a.DisabledReason = true, "test"
		must(t, s.UpdateAccount(ctx, a), "UpdateAccount(disabled)")
		if d, m := state("sig-a"); !d || m {
			t.Fatalf("token of a locked account: disabled=%v missing=%v, want disabled", d, m)
		}
	})

	t.Run("RevokeFamily", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for _, rt := range []*store.RefreshToken{
			refreshToken("a1", "req-a", "portal", "sub-1"),
			refreshToken("a2", "req-a", "portal", "sub-1"),
			refreshToken("b1", "req-b", "portal", "sub-1"),
		} {
			must(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
		}
		must(t, s.DeactivateRefreshToken(ctx, "a1"), "DeactivateRefreshToken")
		must(t, s.RevokeRefreshTokenFamily(ctx, "req-a"), "RevokeRefreshTokenFamily")
		for sig, want := range map[string]bool{"a1": false, "a2": false, "b1": true} {
			if got := activeOf(t, s, sig); got != want {
				t.Errorf("token %s active = %v after revoking family req-a, want %v", sig, got, want)
			}
		}
		wantErr(t, s.DeactivateRefreshToken(ctx, "a2"), store.ErrAlreadyUsed, "DeactivateRefreshToken(revoked)")
		must(t, s.RevokeRefreshTokenFamily(ctx, "req-a"), "RevokeRefreshTokenFamily(again)")
		must(t, s.RevokeRefreshTokenFamily(ctx, "req-unknown"), "RevokeRefreshTokenFamily(unknown)")
		if !activeOf(t, s, "b1") {
			t.Error("token b1 of another family was revoked")
		}
	})

	t.Run("RevokeBySubject", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for _, rt := range []*store.RefreshToken{
			refreshToken("a1", "req-a", "portal", "sub-1"),
			refreshToken("b1", "req-b", "dvc", "sub-1"),
			refreshToken("c1", "req-c", "portal", "sub-2"),
		} {
			must(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
		}
		must(t, s.RevokeRefreshTokensOfSubject(ctx, "sub-1", "dvc"), "RevokeRefreshTokensOfSubject(client)")
		for sig, want := range map[string]bool{"a1": true, "b1": false, "c1": true} {
			if got := activeOf(t, s, sig); got != want {
				t.Errorf("token %s active = %v after revoking sub-1 at dvc, want %v", sig, got, want)
			}
		}
		must(t, s.RevokeRefreshTokensOfSubject(ctx, "sub-1", ""), "RevokeRefreshTokensOfSubject")
		for sig, want := range map[string]bool{"a1": false, "b1": false, "c1": true} {
			if got := activeOf(t, s, sig); got != want {
				t.Errorf("token %s active = %v after revoking sub-1, want %v", sig, got, want)
			}
		}
		must(t, s.RevokeRefreshTokensOfSubject(ctx, "sub-unknown", ""), "RevokeRefreshTokensOfSubject(unknown)")
	})

	t.Run("RevokeByBusiness", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		const hoangLong, senVang = "0101234565", "0304567898"
		withBusiness := func(rt *store.RefreshToken, taxCode string) *store.RefreshToken {
			rt.TaxCode = taxCode
			return rt
		}
		a1 := withBusiness(refreshToken("a1", "req-a", "portal", "sub-1"), hoangLong)
		for _, rt := range []*store.RefreshToken{
			a1,
			withBusiness(refreshToken("b1", "req-b", "dvc", "sub-1"), hoangLong),
			withBusiness(refreshToken("c1", "req-c", "portal", "sub-1"), senVang),
			refreshToken("d1", "req-d", "portal", "sub-1"),
			withBusiness(refreshToken("e1", "req-e", "portal", "sub-2"), hoangLong),
		} {
			must(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
		}
		got, err := s.GetRefreshToken(ctx, "a1")
		must(t, err, "GetRefreshToken(a1)")
		sameRefreshToken(t, got, a1, "GetRefreshToken of a token acting for a business")

		// A rotation keeps the business of the successor it inserts.
		a2 := withBusiness(refreshToken("a2", "req-a", "portal", "sub-1"), hoangLong)
		must(t, s.RotateRefreshToken(ctx, "a1", a2), "RotateRefreshToken")
		got, err = s.GetRefreshToken(ctx, "a2")
		must(t, err, "GetRefreshToken(a2)")
		sameRefreshToken(t, got, a2, "GetRefreshToken of a rotated token acting for a business")

		must(t, s.RevokeRefreshTokensOfBusiness(ctx, "sub-1", hoangLong), "RevokeRefreshTokensOfBusiness")
		for sig, want := range map[string]bool{"a2": false, "b1": false, "c1": true, "d1": true, "e1": true} {
			if got := activeOf(t, s, sig); got != want {
				t.Errorf("token %s active = %v after revoking sub-1's tokens for %s, want %v", sig, got, hoangLong, want)
			}
		}
		wantErr(t, s.DeactivateRefreshToken(ctx, "a2"), store.ErrAlreadyUsed, "DeactivateRefreshToken(revoked for its business)")
		must(t, s.RevokeRefreshTokensOfBusiness(ctx, "sub-1", hoangLong), "RevokeRefreshTokensOfBusiness(again)")
		must(t, s.RevokeRefreshTokensOfBusiness(ctx, "sub-unknown", senVang), "RevokeRefreshTokensOfBusiness(unknown)")
		// No tax code names no business: the person's own tokens stay.
		if err := s.RevokeRefreshTokensOfBusiness(ctx, "sub-1", ""); err == nil {
			t.Error("RevokeRefreshTokensOfBusiness with no tax code succeeded")
		}
		for sig, want := range map[string]bool{"c1": true, "d1": true, "e1": true} {
			if got := activeOf(t, s, sig); got != want {
				t.Errorf("token %s active = %v at the end, want %v", sig, got, want)
			}
		}
	})

	t.Run("DeleteExpired", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		cut := now()
		for i, exp := range []time.Duration{-2 * time.Hour, -time.Minute, time.Minute, 2 * time.Hour} {
			rt := refreshToken(fmt.Sprintf("sig-%d", i), fmt.Sprintf("req-%d", i), "portal", "sub-1")
			rt.ExpiresAt = cut.Add(exp)
			must(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
		}
		n, err := s.DeleteExpiredRefreshTokens(ctx, cut)
		must(t, err, "DeleteExpiredRefreshTokens")
		if n != 2 {
			t.Errorf("DeleteExpiredRefreshTokens = %d, want 2", n)
		}
		for i, want := range []bool{false, false, true, true} {
			_, err := s.GetRefreshToken(ctx, fmt.Sprintf("sig-%d", i))
			if exists := err == nil; exists != want {
				t.Errorf("token sig-%d exists = %v (%v), want %v", i, exists, err, want)
			}
		}
		n, err = s.DeleteExpiredRefreshTokens(ctx, cut)
		must(t, err, "DeleteExpiredRefreshTokens(again)")
		if n != 0 {
			t.Errorf("DeleteExpiredRefreshTokens(again) = %d, want 0", n)
		}
	})

	t.Run("ConcurrentDeactivate", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for round := range Repeats {
			sig := fmt.Sprintf("sig-%d", round)
			must(t, s.CreateRefreshToken(ctx, refreshToken(sig, "req-1", "portal", "sub-1")), "CreateRefreshToken")
			errs := Concurrently(Racers, func(int) error { return s.DeactivateRefreshToken(ctx, sig) })
			ExactlyOneNil(t, errs, store.ErrAlreadyUsed, fmt.Sprintf("round %d: DeactivateRefreshToken", round))
			if activeOf(t, s, sig) {
				t.Fatalf("round %d: token still active", round)
			}
		}
	})
}

func testAudit(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("AppendList", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		list, err := s.ListAudit(ctx, "", 10)
		must(t, err, "ListAudit(empty)")
		if len(list) != 0 {
			t.Fatalf("ListAudit = %d events on an empty store", len(list))
		}
		at := now().Add(-time.Minute)
		events := []*store.AuditEvent{
			{Time: at, Type: "login.success", Actor: "sub-1", Subject: "sub-1", ClientID: "portal", Address: "203.0.113.7",
				Details: map[string]string{"method": "password", "acr": "LoA2", "ghi_chú": "đăng nhập từ điện thoại"}},
			{Type: "login.failure", Actor: "system", Subject: "sub-2", Address: "2001:db8::1", Details: map[string]string{"reason": "bad_password"}},
			{Type: "client.create", Actor: "cli", ClientID: "qlvb"},
			{Type: "account.lock", Actor: "sub-admin", Subject: "sub-1"},
		}
		seen := map[int64]bool{}
		for _, e := range events {
			must(t, s.AppendAudit(ctx, e), "AppendAudit")
			if e.ID == 0 || seen[e.ID] {
				t.Fatalf("AppendAudit gave id %d", e.ID)
			}
			seen[e.ID] = true
		}

		all, err := s.ListAudit(ctx, "", 10)
		must(t, err, "ListAudit")
		if len(all) != 4 {
			t.Fatalf("ListAudit = %d events, want 4", len(all))
		}
		for i, e := range all {
			want := events[len(events)-1-i]
			if e.ID != want.ID || e.Type != want.Type || e.Actor != want.Actor || e.Subject != want.Subject ||
				e.ClientID != want.ClientID || e.Address != want.Address || !reflect.DeepEqual(orNilMap(e.Details), orNilMap(want.Details)) {
				t.Fatalf("ListAudit[%d] = %+v, want %+v (newest first)", i, e, want)
			}
		}
		if !sameTime(all[3].Time, at) {
			t.Errorf("Time = %v, want the given %v", all[3].Time, at)
		}
		for _, e := range all[:3] {
			if e.Time.IsZero() || time.Since(e.Time) > time.Minute {
				t.Errorf("event %d: Time = %v, want now when not given", e.ID, e.Time)
			}
		}

		sub1, err := s.ListAudit(ctx, "sub-1", 10)
		must(t, err, "ListAudit(sub-1)")
		if len(sub1) != 2 || sub1[0].Type != "account.lock" || sub1[1].Type != "login.success" {
			t.Fatalf("ListAudit(sub-1) = %d events, want account.lock then login.success", len(sub1))
		}
		latest, err := s.ListAudit(ctx, "", 2)
		must(t, err, "ListAudit(limit 2)")
		if len(latest) != 2 || latest[0].ID != events[3].ID || latest[1].ID != events[2].ID {
			t.Fatalf("ListAudit(limit 2) = %d events, want the latest two", len(latest))
		}
		none, err := s.ListAudit(ctx, "sub-unknown", 10)
		must(t, err, "ListAudit(unknown subject)")
		if len(none) != 0 {
			t.Fatalf("ListAudit(unknown subject) = %d events", len(none))
		}
	})
}

func orNilMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
