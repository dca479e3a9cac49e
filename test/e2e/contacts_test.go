package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/services"
	"github.com/dinhdanh/dinhdanh/ui"
)

// contactNode starts a node that sends mail to a real mailpit and SMS to a
// local receiver, and returns the three.
func contactNode(t *testing.T, opts ...harness.Option) (*harness.Server, *services.Mailpit, *smsReceiver) {
	t.Helper()
	mp := services.StartMailpit(t, services.MailpitOptions{})
	sms := &smsReceiver{}
	gw := httptest.NewServer(sms)
	t.Cleanup(gw.Close)
	srv := noticeNode(t, mp, gw)
	return srv, mp, sms
}

// consoleLogin signs a new browser in to the account console.
func consoleLogin(t *testing.T, srv *harness.Server, identifier, password string) *harness.Browser {
	t.Helper()
	b := srv.NewBrowser(t)
	login(t, b, b.Get(t, "/account"), identifier, password).MustPage(t, http.StatusOK, "/account")
	return b
}

// profileCSRF returns the CSRF token of the browser's profile page.
func profileCSRF(t *testing.T, b *harness.Browser) string {
	t.Helper()
	return b.Get(t, "/account/profile").MustPage(t, http.StatusOK, "/account/profile").Form(t, "/account/profile").Value("csrf_token")
}

