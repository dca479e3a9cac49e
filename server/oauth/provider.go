package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/token/hmac"
	"github.com/ory/fosite/token/jwt"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/store"
)

// Options configure the provider.
type Options struct {
	Issuer                string
	AccessTokenLifespan   time.Duration
	IDTokenLifespan       time.Duration
	RefreshTokenLifespan  time.Duration
	AuthorizeCodeLifespan time.Duration
	// RefreshFamilyLifetime bounds a refresh-token family: no refresh is
	// accepted once this long has passed since its authorization, however
	// often it was rotated. Zero means 30 days.
	RefreshFamilyLifetime time.Duration
	// RefreshReuseWindow is how long after a committed rotation the rotated
	// refresh token, presented again by its client, is answered with the
	// same successor instead of as reuse (refresh_window.go). Zero is off.
	RefreshReuseWindow time.Duration
	// AccessTokenAlgorithm signs JWT access tokens (ES256 by default: fast to sign).
	AccessTokenAlgorithm string
	// HMACSecret (≥ 32 bytes, the same on every node) keys codes, refresh
	// tokens and opaque access tokens.
	HMACSecret []byte
}

// Scopes dinhdanh knows.
var Scopes = []string{"openid", "profile", "email", "phone", "personal_id", "business", "roles", "offline_access"}

// Provider is the authorization server.
type Provider struct {
	opts      Options
	f         *fosite.Fosite
	store     store.Store
	Storage   *Storage
	Keys      *keys.Set
	signer    *keys.Signer
	discovery []byte
	log       *slog.Logger
	now       func() time.Time
}

