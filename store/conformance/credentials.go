package conformance

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

func testCredentials(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("TOTP", func(t *testing.T) { testTOTP(t, open) })
	t.Run("RecoveryCodes", func(t *testing.T) { testRecoveryCodes(t, open) })
	t.Run("WebAuthn", func(t *testing.T) { testWebAuthn(t, open) })
	t.Run("GoWithTheAccount", func(t *testing.T) { testCredentialsUnknownAccount(t, open) })
}

func totpCredential(accountID, id string) *store.TOTPCredential {
	return &store.TOTPCredential{ID: id, AccountID: accountID, SealedSecret: []byte("sealed:" + id), Digits: 6,
		Period: 30 * time.Second, LastStep: 58_000_000}
}

func testTOTP(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("PutGetReplaceDelete", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := localOfficial("Hoàng Văn Cường", "hv.cuong")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		_, err := s.GetTOTP(ctx, a.ID)
		wantErr(t, err, store.ErrNotFound, "GetTOTP(none yet)")

		c := totpCredential(a.ID, "totp-1")
		must(t, s.PutTOTP(ctx, c), "PutTOTP")
		if c.CreatedAt.IsZero() {
			t.Fatal("PutTOTP left CreatedAt zero")
		}
		got, err := s.GetTOTP(ctx, a.ID)
		must(t, err, "GetTOTP")
		if got.ID != c.ID || got.AccountID != a.ID || !bytes.Equal(got.SealedSecret, c.SealedSecret) || got.Digits != 6 ||
			got.Period != 30*time.Second || got.LastStep != c.LastStep || !sameTime(got.CreatedAt, c.CreatedAt) || !got.LastUsedAt.IsZero() {
			t.Fatalf("GetTOTP = %+v, want %+v", got, c)
		}

		// A new enrolment replaces the old one.
		d := totpCredential(a.ID, "totp-2")
		d.Digits, d.Period = 8, 60*time.Second
		must(t, s.PutTOTP(ctx, d), "PutTOTP(replace)")
		got, err = s.GetTOTP(ctx, a.ID)
		must(t, err, "GetTOTP(replaced)")
		if got.ID != "totp-2" || got.Digits != 8 || got.Period != time.Minute {
			t.Fatalf("GetTOTP after replace = %+v", got)
		}

		must(t, s.DeleteTOTP(ctx, a.ID), "DeleteTOTP")
		wantErr(t, s.DeleteTOTP(ctx, a.ID), store.ErrNotFound, "DeleteTOTP(again)")
		_, err = s.GetTOTP(ctx, a.ID)
		wantErr(t, err, store.ErrNotFound, "GetTOTP(deleted)")
	})

	t.Run("StepMovesForwardOnly", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := localOfficial("Vũ Thị Dung", "vt.dung")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		c := totpCredential(a.ID, "totp-3")
		must(t, s.PutTOTP(ctx, c), "PutTOTP")
		at := now()
		must(t, s.UseTOTPStep(ctx, a.ID, c.ID, c.LastStep+1, at), "UseTOTPStep(next)")
		wantErr(t, s.UseTOTPStep(ctx, a.ID, c.ID, c.LastStep+1, at), store.ErrAlreadyUsed, "UseTOTPStep(same step again)")
		wantErr(t, s.UseTOTPStep(ctx, a.ID, c.ID, c.LastStep, at), store.ErrAlreadyUsed, "UseTOTPStep(earlier step)")
		got, err := s.GetTOTP(ctx, a.ID)
		must(t, err, "GetTOTP")
		if got.LastStep != c.LastStep+1 || !sameTime(got.LastUsedAt, at) {
			t.Fatalf("after use: last step %d used %v, want %d %v", got.LastStep, got.LastUsedAt, c.LastStep+1, at)
		}
		wantErr(t, s.UseTOTPStep(ctx, a.ID, "other-credential", c.LastStep+5, at), store.ErrNotFound, "UseTOTPStep(other credential id)")
		wantErr(t, s.UseTOTPStep(ctx, "no-such-account", c.ID, c.LastStep+5, at), store.ErrNotFound, "UseTOTPStep(unknown account)")
	})

	t.Run("ConcurrentUseOfOneStep", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := localOfficial("Đỗ Minh Khoa", "dm.khoa")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		c := totpCredential(a.ID, "totp-4")
		must(t, s.PutTOTP(ctx, c), "PutTOTP")
		for i := range Repeats {
			step := c.LastStep + int64(i) + 1
			errs := Concurrently(Racers, func(int) error { return s.UseTOTPStep(ctx, a.ID, c.ID, step, now()) })
			ExactlyOneNil(t, errs, store.ErrAlreadyUsed, fmt.Sprintf("UseTOTPStep(step %d)", step))
		}
	})
}

