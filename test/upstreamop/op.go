// Package upstreamop runs, for tests, an upstream OpenID provider that no one
// here wrote: the example OP of github.com/zitadel/oidc/v3 (its in-memory
// storage and login page), releasing the national public service portal's
// claim names (SoDinhDanh, HoVaTen, NgayThangNamSinh as YYYYMMDD, GioiTinh)
// and, for a person acting for an organisation, MaSoThue, TenToChuc,
// TechIDToChuc and VaiTro at its userinfo endpoint, on a loopback port.
package upstreamop

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Person is a person known to the provider.
type Person struct {
	Sub, Username, Password string
	// National portal claims: SoDinhDanh, HoVaTen, NgayThangNamSinh (YYYYMMDD), GioiTinh (1 male, 2 female).
	PersonalID, Name, Birthdate, Gender string
	// The organisation the person logs in for, when set: MaSoThue (its tax
	// code), TenToChuc (its name), TechIDToChuc (its TechID) and VaiTro (the
	// person's role for it).
	TaxCode, OrganizationName, OrganizationTechID, Role string
}

// OP is a running provider.
type OP struct {
	Issuer string
	srv    *http.Server

	mu      sync.Mutex
	through http.Handler     // when set, the token endpoint is served by it (another provider)
	nonce   string           // when set, the nonce of every authorization request is replaced by it
	delay   time.Duration    // every answer waits this long
	acr     string           // when set, the acr of every ID token
	jwtKey  *jose.JSONWebKey // when set, the client authenticates with private_key_jwt signed by it
	sid     string           // when set, the sid of every ID token
	shift   time.Duration    // every ID token's auth_time is moved by it
	keys    *storage.Storage
}

// people is the provider's user store.
type people map[string]*Person

func (p people) user(x *Person) *storage.User {
	if x == nil {
		return nil
	}
	return &storage.User{ID: x.Sub, Username: x.Username, Password: x.Password, FirstName: x.Name}
}

func (p people) GetUserByID(id string) *storage.User { return p.user(p[id]) }

func (p people) GetUserByUsername(name string) *storage.User {
	for _, x := range p {
		if x.Username == name {
			return p.user(x)
		}
	}
	return nil
}

func (p people) ExampleClientID() string { return storage.ServiceUserID }

// nationalStorage is the example storage releasing the national portal's claims.
type nationalStorage struct {
	*storage.Storage
	people people
	op     *OP
}

// acrRequest is an authorization request whose ID token carries acr (the
// request's own when "") and an auth_time moved by shift.
type acrRequest struct {
	op.AuthRequest
	acr   string
	shift time.Duration
}

// GetACR implements op.AuthRequest.
func (a acrRequest) GetACR() string {
	if a.acr == "" {
		return a.AuthRequest.GetACR()
	}
	return a.acr
}

// GetAuthTime implements op.AuthRequest.
func (a acrRequest) GetAuthTime() time.Time { return a.AuthRequest.GetAuthTime().Add(a.shift) }

// withACR gives req the acr set by SendACR and the auth_time shift set by
// ShiftAuthTime, if any.
func (s *nationalStorage) withACR(req op.AuthRequest, err error) (op.AuthRequest, error) {
	s.op.mu.Lock()
	acr, shift := s.op.acr, s.op.shift
	s.op.mu.Unlock()
	if err != nil || (acr == "" && shift == 0) {
		return req, err
	}
	return acrRequest{AuthRequest: req, acr: acr, shift: shift}, nil
}

// unwrap returns the example's own request behind an acrRequest, which the
// example's storage recognises by its type.
func unwrap(req op.TokenRequest) op.TokenRequest {
	if a, ok := req.(acrRequest); ok {
		if inner, ok := a.AuthRequest.(op.TokenRequest); ok {
			return inner
		}
	}
	return req
}

// CreateAccessToken implements op.Storage.
func (s *nationalStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	return s.Storage.CreateAccessToken(ctx, unwrap(req))
}

