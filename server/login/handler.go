package login

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/login/business"
	"github.com/dinhdanh/dinhdanh/server/login/certificate"
	"github.com/dinhdanh/dinhdanh/server/login/consent"
	"github.com/dinhdanh/dinhdanh/server/login/enrol"
	"github.com/dinhdanh/dinhdanh/server/login/factor"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/login/passkey"
	"github.com/dinhdanh/dinhdanh/server/login/password"
	"github.com/dinhdanh/dinhdanh/server/login/reauth"
	"github.com/dinhdanh/dinhdanh/server/login/register"
	"github.com/dinhdanh/dinhdanh/server/login/reset"
	"github.com/dinhdanh/dinhdanh/server/login/upstream"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// Options configure the login handlers.
type Options struct {
	FlowLifespan      time.Duration
	AllowRegistration bool
	MinPasswordLength int
}

// Config is what the login is built from.
type Config struct {
	Kit      *web.Kit
	Provider *oauth.Provider
	Store    store.Store
	Eph      store.Ephemeral
	Sessions *session.Manager
	Logout   *session.Logout
	Hasher   authn.Hasher
	Guard    *authn.Guard
	// Audit records every login event.
	Audit *audit.Recorder
	// Directory, when set, checks officials' directory passwords before local accounts.
	Directory authn.DirectoryAuthenticator
	Opts      Options
	Log       *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Sleep waits for the brute-force delay (flow.Sleep when nil; replaceable in tests).
	Sleep func(ctx context.Context, d time.Duration)
	// MFA, when set, provides second factors and the assurance policy.
	MFA *MFA
	// Certificates, when set, offers login with a digital-signature certificate.
	Certificates *Certificates
	// Upstreams, when it has providers, offers login through upstream OpenID Connect providers.
	Upstreams *upstream.Config
	// Notices, when set, tells the holder of a contact that someone tried to
	// register with it (see register.Notifier).
	Notices register.Notifier
	// Reset, when set, offers "forgot password" at the login page (package reset).
	Reset *reset.Config
	// Privacy is the privacy notice a registration accepts (register.Notice).
	Privacy register.Notice
}

// deps is the configuration the handler was built from.
type deps Config

// Handler is the dispatcher of the login: it serves /oauth2/auth and the
// login page, decides every flow's next step (Next) and carries it out; the
// steps serve their own pages and return to it.
type Handler struct {
	deps
	env  *flow.Env
	cert *certificate.Step // nil when certificate login is off
	up   *upstream.Step    // nil when no upstream provider is configured
	// steps serve their own pages and return to the dispatcher.
	steps []step
}

// step is a step of the login: it mounts its own pages.
type step interface{ Register(mux *http.ServeMux) }

// New builds the login from its configuration.
func New(c Config) *Handler {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = flow.Sleep
	}
	h := &Handler{deps: deps(c)}
	h.env = &flow.Env{Kit: c.Kit, Flows: flow.NewStore(c.Eph, c.Opts.FlowLifespan), Store: c.Store, Eph: c.Eph,
		Sessions: c.Sessions, Logout: c.Logout, Guard: c.Guard, Audit: c.Audit,
		Passwords: flow.NewPasswords(c.Store, c.Hasher, c.Directory, c.Log), Log: c.Log, Now: c.Now, Sleep: c.Sleep,
		Next: h}
	h.cert = certificate.New(h.env, c.Certificates)
	h.steps = append(h.steps,
		password.New(h.env),
		consent.New(h.env),
		business.New(h.env),
		register.New(h.env, c.Hasher, c.Opts.AllowRegistration, c.Opts.MinPasswordLength, c.Notices, c.Privacy),
	)
	if rs := reset.New(h.env, c.Reset); rs != nil {
		h.steps = append(h.steps, rs)
	}
	if h.up = upstream.New(h.env, c.Upstreams); h.up != nil {
		h.steps = append(h.steps, h.up)
	}
	if c.MFA != nil {
		var ups reauth.Upstreams
		if h.up != nil {
			ups = h.up
		}
		h.steps = append(h.steps, factor.New(h.env, c.MFA), enrol.New(h.env, c.MFA),
			reauth.New(h.env, c.MFA.Inventory, c.MFA.WebAuthn != nil, ups))
		if c.MFA.WebAuthn != nil {
			h.steps = append(h.steps, passkey.New(h.env, c.MFA.WebAuthn))
		}
	}
	return h
}

// Register mounts the handlers on the mux: the authorization endpoint at
// oauth.PathAuthorize and its alias oauth.PathAuthorizeAlias, the login page
// and every step's pages.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, path := range []string{oauth.PathAuthorize, oauth.PathAuthorizeAlias} {
		mux.HandleFunc("GET "+path, h.HandleAuthorize)
		mux.HandleFunc("POST "+path, h.HandleAuthorize)
	}
	mux.HandleFunc("GET /login", h.showLogin)
	for _, s := range h.steps {
		s.Register(mux)
	}
	if h.MFA != nil {
		mux.HandleFunc("GET /login/resume", h.resumeFlow)
	}
	if h.cert != nil {
		h.cert.Register(mux)
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !has(b, x) {
			return false
		}
	}
	return true
}

// consentable drops the scopes that release nothing to consent to.
func consentable(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if s != "openid" {
			out = append(out, s)
		}
	}
	return out
}

// Flow is one login in progress.
type Flow = flow.Flow
