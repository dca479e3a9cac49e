package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Provider is one upstream OpenID Connect provider.
type Provider struct {
	// Name identifies it in URLs, the audit log and the proofs it makes.
	Name string
	// DisplayName is its name on the login button, by language ("vi", "en").
	DisplayName map[string]string
	Issuer      string
	ClientID    string
	// ClientSecret authenticates dinhdanh at the token endpoint.
	ClientSecret string
	// ClientAuth is client_secret_basic, client_secret_post, private_key_jwt,
	// or "" for the secret in the header unless the provider asks for the form.
	ClientAuth string
	// PrivateKey signs the client assertions of private_key_jwt, naming
	// PrivateKeyID as kid (see PrivateKey in clientauth.go).
	PrivateKey *PrivateKey
	Scopes     []string
	ACRValues  []string
	Claims     Claims
	// Assurance is the acr of a login through the provider.
	Assurance string
	// ACRMap maps the acr of the provider's ID tokens to dinhdanh's.
	ACRMap map[string]string
	// ProvesPersonalID: the personal ID it releases is recorded as verified.
	ProvesPersonalID bool
	// Timeout bounds every request to the provider.
	Timeout time.Duration
}

// Level returns the acr of a login whose ID token carries acr: its mapping
// in ACRMap when it has one, else Assurance (so a missing or unknown acr
// never reaches more than Assurance).
func (p *Provider) Level(acr string) string {
	if acr != "" {
		if l, ok := p.ACRMap[acr]; ok {
			return l
		}
	}
	return p.Assurance
}

// Claims names the provider's claims of a person's attributes.
type Claims struct {
	PersonalID, Name, Birthdate, Gender string
	// BirthdateLayout is the Go time layout of Birthdate's values.
	BirthdateLayout string
	// GenderCodes maps Gender's values to "male", "female" or "other".
	GenderCodes map[string]string
	// TaxCode, OrganizationName, OrganizationTechID and Role name the
	// claims of the organisation the person logs in for ("" is not read).
	TaxCode, OrganizationName, OrganizationTechID, Role string
	// RoleCodes maps Role's values to "legal_representative" or
	// "authorised_staff" (the role of a value it does not map).
	RoleCodes map[string]string
}

// ProveFunc records that the account holds pid, proven by proof, displacing
// an account that had only asserted it; it returns that account's ID.
type ProveFunc func(ctx context.Context, accountID string, pid identity.PersonalID, proof identity.Proofing) (string, error)

// Config is what the step is built from.
type Config struct {
	Providers []Provider
	// Prove records a proven personal ID (the administration's proofing).
	Prove ProveFunc
	// Issuer is dinhdanh's base URL: the redirect URI is
	// Issuer + "/login/upstream/{name}/callback".
	Issuer string
	// HTTPClient reaches the providers (http.DefaultClient's transport when nil).
	HTTPClient *http.Client
}

// loginLifetime is how long a login sent to a provider may take.
const loginLifetime = 10 * time.Minute

// stateCookie binds a login sent to a provider to the browser that went.
const stateCookie = "dd_upstream"

// Step is the login through upstream providers. A nil *Step offers none.
type Step struct {
	env       *flow.Env
	cfg       Config
	providers map[string]*provider
}

// provider is a configured provider and, once read, its discovery.
type provider struct {
	Provider
	mu  sync.Mutex
	oid *oidc.Provider
}

// New returns the step, or nil when c has no provider.
func New(env *flow.Env, c *Config) *Step {
	if c == nil || len(c.Providers) == 0 {
		return nil
	}
	s := &Step{env: env, cfg: *c, providers: map[string]*provider{}}
	if s.cfg.HTTPClient == nil {
		s.cfg.HTTPClient = &http.Client{}
	}
	for _, p := range c.Providers {
		s.providers[p.Name] = &provider{Provider: p}
	}
	return s
}

// Register mounts the step's pages.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/upstream/{name}", s.start)
	mux.HandleFunc("GET /login/upstream/{name}/callback", s.callback)
	mux.HandleFunc("POST /login/upstream/{name}/backchannel-logout", s.backchannelLogout)
}

