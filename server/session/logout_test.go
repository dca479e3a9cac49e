package session_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// rp is a relying party's back-channel logout endpoint.
type rp struct {
	mu     sync.Mutex
	tokens []string
	fail   int // answer 503 this many times first
	srv    *httptest.Server
}

func newRP(t *testing.T) *rp {
	r := &rp{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if r.fail > 0 {
			r.fail--
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(req.Body)
		v, _ := url.ParseQuery(string(body))
		r.tokens = append(r.tokens, v.Get("logout_token"))
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rp) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.tokens...)
}

type fixture struct {
	db     *sqlstore.DB
	m      *session.Manager
	lo     *session.Logout
	set    *keys.Set
	clock  *clock
	issuer string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "l.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now()}
	db.SetClock(c.now)
	sealer, _ := keys.NewSealer(bytes.Repeat([]byte{3}, 32))
	set := keys.NewSet(db, sealer, time.Hour)
	if _, err := set.EnsureKeys(ctx, keys.RS256, keys.ES256); err != nil {
		t.Fatal(err)
	}
	m := &session.Manager{Store: db, Index: db, CookieName: "sid", IdleTimeout: 15 * time.Minute, AbsoluteLifetime: time.Hour, Now: c.now}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lo := session.NewLogout(session.Logout{Sessions: m, Store: db, Signer: &keys.Signer{Set: set}, Issuer: "https://sso.example.gov.vn",
		HTTP: &http.Client{Timeout: 5 * time.Second}, Log: log, Now: c.now}, audit.NewRecorder(db, log))
	return &fixture{db: db, m: m, lo: lo, set: set, clock: c, issuer: lo.Issuer}
}

func (f *fixture) client(t *testing.T, id, bc, alg string) {
	t.Helper()
	if err := f.db.CreateClient(context.Background(), &store.Client{ID: id, Name: id, BackchannelLogoutURI: bc,
		IDTokenAlgorithm: alg, RedirectURIs: []string{"https://" + id + ".example/cb"}}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) login(t *testing.T, sub string, clients ...string) *session.SSO {
	s, _ := f.loginWithCookie(t, sub, clients...)
	return s
}

func (f *fixture) loginWithCookie(t *testing.T, sub string, clients ...string) (*session.SSO, *http.Cookie) {
	t.Helper()
	ctx := context.Background()
	s := &session.SSO{AccountID: sub, Capacity: "citizen", ACR: "LoA1"}
	w := httptest.NewRecorder()
	if err := f.m.Create(ctx, w, withCookie(nil), s); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		if err := f.m.AddClient(ctx, s, c); err != nil {
			t.Fatal(err)
		}
	}
	return s, w.Result().Cookies()[0]
}

// verify checks a logout token as a relying party must (Back-Channel Logout 1.0 §2.6).
func (f *fixture) verify(t *testing.T, raw, clientID, sid, sub string) map[string]any {
	t.Helper()
	obj, err := jose.ParseSigned(raw)
	if err != nil {
		t.Fatal(err)
	}
	h := obj.Signatures[0].Header
	if h.ExtraHeaders["typ"] != "logout+jwt" {
		t.Errorf("typ = %v, want logout+jwt", h.ExtraHeaders["typ"])
	}
	k := f.set.Lookup(h.KeyID)
	if k == nil {
		t.Fatalf("unknown kid %q", h.KeyID)
	}
	payload, err := obj.Verify(k.Public)
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if c["iss"] != f.issuer || c["aud"] != clientID || (sid != "" && c["sid"] != sid) || c["sub"] != sub {
		t.Errorf("claims %v", c)
	}
	if _, ok := c["nonce"]; ok {
		t.Error("a logout token must not carry a nonce")
	}
	ev, _ := c["events"].(map[string]any)
	if _, ok := ev[session.BackchannelEvent]; !ok {
		t.Errorf("events = %v", c["events"])
	}
	if c["jti"] == "" || c["iat"] == nil || c["exp"] == nil {
		t.Errorf("jti/iat/exp missing: %v", c)
	}
	return c
}