// New composes fosite's handlers over the stores and the key set.
func New(opts Options, st store.Store, eph store.Ephemeral, ks *keys.Set, log *slog.Logger) (*Provider, error) {
	if len(opts.HMACSecret) < 32 {
		return nil, errors.New("oauth: the HMAC secret must be at least 32 bytes")
	}
	if opts.AccessTokenAlgorithm == "" {
		opts.AccessTokenAlgorithm = keys.ES256
	}
	if opts.RefreshFamilyLifetime <= 0 {
		opts.RefreshFamilyLifetime = defaultRefreshFamilyLifetime
	}
	cfg := &fosite.Config{
		AccessTokenLifespan:            opts.AccessTokenLifespan,
		RefreshTokenLifespan:           opts.RefreshTokenLifespan,
		AuthorizeCodeLifespan:          opts.AuthorizeCodeLifespan,
		IDTokenLifespan:                opts.IDTokenLifespan,
		IDTokenIssuer:                  opts.Issuer,
		AccessTokenIssuer:              opts.Issuer,
		TokenURL:                       opts.Issuer + "/oauth2/token",
		GlobalSecret:                   opts.HMACSecret,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:       fosite.DefaultAudienceMatchingStrategy,
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
		ClientSecretsHasher:            secretHasher{},
		RefreshTokenScopes:             []string{},
		SendDebugMessagesToClients:     false,
		JWTScopeClaimKey:               jwt.JWTScopeFieldString,
		MinParameterEntropy:            fosite.MinParameterEntropy,
		OmitRedirectScopeParam:         true,
	}
	storage := NewStorage(st, eph, NewSession, 5*time.Second)
	storage.reuseWindow = opts.RefreshReuseWindow
	storage.accessLifespan = opts.AccessTokenLifespan
	signer := &keys.Signer{Set: ks, Default: keys.RS256}
	strategy := &tokenStrategy{
		HMACSHAStrategy: oauth2.NewHMACSHAStrategy(&hmac.HMACStrategy{Config: cfg}, cfg),
		signer:          signer, issuer: opts.Issuer, algorithm: opts.AccessTokenAlgorithm, now: time.Now,
	}
	idStrategy := &openid.DefaultStrategy{Signer: signer, Config: cfg}
	storage.SetCodeSignature(strategy.AuthorizeCodeSignature)

	codeHandler := &oauth2.AuthorizeExplicitGrantHandler{
		AccessTokenStrategy: strategy, RefreshTokenStrategy: strategy, AuthorizeCodeStrategy: strategy,
		CoreStorage: storage, TokenRevocationStorage: storage, Config: cfg,
	}
	refreshHandler := &oauth2.RefreshTokenGrantHandler{
		AccessTokenStrategy: strategy, RefreshTokenStrategy: strategy, TokenRevocationStorage: storage, Config: cfg,
	}
	clientCredentials := &oauth2.ClientCredentialsGrantHandler{
		HandleHelper: &oauth2.HandleHelper{AccessTokenStrategy: strategy, AccessTokenStorage: storage, Config: cfg},
		Config:       cfg,
	}
	pkceHandler := &pkceGuard{Handler: &pkce.Handler{AuthorizeCodeStrategy: strategy, Storage: storage, Config: cfg},
		storage: storage, strategy: strategy}
	oidcExplicit := &openid.OpenIDConnectExplicitHandler{
		OpenIDConnectRequestStorage:   storage,
		IDTokenHandleHelper:           &openid.IDTokenHandleHelper{IDTokenStrategy: idStrategy},
		OpenIDConnectRequestValidator: openid.NewOpenIDConnectRequestValidator(signer, cfg),
		Config:                        cfg,
	}
	oidcRefresh := &openid.OpenIDConnectRefreshHandler{
		IDTokenHandleHelper: &openid.IDTokenHandleHelper{IDTokenStrategy: idStrategy}, Config: cfg,
	}
	// A JWT is verified as a whole before its record is looked up.
	introspector := verifiedIntrospector{strategy: strategy,
		TokenIntrospector: &oauth2.CoreValidator{CoreStrategy: strategy, CoreStorage: storage, Config: cfg}}
	revoker := verifiedRevoker{strategy: strategy, RevocationHandler: &oauth2.TokenRevocationHandler{
		TokenRevocationStorage: storage, AccessTokenStrategy: strategy, RefreshTokenStrategy: strategy,
	}}

	// Typed wiring: each handler is appended to the lists of the endpoints it serves.
	var (
		_ fosite.AuthorizeEndpointHandler = codeHandler
		_ fosite.TokenEndpointHandler     = codeHandler
		_ fosite.TokenEndpointHandler     = refreshHandler
		_ fosite.TokenEndpointHandler     = clientCredentials
		_ fosite.AuthorizeEndpointHandler = pkceHandler
		_ fosite.TokenEndpointHandler     = pkceHandler
		_ fosite.AuthorizeEndpointHandler = oidcExplicit
		_ fosite.TokenEndpointHandler     = oidcExplicit
		_ fosite.TokenEndpointHandler     = oidcRefresh
		_ fosite.TokenIntrospector        = introspector
		_ fosite.RevocationHandler        = revoker
	)
	cfg.AuthorizeEndpointHandlers = fosite.AuthorizeEndpointHandlers{codeHandler, pkceHandler, oidcExplicit}
	cfg.TokenEndpointHandlers = tokenEndpointHandlers(codeHandler, refreshHandler, clientCredentials, pkceHandler, oidcExplicit, oidcRefresh)
	cfg.TokenIntrospectionHandlers = fosite.TokenIntrospectionHandlers{introspector}
	cfg.RevocationHandlers = fosite.RevocationHandlers{revoker}

	p := &Provider{opts: opts, f: fosite.NewOAuth2Provider(storage, cfg), store: st, Storage: storage,
		Keys: ks, signer: signer, log: log, now: time.Now}
	var err error
	if p.discovery, err = p.buildDiscovery(); err != nil {
		return nil, err
	}
	return p, nil
}

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string { return p.opts.Issuer }

// Signer returns the JWT signer over the key set.
func (p *Provider) Signer() *keys.Signer { return p.signer }

// NewAuthorizeRequest parses and validates an authorization request.
func (p *Provider) NewAuthorizeRequest(ctx context.Context, r *http.Request) (fosite.AuthorizeRequester, error) {
	return p.f.NewAuthorizeRequest(ctx, r)
}

