package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/account"
	adminapi "github.com/dinhdanh/dinhdanh/server/admin/api"
	"github.com/dinhdanh/dinhdanh/server/admin/console"
	"github.com/dinhdanh/dinhdanh/server/directory"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/login"
	"github.com/dinhdanh/dinhdanh/server/login/register"
	"github.com/dinhdanh/dinhdanh/server/login/upstream"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/ui"
)

// App is one assembled node: the services of its configuration (see
// Services) and the HTTP handler that serves them.
type App struct {
	*Services
	Provider *oauth.Provider
	Handler  http.Handler
	// Connections caps the connections of the public and the mutual-TLS
	// listeners together (server.max_connections): serve both on listeners
	// wrapped by its Listener, with servers from NewHTTPServer.
	Connections *ConnLimit
	// Directories are the LDAP staff directories (nil when none is configured).
	Directories *directory.Set
	// certificates is the certificate login (nil when no trust anchor is configured).
	certificates *certificateLogin

	health  *health
	metrics *metricsEndpoint
}

// OpenSealer loads (creating on first start) the seal key.
func OpenSealer(cfg *config.Config) (*keys.Sealer, bool, error) {
	sk, err := readSealKey(cfg, true)
	return sk.sealer, sk.created, err
}

// KeyPublication is how long a rotated signing key is published before it
// signs: the JWKS max-age plus the interval at which nodes reload the key
// set, so that every verifier's cached JWKS holds the key before the first
// token it signs.
func KeyPublication(cfg *config.Config) time.Duration {
	return keys.JWKSMaxAge + cfg.Keys.RotationCheckInterval.D()
}

// NewKeySet returns the signing key set of the configuration over the store.
func NewKeySet(cfg *config.Config, st store.SigningKeys, sealer *keys.Sealer) *keys.Set {
	return keys.NewPublishingSet(st, sealer, KeyGrace(cfg), KeyPublication(cfg))
}

// KeyGrace is how long a retired signing key stays published.
func KeyGrace(cfg *config.Config) time.Duration {
	g := cfg.Tokens.IDTokenLifespan.D()
	if a := cfg.Tokens.AccessTokenLifespan.D(); a > g {
		g = a
	}
	return g + 5*time.Minute
}

