package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/services"
	"github.com/dinhdanh/dinhdanh/ui"
)

// smsReceiver is the HTTP endpoint of an SMS gateway: it keeps each body.
type smsReceiver struct {
	mu     sync.Mutex
	bodies []string
}

func (s *smsReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	io.WriteString(w, `{"code":"100"}`)
}

func (s *smsReceiver) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

// noticeNode starts a node that sends mail to mp and SMS to sms.
func noticeNode(t *testing.T, mp *services.Mailpit, sms *httptest.Server) *harness.Server {
	t.Helper()
	return harness.StartInProcess(t,
		harness.WithEnv("DINHDANH_MAIL_HOST", "127.0.0.1"),
		harness.WithEnv("DINHDANH_MAIL_PORT", strconv.Itoa(mp.SMTPPort)),
		harness.WithEnv("DINHDANH_MAIL_TLS", "none"),
		harness.WithEnv("DINHDANH_MAIL_FROM", "Định danh điện tử <no-reply@tinh.gov.vn>"),
		harness.WithEnv("DINHDANH_SMS_URL", sms.URL+"/send"),
		harness.WithEnv("DINHDANH_SMS_SUCCESS_JSON_FIELD", "code"),
		harness.WithEnv("DINHDANH_SMS_SUCCESS_JSON_VALUE", "100"),
		harness.WithEnv("DINHDANH_OUTBOX_POLL_INTERVAL", "100ms"))
}

// registerForm fills the registration form of a new browser and returns
// the browser and the form.
func registerForm(t *testing.T, srv *harness.Server) (*harness.Browser, *harness.Form) {
	t.Helper()
	b := srv.NewBrowser(t)
	return b, b.Get(t, "/register").MustPage(t, http.StatusOK, "/register").Form(t, "/register")
}