func testRecoveryCodes(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("UseOnceAndCount", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Bùi Thị Lan", "001190054321", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		n, err := s.RecoveryCodesLeft(ctx, a.ID)
		must(t, err, "RecoveryCodesLeft(none)")
		if n != 0 {
			t.Fatalf("RecoveryCodesLeft = %d before any code", n)
		}
		hashes := []string{"h1", "h2", "h3"}
		must(t, s.ReplaceRecoveryCodes(ctx, a.ID, hashes), "ReplaceRecoveryCodes")
		if n, _ := s.RecoveryCodesLeft(ctx, a.ID); n != 3 {
			t.Fatalf("RecoveryCodesLeft = %d, want 3", n)
		}
		left, err := s.UseRecoveryCode(ctx, a.ID, "h2", now())
		must(t, err, "UseRecoveryCode")
		if left != 2 {
			t.Fatalf("UseRecoveryCode left %d, want 2", left)
		}
		_, err = s.UseRecoveryCode(ctx, a.ID, "h2", now())
		wantErr(t, err, store.ErrNotFound, "UseRecoveryCode(used again)")
		_, err = s.UseRecoveryCode(ctx, a.ID, "nope", now())
		wantErr(t, err, store.ErrNotFound, "UseRecoveryCode(unknown)")

		// Another account cannot use the codes.
		b := citizen("Bùi Văn Nam", "001090054321", "", "")
		must(t, s.CreateAccount(ctx, b, ""), "CreateAccount(b)")
		_, err = s.UseRecoveryCode(ctx, b.ID, "h1", now())
		wantErr(t, err, store.ErrNotFound, "UseRecoveryCode(another account's code)")

		// A new set discards every earlier code, used or not.
		must(t, s.ReplaceRecoveryCodes(ctx, a.ID, []string{"h4", "h5"}), "ReplaceRecoveryCodes(again)")
		_, err = s.UseRecoveryCode(ctx, a.ID, "h1", now())
		wantErr(t, err, store.ErrNotFound, "UseRecoveryCode(discarded code)")
		if n, _ := s.RecoveryCodesLeft(ctx, a.ID); n != 2 {
			t.Fatalf("RecoveryCodesLeft after replacing = %d, want 2", n)
		}
		must(t, s.DeleteRecoveryCodes(ctx, a.ID), "DeleteRecoveryCodes")
		if n, _ := s.RecoveryCodesLeft(ctx, a.ID); n != 0 {
			t.Fatalf("RecoveryCodesLeft after deleting = %d", n)
		}
		must(t, s.DeleteRecoveryCodes(ctx, a.ID), "DeleteRecoveryCodes(none left)")
	})

	t.Run("ConcurrentUseOfOneCode", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Ngô Thị Mai", "001190067890", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		var hashes []string
		for i := range Repeats {
			hashes = append(hashes, fmt.Sprintf("code-%d", i))
		}
		must(t, s.ReplaceRecoveryCodes(ctx, a.ID, hashes), "ReplaceRecoveryCodes")
		for _, h := range hashes {
			errs := Concurrently(Racers, func(int) error {
				_, err := s.UseRecoveryCode(ctx, a.ID, h, now())
				return err
			})
			ExactlyOneNil(t, errs, store.ErrNotFound, "UseRecoveryCode("+h+")")
		}
		if n, _ := s.RecoveryCodesLeft(ctx, a.ID); n != 0 {
			t.Fatalf("RecoveryCodesLeft = %d, want 0", n)
		}
	})
}

