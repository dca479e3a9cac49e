package flow_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// factorFixture is an environment on a SQLite store with one account and
// its browser's SSO session.
type factorFixture struct {
	env    *flow.Env
	db     *sqlstore.DB
	now    time.Time
	acct   *identity.Account
	cookie *http.Cookie
	sso    *session.SSO
}

func newFactorFixture(t *testing.T, sso *session.SSO) *factorFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "f.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &factorFixture{db: db, now: time.Now().UTC().Truncate(time.Second)}
	clock := func() time.Time { return f.now }
	db.SetClock(clock)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sessions := &session.Manager{Store: db, CookieName: "sid", IdleTimeout: time.Hour, AbsoluteLifetime: 8 * time.Hour, Now: clock}
	f.env = &flow.Env{Flows: flow.NewStore(db, time.Hour), Store: db, Eph: db, Sessions: sessions,
		Audit: audit.NewRecorder(db, log), Log: log, Now: clock}
	f.acct = &identity.Account{ID: identity.NewSubject(), FullName: "Nguyễn Thị Lan", Locale: "vi"}
	if err := db.CreateAccount(ctx, f.acct, ""); err != nil {
		t.Fatal(err)
	}
	sso.AccountID, sso.AuthTime = f.acct.ID, f.now
	w := httptest.NewRecorder()
	if err := sessions.Create(ctx, w, httptest.NewRequest("GET", "/", nil), sso); err != nil {
		t.Fatal(err)
	}
	f.sso, f.cookie = sso, w.Result().Cookies()[0]
	return f
}

// flow saves a flow of the fixture's login, changed by change.
func (f *factorFixture) flow(t *testing.T, change func(*flow.Flow)) *flow.Flow {
	t.Helper()
	fl := &flow.Flow{ClientID: "portal", RequestedAt: f.now, LoginDone: true, AccountID: f.acct.ID, Capacity: "citizen",
		SID: f.sso.ID, AuthTime: f.sso.AuthTime, ACR: f.sso.ACR, AMR: f.sso.AMR}
	change(fl)
	if err := f.env.Flows.Create(context.Background(), fl); err != nil {
		t.Fatal(err)
	}
	return fl
}

func (f *factorFixture) request() *http.Request {
	r := httptest.NewRequest("GET", "/login/mfa", nil)
	r.AddCookie(f.cookie)
	return r
}

func TestCompleteFactor(t *testing.T) {
	cases := []struct {
		name   string
		sso    session.SSO
		reauth bool
		// want
		amr      []string
		renewed  bool
		event    audit.Event
		required string
	}{
		{name: "second factor of a login", sso: session.SSO{Capacity: "citizen", ACR: authn.LoA1, AMR: []string{authn.AMRPassword}},
			amr: []string{authn.AMRPassword, authn.AMROTP, "mfa"}, event: audit.MFASuccess, required: authn.LoA2},
		{name: "re-authentication after a passkey login", sso: session.SSO{Capacity: "citizen", ACR: authn.LoA2,
			AMR: []string{authn.AMRHardware, "user"}}, reauth: true,
			amr: []string{authn.AMRPassword, authn.AMROTP, "mfa"}, renewed: true, event: audit.ReauthSuccess},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			sso := c.sso
			f := newFactorFixture(t, &sso)
			began := sso.AuthTime
			fl := f.flow(t, func(fl *flow.Flow) {
				fl.Required, fl.Reauth, fl.ReauthPassword = c.required, c.reauth, c.reauth
			})
			f.now = f.now.Add(10 * time.Minute)
			r := f.request()
			ff, err := f.env.LoadSessionFlow(r, fl.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.env.CompleteFactor(r, ff, []string{authn.AMROTP}, "totp"); err != nil {
				t.Fatal(err)
			}
			got, err := f.env.Sessions.Lookup(ctx, sso.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantTime := began
			if c.renewed {
				wantTime = f.now
			}
			if got.ACR != authn.LoA2 || !slices.Equal(got.AMR, c.amr) || !got.AuthTime.Equal(wantTime) {
				t.Errorf("session acr %s amr %v auth_time %v, want LoA2 %v %v", got.ACR, got.AMR, got.AuthTime, c.amr, wantTime)
			}
			saved, err := f.env.Flows.Get(ctx, fl.ID)
			if err != nil {
				t.Fatal(err)
			}
			if saved.ACR != authn.LoA2 || !slices.Equal(saved.AMR, c.amr) || !saved.AuthTime.Equal(wantTime) ||
				saved.Required != "" || saved.Reauth || saved.ReauthPassword {
				t.Errorf("saved flow %+v", saved)
			}
			events, err := f.db.ListAudit(ctx, f.acct.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || events[0].Type != string(c.event) || events[0].ClientID != "portal" ||
				events[0].Details["method"] != "totp" || events[0].Details["sid"] != sso.ID || events[0].Details["acr"] != authn.LoA2 {
				t.Errorf("audit %+v, want one %s", events, c.event)
			}
		})
	}
}

func TestFactorFlowPage(t *testing.T) {
	cases := []struct {
		name     string
		change   func(*flow.Flow)
		redirect string // "" when the page goes on with the flow
	}{
		{name: "a factor is required", change: func(fl *flow.Flow) { fl.Required = authn.LoA2 }},
		{name: "re-authentication, password confirmed", change: func(fl *flow.Flow) { fl.Reauth, fl.ReauthPassword = true, true }},
		{name: "re-authentication, password not confirmed", change: func(fl *flow.Flow) { fl.Reauth = true },
			redirect: "/login/reauth?flow="},
		{name: "nothing more asked", change: func(*flow.Flow) {}, redirect: "/login/resume?flow="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFactorFixture(t, &session.SSO{Capacity: "citizen", ACR: authn.LoA1, AMR: []string{authn.AMRPassword}})
			fl := f.flow(t, c.change)
			w := httptest.NewRecorder()
			ff, ok := f.env.FactorFlowPage(w, f.request(), fl.ID)
			if c.redirect == "" {
				if !ok || ff.Flow.ID != fl.ID || ff.Account.ID != f.acct.ID || ff.SSO.ID != f.sso.ID || w.Code != http.StatusOK {
					t.Fatalf("FactorFlowPage = %+v, %v (status %d), want the flow", ff, ok, w.Code)
				}
				return
			}
			if ok || w.Code != http.StatusSeeOther || w.Header().Get("Location") != c.redirect+fl.ID {
				t.Fatalf("FactorFlowPage = %v, %d %s, want a redirect to %s", ok, w.Code, w.Header().Get("Location"), c.redirect+fl.ID)
			}
		})
	}
}

func TestWebAuthnEndpoints(t *testing.T) {
	if got := (*flow.MFA)(nil).WebAuthnEndpoints("/b", "/f"); got.Begin != "" || got.Finish != "" {
		t.Errorf("no MFA: %+v", got)
	}
	if got := (&flow.MFA{}).WebAuthnEndpoints("/b", "/f"); got.Begin != "" || got.Finish != "" {
		t.Errorf("no WebAuthn: %+v", got)
	}
	if got := (&flow.MFA{WebAuthn: &authn.WebAuthn{}}).WebAuthnEndpoints("/b", "/f"); got.Begin != "/b" || got.Finish != "/f" {
		t.Errorf("WebAuthn on: %+v", got)
	}
}
