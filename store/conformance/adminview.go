package conformance

import (
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// testAdminViews checks a business's representatives and the hourly counts
// of the audit log.
func testAdminViews(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RepresentativesOf", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Đặng Thu Thảo", "001185000777", "", "")
		b := citizen("Bùi Xuân Phái", "001085000888", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateAccount(ctx, b, ""), "CreateAccount")
		must(t, s.PutBusiness(ctx, &identity.Business{TaxCode: "0312345678", Name: "Công ty Cổ phần Sen Vàng"}), "PutBusiness")
		must(t, s.PutBusiness(ctx, &identity.Business{TaxCode: "0101243150", Name: "Công ty TNHH Định Danh"}), "PutBusiness")
		got, err := s.RepresentativesOf(ctx, "0312345678")
		must(t, err, "RepresentativesOf(none)")
		if len(got) != 0 {
			t.Fatalf("RepresentativesOf = %d before any link", len(got))
		}
		for _, r := range []*identity.Representation{
			{AccountID: a.ID, TaxCode: "0312345678", Role: identity.RoleLegalRepresentative, GrantedBy: "cli"},
			{AccountID: b.ID, TaxCode: "0312345678", Role: identity.RoleAuthorisedStaff, GrantedBy: "cli"},
			{AccountID: b.ID, TaxCode: "0101243150", Role: identity.RoleLegalRepresentative, GrantedBy: "cli"},
		} {
			must(t, s.AddRepresentation(ctx, r), "AddRepresentation")
		}
		got, err = s.RepresentativesOf(ctx, "0312345678")
		must(t, err, "RepresentativesOf")
		if len(got) != 2 {
			t.Fatalf("RepresentativesOf = %d, want 2", len(got))
		}
		want := map[string]identity.RepresentativeRole{a.ID: identity.RoleLegalRepresentative, b.ID: identity.RoleAuthorisedStaff}
		for i, r := range got {
			if i > 0 && got[i-1].AccountID > r.AccountID {
				t.Fatalf("RepresentativesOf is not ordered by account: %s after %s", r.AccountID, got[i-1].AccountID)
			}
			if want[r.AccountID] != r.Role || r.TaxCode != "0312345678" || r.BusinessName != "Công ty Cổ phần Sen Vàng" ||
				r.GrantedBy != "cli" || r.CreatedAt.IsZero() {
				t.Fatalf("RepresentativesOf read back %+v", r)
			}
		}
		if got, err := s.RepresentativesOf(ctx, "0100109106"); err != nil || len(got) != 0 {
			t.Fatalf("RepresentativesOf(unknown business) = %v, %v; want none", got, err)
		}
	})
	t.Run("CountAudit", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		h := now().Truncate(time.Hour).Add(-3 * time.Hour)
		ev := func(at time.Time, typ, method string) {
			e := &store.AuditEvent{Time: at, Type: typ, Actor: "anonymous", Details: map[string]string{"sid": uniqueName("s")}}
			if method != "" {
				e.Details["method"] = method
			}
			must(t, s.AppendAudit(ctx, e), "AppendAudit")
		}
		ev(h.Add(-time.Second), "login.success", "password") // before the range
		ev(h, "login.success", "password")
		ev(h.Add(10*time.Minute), "login.success", "password")
		ev(h.Add(20*time.Minute), "login.success", "passkey")
		ev(h.Add(30*time.Minute), "login.failure", "password")
		ev(h.Add(time.Hour+time.Minute), "login.success", "password")
		ev(h.Add(time.Hour+2*time.Minute), "login.locked", "")
		ev(h.Add(time.Hour+3*time.Minute), "client.create", "")
		ev(h.Add(2*time.Hour), "login.success", "password") // at the end: not counted
		got, err := s.CountAudit(ctx, h, h.Add(2*time.Hour), []string{"login.success", "login.failure", "login.locked"})
		must(t, err, "CountAudit")
		want := []store.AuditCount{
			{Hour: h, Type: "login.failure", Method: "password", N: 1},
			{Hour: h, Type: "login.success", Method: "passkey", N: 1},
			{Hour: h, Type: "login.success", Method: "password", N: 2},
			{Hour: h.Add(time.Hour), Type: "login.locked", Method: "", N: 1},
			{Hour: h.Add(time.Hour), Type: "login.success", Method: "password", N: 1},
		}
		if len(got) != len(want) {
			t.Fatalf("CountAudit = %+v, want %+v", got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if !g.Hour.Equal(w.Hour) || g.Type != w.Type || g.Method != w.Method || g.N != w.N {
				t.Fatalf("CountAudit[%d] = %+v, want %+v", i, g, w)
			}
		}
		all, err := s.CountAudit(ctx, h, h.Add(2*time.Hour), nil)
		must(t, err, "CountAudit(every type)")
		n := 0
		for _, c := range all {
			n += c.N
		}
		if n != 7 {
			t.Fatalf("CountAudit(every type) counted %d events, want 7", n)
		}
	})
	t.Run("ClientSettings", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := fullClient("qlvb")
		must(t, s.CreateClient(ctx, c), "CreateClient")
		read, err := s.GetClient(ctx, "qlvb")
		must(t, err, "GetClient")
		edit := *read
		edit.Name, edit.SecretHash, edit.Scopes = "QLVB mới", []byte("must not be written"), []string{"openid"}
		must(t, s.UpdateClientSettings(ctx, &edit, read.UpdatedAt), "UpdateClientSettings")
		got, err := s.GetClient(ctx, "qlvb")
		must(t, err, "GetClient")
		if got.Name != "QLVB mới" || len(got.Scopes) != 1 || string(got.SecretHash) != string(c.SecretHash) ||
			!sameTime(got.UpdatedAt, edit.UpdatedAt) || !got.UpdatedAt.After(read.UpdatedAt) {
			t.Fatalf("after UpdateClientSettings: %+v (secret must stay, UpdatedAt %v must move past %v)", got, got.UpdatedAt, read.UpdatedAt)
		}
		// An edit based on the older read finds the client changed.
		stale := *read
		stale.Name = "stale"
		wantErr(t, s.UpdateClientSettings(ctx, &stale, read.UpdatedAt), store.ErrChanged, "UpdateClientSettings(stale)")
		missing := fullClient("khong-co")
		wantErr(t, s.UpdateClientSettings(ctx, missing, read.UpdatedAt), store.ErrNotFound, "UpdateClientSettings(unknown)")
		// Concurrent edits from one read: exactly one lands.
		errs := Concurrently(8, func(i int) error {
			e := *got
			e.Name = uniqueName("racer")
			return s.UpdateClientSettings(ctx, &e, got.UpdatedAt)
		})
		ExactlyOneNil(t, errs, store.ErrChanged, "concurrent UpdateClientSettings")

		must(t, s.SetClientSecret(ctx, "qlvb", []byte("new-hash")), "SetClientSecret")
		after, err := s.GetClient(ctx, "qlvb")
		must(t, err, "GetClient")
		if string(after.SecretHash) != "new-hash" || after.Name == "stale" || after.Name == "QLVB mới" {
			t.Fatalf("after SetClientSecret: %+v", after)
		}
		if !after.UpdatedAt.After(got.UpdatedAt) && !sameTime(after.UpdatedAt, got.UpdatedAt) {
			t.Fatalf("SetClientSecret moved UpdatedAt back: %v", after.UpdatedAt)
		}
		wantErr(t, s.SetClientSecret(ctx, "khong-co", []byte("x")), store.ErrNotFound, "SetClientSecret(unknown)")
	})
}