// LoginSection adds a button per provider to the login page of a flow. It
// does nothing on a nil Step or a page without a flow.
func (s *Step) LoginSection(page *ui.LoginPage) {
	if s == nil || page.FlowID == "" {
		return
	}
	for _, p := range s.cfg.Providers {
		label := p.DisplayName[page.Lang]
		if label == "" {
			label = p.DisplayName["vi"]
		}
		if label == "" {
			label = p.Name
		}
		page.Upstreams = append(page.Upstreams, ui.UpstreamButton{Label: label,
			Href: "/login/upstream/" + url.PathEscape(p.Name) + "?flow=" + url.QueryEscape(page.FlowID)})
	}
}

// pending is a login sent to a provider, kept under its state.
type pending struct {
	Flow     string `json:"flow"`
	Provider string `json:"provider"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
}

// discover returns the provider's discovery, reading it on first use.
func (s *Step) discover(ctx context.Context, p *provider) (*oidc.Provider, error) {
	p.mu.Lock()
	oid := p.oid
	p.mu.Unlock()
	if oid != nil {
		return oid, nil
	}
	// Read without the lock: a slow provider holds each login only up to
	// its own timeout, not behind the others.
	oid, err := oidc.NewProvider(s.clientContext(ctx), p.Issuer)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oid == nil {
		p.oid = oid
	}
	return p.oid, nil
}

// clientContext carries the HTTP client go-oidc and oauth2 use.
func (s *Step) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.cfg.HTTPClient)
}

func (s *Step) oauth(p *provider, oid *oidc.Provider) *oauth2.Config {
	scopes := []string{oidc.ScopeOpenID}
	for _, sc := range p.Scopes {
		if sc != oidc.ScopeOpenID {
			scopes = append(scopes, sc)
		}
	}
	ep := oid.Endpoint()
	switch p.ClientAuth {
	case authBasic:
		ep.AuthStyle = oauth2.AuthStyleInHeader
	case authPost, authPrivateKeyJWT:
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	secret := p.ClientSecret
	if p.ClientAuth == authPrivateKeyJWT {
		secret = ""
	}
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: secret, Endpoint: ep, Scopes: scopes,
		RedirectURL: strings.TrimSuffix(s.cfg.Issuer, "/") + "/login/upstream/" + url.PathEscape(p.Name) + "/callback"}
}

func (s *Step) start(w http.ResponseWriter, r *http.Request) {
	p, ok := s.providers[r.PathValue("name")]
	if !ok {
		s.env.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	fl, err := s.env.Flows.Get(r.Context(), r.URL.Query().Get("flow"))
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	if fl.Reauth && !s.reauthStart(w, r, p, fl) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.Timeout)
	defer cancel()
	oid, err := s.discover(ctx, p)
	if err != nil {
		s.down(w, r, p, "discovery", err)
		return
	}
	pend := pending{Flow: fl.ID, Provider: p.Name, Nonce: web.RandomToken(18), Verifier: oauth2.GenerateVerifier()}
	data, _ := json.Marshal(pend)
	state := web.RandomToken(18)
	if err := s.env.Eph.PutRecord(r.Context(), store.KindUpstreamLogin, &store.Record{Key: state, Data: data,
		ExpiresAt: s.env.Now().Add(loginLifetime)}); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/login/upstream/", MaxAge: int(loginLifetime.Seconds()),
		HttpOnly: true, Secure: s.env.Kit.SecureCookie, SameSite: http.SameSiteLaxMode})
	opts := []oauth2.AuthCodeOption{oidc.Nonce(pend.Nonce), oauth2.S256ChallengeOption(pend.Verifier)}
	if len(p.ACRValues) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", strings.Join(p.ACRValues, " ")))
	}
	if lang := s.env.Kit.Lang(w, r); lang != "" {
		opts = append(opts, oauth2.SetAuthURLParam("ui_locales", lang))
	}
	if fl.Reauth {
		// The person must prove again who they are at the provider, now.
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.oauth(p, oid).AuthCodeURL(state, opts...), http.StatusSeeOther)
}

// down answers a request whose provider could not be reached: 503, a page
// naming the provider; the cause goes to the log.
func (s *Step) down(w http.ResponseWriter, r *http.Request, p *provider, what string, err error) {
	s.env.Log.Warn("upstream provider unavailable", "provider", p.Name, "step", what, "err", err,
		"request_id", web.RequestID(r))
	s.env.Kit.ErrorWith(w, r, http.StatusServiceUnavailable, "unavailable", "upstream.unavailable", s.label(w, r, p))
}

// refuse answers a callback whose answer is refused: 400, changing nothing.
func (s *Step) refuse(w http.ResponseWriter, r *http.Request, p *provider, clientID, reason string, err error) {
	s.env.Log.Warn("upstream login refused", "provider", p.Name, "reason", reason, "err", err,
		"request_id", web.RequestID(r))
	s.env.Record(r, audit.LoginFailure, "", clientID, map[string]string{"method": "upstream", "provider": p.Name, "reason": reason})
	s.env.Kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "upstream.refused", s.label(w, r, p))
}

func (s *Step) label(w http.ResponseWriter, r *http.Request, p *provider) string {
	if l := p.DisplayName[s.env.Kit.Lang(w, r)]; l != "" {
		return l
	}
	if l := p.DisplayName["vi"]; l != "" {
		return l
	}
	return p.Name
}

// errUnreachable marks a failure to reach the provider (as opposed to an
// answer that is refused).
var errUnreachable = errors.New("upstream unreachable")

func (s *Step) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := s.providers[r.PathValue("name")]
	if !ok {
		s.env.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	cookie, err := r.Cookie(stateCookie)
	if state == "" || err != nil || cookie.Value != state {
		s.refuse(w, r, p, "", "state", errors.New("the state is not the one this browser was sent with"))
		return
	}
	rec, err := s.env.Eph.TakeRecord(ctx, store.KindUpstreamLogin, state)
	if errors.Is(err, store.ErrNotFound) {
		s.refuse(w, r, p, "", "state", err)
		return
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/login/upstream/", MaxAge: -1, HttpOnly: true,
		Secure: s.env.Kit.SecureCookie, SameSite: http.SameSiteLaxMode})
	var pend pending
	if err := json.Unmarshal(rec.Data, &pend); err != nil || pend.Provider != p.Name {
		s.refuse(w, r, p, "", "state", err)
		return
	}
	fl, err := s.env.Flows.Get(ctx, pend.Flow)
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	if e := q.Get("error"); e != "" {
		s.refuse(w, r, p, fl.ClientID, "error:"+e, errors.New(q.Get("error_description")))
		return
	}
	id, err := s.verify(ctx, p, q.Get("code"), pend)
	if errors.Is(err, errUnreachable) {
		s.down(w, r, p, "token", err)
		return
	}
	if err != nil {
		s.refuse(w, r, p, fl.ClientID, "token", err)
		return
	}
	if fl.Reauth {
		s.reauth(w, r, p, fl, id)
		return
	}
	acct, status, errKey, err := s.account(w, r, p, id, !fl.PasswordReset)
	if err == nil && errKey == "" {
		err = s.represent(r, p, id, acct, fl.ClientID)
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if errKey != "" {
		s.env.Record(r, audit.LoginFailure, "", fl.ClientID, map[string]string{"method": "upstream", "provider": p.Name, "reason": errKey})
		s.env.Kit.ErrorWith(w, r, status, "bad_request", errKey, s.label(w, r, p))
		return
	}
	amr := id.amr
	if len(amr) == 0 {
		amr = []string{"fed"}
	}
	if err := s.env.StartSession(w, r, fl, acct, identity.CapacityCitizen, p.Level(id.acr), amr, "upstream:"+p.Name); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if err := s.env.Sessions.SetUpstream(ctx, fl.Session, p.Name, id.sub, id.sid, id.idToken); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	s.env.Next.Resume(w, r, fl)
}