// CheckPKCE applies to a parsed authorization request the PKCE rules that
// fosite applies only when it issues the code (EnforcePKCEForPublicClients,
// no plain method): a public client must send a code_challenge, and a
// code_challenge must come with code_challenge_method=S256 (no method means
// plain). It returns an invalid_request error, or nil.
func (p *Provider) CheckPKCE(ar fosite.AuthorizeRequester) error {
	form := ar.GetRequestForm()
	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	if challenge == "" {
		if ar.GetClient().IsPublic() {
			return fosite.ErrInvalidRequest.WithHint("This client must include a code_challenge when performing the authorize code flow, but it is missing.")
		}
		return nil
	}
	if method != "S256" {
		return fosite.ErrInvalidRequest.WithHint("Clients must use code_challenge_method=S256, plain is not allowed.")
	}
	return nil
}

// WriteAuthorizeError sends an authorization error to the client's redirect URI.
func (p *Provider) WriteAuthorizeError(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, err error) {
	p.f.WriteAuthorizeError(ctx, w, ar, err)
}

// Grant is what the login flow established for an authorization request.
type Grant struct {
	Account     *identity.Account
	SID         string
	AuthTime    time.Time
	RequestedAt time.Time // when the authorization request first arrived
	ACR         string
	AMR         []string
	Capacity    identity.Capacity
	Scopes      []string                 // the scopes granted
	Business    *identity.Representation // the business the person acts for, or nil
	// PersonalIDConsented is the explicit consent to release the personal ID.
	PersonalIDConsented bool
}

// Issue completes an authorization request: it issues the code and redirects
// to the client.
func (p *Provider) Issue(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, g Grant) error {
	for _, s := range g.Scopes {
		ar.GrantScope(s)
	}
	for _, a := range ar.GetRequestedAudience() {
		ar.GrantAudience(a)
	}
	client := ClientOf(ar.GetClient())
	alg := keys.RS256
	if client != nil && client.IDTokenAlgorithm != "" {
		alg = client.IDTokenAlgorithm
	}
	// The login refused a claims parameter it cannot read before a grant.
	cp, _ := ParseClaimsParameter(ar.GetRequestForm().Get("claims"))
	extra := g.Account.Claims(identity.ClaimRequest{Scopes: g.Scopes, Capacity: g.Capacity, Business: g.Business,
		PersonalIDConsented: g.PersonalIDConsented, Verified: cp.IDTokenVerified})
	claimProfile(client).Apply(extra)
	extra["sid"] = g.SID
	taxCode := ""
	if g.Business != nil {
		taxCode = string(g.Business.TaxCode)
	}
	sess := &Session{
		Subject: g.Account.ID, SID: g.SID, AuthTime: g.AuthTime.UTC().Truncate(time.Second), ACR: g.ACR, AMR: g.AMR,
		Capacity: string(g.Capacity), TaxCode: taxCode, PersonalIDConsented: g.PersonalIDConsented,
		VerifiedIDToken: cp.IDTokenVerified, VerifiedUserinfo: cp.UserinfoVerified,
		FamilyExpiresAt: p.now().UTC().Add(p.opts.RefreshFamilyLifetime).Truncate(time.Second),
		Claims: &jwt.IDTokenClaims{
			Subject: g.Account.ID, Issuer: p.opts.Issuer, Audience: []string{ar.GetClient().GetID()},
			AuthTime: g.AuthTime.UTC().Truncate(time.Second), RequestedAt: g.RequestedAt.UTC().Truncate(time.Second),
			AuthenticationContextClassReference: g.ACR, AuthenticationMethodsReferences: g.AMR,
			Nonce: ar.GetRequestForm().Get("nonce"), Extra: extra,
		},
		Headers: &jwt.Headers{Extra: map[string]any{keys.HeaderAlgorithm: alg}},
	}
	// The code, its PKCE and its OpenID Connect requests are written
	// together, once fosite made them all.
	batch, flush := p.Storage.BatchAuthorize(ctx)
	resp, err := p.f.NewAuthorizeResponse(batch, ar, sess)
	if err == nil {
		if ferr := flush(ctx); ferr != nil {
			err = fosite.ErrServerError.WithWrap(ferr).WithDebug(ferr.Error())
		}
	}
	if err != nil {
		p.f.WriteAuthorizeError(ctx, w, ar, err)
		return err
	}
	p.f.WriteAuthorizeResponse(ctx, w, ar, resp)
	return nil
}