// CreateAccessAndRefreshTokens implements op.Storage.
func (s *nationalStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	return s.Storage.CreateAccessAndRefreshTokens(ctx, unwrap(req), current)
}

// AuthRequestByID returns the request, with the acr set by SendACR.
func (s *nationalStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.withACR(s.Storage.AuthRequestByID(ctx, id))
}

// AuthRequestByCode returns the request, with the acr set by SendACR.
func (s *nationalStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	return s.withACR(s.Storage.AuthRequestByCode(ctx, code))
}

// SetUserinfoFromRequest adds the sid set by SendSID to the claims of the
// ID token.
func (s *nationalStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	s.op.mu.Lock()
	sid := s.op.sid
	s.op.mu.Unlock()
	if sid != "" {
		info.AppendClaims("sid", sid)
	}
	return nil
}

// SetUserinfoFromToken adds the national portal's claims to the userinfo.
func (s *nationalStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	if x := s.people[info.Subject]; x != nil {
		info.AppendClaims("SoDinhDanh", x.PersonalID)
		info.AppendClaims("HoVaTen", x.Name)
		info.AppendClaims("NgayThangNamSinh", x.Birthdate)
		info.AppendClaims("GioiTinh", x.Gender)
		for name, v := range map[string]string{"MaSoThue": x.TaxCode, "TenToChuc": x.OrganizationName,
			"TechIDToChuc": x.OrganizationTechID, "VaiTro": x.Role} {
			if v != "" {
				info.AppendClaims(name, v)
			}
		}
	}
	return nil
}

// Start runs a provider on a loopback port knowing persons, with the web
// client clientID/secret whose redirect URIs match redirectGlob (such as
// "http://127.0.0.1:*/login/upstream/vneid/callback") and whose
// post-logout redirect URIs are dinhdanh's logged-out page at the same
// origins (".../oauth2/logout"). It stops when the test ends.
func Start(t testing.TB, clientID, secret, redirectGlob string, persons ...Person) *OP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &OP{Issuer: "http://" + ln.Addr().String()}
	ppl := people{}
	for i := range persons {
		ppl[persons[i].Sub] = &persons[i]
	}
	web := storage.WebClient(clientID, secret, redirectGlob)
	client := globClient{Client: web, globs: []string{redirectGlob}}
	if i := strings.Index(redirectGlob, "/login/upstream/"); i > 0 {
		client.logoutGlobs = []string{redirectGlob[:i] + "/oauth2/logout"}
	}
	st := &nationalStorage{Storage: storage.NewStorageWithClients(ppl, map[string]*storage.Client{clientID: web}), people: ppl, op: o}
	o.keys = st.Storage
	h := exampleop.SetupServer(o.Issuer, &clientStorage{nationalStorage: st, client: client, id: clientID}, nil, false)
	o.srv = &http.Server{Handler: o.wrap(h)}
	go o.srv.Serve(ln)
	t.Cleanup(func() { o.Stop() })
	return o
}

// clientStorage serves the one client of the test.
type clientStorage struct {
	*nationalStorage
	client op.Client
	id     string
}

// GetClientByClientID returns the test's client.
func (s *clientStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	if id == s.id {
		if s.op.privateKeyJWT() != nil {
			return privateKeyJWTClient{s.client}, nil
		}
		return s.client, nil
	}
	return s.nationalStorage.GetClientByClientID(ctx, id)
}

// GetKeyByIDAndClientID returns the public key registered by
// RequirePrivateKeyJWT for the test's client, under its kid.
func (s *clientStorage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	if clientID != s.id {
		return s.nationalStorage.GetKeyByIDAndClientID(ctx, keyID, clientID)
	}
	key := s.op.privateKeyJWT()
	if key == nil || key.KeyID != keyID {
		return nil, fmt.Errorf("client %s has no key %q", clientID, keyID)
	}
	return key, nil
}

// privateKeyJWTClient is the test's client registered for private_key_jwt.
type privateKeyJWTClient struct{ op.Client }