func webauthnCredential(accountID string, n int) *store.WebAuthnCredential {
	return &store.WebAuthnCredential{
		ID: []byte(fmt.Sprintf("credential-%d-\x00\xff", n)), AccountID: accountID, Name: fmt.Sprintf("Khóa bảo mật %d", n),
		PublicKey: []byte{0xa5, 0x01, 0x02, byte(n)}, AttestationType: "none", AttestationFormat: "none",
		AAGUID: bytes.Repeat([]byte{byte(n)}, 16), SignCount: 7, Transports: []string{"usb", "nfc"},
		Discoverable: n%2 == 0, UserVerified: true, BackupEligible: n%2 == 0, BackupState: false,
	}
}

func sameWebAuthn(got, want *store.WebAuthnCredential) bool {
	return bytes.Equal(got.ID, want.ID) && got.AccountID == want.AccountID && got.Name == want.Name &&
		bytes.Equal(got.PublicKey, want.PublicKey) && got.AttestationType == want.AttestationType &&
		got.AttestationFormat == want.AttestationFormat && bytes.Equal(got.AAGUID, want.AAGUID) &&
		got.SignCount == want.SignCount && slices.Equal(orNil(got.Transports), orNil(want.Transports)) &&
		got.Discoverable == want.Discoverable && got.UserVerified == want.UserVerified &&
		got.BackupEligible == want.BackupEligible && got.BackupState == want.BackupState &&
		sameTime(got.CreatedAt, want.CreatedAt) && sameTime(got.LastUsedAt, want.LastUsedAt)
}