// TestRegistrationWithTakenContactNotifiesTheHolder: a registration that
// gives an email, phone or personal ID another account holds is answered as
// any registration, and the holder gets one notice at the contact, in the
// holder's language, that says nothing of what the registrant typed.
func TestRegistrationWithTakenContactNotifiesTheHolder(t *testing.T) {
	t.Parallel()
	mp := services.StartMailpit(t, services.MailpitOptions{})
	sms := &smsReceiver{}
	gw := httptest.NewServer(sms)
	defer gw.Close()
	srv := noticeNode(t, mp, gw)
	holder := srv.CreateCitizen(t, dat)
	// The holder reads English.
	a, err := srv.App.Store.GetAccount(t.Context(), holder)
	if err != nil {
		t.Fatal(err)
	}
	a.Locale = "en"
	if err := srv.App.Store.UpdateAccount(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	hangSub := srv.CreateCitizen(t, hang)

	// Someone registers with Đạt's email.
	b, form := registerForm(t, srv)
	b.Submit(t, form, map[string]string{"personal_id": "036088000003", "full_name": "Lê Văn Cường", "birthdate": "1988-11-20",
		"gender": "male", "email": dat.Email, "password": "mật khẩu của Cường", "password_confirm": "mật khẩu của Cường", "privacy_accept": "1"}).
		MustPage(t, http.StatusOK, "/login")
	got := mp.WaitMessages(t, 1, 15*time.Second)
	if len(got) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", len(got))
	}
	m := got[0]
	if len(m.To) != 1 || m.To[0].Address != dat.Email || m.Subject != ui.T("en", "notify.register_taken.subject", "Định danh điện tử") {
		t.Fatalf("notice %+v", m)
	}
	for _, secret := range []string{"036088000003", "Cường", "Lê Văn", "1988"} {
		if strings.Contains(m.Text, secret) || strings.Contains(m.Subject, secret) {
			t.Errorf("the notice reveals the registrant's %q:\n%s", secret, m.Text)
		}
	}
	if !strings.Contains(m.Text, srv.Config.Issuer+"/account") {
		t.Errorf("the notice does not say where to log in:\n%s", m.Text)
	}
	audited(t, srv, "account.register_taken", map[string]string{"field": "email", "notice": "due", "notices": "queued"})

	// Someone registers with Hằng's personal ID: she is told at her email, in Vietnamese.
	b, form = registerForm(t, srv)
	b.Submit(t, form, map[string]string{"personal_id": hang.PersonalID, "full_name": "Lê Thị Giả", "birthdate": hang.Birthdate,
		"gender": "female", "email": "gia@example.vn", "password": "mật khẩu của kẻ giả", "password_confirm": "mật khẩu của kẻ giả", "privacy_accept": "1"}).
		MustPage(t, http.StatusOK, "/login")
	got = mp.WaitMessages(t, 2, 15*time.Second)
	if len(got) != 2 || got[0].To[0].Address != hang.Email || got[0].Subject != ui.T("vi", "notify.register_taken.subject", "Định danh điện tử") {
		t.Fatalf("notice for a taken personal ID: %+v", got)
	}
	if e := audited(t, srv, "account.register_taken", map[string]string{"field": "personal_id", "notices": "queued"}); e.Subject != hangSub {
		t.Errorf("audited for %q, want %q", e.Subject, hangSub)
	}

	// Someone registers with Hằng's phone number: an SMS goes to it.
	b, form = registerForm(t, srv)
	b.Submit(t, form, map[string]string{"personal_id": "036088000007", "full_name": "Lê Văn Cường", "birthdate": "1988-11-20",
		"gender": "male", "phone": hang.Phone, "password": "mật khẩu của Cường", "password_confirm": "mật khẩu của Cường", "privacy_accept": "1"}).
		MustPage(t, http.StatusOK, "/login")
	deadline := time.Now().Add(15 * time.Second)
	for len(sms.received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	bodies := sms.received()
	if len(bodies) != 1 || !strings.Contains(bodies[0], `"to":"+84987654321"`) || strings.Contains(bodies[0], "036088000007") {
		t.Fatalf("the SMS gateway got %q", bodies)
	}
	if n := len(mp.Messages(t)); n != 2 {
		t.Fatalf("mailpit holds %d messages after the SMS, want 2", n)
	}
}

// TestRegistrationNoticesCannotFloodAPerson: parallel registrations with
// one person's email (from many addresses, started together) are all
// answered as registrations, and the person gets one notice.
func TestRegistrationNoticesCannotFloodAPerson(t *testing.T) {
	t.Parallel()
	mp := services.StartMailpit(t, services.MailpitOptions{})
	gw := httptest.NewServer(&smsReceiver{})
	defer gw.Close()
	srv := noticeNode(t, mp, gw)
	srv.CreateCitizen(t, tuan)
	const n = 8
	type prepared struct {
		b *harness.Browser
		f *harness.Form
	}
	var ps []prepared
	for range n {
		b, f := registerForm(t, srv)
		ps = append(ps, prepared{b, f})
	}
	statuses := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			<-start
			pid := "036088" + strconv.Itoa(100000+i)
			resp := p.b.Submit(t, p.f, map[string]string{"personal_id": pid, "full_name": "Lê Văn Cường", "birthdate": "1988-11-20",
				"gender": "male", "email": tuan.Email, "password": "mật khẩu của Cường", "password_confirm": "mật khẩu của Cường", "privacy_accept": "1"})
			statuses[i] = resp.Hops[0].Status
		})
	}
	close(start)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusSeeOther && s != http.StatusFound {
			t.Errorf("registration %d answered %d", i, s)
		}
	}
	mp.WaitMessages(t, 1, 15*time.Second)
	time.Sleep(time.Second) // every queued notice would be sent by now
	if got := mp.Messages(t); len(got) != 1 || got[0].To[0].Address != tuan.Email {
		t.Fatalf("mailpit holds %d notices for %s, want 1", len(got), tuan.Email)
	}
	audited(t, srv, "account.register_taken", map[string]string{"field": "email", "notices": "limited"})
}