// HandleToken serves the token endpoint. A request that repeats a
// single-valued parameter (singleValuedTokenParams) is refused with
// invalid_request.
func (p *Provider) HandleToken(w http.ResponseWriter, r *http.Request) {
	ctx := WatchOutage(p.Storage.TokenExchange(r.Context()))
	// RFC 6749 §3.2: a parameter is never sent twice. When it is, which
	// value counts is ambiguous (two codes, two verifiers), so the request
	// is refused before anything is read or spent.
	if err := r.ParseMultipartForm(1 << 20); err == nil || errors.Is(err, http.ErrNotMultipart) {
		for _, name := range singleValuedTokenParams {
			if len(r.PostForm[name]) > 1 {
				err := fosite.ErrInvalidRequest.WithHintf("The parameter %q must be sent once.", name)
				p.logOAuthError(r, err)
				p.f.WriteAccessError(ctx, w, nil, err)
				return
			}
		}
		if r.PostForm.Get("grant_type") == "refresh_token" {
			p.Storage.PresentRefreshToken(ctx, r.PostForm.Get("refresh_token"))
		}
	}
	sess := &Session{}
	ar, err := p.f.NewAccessRequest(ctx, r, sess)
	if err != nil {
		// fosite answers a grant type that no handler serves with
		// invalid_request; RFC 6749 §5.2 names it unsupported_grant_type.
		if gt := r.PostForm.Get("grant_type"); gt != "" && !supportedGrantType(gt) && errors.Is(err, fosite.ErrInvalidRequest) {
			err = fosite.ErrUnsupportedGrantType.WithHintf("The grant type %q is not supported.", gt)
		}
		p.accessError(ctx, w, r, ar, err)
		return
	}
	switch {
	case ar.GetGrantTypes().ExactOne("client_credentials"):
		for _, s := range ar.GetRequestedScopes() {
			if s != "openid" && s != "offline_access" {
				ar.GrantScope(s)
			}
		}
		for _, a := range ar.GetRequestedAudience() {
			ar.GrantAudience(a)
		}
	case ar.GetGrantTypes().ExactOne("refresh_token"):
		// The family's lifetime, the account and its business are checked
		// again, and the new tokens carry what holds now (refresh.go).
		if err := p.refreshSession(ctx, ar); err != nil {
			p.accessError(ctx, w, r, ar, err)
			return
		}
	}
	resp, err := p.f.NewAccessResponse(ctx, ar)
	if err != nil && p.Storage.CodeReused(ctx) {
		// Another exchange of the same code won: this one is refused as a
		// reused code is, and the code's tokens were revoked.
		err = fosite.ErrInvalidGrant.WithHint("The authorization code has already been used.")
	}
	if err != nil && p.Storage.RefreshLost(ctx) {
		// Another refresh with the same token rotated it first: a retry
		// cannot succeed, so the answer is final (not fosite's
		// invalid_request "please retry").
		err = fosite.ErrInvalidGrant.WithHint("The refresh token was already used.")
	}
	if err == nil {
		if refresh, ok := p.Storage.RefreshGrace(ctx); ok {
			// The token was rotated moments ago for this client: the
			// answer carries that rotation's successor (reuse window).
			resp.SetExtra("refresh_token", refresh)
		}
	}
	if err == nil && ar.GetGrantTypes().ExactOne("authorization_code") {
		if cerr := p.Storage.ConfirmCodeExchange(ctx); cerr != nil {
			err = fosite.ErrServerError.WithWrap(cerr).WithDebug(cerr.Error())
		}
	}
	if err != nil {
		p.accessError(ctx, w, r, ar, err)
		return
	}
	p.f.WriteAccessResponse(ctx, w, ar, resp)
}

// accessError answers a token request that failed with err: 503
// temporarily_unavailable when a store failed on the way (Outage), since
// fosite reports a client or a token it could not read as invalid, which
// a client takes as final; else err as fosite writes it.
func (p *Provider) accessError(ctx context.Context, w http.ResponseWriter, r *http.Request, ar fosite.AccessRequester, err error) {
	if Outage(ctx, err) {
		err = unavailable(err)
	}
	p.logOAuthError(r, err)
	p.f.WriteAccessError(ctx, w, ar, err)
}

