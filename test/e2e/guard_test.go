package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// An attacker's burst: many guesses sent at once, so that none waits for the
// answer of another. The guard reserves a try before each verification, so
// at most the account's limit of guesses is ever verified, whatever arrives
// together; the right credential sent while the lock is in force is refused
// like a wrong one.

// guardLimit is the account limit the burst tests run with.
const guardLimit = 5

// startGuarded starts a node whose account limit is guardLimit, with no
// delay between tries (the burst is not slowed down) and an address limit
// far above the burst (the account's limit is under test).
func startGuarded(t *testing.T, opts ...harness.Option) *harness.Server {
	t.Helper()
	return harness.Start(t, append(opts,
		harness.WithEnv("DINHDANH_BRUTE_FORCE_ACCOUNT_MAX_FAILURES", fmt.Sprint(guardLimit)),
		harness.WithEnv("DINHDANH_BRUTE_FORCE_ADDRESS_MAX_FAILURES", "1000"),
		harness.WithEnv("DINHDANH_BRUTE_FORCE_BASE_DELAY", "0s"))...)
}

// burst is a result of sending many posts of one form at once.
type burst struct {
	statuses []int // the first hop's status of each wrong guess
	right    int   // the first hop's status of the right credential
}

// sendBurst posts wrong(i) for i < n all at once, and — once the first of
// them was refused (the limit is reached), while the others are still in
// flight — the right values.
func sendBurst(t *testing.T, b *harness.Browser, action string, n int, wrong func(i int) url.Values, right url.Values) burst {
	t.Helper()
	res := burst{statuses: make([]int, n)}
	start, refused := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res.statuses[i] = b.Send(t, http.MethodPost, action, wrong(i)).Hops[0].Status
			if res.statuses[i] == http.StatusTooManyRequests {
				once.Do(func() { close(refused) })
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-refused:
			res.right = b.Send(t, http.MethodPost, action, right).Hops[0].Status
		case <-time.After(harness.RequestTimeout):
		}
		close(done)
	}()
	close(start)
	wg.Wait()
	<-done
	return res
}

// countEvents counts the audit events of a type of the subject.
func countEvents(t *testing.T, srv *harness.Server, subject string, ev audit.Event) int {
	t.Helper()
	n := 0
	for _, e := range srv.Audit(t, subject, 1000) {
		if e.Type == string(ev) {
			n++
		}
	}
	return n
}

