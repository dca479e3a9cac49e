package login

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
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

// Handler serves /oauth2/auth, /login, /register, /consent and /login/business.
type Handler struct {
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
	Now       func() time.Time
	// Sleep waits for the brute-force delay (replaceable in tests).
	Sleep func(ctx context.Context, d time.Duration)
	// MFA, when set, provides second factors and the assurance policy (mfa.go).
	MFA *MFA
	// Certificates, when set, offers login with a digital-signature certificate (certificate.go).
	Certificates *Certificates

	env *flow.Env
}

// Init prepares the handler; call once before serving.
func (h *Handler) Init() {
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.Sleep == nil {
		h.Sleep = flow.Sleep
	}
	h.env = &flow.Env{Kit: h.Kit, Flows: flow.NewStore(h.Eph, h.Opts.FlowLifespan), Store: h.Store, Eph: h.Eph,
		Sessions: h.Sessions, Logout: h.Logout, Guard: h.Guard, Audit: h.Audit, Log: h.Log, Now: h.Now, Sleep: h.Sleep,
		Next: h}
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
		h.registerMFA(mux)
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
