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

	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// resetNode starts a node that sends its codes to a real mailpit (and SMS to
// a local receiver), with dat's email and phone verified.
func resetNode(t *testing.T, opts ...harness.Option) (*harness.Server, *services.Mailpit, *smsReceiver, string) {
	t.Helper()
	mp := services.StartMailpit(t, services.MailpitOptions{})
	sms := &smsReceiver{}
	gw := httptest.NewServer(sms)
	t.Cleanup(gw.Close)
	srv := noticeNode(t, mp, gw)
	sub := srv.CreateCitizen(t, dat)
	a, err := srv.App.Store.GetAccount(t.Context(), sub)
	if err != nil {
		t.Fatal(err)
	}
	a.EmailVerified, a.PhoneVerified = true, true
	if err := srv.App.Store.UpdateAccount(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	return srv, mp, sms, sub
}

var (
	resetCode = regexp.MustCompile(`\b([0-9]{8})\b`)
	resetLink = regexp.MustCompile(`https?://\S+/login/forgot/reset\?\S+`)
	ticketArg = regexp.MustCompile(`ticket=[A-Za-z0-9_-]+`)
)

// askReset asks for a reset of contact in browser b from the login page's
// link, and returns the code page it ends on.
func askReset(t *testing.T, b *harness.Browser, contact string) *harness.Response {
	t.Helper()
	login := b.Get(t, "/login").MustPage(t, http.StatusOK, "/login")
	if !strings.Contains(login.Body, `href="/login/forgot`) {
		t.Fatalf("the login page has no link to reset a password:\n%s", login.Body)
	}
	forgot := b.Get(t, "/login/forgot").MustPage(t, http.StatusOK, "/login/forgot")
	return b.Submit(t, forgot.Form(t, "/login/forgot"), map[string]string{"contact": contact})
}

// mailedCode waits for the n-th mail of mailpit and returns its code and link.
func mailedCode(t *testing.T, mp *services.Mailpit, n int) (code, link string) {
	t.Helper()
	got := mp.WaitMessages(t, n, 15*time.Second)
	if len(got) < n {
		t.Fatalf("mailpit holds %d messages, want %d", len(got), n)
	}
	m := got[0] // newest first
	c := resetCode.FindStringSubmatch(m.Text)
	l := resetLink.FindString(m.Text)
	if c == nil || l == "" {
		t.Fatalf("the reset mail holds no code or link:\n%s", m.Text)
	}
	return c[1], l
}

// canLogIn reports whether identifier and password log a new browser in.
func canLogIn(t *testing.T, srv *harness.Server, identifier, password string) bool {
	t.Helper()
	b := srv.NewBrowser(t)
	resp := login(t, b, b.Get(t, "/login"), identifier, password)
	return resp.Page != nil && resp.Page.Path() == "/account" && resp.Page.Status == http.StatusOK
}

// mustVoid checks that a submission of a code was refused as void: a 400
// page that asks for a new code.
func mustVoid(t *testing.T, resp *harness.Response) {
	t.Helper()
	p := resp.MustPage(t, http.StatusBadRequest, "/login/forgot/reset")
	if !strings.Contains(p.Body, "Hãy yêu cầu một mã mới") || len(p.Forms()) == 0 || !strings.HasSuffix(p.Forms()[0].Action, "/login/forgot") {
		t.Errorf("a void code is not answered with the request form:\n%s", p.Body)
	}
}

const newPassword = "Sông-Đà-mười-hai-bến-nước"

// TestPasswordReset: a code mailed to a verified email resets the password;
// every session ends with back-channel logout to its applications, refresh
// tokens (offline ones too) stop working, the old password stops working,
// brute-force locks are lifted, and everything is audited.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	srv, mp, _, sub := resetNode(t)
	rp := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true})
	signedIn := srv.NewBrowser(t)
	toks := rp.signIn(t, signedIn, datSignIn, []string{"openid", "profile", "offline_access"})
	if toks.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	// Someone guessed dat's password until the account locked.
	for range 5 {
		canLogIn(t, srv, dat.PersonalID, "sai-mật-khẩu-"+harness.Random(4))
	}
	if canLogIn(t, srv, dat.PersonalID, dat.Password) {
		t.Fatal("the account is not locked after 5 failures: the test would prove nothing about lifting locks")
	}

	b := srv.NewBrowser(t)
	page := askReset(t, b, "  "+strings.ToUpper(dat.Email)+" ").MustPage(t, http.StatusOK, "/login/forgot/reset")
	code, link := mailedCode(t, mp, 1)
	// A common password is refused first, and costs no try.
	f := page.Form(t, "/login/forgot/reset")
	weak := b.Submit(t, f, map[string]string{"code": code, "password": "Password123", "password_confirm": "Password123"}).
		MustPage(t, http.StatusBadRequest, "/login/forgot/reset")
	if !strings.Contains(weak.Body, "danh sách mật khẩu thông dụng") {
		t.Errorf("a common password is not explained:\n%s", weak.Body)
	}
	// The link of the mail fills in the code; the ticket is the page's.
	lu, _ := url.Parse(link)
	if lu.Query().Get("ticket") != f.Value("ticket") || lu.Query().Get("code") != code {
		t.Fatalf("the mail's link %s does not carry the page's ticket and the code", link)
	}
	linked := b.Get(t, lu.RequestURI()).MustPage(t, http.StatusOK, "/login/forgot/reset")
	done := b.Submit(t, linked.Form(t, "/login/forgot/reset"), map[string]string{"password": newPassword, "password_confirm": newPassword}).
		MustPage(t, http.StatusOK, "/login/forgot/reset")
	if !strings.Contains(done.Body, `href="/login"`) {
		t.Errorf("the page after a reset does not send to the login:\n%s", done.Body)
	}

	rp.waitLogout(t, sidOf(toks))
	rp.refreshFails(t, toks.RefreshToken, "after a password reset")
	if resp := signedIn.Get(t, "/account"); resp.Page == nil || resp.Page.Path() != "/login" {
		t.Errorf("the session of before the reset still opens the console: %s", resp)
	}
	if canLogIn(t, srv, dat.PersonalID, dat.Password) {
		t.Error("the old password still works")
	}
	if !canLogIn(t, srv, dat.PersonalID, newPassword) {
		t.Error("the new password does not log in (or the lock was not lifted)")
	}
	if e := audited(t, srv, "account.password_reset", map[string]string{"channel": "email"}); e.Subject != sub {
		t.Errorf("the reset is audited for %q, want %q", e.Subject, sub)
	}
	audited(t, srv, "account.password_reset_request", map[string]string{"channel": "email", "outcome": "sent"})
	audited(t, srv, "session.end", map[string]string{"reason": "password_reset"})
	// Replay: the code was used.
	mustVoid(t, b.Submit(t, linked.Form(t, "/login/forgot/reset"), map[string]string{"password": newPassword + "!", "password_confirm": newPassword + "!"}))
	if !canLogIn(t, srv, dat.PersonalID, newPassword) {
		t.Error("a replayed code changed the password")
	}
}