func postForm(t *testing.T, b *harness.Browser, csrf, path string, kv ...string) *harness.Response {
	t.Helper()
	vals := url.Values{"csrf_token": {csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		vals.Set(kv[i], kv[i+1])
	}
	return b.Send(t, http.MethodPost, path, vals)
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// mailCode waits for the n-th mail and returns the code it carries to to.
func mailCode(t *testing.T, mp *services.Mailpit, n int, to string) string {
	t.Helper()
	got := mp.WaitMessages(t, n, 15*time.Second)
	if len(got) < n {
		t.Fatalf("mailpit holds %d messages, want %d", len(got), n)
	}
	m := got[0] // newest first
	if len(m.To) != 1 || m.To[0].Address != to {
		t.Fatalf("the newest mail went to %+v, want %s", m.To, to)
	}
	code := sixDigits.FindString(m.Text)
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", m.Text)
	}
	return code
}

// expired checks that a code was refused as expired or used, with the
// profile page.
func expired(t *testing.T, resp *harness.Response) {
	t.Helper()
	page := resp.MustPage(t, http.StatusBadRequest, "/account/contacts/verify")
	if !strings.Contains(page.Body, ui.T(page.Lang(), "contact.expired")) || !strings.Contains(page.Body, `action="/account/profile"`) {
		t.Errorf("the refusal does not say the code expired or was used:\n%s", page.Body)
	}
}

func account(t *testing.T, srv *harness.Server, sub string) *identity.Account {
	t.Helper()
	a, err := srv.App.Store.GetAccount(t.Context(), sub)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestContactChangeNeedsTheCode: a new email (by mail) and a new phone (by
// SMS) become the account's, verified, only once the code sent to them is
// entered; until then the old ones stay. A wrong code, the email's code
// entered for the phone, and a replayed code change nothing. Every change
// is audited with before and after, never the code.
func TestContactChangeNeedsTheCode(t *testing.T) {
	t.Parallel()
	srv, mp, sms := contactNode(t)
	sub := srv.CreateCitizen(t, dat)
	b := consoleLogin(t, srv, dat.PersonalID, dat.Password)
	csrf := profileCSRF(t, b)
	if a := account(t, srv, sub); a.EmailVerified || a.PhoneVerified {
		t.Fatalf("contacts start verified: %+v", a)
	}

	const newEmail = "dat.moi@example.vn"
	page := postForm(t, b, csrf, "/account/contacts", "channel", "email", "value", " Dat.Moi@Example.VN ").
		MustPage(t, http.StatusOK, "/account/contacts/verify")
	if !strings.Contains(page.Body, newEmail) {
		t.Errorf("the code page does not name %s", newEmail)
	}
	code := mailCode(t, mp, 1, newEmail)
	if a := account(t, srv, sub); a.Email != dat.Email {
		t.Fatalf("the email changed before the code was entered: %s", a.Email)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", wrong).MustPage(t, http.StatusBadRequest, "/account/contacts/verify")
	// The phone: a code by SMS; the email's code does not verify it.
	postForm(t, b, csrf, "/account/contacts", "channel", "phone", "value", "0901 234 567").MustPage(t, http.StatusOK, "/account/contacts/verify")
	deadline := time.Now().Add(15 * time.Second)
	for len(sms.received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	bodies := sms.received()
	if len(bodies) != 1 || !strings.Contains(bodies[0], `"to":"+84901234567"`) {
		t.Fatalf("the SMS gateway got %q", bodies)
	}
	smsCode := sixDigits.FindString(bodies[0])
	if smsCode != code {
		postForm(t, b, csrf, "/account/contacts/verify", "channel", "phone", "code", code).MustPage(t, http.StatusBadRequest, "/account/contacts/verify")
	}
	if a := account(t, srv, sub); a.Email != dat.Email || a.Phone != "+84912345678" || a.EmailVerified || a.PhoneVerified {
		t.Fatalf("a wrong code changed the account: %+v", a)
	}

	postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", code).MustPage(t, http.StatusOK, "/account/profile")
	a := account(t, srv, sub)
	if a.Email != newEmail || !a.EmailVerified || a.Phone != "+84912345678" {
		t.Fatalf("after the right code: email %s verified %v phone %s", a.Email, a.EmailVerified, a.Phone)
	}
	// Replay.
	expired(t, postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", code))
	postForm(t, b, csrf, "/account/contacts/verify", "channel", "phone", "code", smsCode).MustPage(t, http.StatusOK, "/account/profile")
	if a := account(t, srv, sub); a.Phone != "+84901234567" || !a.PhoneVerified || !a.EmailVerified {
		t.Fatalf("after the SMS code: %+v", a)
	}
	e := audited(t, srv, "account.contact_verify", map[string]string{"channel": "email", "before": dat.Email, "after": newEmail})
	audited(t, srv, "account.contact_verify", map[string]string{"channel": "phone", "before": "+84912345678", "after": "+84901234567"})
	audited(t, srv, "account.contact_refused", map[string]string{"channel": "email", "reason": "wrong"})
	for _, ev := range srv.Audit(t, sub, 100) {
		for k, v := range ev.Details {
			if strings.Contains(v, code) || strings.Contains(v, smsCode) {
				t.Errorf("audit %s %s=%q holds a code", ev.Type, k, v)
			}
		}
	}
	if e.Subject != sub {
		t.Errorf("audited for %q", e.Subject)
	}
}

// TestContactCodeRace: forty parallel submissions of the right code,
// started together: exactly one verifies.
func TestContactCodeRace(t *testing.T) {
	t.Parallel()
	srv, mp, _ := contactNode(t)
	sub := srv.CreateCitizen(t, hang)
	b := consoleLogin(t, srv, hang.PersonalID, hang.Password)
	csrf := profileCSRF(t, b)
	postForm(t, b, csrf, "/account/contacts", "channel", "email", "value", "hang.moi@example.vn").MustPage(t, http.StatusOK, "/account/contacts/verify")
	code := mailCode(t, mp, 1, "hang.moi@example.vn")
	const n = 40
	statuses := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			resp := postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", code)
			statuses[i] = resp.Hops[0].Status
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, s := range statuses {
		if s == http.StatusSeeOther {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d submissions verified (statuses %v), want exactly 1", won, statuses)
	}
	verified := 0
	for _, e := range srv.Audit(t, sub, 200) {
		if e.Type == "account.contact_verify" {
			verified++
		}
	}
	if verified != 1 {
		t.Errorf("%d contact_verify events, want 1", verified)
	}
	if a := account(t, srv, sub); a.Email != "hang.moi@example.vn" || !a.EmailVerified {
		t.Errorf("account after the race: %+v", a)
	}
}

// TestContactCodeLimits: wrong codes until the limit stop the right one;
// an expired code does not verify; a code for a contact that is then
// replaced by another does not verify the other; a flood of requests for
// codes sends at most contacts.max_sends.
func TestContactCodeLimits(t *testing.T) {
	t.Parallel()
	srv, mp, _ := contactNode(t)
	sub := srv.CreateCitizen(t, tuan)
	b := consoleLogin(t, srv, tuan.PersonalID, tuan.Password)
	csrf := profileCSRF(t, b)
	max := srv.Config.Contacts.MaxAttempts

	// Wrong codes until the limit.
	postForm(t, b, csrf, "/account/contacts", "channel", "email", "value", "tuan.a@example.vn").MustPage(t, http.StatusOK, "/account/contacts/verify")
	code := mailCode(t, mp, 1, "tuan.a@example.vn")
	for i := range max {
		wrong := []byte(code)
		wrong[0] = '0' + (wrong[0]-'0'+1+byte(i))%10
		postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", string(wrong)).MustPage(t, http.StatusBadRequest, "/account/contacts/verify")
	}
	page := postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", code).MustPage(t, http.StatusTooManyRequests, "/account/contacts/verify")
	if !strings.Contains(page.Body, ui.T(page.Lang(), "contact.too_many_attempts")) {
		t.Errorf("the page after the limit does not say so:\n%s", page.Body)
	}

	// A new code for another address: the first address's code does not verify it.
	postForm(t, b, csrf, "/account/contacts", "channel", "email", "value", "tuan.b@example.vn").MustPage(t, http.StatusOK, "/account/contacts/verify")
	codeB := mailCode(t, mp, 2, "tuan.b@example.vn")
	if codeB != code {
		postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", code).MustPage(t, http.StatusBadRequest, "/account/contacts/verify")
	}
	// Expiry: the record's time runs out.
	rec, err := srv.App.Eph.GetRecord(t.Context(), store.KindContactVerification, sub+":email")
	if err != nil {
		t.Fatal(err)
	}
	rec.ExpiresAt = time.Now().Add(-time.Second)
	if err := srv.App.Eph.PutRecord(t.Context(), store.KindContactVerification, rec); err != nil {
		t.Fatal(err)
	}
	expired(t, postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", codeB))
	if a := account(t, srv, sub); a.Email != tuan.Email || a.EmailVerified {
		t.Fatalf("the account changed: %+v", a)
	}

	// A flood: parallel requests for codes, started together.
	const n = 10
	start := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i] = postForm(t, b, csrf, "/account/contacts", "channel", "email", "value", "tuan.c@example.vn").Hops[0].Status
		})
	}
	close(start)
	wg.Wait()
	time.Sleep(2 * time.Second) // every queued message would be sent by now
	toC := 0
	for _, m := range mp.Messages(t) {
		if m.To[0].Address == "tuan.c@example.vn" {
			toC++
		}
	}
	// Two codes were sent before the flood; the account may have max_sends in the window.
	if want := srv.Config.Contacts.MaxSends - 2; toC != want {
		t.Fatalf("the flood sent %d codes (statuses %v), want %d", toC, statuses, want)
	}
	limited := 0
	for _, s := range statuses {
		if s == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != n-toC {
		t.Errorf("%d requests were refused, want %d (statuses %v)", limited, n-toC, statuses)
	}
}

// TestContactOfAnotherAccount: adding a contact another account holds is
// answered as any change, sends no code to it (its holder gets a notice),
// and no code makes it the account's.
func TestContactOfAnotherAccount(t *testing.T) {
	t.Parallel()
	srv, mp, _ := contactNode(t)
	holder := srv.CreateCitizen(t, dat)
	sub := srv.CreateCitizen(t, hang)
	b := consoleLogin(t, srv, hang.PersonalID, hang.Password)
	csrf := profileCSRF(t, b)

	fresh := postForm(t, b, csrf, "/account/contacts", "channel", "email", "value", "hang.khac@example.vn").MustPage(t, http.StatusOK, "/account/contacts/verify")
	mailCode(t, mp, 1, "hang.khac@example.vn")
	taken := postForm(t, b, csrf, "/account/contacts", "channel", "email", "value", strings.ToUpper(dat.Email)).MustPage(t, http.StatusOK, "/account/contacts/verify")
	if strings.ReplaceAll(fresh.Body, "hang.khac@example.vn", "X") != strings.ReplaceAll(taken.Body, dat.Email, "X") {
		t.Errorf("a taken contact is answered differently:\n%s\n---\n%s", fresh.Body, taken.Body)
	}
	got := mp.WaitMessages(t, 2, 15*time.Second)
	time.Sleep(time.Second)
	got = mp.Messages(t)
	if len(got) != 2 || got[0].To[0].Address != dat.Email || got[0].Subject != ui.T("vi", "notify.contact_taken.subject", "Định danh điện tử") {
		t.Fatalf("mails: %+v", got)
	}
	if sixDigits.MatchString(got[0].Text) || strings.Contains(got[0].Text, hang.Name) {
		t.Errorf("the holder's notice carries a code or the other person's name:\n%s", got[0].Text)
	}
	for _, guess := range []string{"123456", "000000"} {
		postForm(t, b, csrf, "/account/contacts/verify", "channel", "email", "code", guess).MustPage(t, http.StatusBadRequest, "/account/contacts/verify")
	}
	if a := account(t, srv, sub); a.Email != hang.Email {
		t.Errorf("the account took %s", a.Email)
	}
	if a := account(t, srv, holder); a.Email != dat.Email {
		t.Errorf("the holder lost the email: %s", a.Email)
	}
	audited(t, srv, "account.contact_code", map[string]string{"channel": "email", "outcome": "taken", "holder": holder, "notice": "queued"})
}
