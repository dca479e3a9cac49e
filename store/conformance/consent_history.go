package conformance

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// testPersonalData checks store.PersonalData: the consent history written
// with every change of a consent, the privacy-notice acceptance written with
// the account, and the closing of an account (what is erased, what is
// kept, who cannot be closed, concurrent closers).
func testPersonalData(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("ConsentHistory", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Lý Thường Kiệt", "001060000011", "", "")
		b := citizen("Trần Hưng Đạo", "001060000012", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateAccount(ctx, b, ""), "CreateAccount")
		for _, id := range []string{"portal", "dvc"} {
			must(t, s.CreateClient(ctx, fullClient(id)), "CreateClient")
		}
		t0 := now().Add(-time.Hour)
		put := func(acct, client string, at time.Time, scopes ...string) {
			t.Helper()
			must(t, s.PutConsent(ctx, &store.Consent{AccountID: acct, ClientID: client, Scopes: scopes, GrantedAt: at}), "PutConsent")
		}
		put(a.ID, "portal", t0, "openid", "profile")
		put(a.ID, "portal", t0.Add(time.Minute), "openid", "profile")                  // the same scopes: no line
		put(a.ID, "portal", t0.Add(2*time.Minute), "openid", "profile", "personal_id") // changed
		put(b.ID, "portal", t0, "openid")
		put(a.ID, "dvc", t0.Add(3*time.Minute), "openid", "email")
		must(t, s.RevokeConsent(ctx, a.ID, "portal"), "RevokeConsent")
		wantErr(t, s.RevokeConsent(ctx, a.ID, "portal"), store.ErrNotFound, "RevokeConsent(again)")
		_, err := s.GetConsent(ctx, a.ID, "portal")
		wantErr(t, err, store.ErrNotFound, "GetConsent(withdrawn)")
		put(a.ID, "portal", now(), "openid") // granted again after the withdrawal
		must(t, s.DeleteClient(ctx, "dvc"), "DeleteClient")

		h, err := s.ConsentHistory(ctx, a.ID)
		must(t, err, "ConsentHistory")
		type line struct {
			client, action string
			scopes         []string
		}
		want := []line{
			{"portal", store.ConsentGranted, []string{"openid", "profile"}},
			{"portal", store.ConsentChanged, []string{"openid", "profile", "personal_id"}},
			{"dvc", store.ConsentGranted, []string{"openid", "email"}},
			{"portal", store.ConsentWithdrawn, []string{"openid", "profile", "personal_id"}},
			{"portal", store.ConsentGranted, []string{"openid"}},
		}
		if len(h) != len(want) {
			t.Fatalf("history has %d lines, want %d: %+v", len(h), len(want), h)
		}
		for i, w := range want {
			if h[i].AccountID != a.ID || h[i].ClientID != w.client || h[i].Action != w.action || !slices.Equal(h[i].Scopes, w.scopes) {
				t.Fatalf("line %d = %+v, want %+v", i, h[i], w)
			}
			if i > 0 && h[i].ID <= h[i-1].ID {
				t.Fatalf("line %d: id %d not after %d", i, h[i].ID, h[i-1].ID)
			}
		}
		if !sameTime(h[0].Time, t0) || !sameTime(h[1].Time, t0.Add(2*time.Minute)) || h[3].Time.Before(t0) {
			t.Fatalf("history times: %v %v %v", h[0].Time, h[1].Time, h[3].Time)
		}
		hb, err := s.ConsentHistory(ctx, b.ID)
		must(t, err, "ConsentHistory(b)")
		if len(hb) != 1 || hb[0].ClientID != "portal" || hb[0].Action != store.ConsentGranted {
			t.Fatalf("history of b = %+v", hb)
		}
		none, err := s.ConsentHistory(ctx, "nobody")
		must(t, err, "ConsentHistory(nobody)")
		if len(none) != 0 {
			t.Fatalf("history of nobody = %+v", none)
		}
	})

	t.Run("ConcurrentGrant", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		must(t, s.CreateClient(ctx, fullClient("portal")), "CreateClient")
		for range Repeats {
			a := citizen("Đồng thời", "", uniqueName("c")+"@example.vn", "")
			must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
			errs := Concurrently(Racers, func(int) error {
				return s.PutConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "portal", Scopes: []string{"openid", "profile"}})
			})
			for _, err := range errs {
				must(t, err, "PutConsent(concurrent)")
			}
			h, err := s.ConsentHistory(ctx, a.ID)
			must(t, err, "ConsentHistory")
			if len(h) != 1 || h[0].Action != store.ConsentGranted {
				t.Fatalf("%d concurrent grants of one consent wrote the history %+v, want one granted line", Racers, h)
			}
		}
	})

	t.Run("RegisterAccount", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Bùi Thị Xuân", "001160000013", "xuan@example.vn", "")
		at := now().Add(-time.Minute)
		must(t, s.RegisterAccount(ctx, a, "hash", store.PrivacyAcceptance{AccountID: a.ID, Version: "2026-01", AcceptedAt: at}), "RegisterAccount")
		got, err := s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		if got.Email != "xuan@example.vn" {
			t.Fatalf("registered account = %+v", got)
		}
		ps, err := s.PrivacyAcceptances(ctx, a.ID)
		must(t, err, "PrivacyAcceptances")
		if len(ps) != 1 || ps[0].Version != "2026-01" || ps[0].AccountID != a.ID || !sameTime(ps[0].AcceptedAt, at) {
			t.Fatalf("acceptances = %+v", ps)
		}
		// A taken identifier registers nothing: neither account nor acceptance.
		dup := citizen("Người khác", "001160000014", "xuan@example.vn", "")
		wantConflict(t, s.RegisterAccount(ctx, dup, "", store.PrivacyAcceptance{AccountID: dup.ID, Version: "2026-01"}), "email", "RegisterAccount(taken)")
		_, err = s.GetAccount(ctx, dup.ID)
		wantErr(t, err, store.ErrNotFound, "GetAccount(refused)")
		ps, err = s.PrivacyAcceptances(ctx, dup.ID)
		must(t, err, "PrivacyAcceptances(refused)")
		if len(ps) != 0 {
			t.Fatalf("a refused registration left acceptances %+v", ps)
		}
		if err := s.RegisterAccount(ctx, citizen("Không chấp nhận", "", "khong@example.vn", ""), "", store.PrivacyAcceptance{}); err == nil {
			t.Fatal("RegisterAccount without a notice version succeeded")
		}
	})

	t.Run("CloseAccount", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := fullAccount()
		a.Official, a.Admin, a.Disabled, a.DisabledReason = nil, false, false, ""
		must(t, s.CreateAccount(ctx, a, "$argon2id$secret"), "CreateAccount")
		must(t, s.CreateClient(ctx, fullClient("portal")), "CreateClient")
		must(t, s.PutConsent(ctx, &store.Consent{AccountID: a.ID, ClientID: "portal", Scopes: []string{"openid", "personal_id"}}), "PutConsent")
		must(t, s.PutTOTP(ctx, &store.TOTPCredential{ID: "t1", AccountID: a.ID, SealedSecret: []byte{1, 2, 3}, Digits: 6,
			Period: 30 * time.Second, CreatedAt: now()}), "PutTOTP")
		must(t, s.ReplaceRecoveryCodes(ctx, a.ID, []string{"h1", "h2"}), "ReplaceRecoveryCodes")
		must(t, s.BindCertificate(ctx, &store.CertificateBinding{AccountID: a.ID, Fingerprint: "ab12", Issuer: "CN=CA",
			Serial: "1f", NotAfter: now().Add(time.Hour), Certificate: []byte{0x30}, CreatedAt: now()}), "BindCertificate")
		must(t, s.LinkUpstream(ctx, "vneid", "vneid-sub-1", a.ID), "LinkUpstream")
		must(t, s.PutBusiness(ctx, &identity.Business{TaxCode: "0101234567", Name: "Công ty A"}), "PutBusiness")
		must(t, s.AddRepresentation(ctx, &identity.Representation{AccountID: a.ID, TaxCode: "0101234567", Role: identity.RoleLegalRepresentative}), "AddRepresentation")
		sig := uniqueName("rt")
		must(t, s.CreateRefreshToken(ctx, &store.RefreshToken{Signature: sig, RequestID: "req", ClientID: "portal",
			Subject: a.ID, Active: true, Request: []byte("{}"), ExpiresAt: now().Add(time.Hour)}), "CreateRefreshToken")

		links, err := s.UpstreamLinksOf(ctx, a.ID)
		must(t, err, "UpstreamLinksOf")
		if len(links) != 1 || links[0].Provider != "vneid" || links[0].Subject != "vneid-sub-1" || links[0].CreatedAt.IsZero() {
			t.Fatalf("UpstreamLinksOf = %+v", links)
		}
		_, err = s.GetClosedAccount(ctx, a.ID)
		wantErr(t, err, store.ErrNotFound, "GetClosedAccount(open)")
		closedAt, until := now(), now().AddDate(5, 0, 0)
		must(t, s.CloseAccount(ctx, store.ClosedAccount{AccountID: a.ID, ClosedAt: closedAt, AuditUntil: until}), "CloseAccount")
		wantErr(t, s.CloseAccount(ctx, store.ClosedAccount{AccountID: a.ID, AuditUntil: until}), store.ErrAlreadyUsed, "CloseAccount(again)")
		wantErr(t, s.CloseAccount(ctx, store.ClosedAccount{AccountID: "nobody", AuditUntil: until}), store.ErrNotFound, "CloseAccount(nobody)")

		c, err := s.GetClosedAccount(ctx, a.ID)
		must(t, err, "GetClosedAccount")
		if !sameTime(c.ClosedAt, closedAt) || !sameTime(c.AuditUntil, until) {
			t.Fatalf("closed = %+v", c)
		}
		// The audit events about the account are held until AuditUntil.
		held, err := s.AuditHeldFrom(ctx, now())
		must(t, err, "AuditHeldFrom(none)")
		if !held.IsZero() {
			t.Fatalf("AuditHeldFrom without events = %v", held)
		}
		ev := &store.AuditEvent{Time: now().Add(-48 * time.Hour), Type: "login.success", Actor: a.ID, Subject: a.ID}
		must(t, s.AppendAudit(ctx, ev), "AppendAudit")
		must(t, s.AppendAudit(ctx, &store.AuditEvent{Time: now().Add(-72 * time.Hour), Type: "login.success", Actor: "x", Subject: "someone-else"}), "AppendAudit")
		held, err = s.AuditHeldFrom(ctx, now())
		must(t, err, "AuditHeldFrom")
		if !sameTime(held, ev.Time) {
			t.Fatalf("AuditHeldFrom = %v, want %v", held, ev.Time)
		}
		held, err = s.AuditHeldFrom(ctx, until.Add(time.Second))
		must(t, err, "AuditHeldFrom(after the retention)")
		if !held.IsZero() {
			t.Fatalf("AuditHeldFrom after the retention = %v, want zero", held)
		}
		got, err := s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount(closed)")
		if got.FullName != "" || got.Birthdate != "" || got.Gender != "" || got.Email != "" || got.Phone != "" ||
			got.PersonalID != "" || got.Proofing.State == identity.ProofingVerified || !got.Disabled || got.EmailVerified || got.PhoneVerified {
			t.Fatalf("closed account keeps personal data: %+v", got)
		}
		if _, err := s.PasswordHash(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("PasswordHash(closed) error = %v, want ErrNotFound", err)
		}
		_, err = s.GetTOTP(ctx, a.ID)
		wantErr(t, err, store.ErrNotFound, "GetTOTP(closed)")
		if n, err := s.RecoveryCodesLeft(ctx, a.ID); err != nil || n != 0 {
			t.Fatalf("RecoveryCodesLeft(closed) = %d, %v", n, err)
		}
		if bs, err := s.CertificateBindings(ctx, a.ID); err != nil || len(bs) != 0 {
			t.Fatalf("CertificateBindings(closed) = %d, %v", len(bs), err)
		}
		_, err = s.FindUpstreamLink(ctx, "vneid", "vneid-sub-1")
		wantErr(t, err, store.ErrNotFound, "FindUpstreamLink(closed)")
		if links, err := s.UpstreamLinksOf(ctx, a.ID); err != nil || len(links) != 0 {
			t.Fatalf("UpstreamLinksOf(closed) = %d, %v", len(links), err)
		}
		if rs, err := s.Representations(ctx, a.ID); err != nil || len(rs) != 0 {
			t.Fatalf("Representations(closed) = %d, %v", len(rs), err)
		}
		if cs, err := s.ListConsents(ctx, a.ID); err != nil || len(cs) != 0 {
			t.Fatalf("ListConsents(closed) = %d, %v", len(cs), err)
		}
		h, err := s.ConsentHistory(ctx, a.ID)
		must(t, err, "ConsentHistory(closed)")
		if len(h) != 2 || h[1].Action != store.ConsentWithdrawn || !slices.Equal(h[1].Scopes, []string{"openid", "personal_id"}) {
			t.Fatalf("history of the closed account = %+v", h)
		}
		for _, kind := range []store.IdentifierKind{store.ByEmail, store.ByPhone, store.ByPersonalID} {
			_, err := s.FindAccount(ctx, kind, map[store.IdentifierKind]string{store.ByEmail: a.Email, store.ByPhone: a.Phone,
				store.ByPersonalID: string(a.PersonalID)}[kind])
			wantErr(t, err, store.ErrNotFound, "FindAccount("+string(kind)+") of the closed account")
		}
		// The identifiers are free again; the subject is not.
		again := citizen("Người mới", string(a.PersonalID), a.Email, a.Phone)
		must(t, s.CreateAccount(ctx, again, ""), "CreateAccount(with the freed identifiers)")
		reuse := citizen("Trùng mã", "", "reuse@example.vn", "")
		reuse.ID = a.ID
		if err := s.CreateAccount(ctx, reuse, ""); err == nil {
			t.Fatal("CreateAccount reused the subject of a closed account")
		}
		ts, err := s.GetRefreshToken(ctx, sig)
		must(t, err, "GetRefreshToken")
		if ts.Active {
			t.Fatal("a refresh token of the closed account is still active")
		}
	})

	t.Run("CloseProtected", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		off := localOfficial("Cán bộ", "canbo1")
		off.Email = "canbo@tinh.gov.vn"
		adm := citizen("Quản trị", "", "admin@example.vn", "")
		adm.Admin = true
		must(t, s.CreateAccount(ctx, off, ""), "CreateAccount(official)")
		must(t, s.CreateAccount(ctx, adm, ""), "CreateAccount(admin)")
		for _, acct := range []*identity.Account{off, adm} {
			wantErr(t, s.CloseAccount(ctx, store.ClosedAccount{AccountID: acct.ID, AuditUntil: now()}), store.ErrProtectedAccount, "CloseAccount(protected)")
			got, err := s.GetAccount(ctx, acct.ID)
			must(t, err, "GetAccount")
			if got.Email != acct.Email || got.FullName != acct.FullName || got.Disabled {
				t.Fatalf("a refused closing changed the account: %+v", got)
			}
			_, err = s.GetClosedAccount(ctx, acct.ID)
			wantErr(t, err, store.ErrNotFound, "GetClosedAccount(refused)")
		}
	})

	t.Run("ConcurrentClose", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for range Repeats {
			a := citizen("Song song", "", uniqueName("p")+"@example.vn", "")
			must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
			errs := Concurrently(Racers, func(int) error {
				return s.CloseAccount(ctx, store.ClosedAccount{AccountID: a.ID, AuditUntil: now()})
			})
			ExactlyOneNil(t, errs, store.ErrAlreadyUsed, "CloseAccount")
		}
	})
}
