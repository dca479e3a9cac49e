package certificate

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	certauth "github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Config is what the login flow needs for certificate login.
type Config struct {
	Verifier   *certauth.Verifier
	Challenges *certauth.Challenges
	Mapper     *certauth.Mapper
	// Forwarded reads the client certificate a trusted reverse proxy passes
	// in a header to the main listener; nil when none is configured.
	Forwarded *certauth.ClientCertificates
	// MutualTLSLogin is the URL of the mutual-TLS login without its query:
	// on the mutual-TLS listener (https://host:port/login/certificate/mtls)
	// or, behind a proxy, on the main listener (/login/certificate/mtls);
	// "" when mutual TLS is not configured.
	MutualTLSLogin string
	// Issuer is the base URL of the main listener, where the mutual-TLS
	// listener sends the browser back.
	Issuer string
	// VGCAEndpoint is the local WebSocket of the VGCA Sign Service, allowed
	// in the Content Security Policy of the pages that sign.
	VGCAEndpoint string
	// Prove records the personal ID a certificate carries as proven by it
	// (the administration's proofing); nil records no proof.
	Prove ProveFunc
	// PendingLifetime is how long a certificate that mapped to nobody is
	// remembered for binding; zero means DefaultPendingLifetime.
	PendingLifetime time.Duration
}

// DefaultPendingLifetime is how long a certificate that mapped to nobody is
// remembered when Config.PendingLifetime is zero.
const DefaultPendingLifetime = 10 * time.Minute

func (c *Config) pendingLifetime() time.Duration {
	if c.PendingLifetime > 0 {
		return c.PendingLifetime
	}
	return DefaultPendingLifetime
}

// How a certificate came: a signed challenge or a TLS handshake (directly or
// through a proxy).
const (
	viaSignature = "signature"
	viaTLS       = "mutual_tls"
	viaProxy     = "proxy_header"
)

// signatureLimits are the form limits of a posted signature.
var signatureLimits = map[string]web.FieldLimit{
	"signature":   {MaxLen: certauth.MaxSignatureField},
	"certificate": {MaxLen: certauth.MaxCertificateField, MaxCount: certauth.MaxCertificateFields},
}

// Step is the certificate login step. A nil *Step is certificate login
// turned off: its LoginSection, HasPending and Offer do nothing.
type Step struct {
	env *flow.Env
	cfg *Config
}

// New returns the certificate login step configured by c, or nil when c is
// nil (certificate login off).
func New(env *flow.Env, c *Config) *Step {
	if c == nil {
		return nil
	}
	return &Step{env: env, cfg: c}
}

// Register mounts the step's handlers on the main listener's mux: the
// signed challenge, the binding offer, the way back from the mutual-TLS
// listener and, when a proxy forwards client certificates, the mutual-TLS
// login itself.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /login/certificate/challenge", s.loginChallenge)
	mux.HandleFunc("POST /login/certificate", s.postSignature)
	mux.HandleFunc("GET /login/certificate/resume", s.resumeAfterMutualTLS)
	mux.HandleFunc("POST /login/certificate/bind/challenge", s.bindChallenge)
	mux.HandleFunc("POST /login/certificate/bind", s.postBind)
	mux.HandleFunc("POST /login/certificate/bind/skip", s.skipBind)
	if s.cfg.Forwarded != nil {
		reader := s.cfg.Forwarded
		mux.HandleFunc("GET /login/certificate/mtls", func(w http.ResponseWriter, r *http.Request) { s.showMutualTLS(w, r, reader) })
		mux.HandleFunc("POST /login/certificate/mtls", func(w http.ResponseWriter, r *http.Request) { s.postMutualTLS(w, r, reader, viaProxy) })
	}
}

// MutualTLSHandler returns the handler of the mutual-TLS listener: the
// certificate login of a browser that presented a client certificate in the
// handshake, and the assets of its pages. Only the connection's certificate
// counts there; no header is read.
func (s *Step) MutualTLSHandler() http.Handler {
	kit := s.env.Kit
	reader := &certauth.ClientCertificates{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/certificate/mtls", func(w http.ResponseWriter, r *http.Request) { s.showMutualTLS(w, r, reader) })
	mux.HandleFunc("POST /login/certificate/mtls", func(w http.ResponseWriter, r *http.Request) { s.postMutualTLS(w, r, reader, viaTLS) })
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", kit.UI.Assets()))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { kit.Error(w, r, http.StatusNotFound, "not_found") })
	return kit.Middleware(mux)
}

// LoginSection adds the certificate section to the login page of a flow
// and lets the page's script reach the signing software. It does nothing
// when certificate login is off or the page has no flow.
func (s *Step) LoginSection(w http.ResponseWriter, page *ui.LoginPage) {
	if s == nil || page.FlowID == "" {
		return
	}
	sec := &ui.CertificateSignIn{Form: s.signingForm(page.CSRFToken, "/login/certificate", "/login/certificate/challenge",
		page.FlowID, "certificate.login.submit")}
	if s.cfg.MutualTLSLogin != "" {
		sec.MutualTLSURL = s.cfg.MutualTLSLogin + "?flow=" + url.QueryEscape(page.FlowID)
	}
	page.Certificate = sec
	s.signingPolicy(w)
}

func (s *Step) signingForm(csrf, action, challenge, flowID, buttonKey string) ui.SigningForm {
	return ui.SigningForm{Action: action, ChallengeURL: challenge, FlowID: flowID, CSRFToken: csrf, Adapters: "vgca",
		VGCAEndpoint: s.cfg.VGCAEndpoint, ButtonKey: buttonKey}
}

// signingPolicy allows the page's script to reach the signing software.
func (s *Step) signingPolicy(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", web.ContentSecurityPolicyConnecting(s.cfg.VGCAEndpoint))
}

// challengeRequest checks a challenge request of a signing script: the CSRF
// token (the X-CSRF-Token header or the csrf_token field) and the flow (the
// query's or the form's). It answers the request itself (JSON) when they
// fail.
func (s *Step) challengeRequest(w http.ResponseWriter, r *http.Request) (*flow.Flow, bool) {
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.JSONError(w, r, http.StatusBadRequest, "error.bad_request")
		return nil, false
	}
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		token = r.PostForm.Get(web.CSRFField)
	}
	if !s.env.Kit.CheckCSRFToken(r, token) {
		s.env.Kit.JSONError(w, r, http.StatusForbidden, "error.csrf")
		return nil, false
	}
	id := r.URL.Query().Get("flow")
	if id == "" {
		id = r.PostForm.Get("flow")
	}
	fl, err := s.certificateFlow(r, id)
	if errors.Is(err, flow.ErrGone) {
		s.env.Kit.JSONError(w, r, http.StatusGone, "error.flow_expired")
		return nil, false
	}
	if err != nil {
		s.env.JSONUnavailable(w, r, err)
		return nil, false
	}
	return fl, true
}

// certificateFlow returns the login flow a certificate may log in to: any
// but the confirmation of who is signed in (a re-authentication), which
// asks for the signed-in person's own factors.
func (s *Step) certificateFlow(r *http.Request, id string) (*flow.Flow, error) {
	fl, err := s.env.Flows.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if fl.Reauth {
		return nil, flow.ErrGone
	}
	return fl, nil
}

// issueChallenge answers with a new challenge of the flow for the purpose.
func (s *Step) issueChallenge(w http.ResponseWriter, r *http.Request, flowID string, p certauth.Purpose) {
	ch, err := s.cfg.Challenges.Issue(r.Context(), flowID, p)
	if err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ch.Response())
}
