package notify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/notify"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/conformance"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/services"
	"github.com/dinhdanh/dinhdanh/ui"
)

func TestMain(m *testing.M) { os.Exit(services.Run(m)) }

// openDB opens (creating and migrating) the SQLite file path.
func openDB(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenSQLite(context.Background(), path, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

func newSealer(t *testing.T) *keys.Sealer {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	s, err := keys.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fast are options that retry within a test's patience.
func fast() notify.Options {
	return notify.Options{MaxAttempts: 4, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Concurrency: 4, SendTimeout: 5 * time.Second, PollInterval: 20 * time.Millisecond}
}

// mailConfig is the mail section for a mailpit.
func mailConfig(m *services.Mailpit, tlsMode string) config.Mail {
	c := config.Default().Mail
	c.Host, c.Port, c.TLS, c.From = "127.0.0.1", m.SMTPPort, tlsMode, "Định danh điện tử <no-reply@tinh.gov.vn>"
	if tlsMode == "none" {
		return c
	}
	c.TLSCAFile, c.Username, c.Password = m.CAFile, "dinhdanh", "mật khẩu SMTP"
	return c
}

func smtpSender(t *testing.T, c config.Mail) *notify.SMTP {
	t.Helper()
	s, err := notify.NewSMTP(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// work runs passes of the outbox until nothing is due or the timeout passes.
func workUntil(t *testing.T, o *notify.Outbox, done func() bool, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatal("the outbox did not finish in time")
		}
		if _, err := o.Work(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func status(t *testing.T, db store.Outbox, id int64) *store.Message {
	t.Helper()
	m, err := db.GetMessage(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPDeliversThroughTLSModes(t *testing.T) {
	for _, mode := range []string{"starttls", "implicit", "none"} {
		t.Run(mode, func(t *testing.T) {
			opts := services.MailpitOptions{Auth: mode != "none"}
			if mode != "none" {
				opts.TLS = mode
			}
			mp := services.StartMailpit(t, opts)
			db := openDB(t, filepath.Join(t.TempDir(), "d.db"))
			o := notify.NewOutbox(db, newSealer(t), map[string]notify.Sender{store.ChannelEmail: smtpSender(t, mailConfig(mp, mode))},
				fast(), nil)
			text := "Mã xác minh của bạn là 482913.\nDòng thứ hai, dài " + strings.Repeat("rất ", 30) + "dài."
			id, err := o.Enqueue(t.Context(), notify.Message{Channel: store.ChannelEmail, To: "Nguyễn Thị Lan <lan@example.vn>",
				Subject: "Mã xác minh – Định danh điện tử", Text: text, Kind: "test"})
			if err != nil {
				t.Fatal(err)
			}
			// The code is sealed at rest.
			if row := status(t, db, id); bytes.Contains(row.Body, []byte("482913")) || row.Recipient != "Nguyễn Thị Lan <lan@example.vn>" {
				t.Fatalf("stored body holds the text in clear, or recipient %q", row.Recipient)
			}
			workUntil(t, o, func() bool { return status(t, db, id).Status != store.MessagePending }, 20*time.Second)
			if m := status(t, db, id); m.Status != store.MessageSent || m.Attempts != 1 || m.SentAt.IsZero() {
				t.Fatalf("message after sending: %+v", m)
			}
			got := mp.WaitMessages(t, 1, 5*time.Second)
			if len(got) != 1 {
				t.Fatalf("mailpit holds %d messages", len(got))
			}
			m := got[0]
			if m.Subject != "Mã xác minh – Định danh điện tử" || m.From.Address != "no-reply@tinh.gov.vn" ||
				len(m.To) != 1 || m.To[0].Address != "lan@example.vn" || strings.TrimSpace(strings.ReplaceAll(m.Text, "\r\n", "\n")) != text {
				t.Fatalf("mailpit got %+v", m)
			}
		})
	}
}

func TestSMTPStartTLSRequired(t *testing.T) {
	// A server without TLS is refused when starttls is configured: the
	// password is never sent in clear.
	mp := services.StartMailpit(t, services.MailpitOptions{Auth: true})
	c := mailConfig(mp, "starttls")
	c.TLSCAFile = ""
	err := smtpSender(t, c).Send(t.Context(), &notify.Message{Channel: store.ChannelEmail, To: "a@example.vn", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send to a server without STARTTLS = %v", err)
	}
	if n := len(mp.Messages(t)); n != 0 {
		t.Fatalf("mailpit got %d messages", n)
	}
}

func TestSMTPDownIsRetriedThenSent(t *testing.T) {
	mp := services.StartMailpit(t, services.MailpitOptions{})
	if err := mp.Stop(); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, filepath.Join(t.TempDir(), "d.db"))
	opts := fast()
	opts.MaxAttempts = 50
	o := notify.NewOutbox(db, newSealer(t), map[string]notify.Sender{store.ChannelEmail: smtpSender(t, mailConfig(mp, "none"))}, opts, nil)
	id, err := o.Enqueue(t.Context(), notify.Message{Channel: store.ChannelEmail, To: "binh@example.vn", Subject: "s", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	workUntil(t, o, func() bool { return status(t, db, id).Attempts >= 2 }, 10*time.Second)
	m := status(t, db, id)
	if m.Status != store.MessagePending || m.LastError == "" {
		t.Fatalf("after failed attempts: %+v", m)
	}
	if st := o.Stats()[store.ChannelEmail]; st.Retried < 2 || st.Sent != 0 {
		t.Fatalf("stats %+v", st)
	}
	if err := mp.Start(); err != nil {
		t.Fatal(err)
	}
	workUntil(t, o, func() bool { return status(t, db, id).Status == store.MessageSent }, 10*time.Second)
	if got := mp.WaitMessages(t, 1, 5*time.Second); len(got) != 1 || got[0].To[0].Address != "binh@example.vn" {
		t.Fatalf("mailpit got %+v", got)
	}
	var metrics strings.Builder
	counts, _ := db.CountMessages(t.Context())
	o.WriteMetrics(&metrics, counts)
	for _, want := range []string{`dinhdanh_outbox_messages{status="sent"} 1`, `dinhdanh_outbox_sent_total{channel="email"} 1`,
		`dinhdanh_outbox_queued_total{channel="email"} 1`} {
		if !strings.Contains(metrics.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics.String())
		}
	}
}

func TestQueuedMessageSurvivesRestart(t *testing.T) {
	mp := services.StartMailpit(t, services.MailpitOptions{})
	path := filepath.Join(t.TempDir(), "d.db")
	sealer := newSealer(t)
	db := openDB(t, path)
	first := notify.NewOutbox(db, sealer, map[string]notify.Sender{store.ChannelEmail: smtpSender(t, mailConfig(mp, "none"))}, fast(), nil)
	id, err := first.Enqueue(t.Context(), notify.Message{Channel: store.ChannelEmail, To: "chi@example.vn", Subject: "s", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	// The node stops before it sends anything.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := openDB(t, path)
	second := notify.NewOutbox(db2, sealer, map[string]notify.Sender{store.ChannelEmail: smtpSender(t, mailConfig(mp, "none"))}, fast(), nil)
	workUntil(t, second, func() bool { return status(t, db2, id).Status == store.MessageSent }, 10*time.Second)
	if got := mp.WaitMessages(t, 1, 5*time.Second); len(got) != 1 {
		t.Fatalf("mailpit got %d messages", len(got))
	}
}

func TestConcurrentWorkersSendOnce(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) (store.Outbox, store.Outbox){
		"sqlite": func(t *testing.T) (store.Outbox, store.Outbox) {
			db := openDB(t, filepath.Join(t.TempDir(), "d.db"))
			return db, db
		},
		"postgres": func(t *testing.T) (store.Outbox, store.Outbox) {
			dsn := services.Postgres(t)
			a, err := sqlstore.OpenPostgres(t.Context(), dsn, 4)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			if _, err := a.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			b, err := sqlstore.OpenPostgres(t.Context(), dsn, 4)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return a, b
		},
	} {
		t.Run(name, func(t *testing.T) {
			mp := services.StartMailpit(t, services.MailpitOptions{})
			a, b := open(t)
			sealer := newSealer(t)
			mk := func(st store.Outbox) *notify.Outbox {
				return notify.NewOutbox(st, sealer, map[string]notify.Sender{store.ChannelEmail: smtpSender(t, mailConfig(mp, "none"))}, fast(), nil)
			}
			nodes := []*notify.Outbox{mk(a), mk(b)}
			const n = 12
			for i := range n {
				if _, err := nodes[i%2].Enqueue(t.Context(), notify.Message{Channel: store.ChannelEmail,
					To: fmt.Sprintf("nguoi%d@example.vn", i), Subject: "s", Text: "t"}); err != nil {
					t.Fatal(err)
				}
			}
			errs := conformance.Concurrently(2*len(nodes), func(i int) error {
				for range 50 {
					if _, err := nodes[i%2].Work(t.Context()); err != nil {
						return err
					}
					if c, _ := a.CountMessages(t.Context()); c[store.MessageSent] == n {
						return nil
					}
					time.Sleep(10 * time.Millisecond)
				}
				return errors.New("not all sent")
			})
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got := mp.WaitMessages(t, n, 5*time.Second)
			time.Sleep(200 * time.Millisecond)
			got = mp.Messages(t)
			seen := map[string]int{}
			for _, m := range got {
				seen[m.To[0].Address]++
			}
			if len(got) != n || len(seen) != n {
				t.Fatalf("mailpit got %d messages for %d recipients, want %d each once: %v", len(got), len(seen), n, seen)
			}
			sent := nodes[0].Stats()[store.ChannelEmail].Sent + nodes[1].Stats()[store.ChannelEmail].Sent
			if sent != n {
				t.Fatalf("the nodes sent %d, want %d", sent, n)
			}
		})
	}
}

func TestUnconfiguredChannelKeepsMessagesAsFailed(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "d.db"))
	sealer := newSealer(t)
	o := notify.NewOutbox(db, sealer, nil, fast(), nil)
	mailID, err := o.Enqueue(t.Context(), notify.Message{Channel: store.ChannelEmail, To: "dung@example.vn", Subject: "s", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	smsID, err := o.Enqueue(t.Context(), notify.Message{Channel: store.ChannelSMS, To: "+84912345678", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if m := status(t, db, mailID); m.Status != store.MessageFailed || m.LastError != notify.ReasonNoMail {
		t.Fatalf("email without mail: %+v", m)
	}
	if m := status(t, db, smsID); m.Status != store.MessageFailed || m.LastError != notify.ReasonNoSMS {
		t.Fatalf("SMS without a gateway: %+v", m)
	}
	if _, err := o.Enqueue(t.Context(), notify.Message{Channel: "fax", To: "x", Text: "t"}); err == nil {
		t.Fatal("an unknown channel was enqueued")
	}
	// Once mail is configured, an operator's retry sends it.
	mp := services.StartMailpit(t, services.MailpitOptions{})
	configured := notify.NewOutbox(db, sealer, map[string]notify.Sender{store.ChannelEmail: smtpSender(t, mailConfig(mp, "none"))}, fast(), nil)
	if err := db.RetryMessage(t.Context(), mailID, time.Now()); err != nil {
		t.Fatal(err)
	}
	workUntil(t, configured, func() bool { return status(t, db, mailID).Status == store.MessageSent }, 10*time.Second)
	if m := status(t, db, smsID); m.Status != store.MessageFailed {
		t.Fatalf("the SMS changed: %+v", m)
	}
}

// gateway is a local HTTP receiver standing for a brandname-SMS provider.
type gateway struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []gatewayRequest
	answers  []gatewayAnswer // in order; the last one repeats
}

type gatewayRequest struct {
	Method, Path, Query, ContentType, APIKey string
	Body                                     []byte
}

type gatewayAnswer struct {
	status int
	body   string
}

func newGateway(t *testing.T, answers ...gatewayAnswer) *gateway {
	g := &gateway{answers: answers}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.requests = append(g.requests, gatewayRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			ContentType: r.Header.Get("Content-Type"), APIKey: r.Header.Get("X-Api-Key"), Body: body})
		a := g.answers[min(len(g.requests), len(g.answers))-1]
		g.mu.Unlock()
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) received() []gatewayRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gatewayRequest(nil), g.requests...)
}

func smsConfig(g *gateway) config.SMS {
	c := config.Default().SMS
	c.URL = g.srv.URL + "/api/send"
	c.Headers = config.HTTPHeaders{"X-Api-Key: khoa-bi-mat"}
	c.BodyTemplate = `{"Phone":{{json .ToLocal}},"Content":{{json .Text}},"Brandname":"TINH"}`
	c.SuccessStatus = config.StatusCodes{200}
	c.SuccessJSONField, c.SuccessJSONValue = "Result.Code", "100"
	return c
}

func smsOutbox(t *testing.T, c config.SMS, opts notify.Options) (*notify.Outbox, *sqlstore.DB) {
	t.Helper()
	g, err := notify.NewSMSGateway(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, filepath.Join(t.TempDir(), "d.db"))
	return notify.NewOutbox(db, newSealer(t), map[string]notify.Sender{store.ChannelSMS: g}, opts, nil), db
}

func TestSMSGatewayGetsTheTemplatedBody(t *testing.T) {
	g := newGateway(t, gatewayAnswer{200, `{"Result":{"Code":100,"Message":"OK"}}`})
	o, db := smsOutbox(t, smsConfig(g), fast())
	text := `Mã xác minh: 482913 "trích dẫn" \ xong`
	id, err := o.Enqueue(t.Context(), notify.Message{Channel: store.ChannelSMS, To: "+84912345678", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	workUntil(t, o, func() bool { return status(t, db, id).Status != store.MessagePending }, 10*time.Second)
	if m := status(t, db, id); m.Status != store.MessageSent {
		t.Fatalf("SMS: %+v", m)
	}
	reqs := g.received()
	if len(reqs) != 1 {
		t.Fatalf("the gateway got %d requests", len(reqs))
	}
	r := reqs[0]
	var body map[string]string
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	if r.Method != "POST" || r.Path != "/api/send" || r.ContentType != "application/json" || r.APIKey != "khoa-bi-mat" ||
		body["Phone"] != "0912345678" || body["Content"] != text || body["Brandname"] != "TINH" {
		t.Fatalf("the gateway got %+v %v", r, body)
	}
}

func TestSMSGatewayGET(t *testing.T) {
	g := newGateway(t, gatewayAnswer{200, "status=OK"})
	c := smsConfig(g)
	c.Method, c.URL = "GET", g.srv.URL+"/send?to={{urlquery .To}}&msg={{urlquery .Text}}"
	c.SuccessJSONField, c.SuccessJSONValue, c.SuccessContains = "", "", "status=OK"
	o, db := smsOutbox(t, c, fast())
	id, err := o.Enqueue(t.Context(), notify.Message{Channel: store.ChannelSMS, To: "+84912345678", Text: "a&b=c d"})
	if err != nil {
		t.Fatal(err)
	}
	workUntil(t, o, func() bool { return status(t, db, id).Status != store.MessagePending }, 10*time.Second)
	reqs := g.received()
	if m := status(t, db, id); m.Status != store.MessageSent || len(reqs) != 1 ||
		reqs[0].Query != "to=%2B84912345678&msg=a%26b%3Dc+d" || len(reqs[0].Body) != 0 {
		t.Fatalf("SMS %+v, requests %+v", m, reqs)
	}
}

func TestSMSGatewayErrorIsRetried(t *testing.T) {
	g := newGateway(t, gatewayAnswer{500, "busy"}, gatewayAnswer{502, ""}, gatewayAnswer{200, `{"Result":{"Code":"100"}}`})
	o, db := smsOutbox(t, smsConfig(g), fast())
	id, err := o.Enqueue(t.Context(), notify.Message{Channel: store.ChannelSMS, To: "+84912345678", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	workUntil(t, o, func() bool { return status(t, db, id).Status != store.MessagePending }, 10*time.Second)
	if m := status(t, db, id); m.Status != store.MessageSent || m.Attempts != 3 {
		t.Fatalf("SMS after two errors: %+v", m)
	}
	if n := len(g.received()); n != 3 {
		t.Fatalf("the gateway got %d requests, want 3", n)
	}
}

func TestSMSGatewaySuccessCheckFailing(t *testing.T) {
	for name, answer := range map[string]gatewayAnswer{
		"wrong JSON value":  {200, `{"Result":{"Code":"99","Message":"Sai brandname"}}`},
		"missing field":     {200, `{"Code":"100"}`},
		"not JSON":          {200, `OK`},
		"status not listed": {202, `{"Result":{"Code":"100"}}`},
	} {
		t.Run(name, func(t *testing.T) {
			g := newGateway(t, answer)
			opts := fast()
			opts.MaxAttempts = 2
			o, db := smsOutbox(t, smsConfig(g), opts)
			id, err := o.Enqueue(t.Context(), notify.Message{Channel: store.ChannelSMS, To: "+84912345678", Text: "t"})
			if err != nil {
				t.Fatal(err)
			}
			workUntil(t, o, func() bool { return status(t, db, id).Status != store.MessagePending }, 10*time.Second)
			if m := status(t, db, id); m.Status != store.MessageFailed || m.Attempts != 2 || m.LastError == "" {
				t.Fatalf("SMS with a failing check: %+v", m)
			}
			if n := len(g.received()); n != 2 {
				t.Fatalf("the gateway got %d requests, want 2 (retried once)", n)
			}
		})
	}
}

func TestSMSGatewaySlowIsBounded(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c := config.Default().SMS
	c.URL = srv.URL
	opts := fast()
	opts.SendTimeout, opts.MaxAttempts = 200*time.Millisecond, 1
	g, err := notify.NewSMSGateway(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, filepath.Join(t.TempDir(), "d.db"))
	o := notify.NewOutbox(db, newSealer(t), map[string]notify.Sender{store.ChannelSMS: g}, opts, nil)
	id, _ := o.Enqueue(t.Context(), notify.Message{Channel: store.ChannelSMS, To: "+84912345678", Text: "t"})
	start := time.Now()
	if _, err := o.Work(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a hanging gateway held the worker %s", d)
	}
	if m := status(t, db, id); m.Status != store.MessageFailed || calls.Load() != 1 {
		t.Fatalf("SMS to a hanging gateway: %+v", m)
	}
}

func TestRegisterTakenNoticeIsLimitedPerRecipient(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "d.db"))
	o := notify.NewOutbox(db, newSealer(t), nil, fast(), nil)
	n := notify.NewNotices(o, db, "Định danh điện tử", "https://sso.tinh.gov.vn/", time.Hour)
	holder := &identity.Account{ID: "sub-1", Locale: "en", Email: "lan@example.vn"}
	outcomes := conformance.Concurrently(conformance.Racers, func(int) error {
		out, err := n.RegisterTaken(t.Context(), holder, store.ChannelEmail, "lan@example.vn")
		if err != nil {
			return err
		}
		if out == notify.NoticeLimited {
			return errLimited
		}
		return nil
	})
	conformance.ExactlyOneNil(t, outcomes, errLimited, "parallel notices to one recipient")
	// Another recipient, another channel: their own limits.
	if out, err := n.RegisterTaken(t.Context(), holder, store.ChannelSMS, "+84912345678"); err != nil || out != notify.NoticeQueued {
		t.Fatalf("SMS notice = %q, %v", out, err)
	}
	ms, err := db.ListMessages(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d messages enqueued, want 2", len(ms))
	}
	for _, m := range ms {
		if m.Kind != notify.KindRegisterTaken {
			t.Errorf("kind %q", m.Kind)
		}
		if m.Channel == store.ChannelEmail && m.Subject != ui.T("en", "notify.register_taken.subject", "Định danh điện tử") {
			t.Errorf("the email's subject is %q, want the English one", m.Subject)
		}
	}
}

var errLimited = errors.New("limited")