// New assembles a node over an opened database: its services (see
// Services; the seal key is created on the first start, and every
// algorithm a client may choose gets a current signing key) and its HTTP
// handler. It opens the store of ephemeral state (Redis when configured,
// see OpenEphemeral): release it with Close.
func New(ctx context.Context, cfg *config.Config, db *sqlstore.DB, log *slog.Logger) (*App, error) {
	sk, err := readSealKey(cfg, true)
	if err != nil {
		return nil, err
	}
	eph, err := OpenEphemeral(ctx, cfg, db, log)
	if err != nil {
		return nil, err
	}
	stream, err := openAuditStream(cfg, log)
	if err != nil {
		CloseEphemeral(eph)
		return nil, err
	}
	s := newServices(cfg, db, eph, sk, NewKeySet(cfg, db, sk.sealer), log, false, stream)
	if s.Outbox, err = openOutbox(s); err != nil {
		s.Close()
		return nil, err
	}
	// Every algorithm a client may choose for its ID tokens has a current key.
	if err := ensureKeys(ctx, db, s.Keys, keys.Algorithms...); err != nil {
		s.Close()
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	a, err := assemble(s)
	if err != nil {
		s.Close()
		return nil, err
	}
	// Before any token is issued: a record missing later was removed, not lost.
	if err := a.Provider.Storage.EnsureGeneration(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("ephemeral store: %w", err)
	}
	return a, nil
}

// newProvider composes the OAuth provider over the services. The HMAC
// secret of codes and refresh tokens is derived from the seal key, so every
// node that shares the seal key shares it.
func newProvider(s *Services) (*oauth.Provider, error) {
	cfg := s.Config
	sealKey, _, err := keys.LoadOrCreateSealKey(cfg.SealKeyPath(), false)
	if err != nil {
		return nil, err
	}
	hmacSecret, err := hkdf.Key(sha256.New, sealKey, nil, "dinhdanh oauth hmac", 32)
	if err != nil {
		return nil, err
	}
	return oauth.New(oauth.Options{
		Issuer:                cfg.Issuer,
		AccessTokenLifespan:   cfg.Tokens.AccessTokenLifespan.D(),
		IDTokenLifespan:       cfg.Tokens.IDTokenLifespan.D(),
		RefreshTokenLifespan:  cfg.Tokens.RefreshTokenLifespan.D(),
		RefreshFamilyLifetime: cfg.Tokens.RefreshFamilyLifetime.D(),
		RefreshReuseWindow:    cfg.Tokens.RefreshReuseWindow.D(),
		AuthorizeCodeLifespan: cfg.Tokens.AuthorizeCodeLifespan.D(),
		AccessTokenAlgorithm:  cfg.Keys.AccessTokenAlgorithm,
		HMACSecret:            hmacSecret,
	}, s.DB, s.Eph, s.Keys, s.Log)
}

// assemble builds the provider, the login flow, the session and account
// pages and the node's handler over the services.
func assemble(s *Services) (*App, error) {
	cfg, db, eph, log := s.Config, s.DB, s.Eph, s.Log
	p, err := newProvider(s)
	if err != nil {
		return nil, err
	}
	sc := cfg.UI.SupportContact
	u, err := ui.New(ui.Options{ProductName: cfg.UI.ProductName, Support: ui.SupportContact{
		Text: map[string]string{"vi": sc.TextVI, "en": sc.TextEN}, Email: sc.Email, Phone: sc.Phone, URL: sc.URL}})
	if err != nil {
		return nil, err
	}
	kit := &web.Kit{UI: u, Log: log, SecureCookie: cfg.SecureCookie(), DefaultLang: cfg.UI.DefaultLanguage,
		Addresses:     web.NewClientAddresses(cfg.TrustedProxies.Prefixes(), web.ForwardedHeader(cfg.ForwardedHeader)),
		SessionCookie: cfg.Session.CookieName}
	loginFactors, consoleFactors := secondFactors(cfg, db, eph, s.Sealer, log)
	dirs, err := openDirectories(s)
	if err != nil {
		return nil, err
	}
	s.dirs = directoryOps(dirs)
	certs, err := openCertificates(s)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	ups, err := upstreamLogin(s)
	if err != nil {
		return nil, err
	}
	lh := login.New(login.Config{Kit: kit, Provider: p, Store: db, Eph: eph, Sessions: s.Sessions, Logout: s.Logout, Hasher: s.Hasher,
		Guard: s.Guard, Audit: s.Audit, Log: log, Opts: login.Options{FlowLifespan: cfg.Login.FlowLifespan.D(),
			AllowRegistration: cfg.Login.AllowRegistration, MinPasswordLength: cfg.Password.MinLength},
		MFA: loginFactors, Directory: directoryAuthenticator(dirs), Certificates: certs.forLogin(),
		Upstreams: ups, Notices: s.notices(), Reset: s.passwordReset(ups), Privacy: register.Notice{URLVI: cfg.Privacy.NoticeURLVI,
			URLEN: cfg.Privacy.NoticeURLEN, Version: cfg.Privacy.NoticeVersion}})
	sh := &session.Handler{Kit: kit, Logout: s.Logout, Sessions: s.Sessions, Clients: p.Storage,
		Signer: p.Signer(), Issuer: cfg.Issuer, Log: log, UpstreamLogout: upstream.EndSession(ups)}
	ah := account.NewHandler(account.Handler{Kit: kit, Store: db, Sessions: s.Sessions, Logout: s.Logout, LogoutPages: sh,
		Log: log, ForgetConsent: func(r *http.Request, accountID, clientID string) error {
			return db.RevokeRefreshTokensOfSubject(r.Context(), accountID, clientID)
		},
		Factors: consoleFactors, Certificates: certs.forConsole(), Contacts: s.contacts(),
		Password: s.passwordChange(ups),
		Privacy: &account.Privacy{Inventory: consoleFactors.Inventory, ReauthMaxAge: cfg.MFA.ReauthenticationMaxAge.D(),
			AuditRetention: cfg.Privacy.ClosedAccountAuditRetention.D()}}, s.Audit)
	h := newHealth(db, eph, cfg.Redis.AllowEviction, log)
	mux := http.NewServeMux()
	registerProvider(mux, p)
	lh.Register(mux)
	sh.Register(mux)
	ah.Register(mux)
	adminapi.New(adminapi.Config{Admin: s.AdminAs, Principals: s.Admin("api"), Tokens: p, Sessions: s.Sessions, Kit: kit, ReauthMaxAge: cfg.MFA.ReauthenticationMaxAge.D(), Log: log}).Register(mux)
	console.New(console.Config{Kit: kit, Sessions: s.Sessions, Admin: s.Admin("console"), As: s.AdminAs, Issuer: cfg.Issuer, Log: log}).Register(mux)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", u.Assets()))
	mux.HandleFunc("GET /health/live", handleLive)
	mux.HandleFunc("GET /health/ready", h.handleReady)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { web.Redirect(w, r, "/account") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { kit.Error(w, r, http.StatusNotFound, "not_found") })
	// Last, because it may open a listener that nothing after would close.
	metrics, err := openMetrics(cfg.Metrics, cfg.Server, mux, s.handleMetrics, kit)
	if err != nil {
		return nil, err
	}
	return &App{Services: s, Provider: p, Directories: dirs, certificates: certs.withLogin(lh), health: h, metrics: metrics,
		Connections: NewConnLimit(cfg.Server.MaxConnections),
		Handler:     kit.Middleware(h.availability(kit, methodGuard(mux, kit)))}, nil
}

// registerProvider mounts the OAuth endpoints of the provider, userinfo also
// at its alias oauth.PathUserinfoAlias.
func registerProvider(mux *http.ServeMux, p *oauth.Provider) {
	mux.HandleFunc("GET "+oauth.PathDiscovery, p.HandleDiscovery)
	mux.HandleFunc("GET "+oauth.PathJWKS, p.HandleJWKS)
	mux.HandleFunc("POST "+oauth.PathToken, p.HandleToken)
	mux.HandleFunc("POST "+oauth.PathIntrospect, p.HandleIntrospect)
	mux.HandleFunc("POST "+oauth.PathRevoke, p.HandleRevoke)
	for _, path := range []string{oauth.PathUserinfo, oauth.PathUserinfoAlias} {
		mux.HandleFunc("GET "+path, p.HandleUserinfo)
		mux.HandleFunc("POST "+path, p.HandleUserinfo)
	}
}

// methodGuard answers a request whose path is served only for other methods
// with 405 (a page, or RFC 6749 JSON for the API) and an Allow header. The
// mux cannot: its catch-all "/" matches every method, so without this such a
// request would get the 404 page.
func methodGuard(mux *http.ServeMux, kit *web.Kit) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" || pattern == "/" {
			if allow := allowedMethods(mux, r); len(allow) > 0 {
				w.Header().Set("Allow", strings.Join(allow, ", "))
				if isAPI(r.URL.Path) {
					w.Header().Set("Content-Type", "application/json;charset=UTF-8")
					w.WriteHeader(http.StatusMethodNotAllowed)
					_, _ = w.Write([]byte(`{"error":"invalid_request","error_description":"The HTTP method is not allowed here."}`))
					return
				}
				kit.ErrorWith(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "method_not_allowed")
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// allowedMethods lists the methods for which the mux has a route of its own
// (not the catch-all) for the request's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	rr := r.Clone(r.Context())
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		rr.Method = m
		if _, p := mux.Handler(rr); p != "" && p != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

func isAPI(path string) bool {
	switch path {
	case oauth.PathToken, oauth.PathIntrospect, oauth.PathRevoke, oauth.PathUserinfo, oauth.PathUserinfoAlias,
		oauth.PathJWKS, oauth.PathDiscovery:
		return true
	}
	return false
}

// Background runs the periodic work of a node until ctx ends: reloading the
// key set (so rotations on other nodes are seen) and purging expired state.
func (a *App) Background(ctx context.Context) {
	go a.health.run(ctx, time.Second)
	a.metrics.serve(a.Log)
	context.AfterFunc(ctx, func() { _ = a.metrics.close() })
	go a.Keys.Refresh(ctx, a.Config.Keys.RotationCheckInterval.D(), a.Log)
	go a.Logout.Run(ctx, time.Second)
	go a.Outbox.Run(ctx)
	if a.Directories != nil {
		a.Directories.Run(ctx)
	}
	a.runCertificates(ctx)
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				a.Sweep(ctx, time.Now())
			}
		}
	}()
}