func TestEndNotifiesEveryClientAndRevokesSessionTokens(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, b := newRP(t), newRP(t)
	f.client(t, "dvc", a.srv.URL+"/bc", "RS256")
	f.client(t, "qlvb", b.srv.URL+"/bc", "ES256")
	f.client(t, "no-bc", "", "")
	s := f.login(t, "sub-1", "dvc", "qlvb", "no-bc")
	other := f.login(t, "sub-1", "dvc")
	for _, rt := range []*store.RefreshToken{
		{Signature: "online", RequestID: "r1", ClientID: "dvc", Subject: "sub-1", SessionID: s.ID, Active: true, Request: []byte("{}"), ExpiresAt: time.Now().Add(time.Hour)},
		{Signature: "offline", RequestID: "r2", ClientID: "dvc", Subject: "sub-1", SessionID: s.ID, Offline: true, Active: true, Request: []byte("{}"), ExpiresAt: time.Now().Add(time.Hour)},
		{Signature: "elsewhere", RequestID: "r3", ClientID: "dvc", Subject: "sub-1", SessionID: other.ID, Active: true, Request: []byte("{}"), ExpiresAt: time.Now().Add(time.Hour)},
	} {
		if err := f.db.CreateRefreshToken(ctx, rt); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.lo.End(ctx, s, session.ReasonLogout, "sub-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Lookup(ctx, s.ID); err != session.ErrNoSession {
		t.Fatal("session still alive")
	}
	for sig, want := range map[string]bool{"online": false, "offline": true, "elsewhere": true} {
		rt, _ := f.db.GetRefreshToken(ctx, sig)
		if rt.Active != want {
			t.Errorf("refresh token %s active=%v, want %v", sig, rt.Active, want)
		}
	}
	n, err := f.lo.Deliver(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Deliver = %d, %v; want 2 notifications", n, err)
	}
	if got := a.received(); len(got) != 1 {
		t.Fatalf("dvc received %d tokens", len(got))
	} else {
		f.verify(t, got[0], "dvc", s.ID, "sub-1")
	}
	if got := b.received(); len(got) != 1 {
		t.Fatalf("qlvb received %d tokens", len(got))
	} else {
		obj, _ := jose.ParseSigned(got[0])
		if obj.Signatures[0].Header.Algorithm != "ES256" {
			t.Errorf("qlvb's logout token signed with %s, want its ID-token algorithm ES256", obj.Signatures[0].Header.Algorithm)
		}
		f.verify(t, got[0], "qlvb", s.ID, "sub-1")
	}
	counts, _ := f.db.CountLogouts(ctx)
	if counts[store.DeliveryDelivered] != 2 || counts[store.DeliveryPending] != 0 {
		t.Fatalf("queue counts %v", counts)
	}
}

func TestDeliveryRetriesWithBackoffThenGivesUp(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := newRP(t)
	a.fail = 2
	f.client(t, "dvc", a.srv.URL+"/bc", "")
	f.client(t, "gone", "http://127.0.0.1:1/bc", "")
	s := f.login(t, "sub-1", "dvc", "gone")
	if err := f.lo.End(ctx, s, session.ReasonLogout, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lo.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	pending, _ := f.db.ListLogouts(ctx, store.DeliveryPending, 10)
	if len(pending) != 2 {
		t.Fatalf("pending after failures = %d", len(pending))
	}
	jti := map[string]string{}
	for _, d := range pending {
		if d.Attempts != 1 || d.LastError == "" || !d.NextAttemptAt.After(f.clock.t) {
			t.Fatalf("after one failure: %+v", d)
		}
		jti[d.ClientID] = d.JTI
	}
	// Not due yet: nothing is sent.
	if n, _ := f.lo.Deliver(ctx); n != 0 {
		t.Fatalf("claimed %d before the retry time", n)
	}
	f.clock.t = f.clock.t.Add(time.Second + 10*time.Millisecond)
	f.lo.Deliver(ctx)
	f.clock.t = f.clock.t.Add(2*time.Second + 10*time.Millisecond)
	f.lo.Deliver(ctx)
	got := a.received()
	if len(got) != 1 {
		t.Fatalf("dvc received %d tokens after retries", len(got))
	}
	c := f.verify(t, got[0], "dvc", s.ID, "sub-1")
	if c["jti"] != jti["dvc"] {
		t.Error("the jti changed between attempts")
	}
	// The unreachable client is given up after MaxAge.
	f.lo.MaxAge = time.Minute
	f.clock.t = f.clock.t.Add(time.Hour)
	f.lo.Deliver(ctx)
	failed, _ := f.db.ListLogouts(ctx, store.DeliveryFailed, 10)
	if len(failed) != 1 || failed[0].ClientID != "gone" {
		t.Fatalf("failed = %+v", failed)
	}
	if st := f.lo.Stats(); st.Delivered != 1 || st.Failed != 1 || st.Retried < 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestSweepAnnouncesExpiredSessions(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := newRP(t)
	f.client(t, "dvc", a.srv.URL+"/bc", "")
	idle := f.login(t, "sub-1", "dvc")
	busy, cookie := f.loginWithCookie(t, "sub-2", "dvc")
	// sub-2 keeps using the session; sub-1 walks away.
	for i := 0; i < 3; i++ {
		f.clock.t = f.clock.t.Add(6 * time.Minute)
		if _, err := f.m.Get(ctx, withCookie(cookie)); err != nil {
			t.Fatalf("the busy session ended at step %d: %v", i, err)
		}
	}
	ended, err := f.lo.Sweep(ctx)
	if err != nil || ended != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", ended, err)
	}
	f.lo.Deliver(ctx)
	got := a.received()
	if len(got) != 1 {
		t.Fatalf("received %d tokens", len(got))
	}
	f.verify(t, got[0], "dvc", idle.ID, "sub-1")
	if _, err := f.m.Lookup(ctx, busy.ID); err != nil {
		t.Fatal("the busy session was ended")
	}
	if n, _ := f.lo.Sweep(ctx); n != 0 {
		t.Fatalf("second sweep ended %d", n)
	}
}

func TestEndAllReachesSessionsTheEphemeralStoreLost(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := newRP(t)
	f.client(t, "dvc", a.srv.URL+"/bc", "")
	s1 := f.login(t, "sub-1", "dvc")
	s2 := f.login(t, "sub-1", "dvc")
	// As after a Redis restart: the session is gone, its trace is not.
	if err := f.m.Delete(ctx, s2.ID); err != nil {
		t.Fatal(err)
	}
	ended, err := f.lo.EndAll(ctx, "sub-1", session.ReasonLogoutAll, "sub-1")
	if err != nil || len(ended) != 2 {
		t.Fatalf("EndAll = %d, %v", len(ended), err)
	}
	f.lo.Deliver(ctx)
	sids := map[string]bool{}
	for _, tok := range a.received() {
		c := f.verify(t, tok, "dvc", "", "sub-1")
		sids[c["sid"].(string)] = true
	}
	if !sids[s1.ID] || !sids[s2.ID] {
		t.Fatalf("notified sessions %v, want %s and %s", sids, s1.ID, s2.ID)
	}
}

// Every end of a session is in the audit log, with who ended it (the
// subject when no one else did), why, and the clients told.
func TestEndIsAudited(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.client(t, "dvc", "https://dvc.example/bc", "RS256")
	mine := f.login(t, "sub-1", "dvc")
	locked := f.login(t, "sub-2")
	if err := f.lo.End(ctx, mine, session.ReasonLogout, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.lo.End(ctx, locked, session.ReasonDisabled, "cli"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		subject, actor, sid, reason, clients, notifications string
	}{
		{"sub-1", "sub-1", mine.ID, session.ReasonLogout, "dvc", "1"},
		{"sub-2", "cli", locked.ID, session.ReasonDisabled, "", "0"},
	} {
		events, err := f.db.ListAudit(ctx, want.subject, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 {
			t.Fatalf("%d audit events for %s, want 1", len(events), want.subject)
		}
		e := events[0]
		if e.Type != "session.end" || e.Actor != want.actor || e.Details["sid"] != want.sid ||
			e.Details["reason"] != want.reason || e.Details["clients"] != want.clients ||
			e.Details["notifications"] != want.notifications {
			t.Errorf("recorded %+v %v, want %+v", e, e.Details, want)
		}
	}
}
