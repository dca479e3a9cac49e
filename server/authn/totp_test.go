package authn_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// newStore opens a migrated SQLite store with one account.
func newStore(t *testing.T) (*sqlstore.DB, string) {
	t.Helper()
	db, sub, _ := newStoreAt(t)
	return db, sub
}

// newStoreAt is newStore that also returns the database file.
func newStoreAt(t *testing.T) (*sqlstore.DB, string, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := sqlstore.OpenSQLite(ctx, path, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := &identity.Account{ID: identity.NewSubject(), FullName: "Nguyễn Thị Thanh Hà", PersonalID: "001190012345", Locale: "vi"}
	if err := db.CreateAccount(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	return db, a.ID, path
}

func newSealer(t *testing.T) *keys.Sealer {
	t.Helper()
	s, err := keys.NewSealer(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newTOTP(t *testing.T) (*authn.TOTP, *sqlstore.DB, string, *clock) {
	db, sub := newStore(t)
	// 10:00:05 UTC, 5 s into a 30 s step.
	c := &clock{t: time.Date(2025, 9, 2, 10, 0, 5, 0, time.UTC)}
	db.SetClock(c.Now)
	a := &authn.TOTP{Store: db, Records: db, Sealer: newSealer(t), Now: c.Now,
		Options: authn.TOTPOptions{Issuer: "Sở TT&TT", Digits: 6, Period: 30 * time.Second, Skew: 1}}
	return a, db, sub, c
}

// secretOf reads the secret of an enrolment's otpauth URL.
func secretOf(t *testing.T, e *authn.TOTPEnrolment) string {
	t.Helper()
	k, err := otp.NewKeyFromURL(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ReplaceAll(e.Key, " ", "") != k.Secret() {
		t.Fatalf("manual key %q is not the URL's secret %q", e.Key, k.Secret())
	}
	return k.Secret()
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol enrols an authenticator app and returns its secret.
func enrol(t *testing.T, a *authn.TOTP, sub string, c *clock) string {
	t.Helper()
	ctx := context.Background()
	e, err := a.BeginEnrolment(ctx, sub, "ha.ntt@example.vn")
	if err != nil {
		t.Fatal(err)
	}
	secret := secretOf(t, e)
	if _, ok, err := a.ConfirmEnrolment(ctx, sub, e.ID, code(t, secret, c.t)); err != nil || !ok {
		t.Fatalf("ConfirmEnrolment = %v, %v", ok, err)
	}
	return secret
}

func TestTOTPEnrolment(t *testing.T) {
	ctx := context.Background()
	a, db, sub, c := newTOTP(t)
	e, err := a.BeginEnrolment(ctx, sub, "ha.ntt@example.vn")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(e.QRCode, []byte("\x89PNG")) || !strings.HasPrefix(e.QRCodeDataURL(), "data:image/png;base64,") {
		t.Fatal("the QR code is not a PNG")
	}
	if !strings.HasPrefix(e.URL, "otpauth://totp/") || !strings.Contains(e.URL, "issuer=S%E1%BB%9F") || !strings.Contains(e.URL, "digits=6") {
		t.Fatalf("otpauth URL %q", e.URL)
	}
	secret := secretOf(t, e)
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil || len(raw) != 20 {
		t.Fatalf("secret of %d bytes (%v), want 20", len(raw), err)
	}
	if again, err := a.PendingEnrolment(ctx, sub, e.ID); err != nil || again.Key != e.Key {
		t.Fatalf("PendingEnrolment = %v, %v", again, err)
	}
	if _, err := a.PendingEnrolment(ctx, "someone-else", e.ID); !errors.Is(err, authn.ErrEnrolmentGone) {
		t.Fatalf("another account's enrolment: %v", err)
	}

	// A wrong first code leaves the enrolment open.
	if _, ok, err := a.ConfirmEnrolment(ctx, sub, e.ID, "000000"); ok || err != nil {
		t.Fatalf("wrong first code: ok %v err %v", ok, err)
	}
	if on, _ := a.Enrolled(ctx, sub); on {
		t.Fatal("enrolled after a wrong first code")
	}
	cred, ok, err := a.ConfirmEnrolment(ctx, sub, e.ID, code(t, secret, c.t))
	if err != nil || !ok {
		t.Fatalf("ConfirmEnrolment = %v, %v", ok, err)
	}
	if on, _ := a.Enrolled(ctx, sub); !on {
		t.Fatal("not enrolled")
	}
	// The seed is sealed at rest, bound to its credential.
	stored, err := db.GetTOTP(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if bytes.Contains(stored.SealedSecret, raw) || stored.ID != cred.ID {
		t.Fatal("the secret is stored in the clear")
	}
	if _, err := newSealer(t).Open(stored.SealedSecret, []byte("totp:"+stored.ID)); err != nil {
		t.Fatalf("the stored secret does not open with its credential id: %v", err)
	}
	// The enrolment is used once; the confirming code is spent.
	if _, _, err := a.ConfirmEnrolment(ctx, sub, e.ID, code(t, secret, c.t)); !errors.Is(err, authn.ErrEnrolmentGone) {
		t.Fatalf("second confirmation: %v", err)
	}
	res, ok, err := a.Verify(ctx, sub, code(t, secret, c.t))
	if ok || err != nil || !res.Replayed {
		t.Fatalf("the confirming code was accepted again: ok %v replayed %v err %v", ok, res.Replayed, err)
	}
}

func TestTOTPReplayRefused(t *testing.T) {
	ctx := context.Background()
	a, _, sub, c := newTOTP(t)
	secret := enrol(t, a, sub, c)
	c.t = c.t.Add(30 * time.Second)
	now := code(t, secret, c.t)
	if _, ok, err := a.Verify(ctx, sub, now); !ok || err != nil {
		t.Fatalf("fresh code: ok %v err %v", ok, err)
	}
	// The same code, a few seconds later, in the same window.
	c.t = c.t.Add(10 * time.Second)
	if res, ok, err := a.Verify(ctx, sub, now); ok || err != nil || !res.Replayed {
		t.Fatalf("replayed code: ok %v replayed %v err %v", ok, res.Replayed, err)
	}
	// An older code still within the skew is refused too: its step is behind.
	if _, ok, _ := a.Verify(ctx, sub, code(t, secret, c.t.Add(-30*time.Second))); ok {
		t.Fatal("a code of an earlier step was accepted after a later one")
	}
	// The next step's code works.
	c.t = c.t.Add(30 * time.Second)
	if _, ok, err := a.Verify(ctx, sub, code(t, secret, c.t)); !ok || err != nil {
		t.Fatalf("next code: ok %v err %v", ok, err)
	}
}

func TestTOTPSkewEdges(t *testing.T) {
	ctx := context.Background()
	step := 30 * time.Second
	cases := []struct {
		name   string
		offset time.Duration // of the code's time from the server's clock
		ok     bool
	}{
		{"one step behind", -step, true},
		{"one step ahead", step, true},
		{"two steps behind", -2 * step, false},
		{"two steps ahead", 2 * step, false},
		{"current", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, _, sub, c := newTOTP(t)
			secret := enrol(t, a, sub, c)
			// Well after the enrolment, so that no step of the window was used.
			c.t = c.t.Add(10 * step)
			_, ok, err := a.Verify(ctx, sub, code(t, secret, c.t.Add(tc.offset)))
			if err != nil || ok != tc.ok {
				t.Fatalf("code %v from now: ok %v (err %v), want %v", tc.offset, ok, err, tc.ok)
			}
		})
	}
	t.Run("edge of the window", func(t *testing.T) {
		a, _, sub, c := newTOTP(t)
		secret := enrol(t, a, sub, c)
		// The server is at the last second of a step: a code of the step two
		// back is 31 s old, out of the window.
		c.t = c.t.Truncate(step).Add(20*step - time.Second)
		if _, ok, _ := a.Verify(ctx, sub, code(t, secret, c.t.Add(-2*step))); ok {
			t.Fatal("a code two steps old was accepted")
		}
		if _, ok, _ := a.Verify(ctx, sub, code(t, secret, c.t.Add(-step))); !ok {
			t.Fatal("a code one step old was refused")
		}
	})
	t.Run("no skew", func(t *testing.T) {
		a, _, sub, c := newTOTP(t)
		a.Options.Skew = 0
		secret := enrol(t, a, sub, c)
		c.t = c.t.Add(10 * step)
		if _, ok, _ := a.Verify(ctx, sub, code(t, secret, c.t.Add(-step))); ok {
			t.Fatal("a code one step old was accepted with skew 0")
		}
	})
}

func TestTOTPWrongInput(t *testing.T) {
	ctx := context.Background()
	a, _, sub, c := newTOTP(t)
	secret := enrol(t, a, sub, c)
	c.t = c.t.Add(5 * time.Minute)
	good := code(t, secret, c.t)
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "１２３４５６", good[:5] + "x"} {
		if res, ok, err := a.Verify(ctx, sub, bad); ok || err != nil || res.Replayed {
			t.Errorf("Verify(%q): ok %v replayed %v err %v", bad, ok, res.Replayed, err)
		}
	}
	// Spaces and a dash inside the code are what people type.
	if _, ok, err := a.Verify(ctx, sub, good[:3]+" "+good[3:]); !ok || err != nil {
		t.Fatalf("code with a space: ok %v err %v", ok, err)
	}
	// An account without an app: not ok, no error.
	if _, ok, err := a.Verify(ctx, "no-such-account", good); ok || err != nil {
		t.Fatalf("no app: ok %v err %v", ok, err)
	}
	if err := a.Remove(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if on, _ := a.Enrolled(ctx, sub); on {
		t.Fatal("still enrolled after Remove")
	}
	if err := a.Remove(ctx, sub); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
}

func TestTOTPEnrolmentExpires(t *testing.T) {
	ctx := context.Background()
	a, db, sub, c := newTOTP(t)
	a.Options.EnrolmentLifetime = time.Minute
	e, err := a.BeginEnrolment(ctx, sub, "ha")
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(2 * time.Minute)
	if _, _, err := a.ConfirmEnrolment(ctx, sub, e.ID, code(t, secretOf(t, e), c.t)); !errors.Is(err, authn.ErrEnrolmentGone) {
		t.Fatalf("expired enrolment: %v", err)
	}
	if _, err := db.GetRecord(ctx, store.KindTOTPEnrolment, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired enrolment record: %v", err)
	}
}