// Sweep deletes what has outlived its use, as Background does every
// minute: expired ephemeral state, expired refresh tokens, and back-channel
// logout notifications finished (delivered or failed) more than
// session.logout_delivery_retention before now, outgoing messages sent
// more than outbox.retention (failed: outbox.failed_retention) before now,
// and audit events older than audit.retention (the chain stays verifiable
// from the oldest kept).
// Failures are logged.
func (a *App) Sweep(ctx context.Context, now time.Time) {
	if _, err := a.Eph.PurgeExpired(ctx, now); err != nil && ctx.Err() == nil {
		a.Log.Warn("purging expired state", "err", err)
	}
	if _, err := a.Store.DeleteExpiredRefreshTokens(ctx, now); err != nil && ctx.Err() == nil {
		a.Log.Warn("purging expired refresh tokens", "err", err)
	}
	if _, err := a.Store.DeleteExpiredRevocations(ctx, now); err != nil && ctx.Err() == nil {
		a.Log.Warn("purging expired token revocations", "err", err)
	}
	if _, err := a.Store.PurgeLogouts(ctx, now.Add(-a.Config.Session.LogoutDeliveryRetention.D())); err != nil && ctx.Err() == nil {
		a.Log.Warn("purging finished logout notifications", "err", err)
	}
	if _, err := a.Store.PurgeMessages(ctx, now.Add(-a.Config.Outbox.Retention.D()),
		now.Add(-a.Config.Outbox.FailedRetention.D())); err != nil && ctx.Err() == nil {
		a.Log.Warn("purging finished outgoing messages", "err", err)
	}
	a.purgeAudit(ctx, now)
}