// AuthMethod implements op.Client.
func (privateKeyJWTClient) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodPrivateKeyJWT }

// RedirectURIGlobs implements op.HasRedirectGlobs.
func (c privateKeyJWTClient) RedirectURIGlobs() []string {
	return c.Client.(op.HasRedirectGlobs).RedirectURIGlobs()
}

// PostLogoutRedirectURIGlobs implements op.HasRedirectGlobs.
func (c privateKeyJWTClient) PostLogoutRedirectURIGlobs() []string {
	return c.Client.(op.HasRedirectGlobs).PostLogoutRedirectURIGlobs()
}

// globClient is a client whose redirect URIs are globs.
type globClient struct {
	*storage.Client
	globs       []string
	logoutGlobs []string
}

// RedirectURIGlobs implements op.HasRedirectGlobs.
func (c globClient) RedirectURIGlobs() []string { return c.globs }

// PostLogoutRedirectURIGlobs implements op.HasRedirectGlobs.
func (c globClient) PostLogoutRedirectURIGlobs() []string { return c.logoutGlobs }

// Handler is the provider's HTTP handler (for another provider's tests).
func (o *OP) Handler() http.Handler { return o.srv.Handler }

func (o *OP) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		through, nonce, delay := o.through, o.nonce, o.delay
		o.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if through != nil && r.URL.Path == "/oauth/token" {
			through.ServeHTTP(w, r)
			return
		}
		if nonce != "" && r.URL.Path == "/auth" {
			q := r.URL.Query()
			q.Set("nonce", nonce)
			r.URL.RawQuery = q.Encode()
		}
		h.ServeHTTP(w, r)
	})
}

// TokensFrom makes the token endpoint answer as other does (its codes, its
// ID tokens): a provider that hands out another issuer's tokens.
func (o *OP) TokensFrom(other *OP) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.through = other.srv.Handler
}

// ForceNonce makes every authorization request carry nonce instead of the
// relying party's.
func (o *OP) ForceNonce(nonce string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nonce = nonce
}

// Delay makes every answer of the provider wait d: a slow provider.
func (o *OP) Delay(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delay = d
}

// SendACR makes every ID token carry acr (none when "").
func (o *OP) SendACR(acr string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.acr = acr
}

// RequirePrivateKeyJWT registers the test's client for private_key_jwt
// with the public key (its KeyID is the kid the assertions must name): the
// token endpoint then accepts only client assertions signed with the
// matching private key, and no client secret.
func (o *OP) RequirePrivateKeyJWT(key jose.JSONWebKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.jwtKey = &key
}

func (o *OP) privateKeyJWT() *jose.JSONWebKey {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.jwtKey
}

// ShiftAuthTime moves the auth_time of every ID token by d (a negative d:
// a login that claims to be older than it is); 0 stops it.
func (o *OP) ShiftAuthTime(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.shift = d
}

// SendSID makes every ID token carry sid as its session id (none when "").
func (o *OP) SendSID(sid string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sid = sid
}

// Stop stops the provider: it is down from then on.
func (o *OP) Stop() { o.srv.Close() }

// Host is the provider's host:port.
func (o *OP) Host() string { return strings.TrimPrefix(o.Issuer, "http://") }

// LogoutToken returns a back-channel logout token of the provider for the
// client aud, naming the provider's subject sub and session sid ("" for
// none), issued now and signed with the provider's own signing key.
func (o *OP) LogoutToken(t testing.TB, aud, sub, sid string) string {
	t.Helper()
	key, err := o.keys.SigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"iss": o.Issuer, "aud": aud, "iat": time.Now().Unix(), "jti": time.Now().Format(time.RFC3339Nano),
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}}
	if sub != "" {
		claims["sub"] = sub
	}
	if sid != "" {
		claims["sid"] = sid
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: key.Key()},
		(&jose.SignerOptions{}).WithType("logout+jwt").WithHeader("kid", key.ID()))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