// TestPasswordResetAnswersAlike: asking for a reset of a verified contact,
// an unverified one and one of nobody gets the same answer; only the
// verified contact gets a code.
func TestPasswordResetAnswersAlike(t *testing.T) {
	t.Parallel()
	srv, mp, sms, _ := resetNode(t)
	srv.CreateCitizen(t, hang) // her email and phone are not verified
	answer := func(contact string) (int, string, string) {
		resp := askReset(t, srv.NewBrowser(t), contact)
		p := resp.Page
		loc := ""
		for _, h := range resp.Hops {
			loc += h.Method + " " + ticketArg.ReplaceAllString(h.Location, "ticket=T") + " " + http.StatusText(h.Status) + "\n"
		}
		return p.Status, loc, ticketArg.ReplaceAllString(normalise(p.Body, "\x00"), "ticket=T")
	}
	st0, loc0, body0 := answer(dat.Email)
	for _, c := range []string{hang.Email, "khong-co-ai@example.vn", hang.Phone, "0900000001"} {
		st, loc, body := answer(c)
		if st != st0 || loc != loc0 || body != body0 {
			t.Errorf("%s answered %d %s; a verified contact %d %s; bodies equal: %v", c, st, loc, st0, loc0, body == body0)
			if body != body0 {
				t.Logf("%s\n----\n%s", body, body0)
			}
		}
	}
	if st0 != http.StatusOK {
		t.Fatalf("status %d", st0)
	}
	time.Sleep(time.Second)
	if got := mp.Messages(t); len(got) != 1 || got[0].To[0].Address != dat.Email {
		t.Errorf("mailpit got %d messages, want one to %s", len(got), dat.Email)
	}
	if got := sms.received(); len(got) != 0 {
		t.Errorf("SMS were sent to unverified or unknown numbers: %q", got)
	}
}

