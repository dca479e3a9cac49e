package adminui

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

func TestMain(m *testing.M) { os.Exit(harness.RunTests(m)) }

// person is an account of a test, with its password and, once enrolled,
// the secret of its authenticator app.
type person struct {
	Sub, Username, Password, Secret string
	// Used is a time in the last time step whose code was presented.
	Used time.Time
}

const password = "mật-khẩu-đủ-dài-2025"

// official creates a local official of the agency.
func official(t testing.TB, srv *harness.Server, username, name, agency string) *person {
	t.Helper()
	a, _, err := srv.Admin(t).CreateAccount(context.Background(), admin.AccountSpec{Kind: identity.CapacityOfficial,
		FullName: name, Username: username, Agency: agency, Password: password}, time.Now())
	if err != nil {
		t.Fatalf("creating the official %s: %v", username, err)
	}
	return &person{Sub: a.ID, Username: username, Password: password}
}

// citizen creates a citizen with a password.
func citizen(t testing.TB, srv *harness.Server, personalID, name, birth, gender, email string) *person {
	t.Helper()
	a, _, err := srv.Admin(t).CreateAccount(context.Background(), admin.AccountSpec{Kind: identity.CapacityCitizen,
		PersonalID: personalID, FullName: name, Birthdate: birth, Gender: gender, Email: email, Password: password}, time.Now())
	if err != nil {
		t.Fatalf("creating the citizen %s: %v", name, err)
	}
	return &person{Sub: a.ID, Password: password}
}

// grant gives p the role in the agency, as the command line does.
func grant(t testing.TB, srv *harness.Server, p *person, role, agency string) {
	t.Helper()
	ctx := context.Background()
	svc := srv.Admin(t)
	a, err := svc.FindAccount(ctx, p.Sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GrantRole(ctx, a, admin.GrantSpec{Role: role, Agency: agency}); err != nil {
		t.Fatalf("granting %s in %q: %v", role, agency, err)
	}
}

// totpCode returns the authenticator app's code at at.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// freshStep waits, when the current 30-second step ends within a few
// seconds, for the next one, and returns the time to compute codes from.
func freshStep() time.Time {
	now := time.Now()
	if into := time.Duration(now.UnixNano() % int64(30*time.Second)); into > 18*time.Second {
		time.Sleep(30*time.Second - into + 500*time.Millisecond)
	}
	return time.Now()
}

// linkTo returns the href of the page's first link to path.
func linkTo(t testing.TB, page *harness.Page, path string) string {
	t.Helper()
	for _, a := range page.ByTag("a") {
		if h := a.Attrs["href"]; h == path || strings.HasPrefix(h, path+"?") {
			return h
		}
	}
	t.Fatalf("the page %s has no link to %s:\n%s", page.URL.Path, path, page.Body)
	return ""
}

// signIn opens the console in a new browser as p: the console sends it to
// the login (with a return to /admin), the password logs it in at LoA1, the
// console asks for LoA2 (step-up), which leads to setting up an
// authenticator app (the account has none) and presenting it. It returns
// the browser on the console's home.
func signIn(t testing.TB, srv *harness.Server, p *person) *harness.Browser {
	t.Helper()
	b := srv.NewBrowser(t)
	resp := b.Get(t, "/admin")
	if len(resp.Hops) < 2 || !strings.HasPrefix(resp.Hops[0].Location, srv.Base+"/login?return=%2Fadmin") {
		t.Fatalf("the console without a session did not send the browser to the login with a return:%s", resp)
	}
	page := resp.MustPage(t, http.StatusOK, "/login")
	resp = b.Submit(t, page.Form(t, "/login"), map[string]string{"identifier": p.Username, "password": p.Password})
	if !hopTo(resp, "/login/step-up") {
		t.Fatalf("a session at LoA1 was not sent to raise its level:%s", resp)
	}
	secondFactor(t, b, p, resp).MustPage(t, http.StatusOK, "/admin")
	return b
}

// enrol gives p an authenticator app through the account console's step-up.
func enrol(t testing.TB, srv *harness.Server, p *person) {
	t.Helper()
	b := srv.NewBrowser(t)
	page := b.Get(t, "/login").MustPage(t, http.StatusOK, "/login")
	b.Submit(t, page.Form(t, "/login"), map[string]string{"identifier": p.Username, "password": p.Password}).
		MustPage(t, http.StatusOK, "/account")
	secondFactor(t, b, p, b.Get(t, "/login/step-up?acr=LoA2&return=%2Faccount")).MustPage(t, http.StatusOK, "/account")
}

// secondFactor completes the second-factor page the navigation resp ended
// on: it sets an authenticator app up when p has none.
func secondFactor(t testing.TB, b *harness.Browser, p *person, resp *harness.Response) *harness.Response {
	t.Helper()
	page := resp.MustPage(t, http.StatusOK, "/login/mfa")
	if p.Secret != "" {
		// The server takes one step of skew; a step already used is refused.
		at := time.Now().Add(30 * time.Second)
		if !p.Used.IsZero() {
			next := p.Used.Truncate(30 * time.Second).Add(30 * time.Second)
			if wait := time.Until(next.Add(-30*time.Second + 200*time.Millisecond)); wait > 0 {
				time.Sleep(wait)
			}
			at = next
		}
		p.Used = at
		return b.Submit(t, page.Form(t, "/login/mfa"), map[string]string{"code": totpCode(t, p.Secret, at)})
	}
	resp = b.Get(t, linkTo(t, page, "/login/mfa/totp"))
	page = resp.MustPage(t, http.StatusOK, "/login/mfa/totp")
	var key strings.Builder
	for _, g := range page.ByClass("totp-key-group") {
		key.WriteString(strings.TrimSpace(g.Text))
	}
	p.Secret = key.String()
	now := freshStep()
	resp = b.Submit(t, page.Form(t, "/login/mfa/totp"), map[string]string{"code": totpCode(t, p.Secret, now)})
	codes := resp.MustPage(t, http.StatusOK, "/login/mfa/codes")
	next := ""
	for _, a := range codes.ByTag("a") {
		if strings.HasPrefix(a.Attrs["href"], "/login/mfa?") {
			next = a.Attrs["href"]
		}
	}
	page = b.Get(t, next).MustPage(t, http.StatusOK, "/login/mfa")
	// The enrolment's code is spent: the next step's is accepted (a phone
	// clock a little ahead).
	p.Used = now.Add(30 * time.Second)
	return b.Submit(t, page.Form(t, "/login/mfa"), map[string]string{"code": totpCode(t, p.Secret, now.Add(30*time.Second))})
}

// hopTo reports whether the navigation went through path.
func hopTo(resp *harness.Response, path string) bool {
	for _, h := range resp.Hops {
		if u, err := url.Parse(h.URL); err == nil && u.Path == path {
			return true
		}
	}
	return false
}

// form returns the form of the page posting to action.
func form(t testing.TB, page *harness.Page, action string) *harness.Form {
	t.Helper()
	return page.Form(t, action)
}

// mustText fails unless the page holds the message key in its language.
func mustText(t testing.TB, page *harness.Page, key string, args ...any) {
	t.Helper()
	if want := ui.T(page.Lang(), key, args...); !strings.Contains(page.Body, want) {
		t.Fatalf("the page %s does not say %q:\n%s", page.URL.Path, want, page.Body)
	}
}

// audited returns the audit events of the subject with the type.
func audited(t testing.TB, srv *harness.Server, subject, typ string) int {
	t.Helper()
	n := 0
	for _, e := range srv.Audit(t, subject, 500) {
		if e.Type == typ {
			n++
		}
	}
	return n
}