// formValues fills a form, failing the test on an error.
func formValues(t *testing.T, f *harness.Form, set map[string]string) url.Values {
	t.Helper()
	v, err := f.Values(set)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParallelPasswordGuesses(t *testing.T) {
	t.Parallel()
	srv := startGuarded(t)
	sub := srv.CreateCitizen(t, dat)
	b := srv.NewBrowser(t)
	form := b.Get(t, "/login").MustPage(t, http.StatusOK, "/login").Form(t, "/login")
	wrong := func(i int) url.Values {
		return formValues(t, form, map[string]string{"identifier": dat.PersonalID, "password": fmt.Sprintf("đoán sai %d", i)})
	}
	right := formValues(t, form, map[string]string{"identifier": dat.PersonalID, "password": dat.Password})

	res := sendBurst(t, b, "/login", 40, wrong, right)
	verified := countEvents(t, srv, sub, audit.LoginFailure)
	unauthorized := 0
	for _, s := range res.statuses {
		switch s {
		case http.StatusUnauthorized:
			unauthorized++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("a wrong password was answered %d", s)
		}
	}
	if verified > guardLimit || unauthorized > guardLimit-1 {
		t.Errorf("%d wrong passwords were verified (%d answered 401) in a burst of 40, limit %d", verified, unauthorized,
			guardLimit)
	}
	if verified == 0 {
		t.Error("no wrong password of the burst was verified at all")
	}
	if res.right != http.StatusTooManyRequests {
		t.Errorf("the right password in the burst, after the limit was reached, was answered %d, want 429", res.right)
	}
	if b.Cookie("dinhdanh_session") != "" {
		t.Fatal("a login of the burst set a session")
	}
	// The lock is the account's, not the typed spelling's: the same person
	// by email is locked too.
	other := srv.NewBrowser(t)
	resp := login(t, other, other.Get(t, "/login"), dat.Email, dat.Password)
	if page := resp.MustPage(t, http.StatusTooManyRequests, "/login"); !strings.Contains(page.Body, "quá nhiều lần") {
		t.Errorf("the locked account by email:\n%s", page.Body)
	}
	if n := countEvents(t, srv, sub, audit.LoginSuccess); n != 0 {
		t.Errorf("%d logins succeeded during the lock", n)
	}
}

func TestParallelTOTPGuesses(t *testing.T) {
	t.Parallel()
	srv := startGuarded(t, harness.WithDefaultAssurance())
	sub, _ := srv.CreateOfficial(t, binh)
	rp := newRP(t, srv, srv.CreateClient(t, documents("openid", "profile")))

	// The official sets up the authenticator app within a first login.
	// (Setting it up is not presenting it: that login goes on to ask for it.)
	b := srv.NewBrowser(t)
	_, resp := rp.authorize(t, b, openidProfile)
	page := login(t, b, resp, binh.Username, binh.Password).MustPage(t, http.StatusOK, "/login/mfa")
	resp = b.Get(t, linkTo(t, page, "/login/mfa/totp"))
	page, secret := readSetup(t, resp, http.StatusOK, "/login/mfa/totp")
	now := freshStep(t)
	resp = b.Submit(t, page.Form(t, "/login/mfa/totp"), map[string]string{"code": totpCode(t, secret, now)})
	_, next := recoveryCodes(t, resp.MustPage(t, http.StatusOK, "/login/mfa/codes"))
	b.Get(t, next).MustPage(t, http.StatusOK, "/login/mfa")

	// Another login stops at the code; the attacker, who has the password,
	// sends 40 codes at once, and the right one once the lock is reached.
	b = srv.NewBrowser(t)
	_, resp = rp.authorize(t, b, openidProfile)
	form := login(t, b, resp, binh.Username, binh.Password).MustPage(t, http.StatusOK, "/login/mfa").Form(t, "/login/mfa")
	now = freshStep(t)
	good := totpCode(t, secret, now)
	wrong := func(i int) url.Values {
		code := fmt.Sprintf("%06d", (i*7919+1)%1000000)
		if code == good || code == totpCode(t, secret, now.Add(-totpPeriod)) || code == totpCode(t, secret, now.Add(totpPeriod)) {
			code = fmt.Sprintf("%06d", (i*7919+2)%1000000)
		}
		return formValues(t, form, map[string]string{"code": code})
	}
	res := sendBurst(t, b, "/login/mfa", 40, wrong, formValues(t, form, map[string]string{"code": good}))
	verified := countEvents(t, srv, sub, audit.MFAFailure)
	if verified > guardLimit || verified == 0 {
		t.Errorf("%d wrong codes were verified in a burst of 40, limit %d", verified, guardLimit)
	}
	if res.right != http.StatusTooManyRequests {
		t.Errorf("the right code in the burst, after the limit was reached, was answered %d, want 429", res.right)
	}
	if n := countEvents(t, srv, sub, audit.MFASuccess); n != 0 {
		t.Errorf("%d second-factor successes, want none (setting the app up presents nothing)", n)
	}
	// The lock holds for the next step's code too.
	resp = b.Submit(t, form, map[string]string{"code": totpCode(t, secret, now.Add(totpPeriod))})
	resp.MustPage(t, http.StatusTooManyRequests, "/login/mfa")
}

// TestReturnPathsStayHome: a return path taken from the request never sends
// the browser to another host, however it is spelled.
func TestReturnPathsStayHome(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, hang)
	b := srv.NewBrowser(t)
	login(t, b, b.Get(t, "/login"), hang.Email, hang.Password).MustPage(t, http.StatusOK, "/account")
	for _, target := range []string{"//evil.example/", "/\t/evil.example/", "/\\evil.example/", "https://evil.example/",
		"/%2F%2Fevil.example/", "/.//evil.example/", "/\n/evil.example"} {
		for _, path := range []string{"/login/step-up", "/login/reauth"} {
			resp := b.Get(t, srv.URL(path)+"?return="+url.QueryEscape(target))
			if resp.Page != nil && resp.Page.Path() == "/login/reauth" {
				// Confirming the password ends the re-authentication, which
				// then goes back.
				f := resp.Page.Form(t, "/login/reauth")
				resp = b.Submit(t, f, map[string]string{"password": hang.Password})
			}
			for _, h := range resp.Hops {
				if h.Location == "" {
					continue
				}
				loc, err := url.Parse(h.Location)
				if err != nil || loc.Host != srv.Addr || strings.HasPrefix(loc.EscapedPath(), "//") ||
					strings.ContainsAny(loc.Path, "\\\t\n") {
					t.Errorf("%s?return=%q sent the browser to %q", path, target, h.Location)
				}
			}
			if resp.Redirect != nil {
				t.Errorf("%s?return=%q left the identity provider for %s", path, target, resp.Redirect)
			}
			if resp.Page == nil || resp.Page.Path() != "/account" {
				t.Errorf("%s?return=%q did not end at the console: %s", path, target, resp)
			}
		}
	}
}
