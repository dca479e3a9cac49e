package login

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/login/enrol"
	"github.com/dinhdanh/dinhdanh/server/login/factor"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
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
}

// deps is the configuration the handler was built from.
type deps Config

// Handler is the dispatcher of the login: it serves /oauth2/auth and the
// login page, decides every flow's next step (Next) and carries it out; the
// steps serve their own pages and return to it.
type Handler struct {
	deps
	env *flow.Env
	// factor and enrol are the second-factor and enrolment steps (nil
	// without MFA).
	factor *factor.Step
	enrol  *enrol.Step
}

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
		Sessions: c.Sessions, Logout: c.Logout, Guard: c.Guard, Audit: c.Audit, Log: c.Log, Now: c.Now, Sleep: c.Sleep,
		Next: h}
	if c.MFA != nil {
		h.factor, h.enrol = factor.New(h.env, c.MFA), enrol.New(h.env, c.MFA)
	}
	return h
}

// Register mounts the handlers on the mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+oauth.PathAuthorize, h.HandleAuthorize)
	mux.HandleFunc("POST "+oauth.PathAuthorize, h.HandleAuthorize)
	mux.HandleFunc("GET /login", h.showLogin)
	mux.HandleFunc("POST /login", h.postLogin)
	mux.HandleFunc("GET /register", h.showRegister)
	mux.HandleFunc("POST /register", h.postRegister)
	mux.HandleFunc("GET /consent", h.showConsent)
	mux.HandleFunc("POST /consent", h.postConsent)
	mux.HandleFunc("GET /login/business", h.showBusiness)
	mux.HandleFunc("POST /login/business", h.postBusiness)
	if h.MFA != nil {
		mux.HandleFunc("GET /login/resume", h.resumeFlow)
		mux.HandleFunc("GET /login/reauth", h.showReauth)
		mux.HandleFunc("POST /login/reauth", h.postReauth)
		h.factor.Register(mux)
		h.enrol.Register(mux)
		if h.MFA.WebAuthn != nil {
			mux.HandleFunc("POST /login/passkey/begin", h.beginPasskey)
			mux.HandleFunc("POST /login/passkey/finish", h.finishPasskey)
		}
	}
	if h.Certificates != nil {
		h.registerCertificates(mux)
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