// WriteUnavailable answers 503 temporarily_unavailable in RFC 6749 JSON,
// with Retry-After: the answer of every endpoint of this package when a
// store fails, which no client takes as final.
func WriteUnavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "5")
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable",
		"error_description": "The service is temporarily unavailable. Try again in a few seconds."})
}

// singleValuedTokenParams are the token request parameters that may appear
// only once (audience may repeat).
var singleValuedTokenParams = []string{"grant_type", "code", "redirect_uri", "code_verifier", "refresh_token",
	"client_id", "client_secret", "client_assertion", "client_assertion_type", "scope"}

// supportedGrantType reports whether a token request's grant_type is one
// that a token endpoint handler serves.
func supportedGrantType(gt string) bool {
	switch gt {
	case "authorization_code", "refresh_token", "client_credentials":
		return true
	}
	return false
}

func (p *Provider) logOAuthError(r *http.Request, err error) {
	var re *fosite.RFC6749Error
	if errors.As(err, &re) && re.CodeField >= 500 {
		p.log.Error("oauth", "path", r.URL.Path, "err", re.ErrorField, "debug", re.DebugField, "cause", re.Cause())
		return
	}
	p.log.Debug("oauth", "path", r.URL.Path, "err", err)
}

// HandleIntrospect serves RFC 7662 token introspection. Only an
// authenticated confidential client may ask (client_secret_basic or
// client_secret_post, as registered; a Bearer token is no credential here),
// and it learns only about the tokens it may see (MayIntrospect): about any
// other token, as about an unknown one, it hears {"active": false}.
func (p *Provider) HandleIntrospect(w http.ResponseWriter, r *http.Request) {
	ctx := WatchOutage(r.Context())
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		p.f.WriteIntrospectionError(ctx, w, fosite.ErrInvalidRequest.WithHint("Unable to parse HTTP body, make sure to send a properly formatted form request body.").WithWrap(err))
		return
	}
	if len(r.PostForm) == 0 {
		p.f.WriteIntrospectionError(ctx, w, fosite.ErrInvalidRequest.WithHint("The POST body can not be empty."))
		return
	}
	client, err := p.f.AuthenticateClient(ctx, r, r.PostForm)
	if err == nil && client.IsPublic() {
		err = errors.New("a public client may not introspect")
	}
	if err != nil && Outage(ctx, err) {
		p.logOutage(r, err)
		WriteUnavailable(w)
		return
	}
	if err != nil {
		p.logOAuthError(r, err)
		// RFC 7662 §2.3 asks for 401; fosite names the error request_unauthorized.
		w.Header().Set("WWW-Authenticate", `Basic realm="introspection"`)
		p.f.WriteIntrospectionError(ctx, w, fosite.ErrRequestUnauthorized.WithHint("Introspection needs the authentication of a confidential client.").WithWrap(err))
		return
	}
	tu, ar, err := p.f.IntrospectToken(ctx, r.PostForm.Get("token"), fosite.TokenUse(r.PostForm.Get("token_type_hint")), &Session{})
	if err != nil && Outage(ctx, err) {
		// Not {"active": false}: a resource server would refuse a valid token for good.
		p.logOutage(r, err)
		WriteUnavailable(w)
		return
	}
	if err != nil || !MayIntrospect(client.GetID(), ar) {
		p.f.WriteIntrospectionError(ctx, w, fosite.ErrInactiveToken)
		return
	}
	resp := &fosite.IntrospectionResponse{Active: true, AccessRequester: ar, TokenUse: tu}
	if tu == fosite.AccessToken {
		resp.AccessTokenType = fosite.BearerAccessToken
	}
	p.f.WriteIntrospectionResponse(ctx, w, resp)
}

// MayIntrospect reports whether the client clientID may learn about the
// token of request ar: one issued to it, or one whose granted audience
// names it (a resource server checking the tokens presented to it).
func MayIntrospect(clientID string, ar fosite.Requester) bool {
	if ar == nil || ar.GetClient() == nil {
		return false
	}
	return ar.GetClient().GetID() == clientID || slices.Contains(ar.GetGrantedAudience(), clientID)
}