// TestPasswordResetAttacks: one code submitted 10 times in parallel sets
// the password once; wrong codes void the request at the limit; an expired
// request is refused; a flood of requests sends at most max_per_recipient
// codes and is refused per address.
func TestPasswordResetAttacks(t *testing.T) {
	t.Parallel()
	srv, mp, sms, sub := resetNode(t)

	// 10 parallel submissions of the right code, with a start barrier.
	b := srv.NewBrowser(t)
	f := askReset(t, b, dat.Email).MustPage(t, http.StatusOK, "/login/forgot/reset").Form(t, "/login/forgot/reset")
	code, _ := mailedCode(t, mp, 1)
	start := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := newPassword + "-" + string(rune('a'+i))
			vals, err := f.Values(map[string]string{"code": code, "password": pw, "password_confirm": pw})
			if err != nil {
				t.Error(err)
				return
			}
			<-start
			statuses[i] = b.Send(t, http.MethodPost, "/login/forgot/reset", vals).Page.Status
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d of 10 parallel submissions of one code set the password (statuses %v), want exactly 1", won, statuses)
	}
	n := 0
	for _, e := range srv.Audit(t, sub, 200) {
		if e.Type == "account.password_reset" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d resets audited, want 1", n)
	}

	// Wrong codes until the limit (5): then even the right code is refused.
	f = askReset(t, b, dat.Phone).MustPage(t, http.StatusOK, "/login/forgot/reset").Form(t, "/login/forgot/reset")
	var smsCode string
	eventually(t, 15*time.Second, func() string { return "no SMS came" }, func() bool { return len(sms.received()) == 1 })
	if m := resetCode.FindStringSubmatch(sms.received()[0]); m != nil {
		smsCode = m[1]
	} else {
		t.Fatalf("the SMS holds no code: %s", sms.received()[0])
	}
	wrong := "00000000"
	if wrong == smsCode {
		wrong = "11111111"
	}
	for i := range 5 {
		resp := b.Submit(t, f, map[string]string{"code": wrong, "password": newPassword, "password_confirm": newPassword})
		if i < 4 {
			if p := resp.MustPage(t, http.StatusBadRequest, "/login/forgot/reset"); !strings.Contains(p.Body, "Mã không đúng") {
				t.Errorf("wrong code %d is not explained:\n%s", i+1, p.Body)
			}
		} else {
			mustVoid(t, resp)
		}
	}
	mustVoid(t, b.Submit(t, f, map[string]string{"code": smsCode, "password": "Ngựa-ô-phi-nước-đại-7", "password_confirm": "Ngựa-ô-phi-nước-đại-7"}))
	if canLogIn(t, srv, dat.PersonalID, "Ngựa-ô-phi-nước-đại-7") {
		t.Fatal("the right code after the limit of wrong codes set the password")
	}

	// An expired request is refused.
	f = askReset(t, b, dat.Email).MustPage(t, http.StatusOK, "/login/forgot/reset").Form(t, "/login/forgot/reset")
	code, _ = mailedCode(t, mp, 2)
	ctx := t.Context()
	rec, err := srv.App.Eph.GetRecord(ctx, store.KindPasswordReset, f.Value("ticket"))
	if err != nil {
		t.Fatal(err)
	}
	rec.ExpiresAt = time.Now().Add(-time.Second)
	if err := srv.App.Eph.PutRecord(ctx, store.KindPasswordReset, rec); err != nil {
		t.Fatal(err)
	}
	mustVoid(t, b.Submit(t, f, map[string]string{"code": code, "password": "Ngựa-ô-phi-nước-đại-7", "password_confirm": "Ngựa-ô-phi-nước-đại-7"}))

	// A flood for one recipient: 2 mails went to dat's email already; the
	// limit is 3 per window, so 10 more requests send 1 more.
	for range 10 {
		askReset(t, srv.NewBrowser(t), dat.Email).MustPage(t, http.StatusOK, "/login/forgot/reset")
	}
	time.Sleep(2 * time.Second)
	if got := len(mp.Messages(t)); got != 3 {
		t.Errorf("mailpit got %d codes, want at most 3 (max_per_recipient)", got)
	}
	// The address made 1+1+1+10 = 13 requests; the limit is 20, then 429.
	for range 7 {
		askReset(t, srv.NewBrowser(t), "khong-co-ai@example.vn").MustPage(t, http.StatusOK, "/login/forgot/reset")
	}
	askReset(t, srv.NewBrowser(t), "khong-co-ai@example.vn").MustPage(t, http.StatusTooManyRequests, "/login/forgot")
}
