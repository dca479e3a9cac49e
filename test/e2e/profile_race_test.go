package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestProfileRacesNoLostUpdate: a profile save, a contact verification and
// an administrator's lock of one account, released together, round after
// round on a fresh account: each change that was confirmed is in the
// account afterwards (the verified email stays verified, the language
// saved stays, the lock stays), none overwrites another.
func TestProfileRacesNoLostUpdate(t *testing.T) {
	t.Parallel()
	srv, mp, _ := contactNode(t)
	svc := srv.Admin(t)
	const rounds = 8
	for round := range rounds {
		c := harness.Citizen{PersonalID: fmt.Sprintf("0793030%05d", 10+round), Name: hang.Name, Birthdate: hang.Birthdate,
			Gender: hang.Gender, Email: fmt.Sprintf("hang.%d@example.vn", round), Password: hang.Password}
		sub := srv.CreateCitizen(t, c)
		b := consoleLogin(t, srv, c.PersonalID, c.Password)
		csrf := profileCSRF(t, b)
		email := fmt.Sprintf("hang.moi.%d@example.vn", round)
		postForm(t, b, csrf, "/account/contacts", "channel", "email", "value", email).MustPage(t, http.StatusOK, "/account/contacts/verify")
		code := mailCode(t, mp, round+1, email)
		acct := account(t, srv, sub) // as the administrator's console read it

		// A change counts as written when it redirects back to the profile with
		// its notice (done=…);
		// a lock that ended the session first sends it to the login instead.
		var saved, verified int
		written := func(h harness.Hop) int {
			if h.Status == http.StatusSeeOther && strings.Contains(h.Location, "/account/profile") && strings.Contains(h.Location, "done=") {
				return h.Status
			}
			return 0
		}
		var lockErr error
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			saved = written(postForm(t, b, csrf, "/account/profile", "locale", "en").Hops[0])
		})
		wg.Go(func() {
			<-start
			verified = written(postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", code).Hops[0])
		})
		wg.Go(func() {
			<-start
			lockErr = svc.Lock(t.Context(), acct, "kiểm tra")
		})
		close(start)
		wg.Wait()
		if lockErr != nil {
			t.Fatalf("round %d: Lock: %v", round, lockErr)
		}
		got := account(t, srv, sub)
		if !got.Disabled {
			t.Errorf("round %d: the lock was lost (profile %d, verify %d): %+v", round, saved, verified, got)
		}
		if verified == http.StatusSeeOther && (got.Email != email || !got.EmailVerified) {
			t.Errorf("round %d: the verified email was lost (profile %d): email %q verified %v", round, saved, got.Email, got.EmailVerified)
		}
		if saved == http.StatusSeeOther && got.Locale != "en" {
			t.Errorf("round %d: the saved language was lost (verify %d): locale %q", round, verified, got.Locale)
		}
		t.Logf("round %d: profile %d, verify %d", round, saved, verified)
	}
}