// HandleRevoke serves RFC 7009 token revocation. When a store fails
// (Outage) it answers 503 temporarily_unavailable: fosite would answer 200,
// which tells the client the token is dead, or invalid_client for a client
// it could not read.
func (p *Provider) HandleRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := WatchOutage(r.Context())
	err := p.f.NewRevocationRequest(ctx, r)
	if err != nil && Outage(ctx, err) {
		p.logOutage(r, err)
		WriteUnavailable(w)
		return
	}
	p.f.WriteRevocationResponse(ctx, w, err)
}

// logOutage logs a request answered 503 because a store failed.
func (p *Provider) logOutage(r *http.Request, err error) {
	p.log.Error("oauth: store unavailable", "path", r.URL.Path, "err", err)
}

// HandleUserinfo serves the OIDC userinfo endpoint. The access token comes
// in the Authorization header (or a form body); one in the query is refused
// with 400 invalid_request.
func (p *Provider) HandleUserinfo(w http.ResponseWriter, r *http.Request) {
	ctx := WatchOutage(r.Context())
	// RFC 6750 §2.3: a token in the URL ends up in logs and histories; it
	// is refused (the header, or a form body, carries it).
	if r.URL.Query().Has("access_token") {
		bearerError(w, http.StatusBadRequest, "invalid_request", "The access token must not be sent in the URL: use the Authorization header.")
		return
	}
	token := fosite.AccessTokenFromRequest(r)
	if token == "" {
		bearerError(w, http.StatusUnauthorized, "invalid_request", "An access token is required.")
		return
	}
	sess := &Session{}
	tt, ar, err := p.f.IntrospectToken(ctx, token, fosite.AccessToken, sess)
	if err != nil && Outage(ctx, err) {
		p.logOutage(r, err)
		WriteUnavailable(w)
		return
	}
	if err != nil || tt != fosite.AccessToken {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "The access token is not active.")
		return
	}
	if !ar.GetGrantedScopes().Has("openid") || sess.Subject == "" {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "The access token was not issued for OpenID Connect.")
		return
	}
	acct, err := p.store.GetAccount(ctx, sess.Subject)
	if errors.Is(err, store.ErrNotFound) || (err == nil && acct.Disabled) {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "The account is no longer active.")
		return
	}
	if err != nil {
		p.logOutage(r, err)
		WriteUnavailable(w)
		return
	}
	var biz *identity.Representation
	if sess.TaxCode != "" {
		reps, err := p.store.Representations(ctx, acct.ID)
		if err != nil {
			p.logOutage(r, err)
			WriteUnavailable(w)
			return
		}
		for _, rep := range reps {
			if string(rep.TaxCode) == sess.TaxCode {
				biz = rep
			}
		}
	}
	claims := acct.Claims(identity.ClaimRequest{Scopes: ar.GetGrantedScopes(), Capacity: identity.Capacity(sess.Capacity),
		Business: biz, PersonalIDConsented: sess.PersonalIDConsented, Verified: sess.VerifiedUserinfo})
	claimProfile(ClientOf(ar.GetClient())).Apply(claims)
	claims["sub"] = acct.ID
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, claims)
}

