package conformance

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// certificateBinding returns a binding of a made-up certificate numbered n to
// the account.
func certificateBinding(accountID string, n int) *store.CertificateBinding {
	return &store.CertificateBinding{
		AccountID:   accountID,
		Fingerprint: fmt.Sprintf("%064x", 0xc0ffee00+n),
		Issuer:      "CN=CA phục vụ các cơ quan Nhà nước G2,O=Ban Cơ yếu Chính phủ,C=VN",
		Serial:      fmt.Sprintf("54%x", 1000+n),
		Subject:     fmt.Sprintf("CN=Nguyễn Văn An %d,O=Sở Thông tin và Truyền thông,C=VN", n),
		NotAfter:    now().Add(365 * 24 * time.Hour),
		Certificate: []byte{0x30, 0x82, byte(n), 0x01},
	}
}

func sameBinding(got, want *store.CertificateBinding) bool {
	return got.AccountID == want.AccountID && got.Fingerprint == want.Fingerprint && got.Issuer == want.Issuer &&
		got.Serial == want.Serial && got.Subject == want.Subject && sameTime(got.NotAfter, want.NotAfter) &&
		bytes.Equal(got.Certificate, want.Certificate) && sameTime(got.CreatedAt, want.CreatedAt)
}

func testCertificateBindings(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("BindFindList", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := localOfficial("Nguyễn Văn An", "an.nv")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")

		list, err := s.CertificateBindings(ctx, a.ID)
		must(t, err, "CertificateBindings(none yet)")
		if len(list) != 0 {
			t.Fatalf("CertificateBindings = %d before any bind", len(list))
		}

		first := certificateBinding(a.ID, 1)
		first.CreatedAt = now().Add(-time.Hour)
		second := certificateBinding(a.ID, 2)
		must(t, s.BindCertificate(ctx, first), "BindCertificate(first)")
		must(t, s.BindCertificate(ctx, second), "BindCertificate(second)")
		if second.CreatedAt.IsZero() {
			t.Fatal("BindCertificate left CreatedAt zero")
		}

		got, err := s.FindCertificateBinding(ctx, first.Fingerprint)
		must(t, err, "FindCertificateBinding")
		if !sameBinding(got, first) {
			t.Fatalf("FindCertificateBinding = %+v, want %+v", got, first)
		}
		got, err = s.FindCertificateBindingByIssuerSerial(ctx, second.Issuer, second.Serial)
		must(t, err, "FindCertificateBindingByIssuerSerial")
		if !sameBinding(got, second) {
			t.Fatalf("FindCertificateBindingByIssuerSerial = %+v, want %+v", got, second)
		}

		list, err = s.CertificateBindings(ctx, a.ID)
		must(t, err, "CertificateBindings")
		if len(list) != 2 || list[0].Fingerprint != first.Fingerprint || list[1].Fingerprint != second.Fingerprint {
			t.Fatalf("CertificateBindings = %d bindings, want first then second", len(list))
		}
	})

	t.Run("FindUnknown", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := localOfficial("Trần Thị Bình", "binh.tt")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		b := certificateBinding(a.ID, 3)
		must(t, s.BindCertificate(ctx, b), "BindCertificate")

		_, err := s.FindCertificateBinding(ctx, certificateBinding(a.ID, 4).Fingerprint)
		wantErr(t, err, store.ErrNotFound, "FindCertificateBinding(unknown)")
		_, err = s.FindCertificateBindingByIssuerSerial(ctx, b.Issuer, "ff")
		wantErr(t, err, store.ErrNotFound, "FindCertificateBindingByIssuerSerial(unknown serial)")
		_, err = s.FindCertificateBindingByIssuerSerial(ctx, "CN=Another CA,C=VN", b.Serial)
		wantErr(t, err, store.ErrNotFound, "FindCertificateBindingByIssuerSerial(same serial, other issuer)")
		list, err := s.CertificateBindings(ctx, "nobody")
		must(t, err, "CertificateBindings(unknown account)")
		if len(list) != 0 {
			t.Fatalf("CertificateBindings(unknown account) = %d", len(list))
		}
	})

	t.Run("OneAccountPerCertificate", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := localOfficial("Lê Văn Cường", "cuong.lv")
		other := citizen("Phạm Thị Dung", "001190000123", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateAccount(ctx, other, ""), "CreateAccount(other)")
		b := certificateBinding(a.ID, 5)
		must(t, s.BindCertificate(ctx, b), "BindCertificate")

		again := certificateBinding(a.ID, 5)
		wantConflict(t, s.BindCertificate(ctx, again), "certificate", "BindCertificate(same certificate again)")
		taken := certificateBinding(other.ID, 5)
		wantConflict(t, s.BindCertificate(ctx, taken), "certificate", "BindCertificate(same fingerprint, other account)")
		sameSerial := certificateBinding(other.ID, 6)
		sameSerial.Issuer, sameSerial.Serial = b.Issuer, b.Serial
		wantConflict(t, s.BindCertificate(ctx, sameSerial), "certificate", "BindCertificate(same issuer and serial)")

		list, err := s.CertificateBindings(ctx, other.ID)
		must(t, err, "CertificateBindings(other)")
		if len(list) != 0 {
			t.Fatalf("a refused bind left %d bindings", len(list))
		}
		got, err := s.FindCertificateBinding(ctx, b.Fingerprint)
		must(t, err, "FindCertificateBinding")
		if got.AccountID != a.ID {
			t.Fatalf("binding moved to %q after refused binds", got.AccountID)
		}

		// The same serial number from another issuer is another certificate.
		otherIssuer := certificateBinding(other.ID, 7)
		otherIssuer.Issuer, otherIssuer.Serial = "CN=VNPT Certification Authority,O=VNPT Group,C=VN", b.Serial
		must(t, s.BindCertificate(ctx, otherIssuer), "BindCertificate(same serial, other issuer)")
	})

	t.Run("UnknownAccount", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		err := s.BindCertificate(ctx, certificateBinding("no-such-account", 8))
		wantErr(t, err, store.ErrNotFound, "BindCertificate(unknown account)")
	})

	t.Run("Unbind", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := localOfficial("Hoàng Văn Em", "em.hv")
		other := localOfficial("Vũ Thị Phương", "phuong.vt")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateAccount(ctx, other, ""), "CreateAccount(other)")
		b := certificateBinding(a.ID, 9)
		must(t, s.BindCertificate(ctx, b), "BindCertificate")

		wantErr(t, s.UnbindCertificate(ctx, other.ID, b.Fingerprint), store.ErrNotFound, "UnbindCertificate(another account's)")
		if _, err := s.FindCertificateBinding(ctx, b.Fingerprint); err != nil {
			t.Fatalf("another account's unbind removed the binding: %v", err)
		}
		must(t, s.UnbindCertificate(ctx, a.ID, b.Fingerprint), "UnbindCertificate")
		_, err := s.FindCertificateBinding(ctx, b.Fingerprint)
		wantErr(t, err, store.ErrNotFound, "FindCertificateBinding after unbind")
		_, err = s.FindCertificateBindingByIssuerSerial(ctx, b.Issuer, b.Serial)
		wantErr(t, err, store.ErrNotFound, "FindCertificateBindingByIssuerSerial after unbind")
		wantErr(t, s.UnbindCertificate(ctx, a.ID, b.Fingerprint), store.ErrNotFound, "UnbindCertificate(again)")

		// Once unbound, the certificate may be bound to someone else.
		b.AccountID, b.CreatedAt = other.ID, time.Time{}
		must(t, s.BindCertificate(ctx, b), "BindCertificate(to another account after unbind)")
	})
}