func testWebAuthn(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("AddFindListDelete", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Trịnh Văn Phúc", "001090011111", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		list, err := s.WebAuthnCredentials(ctx, a.ID)
		must(t, err, "WebAuthnCredentials(none)")
		if len(list) != 0 {
			t.Fatalf("WebAuthnCredentials = %d before any", len(list))
		}
		first := webauthnCredential(a.ID, 1)
		first.CreatedAt = now().Add(-time.Hour)
		second := webauthnCredential(a.ID, 2)
		second.Transports = nil
		must(t, s.AddWebAuthnCredential(ctx, first), "AddWebAuthnCredential(first)")
		must(t, s.AddWebAuthnCredential(ctx, second), "AddWebAuthnCredential(second)")
		if second.CreatedAt.IsZero() {
			t.Fatal("AddWebAuthnCredential left CreatedAt zero")
		}
		got, err := s.FindWebAuthnCredential(ctx, first.ID)
		must(t, err, "FindWebAuthnCredential")
		if !sameWebAuthn(got, first) {
			t.Fatalf("FindWebAuthnCredential = %+v, want %+v", got, first)
		}
		list, err = s.WebAuthnCredentials(ctx, a.ID)
		must(t, err, "WebAuthnCredentials")
		if len(list) != 2 || !sameWebAuthn(list[0], first) || !sameWebAuthn(list[1], second) {
			t.Fatalf("WebAuthnCredentials = %d credentials, want first then second", len(list))
		}
		_, err = s.FindWebAuthnCredential(ctx, []byte("unknown"))
		wantErr(t, err, store.ErrNotFound, "FindWebAuthnCredential(unknown)")

		// Another account can neither delete it nor register the same id.
		b := citizen("Trịnh Thị Quyên", "001190022222", "", "")
		must(t, s.CreateAccount(ctx, b, ""), "CreateAccount(b)")
		wantErr(t, s.DeleteWebAuthnCredential(ctx, b.ID, first.ID), store.ErrNotFound, "DeleteWebAuthnCredential(another account)")
		dup := webauthnCredential(b.ID, 1)
		wantConflict(t, s.AddWebAuthnCredential(ctx, dup), "webauthn_credential", "AddWebAuthnCredential(same id)")

		must(t, s.DeleteWebAuthnCredential(ctx, a.ID, first.ID), "DeleteWebAuthnCredential")
		wantErr(t, s.DeleteWebAuthnCredential(ctx, a.ID, first.ID), store.ErrNotFound, "DeleteWebAuthnCredential(again)")
		_, err = s.FindWebAuthnCredential(ctx, first.ID)
		wantErr(t, err, store.ErrNotFound, "FindWebAuthnCredential(deleted)")
	})

	t.Run("SignCountMovesForward", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Lý Thị Hương", "001190033333", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		c := webauthnCredential(a.ID, 3)
		must(t, s.AddWebAuthnCredential(ctx, c), "AddWebAuthnCredential")
		at := now()
		must(t, s.UseWebAuthnCredential(ctx, c.ID, 9, true, at), "UseWebAuthnCredential(9)")
		got, err := s.FindWebAuthnCredential(ctx, c.ID)
		must(t, err, "FindWebAuthnCredential")
		if got.SignCount != 9 || !got.BackupState || !sameTime(got.LastUsedAt, at) {
			t.Fatalf("after use: %+v", got)
		}
		wantErr(t, s.UseWebAuthnCredential(ctx, c.ID, 9, true, now()), store.ErrAlreadyUsed, "UseWebAuthnCredential(same counter)")
		wantErr(t, s.UseWebAuthnCredential(ctx, c.ID, 4, true, now()), store.ErrAlreadyUsed, "UseWebAuthnCredential(counter went back)")
		wantErr(t, s.UseWebAuthnCredential(ctx, c.ID, 0, true, now()), store.ErrAlreadyUsed, "UseWebAuthnCredential(counter reset to 0)")
		if got, _ := s.FindWebAuthnCredential(ctx, c.ID); got.SignCount != 9 {
			t.Fatalf("a refused counter changed the stored one to %d", got.SignCount)
		}
		wantErr(t, s.UseWebAuthnCredential(ctx, []byte("unknown"), 10, false, now()), store.ErrNotFound, "UseWebAuthnCredential(unknown)")

		// An authenticator without a counter always reports 0.
		z := webauthnCredential(a.ID, 4)
		z.SignCount = 0
		must(t, s.AddWebAuthnCredential(ctx, z), "AddWebAuthnCredential(no counter)")
		must(t, s.UseWebAuthnCredential(ctx, z.ID, 0, false, now()), "UseWebAuthnCredential(0 after 0)")
		must(t, s.UseWebAuthnCredential(ctx, z.ID, 0, false, now()), "UseWebAuthnCredential(0 after 0, again)")
	})

	t.Run("ConcurrentUseOfOneCounter", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Mai Văn Sơn", "001090044444", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		c := webauthnCredential(a.ID, 5)
		must(t, s.AddWebAuthnCredential(ctx, c), "AddWebAuthnCredential")
		for i := range Repeats {
			count := c.SignCount + uint32(i) + 1
			errs := Concurrently(Racers, func(int) error { return s.UseWebAuthnCredential(ctx, c.ID, count, false, now()) })
			ExactlyOneNil(t, errs, store.ErrAlreadyUsed, fmt.Sprintf("UseWebAuthnCredential(%d)", count))
		}
	})
}

func testCredentialsUnknownAccount(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	wantErr(t, s.PutTOTP(ctx, totpCredential("no-such-account", "x")), store.ErrNotFound, "PutTOTP(unknown account)")
	wantErr(t, s.ReplaceRecoveryCodes(ctx, "no-such-account", []string{"h"}), store.ErrNotFound, "ReplaceRecoveryCodes(unknown account)")
	wantErr(t, s.AddWebAuthnCredential(ctx, webauthnCredential("no-such-account", 6)), store.ErrNotFound, "AddWebAuthnCredential(unknown account)")
}
