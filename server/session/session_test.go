package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*session.Manager, *clock) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "s.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now()}
	db.SetClock(c.now)
	return &session.Manager{Store: db, CookieName: "sid", IdleTimeout: 15 * time.Minute,
		AbsoluteLifetime: time.Hour, Now: c.now}, c
}

func create(t *testing.T, m *session.Manager, sub string, r *http.Request) (*session.SSO, *http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	s := &session.SSO{AccountID: sub, Capacity: "citizen", ACR: "LoA1", AMR: []string{"pwd"}}
	if err := m.Create(context.Background(), w, r, s); err != nil {
		t.Fatal(err)
	}
	cs := w.Result().Cookies()
	if len(cs) != 1 || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookie %+v", cs)
	}
	return s, cs[0]
}

func withCookie(c *http.Cookie) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	if c != nil {
		r.AddCookie(c)
	}
	return r
}

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	m, clk := setup(t)
	s, c := create(t, m, "sub1", withCookie(nil))
	if s.ID == "" || s.ID == c.Value {
		t.Fatal("the session id must be derived from, not equal to, the cookie")
	}
	got, err := m.Get(ctx, withCookie(c))
	if err != nil || got.ID != s.ID || got.AccountID != "sub1" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := m.AddClient(ctx, got, "portal"); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Lookup(ctx, s.ID); !got.HasClient("portal") {
		t.Fatal("client not recorded")
	}
	// Sliding idle timeout within the absolute lifetime.
	for i := 0; i < 3; i++ {
		clk.t = clk.t.Add(10 * time.Minute)
		if _, err := m.Get(ctx, withCookie(c)); err != nil {
			t.Fatalf("session ended while in use at step %d: %v", i, err)
		}
	}
	clk.t = clk.t.Add(16 * time.Minute)
	if _, err := m.Get(ctx, withCookie(c)); err != session.ErrNoSession {
		t.Fatalf("idle session still alive: %v", err)
	}
}

func TestAbsoluteLifetime(t *testing.T) {
	ctx := context.Background()
	m, clk := setup(t)
	_, c := create(t, m, "sub1", withCookie(nil))
	for i := 0; i < 6; i++ {
		clk.t = clk.t.Add(9 * time.Minute)
		if _, err := m.Get(ctx, withCookie(c)); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	clk.t = clk.t.Add(9 * time.Minute) // 63 minutes > 1 h
	if _, err := m.Get(ctx, withCookie(c)); err != session.ErrNoSession {
		t.Fatalf("session outlived its absolute lifetime: %v", err)
	}
}

func TestCreateReplacesOldSession(t *testing.T) {
	ctx := context.Background()
	m, _ := setup(t)
	old, c := create(t, m, "sub1", withCookie(nil))
	newer, _ := create(t, m, "sub1", withCookie(c))
	if old.ID == newer.ID {
		t.Fatal("a new login reused the session id")
	}
	if _, err := m.Lookup(ctx, old.ID); err != session.ErrNoSession {
		t.Fatal("the replaced session still lives (fixation)")
	}
	if _, err := m.Lookup(ctx, newer.ID); err != nil {
		t.Fatal(err)
	}
}

func TestGarbageCookies(t *testing.T) {
	ctx := context.Background()
	m, _ := setup(t)
	_, c := create(t, m, "sub1", withCookie(nil))
	// The real cookie with its first character changed (to one it did not
	// have: a token starting with "x" stays itself under "x" + rest).
	first := "x"
	if c.Value[0] == 'x' {
		first = "y"
	}
	for _, v := range []string{"", "short", first + c.Value[1:], strings.Repeat("A", 500)} {
		if _, err := m.Get(ctx, withCookie(&http.Cookie{Name: "sid", Value: v})); err != session.ErrNoSession {
			t.Fatalf("cookie %q: %v", v, err)
		}
	}
	w := httptest.NewRecorder()
	m.ClearCookie(w)
	if cs := w.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Fatal("ClearCookie did not clear the cookie")
	}
}

func TestOfficialsHaveShorterSessions(t *testing.T) {
	ctx := context.Background()
	m, clk := setup(t)
	m.OfficialIdleTimeout, m.OfficialAbsoluteLifetime = 5*time.Minute, 30*time.Minute
	w := httptest.NewRecorder()
	s := &session.SSO{AccountID: "off1", Capacity: "official"}
	if err := m.Create(ctx, w, withCookie(nil), s); err != nil {
		t.Fatal(err)
	}
	cit, _ := create(t, m, "cit1", withCookie(nil))
	clk.t = clk.t.Add(6 * time.Minute)
	if _, err := m.Lookup(ctx, s.ID); err != session.ErrNoSession {
		t.Fatal("an official's session outlived the official idle timeout")
	}
	if _, err := m.Lookup(ctx, cit.ID); err != nil {
		t.Fatal("a citizen's session ended at the official idle timeout")
	}
}

func TestShortIdleTimeoutSlides(t *testing.T) {
	ctx := context.Background()
	m, clk := setup(t)
	m.IdleTimeout = 4 * time.Second
	_, c := create(t, m, "sub1", withCookie(nil))
	// In use every 2 seconds: the session outlives its idle timeout many times.
	for i := 0; i < 10; i++ {
		clk.t = clk.t.Add(2 * time.Second)
		if _, err := m.Get(ctx, withCookie(c)); err != nil {
			t.Fatalf("the session in use ended at step %d: %v", i, err)
		}
	}
	clk.t = clk.t.Add(5 * time.Second)
	if _, err := m.Get(ctx, withCookie(c)); err != session.ErrNoSession {
		t.Fatalf("idle session still alive: %v", err)
	}
}
