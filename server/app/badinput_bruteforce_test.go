package app_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"testing"
)

// ---------------------------------------------------------------------------
// Brute force.

func TestBadInputBruteForce(t *testing.T) {
	t.Parallel()
	n := newNode(t)
	max := n.cfg.BruteForce.AccountMaxFailures
	lockMinutes := int(n.cfg.BruteForce.LockDuration.D().Minutes())
	const ghostPID = "001090099999" // well-formed, nobody's

	// errorMessage returns the form error a login page shows.
	formError := regexp.MustCompile(`(?s)<p id="form-error">(.*?)</p>`)
	errorMessage := func(r *response) string {
		m := formError.FindStringSubmatch(r.body)
		if m == nil {
			return ""
		}
		return html.UnescapeString(m[1])
	}

	b := n.browser(t)
	flow := b.loginPage()
	before := n.snapshot(t)
	for i := 1; i <= max; i++ {
		existing := b.login(flow, anPID, "wrong password "+fmt.Sprint(i))
		ghost := b.login(flow, ghostPID, "wrong password "+fmt.Sprint(i))
		if existing.status != ghost.status || errorMessage(existing) != errorMessage(ghost) {
			t.Errorf("attempt %d: an existing account answers %d %q, a missing one %d %q",
				i, existing.status, errorMessage(existing), ghost.status, errorMessage(ghost))
		}
		if existing.setsSession || ghost.setsSession {
			t.Errorf("attempt %d set a session cookie", i)
		}
		if i < max {
			wantPage(t, existing, http.StatusUnauthorized, "vi", "login.invalid_credentials")
			wantText(t, existing, "Thông tin đăng nhập không đúng")
			st := n.failures(t, n.an)
			if st.Failures["account"] != int64(i) || len(st.TemporarilyLocked) != 0 {
				t.Errorf("after %d failures the administrators see %+v", i, st)
			}
		} else {
			wantPage(t, existing, http.StatusTooManyRequests, "vi", "login.too_many_attempts", lockMinutes)
			wantText(t, existing, "quá nhiều lần")
		}
	}
	st := n.failures(t, n.an)
	if !slices.Contains(st.TemporarilyLocked, "account") {
		t.Fatalf("after %d failures the account is not locked: %+v", max, st)
	}
	if st.Disabled {
		t.Error("a temporary lock disabled the account")
	}
	// Nothing but the counters changed.
	n.unchanged(t, before)

	// During the lock even the right password is refused, with the same page.
	r := b.login(flow, anPID, anPassword)
	wantPage(t, r, http.StatusTooManyRequests, "vi", "login.too_many_attempts", lockMinutes)
	if r.setsSession || b.hasSession() {
		t.Error("a login during the lock set a session")
	}
	if g := b.login(flow, ghostPID, anPassword); g.status != r.status || errorMessage(g) != errorMessage(r) {
		t.Errorf("during the lock an existing account answers %d %q, a missing one %d %q",
			r.status, errorMessage(r), g.status, errorMessage(g))
	}
	n.unchanged(t, before)
	e := n.englishBrowser(t)
	r = e.login(e.loginPage(), anPID, anPassword)
	wantPage(t, r, http.StatusTooManyRequests, "en", "login.too_many_attempts", lockMinutes)
	wantText(t, r, "Too many unsuccessful sign-in attempts")

	// The operator lifts the lock; the right password then works.
	if err := n.admin.Unlock(context.Background(), n.an); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if st := n.failures(t, n.an); len(st.TemporarilyLocked) != 0 || len(st.Failures) != 0 {
		t.Errorf("after unlock: %+v", st)
	}
	r = b.login(flow, anPID, anPassword)
	if r.status != http.StatusSeeOther || !r.setsSession {
		t.Errorf("login after unlock: %d %q, session %v\n%s", r.status, r.location(), r.setsSession, excerpt(r.body))
	}
}