func bearerError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error=%q, error_description=%q`, code, desc))
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// HandleDiscovery serves /.well-known/openid-configuration (prepared bytes).
// It advertises only what is served: response mode query (fosite refuses
// form_post for clients that register no response modes, and its form_post
// page submits itself with an inline script that the content security
// policy forbids), and client_secret_basic and client_secret_post at the
// introspection endpoint (each client with the method it registered).
func (p *Provider) HandleDiscovery(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(p.discovery)
}

// jwksCacheControl lets verifiers cache the JWKS for keys.JWKSMaxAge: a
// rotated key is published at least that long before it signs.
var jwksCacheControl = "public, max-age=" + strconv.Itoa(int(keys.JWKSMaxAge/time.Second))

// HandleJWKS serves the published keys (prepared bytes, rebuilt on rotation).
func (p *Provider) HandleJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", jwksCacheControl)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(p.Keys.JWKS())
}

// Endpoint paths.
const (
	PathAuthorize     = "/oauth2/auth"
	PathToken         = "/oauth2/token"
	PathIntrospect    = "/oauth2/introspect"
	PathRevoke        = "/oauth2/revoke"
	PathUserinfo      = "/userinfo"
	PathJWKS          = "/.well-known/jwks.json"
	PathDiscovery     = "/.well-known/openid-configuration"
	PathEndSession    = "/oauth2/logout" // served by package session
	PathAuthorizeBase = "/oauth2/"
)

// Path aliases, for applications written for the national public-service
// portal's SSO or a WSO2-based provincial SSO, which then switch to dinhdanh
// by changing only the host. An alias is served by the same handler as its
// canonical path, with the same behaviour, and is never advertised in
// discovery. The token path, /oauth2/token, is already the same.
const (
	PathAuthorizeAlias = "/oauth2/authorize" // WSO2's name of PathAuthorize
	PathUserinfoAlias  = "/oauth2/userinfo"  // WSO2's name of PathUserinfo
)

func (p *Provider) buildDiscovery() ([]byte, error) {
	iss := p.opts.Issuer
	doc := map[string]any{
		"issuer":                                        iss,
		"authorization_endpoint":                        iss + PathAuthorize,
		"token_endpoint":                                iss + PathToken,
		"userinfo_endpoint":                             iss + PathUserinfo,
		"jwks_uri":                                      iss + PathJWKS,
		"introspection_endpoint":                        iss + PathIntrospect,
		"revocation_endpoint":                           iss + PathRevoke,
		"end_session_endpoint":                          iss + PathEndSession,
		"backchannel_logout_supported":                  true,
		"backchannel_logout_session_supported":          true,
		"frontchannel_logout_supported":                 true,
		"frontchannel_logout_session_supported":         true,
		"scopes_supported":                              Scopes,
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"}, // form_post is not served (see HandleDiscovery)
		"grant_types_supported":                         []string{"authorization_code", "refresh_token", "client_credentials"},
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         keys.Algorithms,
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":              []string{"S256"},
		"acr_values_supported":                          []string{"LoA1", "LoA2", "LoA3"},
		"ui_locales_supported":                          []string{"vi", "en"},
		"claims_locales_supported":                      []string{"vi", "en"},
		"prompt_values_supported":                       []string{"none", "login", "consent"},
		"claims_parameter_supported":                    true, // acr as an essential ID-token claim, verified_claims
		// OpenID Connect for Identity Assurance 1.0: verified_claims, under
		// the personal_id scope and only when asked for (identity.VerifiedClaims).
		"verified_claims_supported":           true,
		"trust_frameworks_supported":          identity.TrustFrameworks(),
		"evidence_supported":                  identity.EvidenceTypes(),
		"claims_in_verified_claims_supported": identity.VerifiedClaimNames(),
		"request_parameter_supported":         false,
		"request_uri_parameter_supported":     false,
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid",
			"name", "family_name", "given_name", "middle_name", "birthdate", "gender", "locale", "updated_at",
			"email", "email_verified", "phone_number", "phone_number_verified", "account_kind", "personal_id",
			"tax_code", "business", "organization", "department", "title", "roles", "groups", "verified_claims"},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// RedirectURIAllowed reports whether uri may be used by the client: an exact
// match with a registered URI; public (native) clients may also vary the port
// of a loopback IP redirect URI (RFC 8252), confidential clients never.
func RedirectURIAllowed(c *store.Client, uri string) bool {
	for _, r := range c.RedirectURIs {
		if r == uri {
			return true
		}
	}
	if !c.Public {
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || !isLoopbackIP(u.Hostname()) {
		return false
	}
	for _, r := range c.RedirectURIs {
		ru, err := url.Parse(r)
		if err != nil || ru.Scheme != "http" || !isLoopbackIP(ru.Hostname()) {
			continue
		}
		if ru.Hostname() == u.Hostname() && ru.Path == u.Path && ru.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}

func isLoopbackIP(h string) bool {
	return h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "127.")
}
