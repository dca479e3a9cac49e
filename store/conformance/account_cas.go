package conformance

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// testAccountCAS checks UpdateAccountIf: a write on condition that the
// account is still as it was read, so that two writers of one account
// cannot overwrite each other's change.
func testAccountCAS(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("WritesWhenUnchanged", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		a := citizen("Lê Văn Tám", "", "tam@example.vn", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		read, err := s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		read.Locale, read.EmailVerified = "en", true
		must(t, s.UpdateAccountIf(ctx, read, read.UpdatedAt), "UpdateAccountIf of an unchanged account")
		got, err := s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		if got.Locale != "en" || !got.EmailVerified {
			t.Fatalf("after UpdateAccountIf: locale %q, email verified %v; want en, true", got.Locale, got.EmailVerified)
		}
		if !sameTime(got.UpdatedAt, read.UpdatedAt) {
			t.Errorf("UpdateAccountIf set UpdatedAt %v, the store holds %v", read.UpdatedAt, got.UpdatedAt)
		}
	})

	t.Run("RefusesAChangedAccount", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		a := citizen("Lê Văn Tám", "", "tam@example.vn", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		stale, err := s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		// Writes in the same millisecond still move UpdatedAt on.
		for _, write := range []struct {
			name string
			do   func() error
		}{
			{"UpdateAccount", func() error {
				b, err := s.GetAccount(ctx, a.ID)
				if err != nil {
					return err
				}
				b.Disabled, b.DisabledReason = true, "khóa"
				return s.UpdateAccount(ctx, b)
			}},
			{"SetPasswordHash", func() error { return s.SetPasswordHash(ctx, a.ID, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA") }},
			{"UpdateAccountIf", func() error {
				b, err := s.GetAccount(ctx, a.ID)
				if err != nil {
					return err
				}
				b.Phone = "0912345678"
				return s.UpdateAccountIf(ctx, b, b.UpdatedAt)
			}},
		} {
			before, err := s.GetAccount(ctx, a.ID)
			must(t, err, "GetAccount")
			must(t, write.do(), write.name)
			after, err := s.GetAccount(ctx, a.ID)
			must(t, err, "GetAccount")
			if !after.UpdatedAt.After(before.UpdatedAt) {
				t.Errorf("%s left UpdatedAt at %v (it was %v)", write.name, after.UpdatedAt, before.UpdatedAt)
			}
			changed := *stale
			changed.Locale = "en"
			wantErr(t, s.UpdateAccountIf(ctx, &changed, stale.UpdatedAt), store.ErrChanged, "UpdateAccountIf after "+write.name)
			if !changed.UpdatedAt.Equal(stale.UpdatedAt) {
				t.Errorf("a refused UpdateAccountIf set UpdatedAt to %v", changed.UpdatedAt)
			}
			stale = after
		}
		got, err := s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		if got.Locale != "vi" || !got.Disabled || got.Phone != "0912345678" {
			t.Fatalf("refused writes changed the account: locale %q, disabled %v, phone %q", got.Locale, got.Disabled, got.Phone)
		}
	})

	t.Run("MissingAndConflicts", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		ghost := citizen("Không Có", "", "", "")
		wantErr(t, s.UpdateAccountIf(ctx, ghost, now()), store.ErrNotFound, "UpdateAccountIf of a missing account")
		a := citizen("Lê Văn Tám", "", "tam@example.vn", "")
		b := citizen("Trần Thị Bé", "", "be@example.vn", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateAccount(ctx, b, ""), "CreateAccount")
		read, err := s.GetAccount(ctx, b.ID)
		must(t, err, "GetAccount")
		read.Email = "tam@example.vn"
		wantConflict(t, s.UpdateAccountIf(ctx, read, read.UpdatedAt), "email", "UpdateAccountIf to a taken email")
		got, err := s.GetAccount(ctx, b.ID)
		must(t, err, "GetAccount")
		if got.Email != "be@example.vn" {
			t.Fatalf("a refused UpdateAccountIf changed the email to %q", got.Email)
		}
	})

	t.Run("ExactlyOneOfConcurrentWriters", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		for round := range RaceRounds {
			a := citizen(fmt.Sprintf("Người %d", round), "", "", "")
			must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
			read, err := s.GetAccount(ctx, a.ID)
			must(t, err, "GetAccount")
			errs := Concurrently(Racers, func(i int) error {
				mine := *read
				mine.FullName = fmt.Sprintf("Người %d viết %d", round, i)
				return s.UpdateAccountIf(ctx, &mine, read.UpdatedAt)
			})
			ExactlyOneNil(t, errs, store.ErrChanged, "concurrent UpdateAccountIf of one account")
		}
	})

	t.Run("NoLostUpdateWithRetries", func(t *testing.T) {
		// Each writer sets its own field and retries on ErrChanged: every
		// change is kept.
		s := open(t)
		ctx := t.Context()
		for round := range Repeats {
			a := citizen(fmt.Sprintf("Người %d", round), "", "", "")
			must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
			writes := []func(*identity.Account){
				func(b *identity.Account) { b.Locale = "en" },
				func(b *identity.Account) { b.EmailVerified, b.Email = true, fmt.Sprintf("n%d@example.vn", round) },
				func(b *identity.Account) { b.Disabled, b.DisabledReason = true, "khóa" },
				func(b *identity.Account) { b.Birthdate = "1990-01-02" },
			}
			errs := Concurrently(len(writes), func(i int) error {
				deadline := time.Now().Add(10 * time.Second)
				for time.Now().Before(deadline) {
					b, err := s.GetAccount(ctx, a.ID)
					if err != nil {
						return err
					}
					writes[i](b)
					if err := s.UpdateAccountIf(ctx, b, b.UpdatedAt); !errors.Is(err, store.ErrChanged) {
						return err
					}
				}
				return errors.New("no write succeeded in 10 s")
			})
			for i, err := range errs {
				must(t, err, fmt.Sprintf("writer %d", i))
			}
			got, err := s.GetAccount(ctx, a.ID)
			must(t, err, "GetAccount")
			if got.Locale != "en" || !got.EmailVerified || !got.Disabled || got.Birthdate != "1990-01-02" {
				t.Fatalf("round %d: a change was lost: %s", round, accountString(got))
			}
		}
	})
}
