package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"

	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/conformance"
)

// runStorage runs the suite of the fosite storage (NewStorage) over the
// durable and ephemeral backends that open returns. open is called for every
// subtest or group of subtests and must return fresh, empty backends.
func runStorage(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	t.Run("Clients", func(t *testing.T) { testOAuthClients(t, open) })
	t.Run("AuthorizeCode", func(t *testing.T) { testAuthorizeCodes(t, open) })
	t.Run("PKCE", func(t *testing.T) { testPKCE(t, open) })
	t.Run("OpenIDConnect", func(t *testing.T) { testOpenIDConnect(t, open) })
	t.Run("AuthorizeBundle", func(t *testing.T) { testAuthorizeBundle(t, open) })
	t.Run("AccessToken", func(t *testing.T) { testAccessTokens(t, open) })
	t.Run("RefreshToken", func(t *testing.T) { testOAuthRefreshTokens(t, open) })
	t.Run("Revocation", func(t *testing.T) { testRevocation(t, open) })
	t.Run("DeletedClient", func(t *testing.T) { testDeletedClient(t, open) })
	t.Run("ClientAssertionJWT", func(t *testing.T) { testClientAssertionJWT(t, open) })
}

// oauthEnv is one fresh pair of backends behind the fosite storage, with a
// registered client.
type oauthEnv struct {
	durable store.Store
	eph     store.Ephemeral
	storage *oauth.Storage
	client  *oauth.Client
	ctx     context.Context
}

func newOAuthEnv(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) *oauthEnv {
	t.Helper()
	d, e := open(t)
	c := fullClient("cong-dvc")
	must(t, d.CreateClient(t.Context(), c), "CreateClient")
	o := oauth.NewStorage(d, e, func() fosite.Session { return &openid.DefaultSession{} }, 0)
	return &oauthEnv{durable: d, eph: e, storage: o, client: &oauth.Client{Client: c}, ctx: t.Context()}
}

// secretForm holds the form values a stored request must never keep. Each
// value starts with "SECRET-" so that stored bytes can be searched for it.
var secretForm = url.Values{
	"client_secret":    {"SECRET-client-secret"},
	"password":         {"SECRET-password"},
	"code_verifier":    {"SECRET-code-verifier-dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"},
	"refresh_token":    {"SECRET-refresh-token"},
	"code":             {"SECRET-authorization-code"},
	"client_assertion": {"SECRET-client-assertion"},
	"token":            {"SECRET-token"},
}

// publicForm holds form values a stored request keeps.
var publicForm = url.Values{
	"response_type":         {"code"},
	"redirect_uri":          {"https://dichvucong.tinh.gov.vn/oidc/callback"},
	"scope":                 {"openid profile offline_access"},
	"state":                 {"af0ifjsldkj"},
	"nonce":                 {"n-0S6_WzA2Mj"},
	"code_challenge":        {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
	"code_challenge_method": {"S256"},
	"acr_values":            {"LoA2 LoA3"},
	"ui_locales":            {"vi en"},
}

// authorizeRequest returns an authorization request of the client for the
// subject, with a session whose tokens expire in an hour, granted scopes and
// audience, and a form that holds both public values and secrets.
func (env *oauthEnv) authorizeRequest(subject string) *fosite.AuthorizeRequest {
	ar := fosite.NewAuthorizeRequest()
	ar.ID = uniqueName("req")
	ar.Client = env.client
	ar.RequestedAt = time.Now().UTC().Add(-time.Second)
	ar.RequestedScope = fosite.Arguments{"openid", "profile", "email", "offline_access"}
	ar.GrantedScope = fosite.Arguments{"openid", "profile", "offline_access"}
	ar.RequestedAudience = fosite.Arguments{"https://api.tinh.gov.vn/lgsp", "https://other.example"}
	ar.GrantedAudience = fosite.Arguments{"https://api.tinh.gov.vn/lgsp"}
	ar.ResponseTypes = fosite.Arguments{"code"}
	ar.State = "af0ifjsldkj"
	ar.RedirectURI, _ = url.Parse("https://dichvucong.tinh.gov.vn/oidc/callback")
	ar.Form = url.Values{"client_id": {env.client.ID}}
	for k, v := range publicForm {
		ar.Form[k] = slices.Clone(v)
	}
	for k, v := range secretForm {
		ar.Form[k] = slices.Clone(v)
	}
	sess := openid.NewDefaultSession()
	sess.Subject, sess.Username = subject, "001099012345"
	sess.Claims.Subject = subject
	sess.Claims.Nonce = "n-0S6_WzA2Mj"
	sess.Claims.AuthTime = now().Add(-time.Minute)
	sess.Claims.AuthenticationContextClassReference = "LoA2"
	sess.Claims.AuthenticationMethodsReferences = []string{"pwd", "otp"}
	sess.Claims.Extra = map[string]any{"sid": "sso-" + subject, "account_kind": "citizen"}
	sess.Headers.Extra = map[string]any{"kid": "rs-1"}
	exp := now().Add(time.Hour)
	for _, tt := range []fosite.TokenType{fosite.AuthorizeCode, fosite.AccessToken, fosite.IDToken} {
		sess.SetExpiresAt(tt, exp)
	}
	sess.SetExpiresAt(fosite.RefreshToken, exp.Add(29*24*time.Hour))
	ar.Session = sess
	return ar
}

// checkRequest fails the test unless got is the stored form of want: same id,
// client, time, scopes, audience and session, the public form values kept and
// the secret ones dropped.
func checkRequest(t *testing.T, got fosite.Requester, want *fosite.AuthorizeRequest, what string) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no request", what)
	}
	if got.GetID() != want.GetID() {
		t.Fatalf("%s: request id %q, want %q", what, got.GetID(), want.GetID())
	}
	if got.GetClient() == nil || got.GetClient().GetID() != want.GetClient().GetID() {
		t.Fatalf("%s: client %v, want %q", what, got.GetClient(), want.GetClient().GetID())
	}
	if !sameTime(got.GetRequestedAt(), want.GetRequestedAt()) {
		t.Errorf("%s: requested at %v, want %v", what, got.GetRequestedAt(), want.GetRequestedAt())
	}
	for _, c := range []struct {
		name      string
		got, want fosite.Arguments
	}{
		{"requested scope", got.GetRequestedScopes(), want.GetRequestedScopes()},
		{"granted scope", got.GetGrantedScopes(), want.GetGrantedScopes()},
		{"requested audience", got.GetRequestedAudience(), want.GetRequestedAudience()},
		{"granted audience", got.GetGrantedAudience(), want.GetGrantedAudience()},
	} {
		if !slices.Equal(orNil(c.got), orNil(c.want)) {
			t.Errorf("%s: %s %v, want %v", what, c.name, c.got, c.want)
		}
	}
	form := got.GetRequestForm()
	for k, v := range publicForm {
		if !slices.Equal(form[k], v) {
			t.Errorf("%s: form %s = %q, want %q", what, k, form[k], v)
		}
	}
	for k := range secretForm {
		if _, ok := form[k]; ok {
			t.Errorf("%s: form keeps the secret %s = %q", what, k, form[k])
		}
	}
	checkSession(t, got.GetSession(), want.GetSession().(*openid.DefaultSession), what)
}

// checkSession fails the test unless got holds want's subject, claims and expiries.
func checkSession(t *testing.T, got fosite.Session, want *openid.DefaultSession, what string) {
	t.Helper()
	s, ok := got.(*openid.DefaultSession)
	if !ok || s == nil {
		t.Fatalf("%s: session %T, want *openid.DefaultSession", what, got)
	}
	if s.GetSubject() != want.Subject || s.GetUsername() != want.Username {
		t.Fatalf("%s: session subject %q, username %q; want %q, %q", what, s.GetSubject(), s.GetUsername(), want.Subject, want.Username)
	}
	c, w := s.IDTokenClaims(), want.IDTokenClaims()
	if c.Subject != w.Subject || c.Nonce != w.Nonce || c.AuthenticationContextClassReference != w.AuthenticationContextClassReference ||
		!slices.Equal(c.AuthenticationMethodsReferences, w.AuthenticationMethodsReferences) || !sameTime(c.AuthTime, w.AuthTime) ||
		fmt.Sprint(c.Extra) != fmt.Sprint(w.Extra) {
		t.Errorf("%s: ID token claims %+v, want %+v", what, c, w)
	}
	if fmt.Sprint(s.IDTokenHeaders().Extra) != fmt.Sprint(want.IDTokenHeaders().Extra) {
		t.Errorf("%s: ID token headers %v, want %v", what, s.IDTokenHeaders().Extra, want.IDTokenHeaders().Extra)
	}
	for _, tt := range []fosite.TokenType{fosite.AuthorizeCode, fosite.AccessToken, fosite.RefreshToken, fosite.IDToken} {
		if !sameTime(s.GetExpiresAt(tt), want.GetExpiresAt(tt)) {
			t.Errorf("%s: session expiry of %s %v, want %v", what, tt, s.GetExpiresAt(tt), want.GetExpiresAt(tt))
		}
	}
}

// noSecrets fails the test if stored bytes hold any secret form value.
func noSecrets(t *testing.T, data []byte, what string) {
	t.Helper()
	if len(data) == 0 {
		t.Fatalf("%s: nothing stored", what)
	}
	if bytes.Contains(data, []byte("SECRET-")) {
		t.Fatalf("%s: stored bytes hold a secret form value: %s", what, data)
	}
}

// storedRecord returns the raw ephemeral record of an item.
func (env *oauthEnv) storedRecord(t *testing.T, kind store.RecordKind, key string) *store.Record {
	t.Helper()
	r, err := env.eph.GetRecord(env.ctx, kind, key)
	must(t, err, fmt.Sprintf("GetRecord(%s, %s)", kind, key))
	return r
}

// wantInactive fails the test unless the refresh token reads as inactive with its request.
func (env *oauthEnv) wantInactive(t *testing.T, sig string, want *fosite.AuthorizeRequest, what string) {
	t.Helper()
	got, err := env.storage.GetRefreshTokenSession(env.ctx, sig, &openid.DefaultSession{})
	wantErr(t, err, fosite.ErrInactiveToken, what)
	checkRequest(t, got, want, what)
}

// wantActive fails the test unless the refresh token reads as active.
func (env *oauthEnv) wantActive(t *testing.T, sig string, want *fosite.AuthorizeRequest, what string) {
	t.Helper()
	got, err := env.storage.GetRefreshTokenSession(env.ctx, sig, &openid.DefaultSession{})
	must(t, err, what)
	checkRequest(t, got, want, what)
}

// wantNoAccessToken fails the test unless the access token is gone.
func (env *oauthEnv) wantNoAccessToken(t *testing.T, sig, what string) {
	t.Helper()
	got, err := env.storage.GetAccessTokenSession(env.ctx, sig, &openid.DefaultSession{})
	wantErr(t, err, fosite.ErrNotFound, what)
	if got != nil {
		t.Fatalf("%s: got a request with the error", what)
	}
}

func testOAuthClients(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	env := newOAuthEnv(t, open)
	c, err := env.storage.GetClient(env.ctx, env.client.ID)
	must(t, err, "GetClient")
	oc, ok := c.(fosite.OpenIDConnectClient)
	if !ok {
		t.Fatalf("GetClient returned %T, not a fosite.OpenIDConnectClient", c)
	}
	if c.GetID() != env.client.ID || !bytes.Equal(c.GetHashedSecret(), env.client.SecretHash) ||
		!slices.Equal(c.GetRedirectURIs(), env.client.RedirectURIs) || !slices.Equal(c.GetGrantTypes(), env.client.GrantTypes) ||
		!slices.Equal(c.GetScopes(), env.client.Scopes) || !slices.Equal(c.GetAudience(), env.client.Audience) ||
		c.IsPublic() || oc.GetTokenEndpointAuthMethod() != "client_secret_post" {
		t.Fatalf("GetClient = %+v, want %+v", c, env.client)
	}
	// The record is got back from the client fosite holds, and from it alone.
	if rec := oauth.ClientOf(c); rec == nil || rec.ID != env.client.ID || rec.AccessTokenFormat != store.AccessTokenOpaque ||
		rec.IDTokenAlgorithm != "ES256" || !rec.FirstParty {
		t.Fatalf("ClientOf(GetClient) = %+v, want the stored %+v", rec, env.client.Client)
	}
	if rec := oauth.ClientOf(&fosite.DefaultClient{ID: env.client.ID}); rec != nil {
		t.Fatalf("ClientOf(a client not made by the storage) = %+v, want nil", rec)
	}
	if rec := oauth.ClientOf(nil); rec != nil {
		t.Fatalf("ClientOf(nil) = %+v, want nil", rec)
	}
	if oc.GetJSONWebKeys() != nil || oc.GetJSONWebKeysURI() != "" || oc.GetRequestURIs() != nil ||
		oc.GetRequestObjectSigningAlgorithm() != "" || oc.GetTokenEndpointAuthSigningAlgorithm() != "" ||
		!slices.Equal(c.GetResponseTypes(), fosite.Arguments{"code"}) {
		t.Fatalf("GetClient = %+v: a client here uses the code flow, client secrets, no keys and no request objects", c)
	}
	_, err = env.storage.GetClient(env.ctx, "unknown")
	wantErr(t, err, fosite.ErrNotFound, "GetClient(unknown)")
	_, err = env.storage.LookupClient(env.ctx, "unknown")
	wantErr(t, err, store.ErrNotFound, "LookupClient(unknown)")
}

func testAuthorizeCodes(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	t.Run("CreateGetInvalidate", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		ar := env.authorizeRequest("sub-an")
		must(t, env.storage.CreateAuthorizeCodeSession(env.ctx, "code-1", ar), "CreateAuthorizeCodeSession")
		noSecrets(t, env.storedRecord(t, store.KindAuthorizeCode, "code-1").Data, "stored authorization code")

		sess := &openid.DefaultSession{}
		got, err := env.storage.GetAuthorizeCodeSession(env.ctx, "code-1", sess)
		must(t, err, "GetAuthorizeCodeSession")
		checkRequest(t, got, ar, "GetAuthorizeCodeSession")
		// fosite validates the code against the session it passed in: that
		// session is filled.
		checkSession(t, sess, ar.Session.(*openid.DefaultSession), "the session passed to GetAuthorizeCodeSession")

		must(t, env.storage.InvalidateAuthorizeCodeSession(env.ctx, "code-1"), "InvalidateAuthorizeCodeSession")
		sess = &openid.DefaultSession{}
		got, err = env.storage.GetAuthorizeCodeSession(env.ctx, "code-1", sess)
		wantErr(t, err, fosite.ErrInvalidatedAuthorizeCode, "GetAuthorizeCodeSession(used code)")
		// fosite revokes the tokens of the request when a code is replayed:
		// it needs the request with the error.
		checkRequest(t, got, ar, "GetAuthorizeCodeSession(used code)")
		checkSession(t, sess, ar.Session.(*openid.DefaultSession), "the session passed to GetAuthorizeCodeSession(used code)")

		err = env.storage.InvalidateAuthorizeCodeSession(env.ctx, "code-1")
		if err == nil {
			t.Fatal("InvalidateAuthorizeCodeSession(used code) succeeded, want an error")
		}
		wantErr(t, err, fosite.ErrInvalidatedAuthorizeCode, "InvalidateAuthorizeCodeSession(used code)")
	})

	t.Run("Unknown", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		got, err := env.storage.GetAuthorizeCodeSession(env.ctx, "code-unknown", &openid.DefaultSession{})
		wantErr(t, err, fosite.ErrNotFound, "GetAuthorizeCodeSession(unknown)")
		if got != nil {
			t.Fatal("GetAuthorizeCodeSession(unknown) returned a request")
		}
		wantErr(t, env.storage.InvalidateAuthorizeCodeSession(env.ctx, "code-unknown"), fosite.ErrNotFound, "InvalidateAuthorizeCodeSession(unknown)")
	})

	t.Run("Expires", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		ar := env.authorizeRequest("sub-an")
		exp := time.Now().Add(shortLife)
		ar.Session.SetExpiresAt(fosite.AuthorizeCode, exp)
		must(t, env.storage.CreateAuthorizeCodeSession(env.ctx, "code-1", ar), "CreateAuthorizeCodeSession")
		if stillBefore(exp) {
			_, err := env.storage.GetAuthorizeCodeSession(env.ctx, "code-1", &openid.DefaultSession{})
			must(t, err, "GetAuthorizeCodeSession before expiry")
		}
		sleepPast(exp)
		_, err := env.storage.GetAuthorizeCodeSession(env.ctx, "code-1", &openid.DefaultSession{})
		wantErr(t, err, fosite.ErrNotFound, "GetAuthorizeCodeSession after expiry")
		wantErr(t, env.storage.InvalidateAuthorizeCodeSession(env.ctx, "code-1"), fosite.ErrNotFound, "InvalidateAuthorizeCodeSession after expiry")
	})

	t.Run("ConcurrentInvalidate", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		for round := range conformance.Repeats {
			code := fmt.Sprintf("code-%d", round)
			ar := env.authorizeRequest("sub-an")
			must(t, env.storage.CreateAuthorizeCodeSession(env.ctx, code, ar), "CreateAuthorizeCodeSession")
			errs := conformance.Concurrently(conformance.Racers, func(int) error { return env.storage.InvalidateAuthorizeCodeSession(env.ctx, code) })
			conformance.ExactlyOneNil(t, errs, fosite.ErrInvalidatedAuthorizeCode, fmt.Sprintf("round %d: InvalidateAuthorizeCodeSession", round))
			got, err := env.storage.GetAuthorizeCodeSession(env.ctx, code, &openid.DefaultSession{})
			wantErr(t, err, fosite.ErrInvalidatedAuthorizeCode, "GetAuthorizeCodeSession after the race")
			checkRequest(t, got, ar, "GetAuthorizeCodeSession after the race")
		}
	})
}

func testPKCE(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	env := newOAuthEnv(t, open)
	ar := env.authorizeRequest("sub-an")
	must(t, env.storage.CreatePKCERequestSession(env.ctx, "code-1", ar), "CreatePKCERequestSession")
	noSecrets(t, env.storedRecord(t, store.KindPKCE, "code-1").Data, "stored PKCE request")
	got, err := env.storage.GetPKCERequestSession(env.ctx, "code-1", &openid.DefaultSession{})
	must(t, err, "GetPKCERequestSession")
	checkRequest(t, got, ar, "GetPKCERequestSession")
	if got.GetRequestForm().Get("code_challenge") != publicForm.Get("code_challenge") ||
		got.GetRequestForm().Get("code_challenge_method") != "S256" {
		t.Fatalf("PKCE challenge not kept: form %v", got.GetRequestForm())
	}
	_, err = env.storage.GetPKCERequestSession(env.ctx, "code-2", &openid.DefaultSession{})
	wantErr(t, err, fosite.ErrNotFound, "GetPKCERequestSession(unknown)")

	// The PKCE request and the code are separate items under the same key.
	must(t, env.storage.CreateAuthorizeCodeSession(env.ctx, "code-1", ar), "CreateAuthorizeCodeSession")
	must(t, env.storage.DeletePKCERequestSession(env.ctx, "code-1"), "DeletePKCERequestSession")
	_, err = env.storage.GetPKCERequestSession(env.ctx, "code-1", &openid.DefaultSession{})
	wantErr(t, err, fosite.ErrNotFound, "GetPKCERequestSession after DeletePKCERequestSession")
	_, err = env.storage.GetAuthorizeCodeSession(env.ctx, "code-1", &openid.DefaultSession{})
	must(t, err, "GetAuthorizeCodeSession after DeletePKCERequestSession")
	must(t, env.storage.DeletePKCERequestSession(env.ctx, "code-1"), "DeletePKCERequestSession(again)")

	// Inside a token request the request is read and deleted at once, as
	// fosite deletes it after reading it, right verifier or wrong; of two
	// requests racing for it, one gets it.
	for round := range conformance.Repeats {
		key := fmt.Sprintf("code-take-%d", round)
		must(t, env.storage.CreatePKCERequestSession(env.ctx, key, ar), "CreatePKCERequestSession")
		ctxs := []context.Context{env.storage.TokenExchange(env.ctx), env.storage.TokenExchange(env.ctx)}
		errs := conformance.Concurrently(2, func(i int) error {
			got, err := env.storage.GetPKCERequestSession(ctxs[i], key, &openid.DefaultSession{})
			if err == nil {
				checkRequest(t, got, ar, "GetPKCERequestSession in a token request")
			}
			return err
		})
		conformance.ExactlyOneNil(t, errs, fosite.ErrNotFound, "GetPKCERequestSession in two token requests")
		_, err = env.storage.GetPKCERequestSession(env.ctx, key, &openid.DefaultSession{})
		wantErr(t, err, fosite.ErrNotFound, "GetPKCERequestSession after it was taken")
		for _, ctx := range ctxs {
			must(t, env.storage.DeletePKCERequestSession(ctx, key), "DeletePKCERequestSession after the take")
		}
	}
}

func testOpenIDConnect(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	env := newOAuthEnv(t, open)
	ar := env.authorizeRequest("sub-an")
	must(t, env.storage.CreateOpenIDConnectSession(env.ctx, "code-1", ar), "CreateOpenIDConnectSession")
	noSecrets(t, env.storedRecord(t, store.KindOIDC, "code-1").Data, "stored OpenID Connect request")

	// fosite passes the token request whose session was read with the code.
	tokenRequest := fosite.NewAccessRequest(&openid.DefaultSession{})
	tokenRequest.Client = env.client
	tokenRequest.Form = url.Values{"grant_type": {"authorization_code"}, "code": {"SECRET-authorization-code"}}
	got, err := env.storage.GetOpenIDConnectSession(env.ctx, "code-1", tokenRequest)
	must(t, err, "GetOpenIDConnectSession")
	checkRequest(t, got, ar, "GetOpenIDConnectSession")
	if got.GetRequestForm().Get("nonce") != "n-0S6_WzA2Mj" || !got.GetGrantedScopes().Has("openid") {
		t.Fatalf("GetOpenIDConnectSession: nonce %q, granted %v", got.GetRequestForm().Get("nonce"), got.GetGrantedScopes())
	}

	_, err = env.storage.GetOpenIDConnectSession(env.ctx, "code-unknown", tokenRequest)
	wantErr(t, err, openid.ErrNoSessionFound, "GetOpenIDConnectSession(unknown)")
	must(t, env.storage.DeleteOpenIDConnectSession(env.ctx, "code-1"), "DeleteOpenIDConnectSession")
	_, err = env.storage.GetOpenIDConnectSession(env.ctx, "code-1", fosite.NewAccessRequest(&openid.DefaultSession{}))
	wantErr(t, err, openid.ErrNoSessionFound, "GetOpenIDConnectSession after DeleteOpenIDConnectSession")
	must(t, env.storage.DeleteOpenIDConnectSession(env.ctx, "code-1"), "DeleteOpenIDConnectSession(again)")
}

func testAccessTokens(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	t.Run("CreateGetDelete", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		ar := env.authorizeRequest("sub-an")
		must(t, env.storage.CreateAccessTokenSession(env.ctx, "at-1", ar), "CreateAccessTokenSession")
		noSecrets(t, env.storedRecord(t, store.KindAccessToken, "at-1").Data, "stored access token")
		sess := &openid.DefaultSession{}
		got, err := env.storage.GetAccessTokenSession(env.ctx, "at-1", sess)
		must(t, err, "GetAccessTokenSession")
		checkRequest(t, got, ar, "GetAccessTokenSession")
		checkSession(t, sess, ar.Session.(*openid.DefaultSession), "the session passed to GetAccessTokenSession")
		_, err = env.storage.GetAccessTokenSession(env.ctx, "at-2", &openid.DefaultSession{})
		wantErr(t, err, fosite.ErrNotFound, "GetAccessTokenSession(unknown)")
		must(t, env.storage.DeleteAccessTokenSession(env.ctx, "at-1"), "DeleteAccessTokenSession")
		env.wantNoAccessToken(t, "at-1", "GetAccessTokenSession after DeleteAccessTokenSession")
		must(t, env.storage.DeleteAccessTokenSession(env.ctx, "at-1"), "DeleteAccessTokenSession(again)")
	})

	t.Run("Expires", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		ar := env.authorizeRequest("sub-an")
		exp := time.Now().Add(shortLife)
		ar.Session.SetExpiresAt(fosite.AccessToken, exp)
		must(t, env.storage.CreateAccessTokenSession(env.ctx, "at-1", ar), "CreateAccessTokenSession")
		sleepPast(exp)
		env.wantNoAccessToken(t, "at-1", "GetAccessTokenSession after expiry")
	})
}

func testOAuthRefreshTokens(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	t.Run("CreateGetDelete", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		ar := env.authorizeRequest("sub-an")
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-1", "at-1", ar), "CreateRefreshTokenSession")
		sess := &openid.DefaultSession{}
		got, err := env.storage.GetRefreshTokenSession(env.ctx, "rt-1", sess)
		must(t, err, "GetRefreshTokenSession")
		checkRequest(t, got, ar, "GetRefreshTokenSession")
		checkSession(t, sess, ar.Session.(*openid.DefaultSession), "the session passed to GetRefreshTokenSession")

		rt, err := env.durable.GetRefreshToken(env.ctx, "rt-1")
		must(t, err, "GetRefreshToken")
		if rt.RequestID != ar.ID || rt.AccessSignature != "at-1" || rt.ClientID != env.client.ID || rt.Subject != "sub-an" ||
			!rt.Active || !sameTime(rt.ExpiresAt, ar.Session.GetExpiresAt(fosite.RefreshToken)) || rt.CreatedAt.IsZero() {
			t.Fatalf("stored refresh token = %+v", rt)
		}
		noSecrets(t, rt.Request, "stored refresh token")

		_, err = env.storage.GetRefreshTokenSession(env.ctx, "rt-unknown", &openid.DefaultSession{})
		wantErr(t, err, fosite.ErrNotFound, "GetRefreshTokenSession(unknown)")
		must(t, env.storage.DeleteRefreshTokenSession(env.ctx, "rt-1"), "DeleteRefreshTokenSession")
		_, err = env.storage.GetRefreshTokenSession(env.ctx, "rt-1", &openid.DefaultSession{})
		wantErr(t, err, fosite.ErrNotFound, "GetRefreshTokenSession after DeleteRefreshTokenSession")
		must(t, env.storage.DeleteRefreshTokenSession(env.ctx, "rt-1"), "DeleteRefreshTokenSession(again)")
	})

	t.Run("Rotate", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		ar := env.authorizeRequest("sub-an")
		must(t, env.storage.CreateAccessTokenSession(env.ctx, "at-1", ar), "CreateAccessTokenSession")
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-1", "at-1", ar), "CreateRefreshTokenSession")
		other := env.authorizeRequest("sub-an")
		must(t, env.storage.CreateAccessTokenSession(env.ctx, "at-other", other), "CreateAccessTokenSession(other)")
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-other", "at-other", other), "CreateRefreshTokenSession(other)")

		must(t, env.storage.RotateRefreshToken(env.ctx, ar.ID, "rt-1"), "RotateRefreshToken")
		// A rotated token reads as inactive together with its request, so
		// that fosite can treat its reuse.
		env.wantInactive(t, "rt-1", ar, "GetRefreshTokenSession(rotated)")
		env.wantNoAccessToken(t, "at-1", "GetAccessTokenSession of a rotated family")

		// fosite stores the next token of the family under the same request id.
		must(t, env.storage.CreateAccessTokenSession(env.ctx, "at-2", ar), "CreateAccessTokenSession(next)")
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-2", "at-2", ar), "CreateRefreshTokenSession(next)")
		env.wantActive(t, "rt-2", ar, "GetRefreshTokenSession(next)")
		_, err := env.storage.GetAccessTokenSession(env.ctx, "at-2", &openid.DefaultSession{})
		must(t, err, "GetAccessTokenSession(next)")

		// Rotating the old token again is a reuse: the whole family goes.
		err = env.storage.RotateRefreshToken(env.ctx, ar.ID, "rt-1")
		wantErr(t, err, fosite.ErrInactiveToken, "RotateRefreshToken(rotated)")
		env.wantInactive(t, "rt-1", ar, "GetRefreshTokenSession(rotated) after the reuse")
		env.wantInactive(t, "rt-2", ar, "GetRefreshTokenSession(next) after the reuse")
		env.wantNoAccessToken(t, "at-2", "GetAccessTokenSession(next) after the reuse")
		wantErr(t, env.storage.RotateRefreshToken(env.ctx, ar.ID, "rt-2"), fosite.ErrInactiveToken, "RotateRefreshToken(revoked)")

		// Another authorization of the same person and client is untouched.
		env.wantActive(t, "rt-other", other, "GetRefreshTokenSession(other family)")
		got, err := env.storage.GetAccessTokenSession(env.ctx, "at-other", &openid.DefaultSession{})
		must(t, err, "GetAccessTokenSession(other family)")
		checkRequest(t, got, other, "GetAccessTokenSession(other family)")

		wantErr(t, env.storage.RotateRefreshToken(env.ctx, ar.ID, "rt-unknown"), fosite.ErrNotFound, "RotateRefreshToken(unknown)")
	})

	// Inside a token request, fosite's calls (rotate, store the access
	// token, store the next refresh token) write the rotation once, at the
	// last call; the outcome is the same as above.
	refresh := func(env *oauthEnv, ar *fosite.AuthorizeRequest, old, at, next string) error {
		ctx := env.storage.TokenExchange(env.ctx)
		if _, err := env.storage.GetRefreshTokenSession(ctx, old, &openid.DefaultSession{}); err != nil {
			if errors.Is(err, fosite.ErrInactiveToken) {
				// Reuse found at the read: fosite revokes the family.
				_ = env.storage.DeleteRefreshTokenSession(ctx, old)
				_ = env.storage.RevokeRefreshToken(ctx, ar.ID)
				_ = env.storage.RevokeAccessToken(ctx, ar.ID)
			}
			return err
		}
		if err := env.storage.RotateRefreshToken(ctx, ar.ID, old); err != nil {
			return err
		}
		if err := env.storage.CreateAccessTokenSession(ctx, at, ar); err != nil {
			return err
		}
		return env.storage.CreateRefreshTokenSession(ctx, next, at, ar)
	}

	t.Run("BusinessAndFamilyEnd", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		const hoangLong = "0101234565"
		refreshExp := now().Add(30 * 24 * time.Hour)
		familyEnd := now().Add(2 * time.Hour)
		ar := env.authorizeRequest("sub-an")
		sess := &oauth.Session{Subject: "sub-an", SID: "sso-an", TaxCode: hoangLong, FamilyExpiresAt: familyEnd}
		sess.SetExpiresAt(fosite.RefreshToken, refreshExp)
		ar.Session = sess
		stored := func(sig, taxCode string, exp time.Time) {
			t.Helper()
			rt, err := env.durable.GetRefreshToken(env.ctx, sig)
			must(t, err, "GetRefreshToken("+sig+")")
			if rt.TaxCode != taxCode || !sameTime(rt.ExpiresAt, exp) || !rt.Active {
				t.Fatalf("stored refresh token %s: tax code %q, expires %v, active %v; want %q, %v, active",
					sig, rt.TaxCode, rt.ExpiresAt, rt.Active, taxCode, exp)
			}
		}
		// The business is kept, and the token expires with its family.
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-1", "at-1", ar), "CreateRefreshTokenSession")
		stored("rt-1", hoangLong, familyEnd)

		// So does its successor, rotated inside a token request.
		ctx := env.storage.TokenExchange(env.ctx)
		_, err := env.storage.GetRefreshTokenSession(ctx, "rt-1", &oauth.Session{})
		must(t, err, "GetRefreshTokenSession(rt-1)")
		must(t, env.storage.RotateRefreshToken(ctx, ar.ID, "rt-1"), "RotateRefreshToken(rt-1)")
		must(t, env.storage.CreateAccessTokenSession(ctx, "at-2", ar), "CreateAccessTokenSession(at-2)")
		must(t, env.storage.CreateRefreshTokenSession(ctx, "rt-2", "at-2", ar), "CreateRefreshTokenSession(rt-2)")
		stored("rt-2", hoangLong, familyEnd)

		// A family that ends after the token leaves the token's own expiry;
		// a person acting for themselves has no business.
		other := env.authorizeRequest("sub-an")
		own := &oauth.Session{Subject: "sub-an", SID: "sso-an", FamilyExpiresAt: refreshExp.Add(time.Hour)}
		own.SetExpiresAt(fosite.RefreshToken, refreshExp)
		other.Session = own
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-own", "at-own", other), "CreateRefreshTokenSession(own)")
		stored("rt-own", "", refreshExp)

		// Unlinking the business revokes the family that acts for it only.
		must(t, env.durable.RevokeRefreshTokensOfBusiness(env.ctx, "sub-an", hoangLong), "RevokeRefreshTokensOfBusiness")
		_, err = env.storage.GetRefreshTokenSession(env.ctx, "rt-2", &oauth.Session{})
		wantErr(t, err, fosite.ErrInactiveToken, "GetRefreshTokenSession of a token of the unlinked business")
		_, err = env.storage.GetRefreshTokenSession(env.ctx, "rt-own", &oauth.Session{})
		must(t, err, "GetRefreshTokenSession of the person's own token")
	})

	t.Run("RotateInTokenRequest", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		ar := env.authorizeRequest("sub-an")
		must(t, env.storage.CreateAccessTokenSession(env.ctx, "at-1", ar), "CreateAccessTokenSession")
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-1", "at-1", ar), "CreateRefreshTokenSession")
		must(t, refresh(env, ar, "rt-1", "at-2", "rt-2"), "refresh")
		env.wantInactive(t, "rt-1", ar, "GetRefreshTokenSession(rotated)")
		env.wantNoAccessToken(t, "at-1", "GetAccessTokenSession of the rotated token's family")
		env.wantActive(t, "rt-2", ar, "GetRefreshTokenSession(next)")
		_, err := env.storage.GetAccessTokenSession(env.ctx, "at-2", &openid.DefaultSession{})
		must(t, err, "GetAccessTokenSession(next)")

		// The token disappears between its read and its rotation: no new
		// token is left behind, not even the access token's record.
		ctx := env.storage.TokenExchange(env.ctx)
		_, err = env.storage.GetRefreshTokenSession(ctx, "rt-2", &openid.DefaultSession{})
		must(t, err, "GetRefreshTokenSession(rt-2)")
		must(t, env.storage.RotateRefreshToken(ctx, ar.ID, "rt-2"), "RotateRefreshToken(rt-2)")
		must(t, env.storage.CreateAccessTokenSession(ctx, "at-3", ar), "CreateAccessTokenSession(at-3)")
		must(t, env.storage.DeleteRefreshTokenSession(env.ctx, "rt-2"), "DeleteRefreshTokenSession(rt-2)")
		wantErr(t, env.storage.CreateRefreshTokenSession(ctx, "rt-3", "at-3", ar), fosite.ErrNotFound,
			"CreateRefreshTokenSession after the token went away")
		env.wantNoAccessToken(t, "at-3", "GetAccessTokenSession of a refused rotation")
		_, err = env.storage.GetRefreshTokenSession(env.ctx, "rt-3", &openid.DefaultSession{})
		wantErr(t, err, fosite.ErrNotFound, "GetRefreshTokenSession(successor of a refused rotation)")
	})

	t.Run("ConcurrentRotateInTokenRequest", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		for round := range conformance.Repeats {
			ar := env.authorizeRequest("sub-an")
			rt, at := fmt.Sprintf("rt-%d", round), fmt.Sprintf("at-%d", round)
			must(t, env.storage.CreateAccessTokenSession(env.ctx, at, ar), "CreateAccessTokenSession")
			must(t, env.storage.CreateRefreshTokenSession(env.ctx, rt, at, ar), "CreateRefreshTokenSession")
			// Two nodes refresh with the same token at once: one rotates it,
			// the other finds it used and the whole family is revoked.
			errs := conformance.Concurrently(2, func(i int) error {
				return refresh(env, ar, rt, fmt.Sprintf("%s-at-%d", rt, i), fmt.Sprintf("%s-next-%d", rt, i))
			})
			conformance.ExactlyOneNil(t, errs, fosite.ErrInactiveToken, fmt.Sprintf("round %d: refresh", round))
			// The raced token is inactive, or deleted when the loser read it
			// after the winner's rotation (fosite deletes a reused token).
			if _, err := env.storage.GetRefreshTokenSession(env.ctx, rt, &openid.DefaultSession{}); !errors.Is(err, fosite.ErrInactiveToken) &&
				!errors.Is(err, fosite.ErrNotFound) {
				t.Fatalf("GetRefreshTokenSession(raced): error = %v, want token_inactive or not_found", err)
			}
			for i := range 2 {
				next := fmt.Sprintf("%s-next-%d", rt, i)
				if errs[i] == nil {
					env.wantInactive(t, next, ar, "GetRefreshTokenSession(the winner's successor, family revoked)")
				} else {
					_, err := env.storage.GetRefreshTokenSession(env.ctx, next, &openid.DefaultSession{})
					wantErr(t, err, fosite.ErrNotFound, "GetRefreshTokenSession(the loser's successor)")
				}
				env.wantNoAccessToken(t, fmt.Sprintf("%s-at-%d", rt, i), "GetAccessTokenSession of the raced family")
			}
		}
	})

	t.Run("SubjectInTokenRequest", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		ar := env.authorizeRequest("sub-nobody")
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-1", "at-1", ar), "CreateRefreshTokenSession")
		ctx := env.storage.TokenExchange(env.ctx)
		if _, _, known := env.storage.RefreshSubject(ctx, "sub-nobody"); known {
			t.Fatal("RefreshSubject knows a subject before any refresh token was read")
		}
		_, err := env.storage.GetRefreshTokenSession(ctx, "rt-1", &openid.DefaultSession{})
		must(t, err, "GetRefreshTokenSession")
		if disabled, missing, known := env.storage.RefreshSubject(ctx, "sub-nobody"); !known || !missing || disabled {
			t.Fatalf("RefreshSubject = disabled %v, missing %v, known %v; want a missing account", disabled, missing, known)
		}
		if _, _, known := env.storage.RefreshSubject(ctx, "sub-other"); known {
			t.Fatal("RefreshSubject answers for a subject the token is not of")
		}
		if _, _, known := env.storage.RefreshSubject(env.ctx, "sub-nobody"); known {
			t.Fatal("RefreshSubject answers outside a token request")
		}
	})

	t.Run("ConcurrentRotate", func(t *testing.T) {
		env := newOAuthEnv(t, open)
		other := env.authorizeRequest("sub-an")
		must(t, env.storage.CreateAccessTokenSession(env.ctx, "at-other", other), "CreateAccessTokenSession(other)")
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-other", "at-other", other), "CreateRefreshTokenSession(other)")
		for round := range conformance.Repeats {
			ar := env.authorizeRequest("sub-an")
			rt, sibling, at := fmt.Sprintf("rt-%d", round), fmt.Sprintf("rt-%d-sibling", round), fmt.Sprintf("at-%d", round)
			must(t, env.storage.CreateAccessTokenSession(env.ctx, at, ar), "CreateAccessTokenSession")
			must(t, env.storage.CreateRefreshTokenSession(env.ctx, rt, at, ar), "CreateRefreshTokenSession")
			must(t, env.storage.CreateRefreshTokenSession(env.ctx, sibling, at, ar), "CreateRefreshTokenSession(sibling)")
			// Two nodes receive the same refresh token at once.
			errs := conformance.Concurrently(2, func(int) error { return env.storage.RotateRefreshToken(env.ctx, ar.ID, rt) })
			conformance.ExactlyOneNil(t, errs, fosite.ErrInactiveToken, fmt.Sprintf("round %d: RotateRefreshToken", round))
			env.wantInactive(t, rt, ar, "GetRefreshTokenSession(raced)")
			env.wantInactive(t, sibling, ar, "GetRefreshTokenSession(sibling of the raced token)")
			env.wantNoAccessToken(t, at, "GetAccessTokenSession of the raced family")
		}
		env.wantActive(t, "rt-other", other, "GetRefreshTokenSession(other family)")
		_, err := env.storage.GetAccessTokenSession(env.ctx, "at-other", &openid.DefaultSession{})
		must(t, err, "GetAccessTokenSession(other family)")
	})
}

func testRevocation(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	env := newOAuthEnv(t, open)
	r1, r2 := env.authorizeRequest("sub-an"), env.authorizeRequest("sub-an")
	for i, r := range []*fosite.AuthorizeRequest{r1, r2} {
		n := i + 1
		must(t, env.storage.CreateAccessTokenSession(env.ctx, fmt.Sprintf("at-%d", n), r), "CreateAccessTokenSession")
		must(t, env.storage.CreateAccessTokenSession(env.ctx, fmt.Sprintf("at-%d-b", n), r), "CreateAccessTokenSession")
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, fmt.Sprintf("rt-%d", n), fmt.Sprintf("at-%d", n), r), "CreateRefreshTokenSession")
		must(t, env.storage.CreateRefreshTokenSession(env.ctx, fmt.Sprintf("rt-%d-b", n), fmt.Sprintf("at-%d-b", n), r), "CreateRefreshTokenSession")
	}

	must(t, env.storage.RevokeRefreshToken(env.ctx, r1.ID), "RevokeRefreshToken")
	env.wantInactive(t, "rt-1", r1, "GetRefreshTokenSession(revoked)")
	env.wantInactive(t, "rt-1-b", r1, "GetRefreshTokenSession(revoked)")
	env.wantActive(t, "rt-2", r2, "GetRefreshTokenSession(other request)")
	env.wantActive(t, "rt-2-b", r2, "GetRefreshTokenSession(other request)")
	_, err := env.storage.GetAccessTokenSession(env.ctx, "at-1", &openid.DefaultSession{})
	must(t, err, "GetAccessTokenSession after RevokeRefreshToken (access tokens are revoked separately)")

	must(t, env.storage.RevokeAccessToken(env.ctx, r1.ID), "RevokeAccessToken")
	env.wantNoAccessToken(t, "at-1", "GetAccessTokenSession(revoked)")
	env.wantNoAccessToken(t, "at-1-b", "GetAccessTokenSession(revoked)")
	for _, sig := range []string{"at-2", "at-2-b"} {
		got, err := env.storage.GetAccessTokenSession(env.ctx, sig, &openid.DefaultSession{})
		must(t, err, "GetAccessTokenSession(other request)")
		checkRequest(t, got, r2, "GetAccessTokenSession(other request)")
	}
	env.wantActive(t, "rt-2", r2, "GetRefreshTokenSession(other request) after RevokeAccessToken")

	// Revoking again, or an unknown request, is not an error.
	must(t, env.storage.RevokeRefreshToken(env.ctx, r1.ID), "RevokeRefreshToken(again)")
	must(t, env.storage.RevokeAccessToken(env.ctx, r1.ID), "RevokeAccessToken(again)")
	must(t, env.storage.RevokeRefreshToken(env.ctx, "req-unknown"), "RevokeRefreshToken(unknown)")
	must(t, env.storage.RevokeAccessToken(env.ctx, "req-unknown"), "RevokeAccessToken(unknown)")
}

func testDeletedClient(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	env := newOAuthEnv(t, open)
	kept := env.authorizeRequest("sub-an")
	gone := fullClient("gone")
	must(t, env.durable.CreateClient(env.ctx, gone), "CreateClient")
	ar := env.authorizeRequest("sub-an")
	ar.Client = &oauth.Client{Client: gone}
	must(t, env.storage.CreateAuthorizeCodeSession(env.ctx, "code-1", ar), "CreateAuthorizeCodeSession")
	must(t, env.storage.CreatePKCERequestSession(env.ctx, "code-1", ar), "CreatePKCERequestSession")
	must(t, env.storage.CreateOpenIDConnectSession(env.ctx, "code-1", ar), "CreateOpenIDConnectSession")
	must(t, env.storage.CreateAccessTokenSession(env.ctx, "at-1", ar), "CreateAccessTokenSession")
	must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-1", "at-1", ar), "CreateRefreshTokenSession")
	must(t, env.storage.CreateAccessTokenSession(env.ctx, "at-kept", kept), "CreateAccessTokenSession(kept)")
	must(t, env.storage.CreateRefreshTokenSession(env.ctx, "rt-kept", "at-kept", kept), "CreateRefreshTokenSession(kept)")

	must(t, env.durable.DeleteClient(env.ctx, "gone"), "DeleteClient")
	_, err := env.storage.GetClient(env.ctx, "gone")
	wantErr(t, err, fosite.ErrNotFound, "GetClient(deleted)")
	for name, get := range map[string]func() (fosite.Requester, error){
		"GetAuthorizeCodeSession": func() (fosite.Requester, error) {
			return env.storage.GetAuthorizeCodeSession(env.ctx, "code-1", &openid.DefaultSession{})
		},
		"GetPKCERequestSession": func() (fosite.Requester, error) {
			return env.storage.GetPKCERequestSession(env.ctx, "code-1", &openid.DefaultSession{})
		},
		"GetAccessTokenSession": func() (fosite.Requester, error) {
			return env.storage.GetAccessTokenSession(env.ctx, "at-1", &openid.DefaultSession{})
		},
		"GetRefreshTokenSession": func() (fosite.Requester, error) {
			return env.storage.GetRefreshTokenSession(env.ctx, "rt-1", &openid.DefaultSession{})
		},
	} {
		_, err := get()
		wantErr(t, err, fosite.ErrNotFound, name+" of a deleted client")
	}
	_, err = env.storage.GetOpenIDConnectSession(env.ctx, "code-1", fosite.NewAccessRequest(&openid.DefaultSession{}))
	if !errors.Is(err, fosite.ErrNotFound) && !errors.Is(err, openid.ErrNoSessionFound) {
		t.Fatalf("GetOpenIDConnectSession of a deleted client: error = %v, want not found", err)
	}
	env.wantActive(t, "rt-kept", kept, "GetRefreshTokenSession of another client")
	_, err = env.storage.GetAccessTokenSession(env.ctx, "at-kept", &openid.DefaultSession{})
	must(t, err, "GetAccessTokenSession of another client")
}

func testClientAssertionJWT(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	env := newOAuthEnv(t, open)
	must(t, env.storage.ClientAssertionJWTValid(env.ctx, "jti-1"), "ClientAssertionJWTValid(unseen)")
	must(t, env.storage.SetClientAssertionJWT(env.ctx, "jti-1", time.Now().Add(time.Hour)), "SetClientAssertionJWT")
	wantErr(t, env.storage.ClientAssertionJWTValid(env.ctx, "jti-1"), fosite.ErrJTIKnown, "ClientAssertionJWTValid(seen)")
	must(t, env.storage.ClientAssertionJWTValid(env.ctx, "jti-2"), "ClientAssertionJWTValid(other)")

	// A jti is remembered until the assertion expires, not longer.
	exp := time.Now().Add(shortLife)
	must(t, env.storage.SetClientAssertionJWT(env.ctx, "jti-3", exp), "SetClientAssertionJWT(short)")
	if stillBefore(exp) {
		wantErr(t, env.storage.ClientAssertionJWTValid(env.ctx, "jti-3"), fosite.ErrJTIKnown, "ClientAssertionJWTValid(seen, short)")
	}
	sleepPast(exp)
	must(t, env.storage.ClientAssertionJWTValid(env.ctx, "jti-3"), "ClientAssertionJWTValid after the assertion expired")
	wantErr(t, env.storage.ClientAssertionJWTValid(env.ctx, "jti-1"), fosite.ErrJTIKnown, "ClientAssertionJWTValid(seen, long)")
}

// testAuthorizeBundle runs an authorization response and its token exchange
// the way the server does: the code and its OpenID Connect request are
// written as one record and read once; the PKCE request is a record of its
// own, spent at the first check.
func testAuthorizeBundle(t *testing.T, open func(t *testing.T) (store.Store, store.Ephemeral)) {
	env := newOAuthEnv(t, open)
	// A code is "code-" + its signature; the OpenID Connect request is keyed by the code.
	env.storage.SetCodeSignature(func(_ context.Context, code string) string { return strings.TrimPrefix(code, "code-") })
	noRecord := func(kind store.RecordKind, key, what string) {
		t.Helper()
		if _, err := env.eph.GetRecord(env.ctx, kind, key); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: a %s record %q exists (%v)", what, kind, key, err)
		}
	}
	ar := env.authorizeRequest("sub-binh")
	// Each handler keeps its own form values, as fosite's do.
	pkceReq := ar.Sanitize([]string{"code_challenge", "code_challenge_method"})
	oidcReq := ar.Sanitize([]string{"nonce", "acr_values", "ui_locales"})

	ctx, flush := env.storage.BatchAuthorize(env.ctx)
	must(t, env.storage.CreateAuthorizeCodeSession(ctx, "sig-1", ar), "CreateAuthorizeCodeSession (batched)")
	must(t, env.storage.CreatePKCERequestSession(ctx, "sig-1", pkceReq), "CreatePKCERequestSession (batched)")
	must(t, env.storage.CreateOpenIDConnectSession(ctx, "code-sig-1", oidcReq), "CreateOpenIDConnectSession (batched)")
	noRecord(store.KindAuthorizeCode, "sig-1", "before the batch is written")
	must(t, flush(env.ctx), "writing the batch")
	noSecrets(t, env.storedRecord(t, store.KindAuthorizeCode, "sig-1").Data, "stored code with its requests")
	noSecrets(t, env.storedRecord(t, store.KindPKCE, "sig-1").Data, "stored PKCE request")
	noRecord(store.KindOIDC, "code-sig-1", "a batched OpenID Connect request")

	// The token exchange.
	x := env.storage.TokenExchange(env.ctx)
	code, err := env.storage.GetAuthorizeCodeSession(x, "sig-1", &openid.DefaultSession{})
	must(t, err, "GetAuthorizeCodeSession")
	checkRequest(t, code, ar, "GetAuthorizeCodeSession")
	got, err := env.storage.GetPKCERequestSession(x, "sig-1", &openid.DefaultSession{})
	must(t, err, "GetPKCERequestSession")
	if f := got.GetRequestForm(); f.Get("code_challenge") != publicForm.Get("code_challenge") || f.Get("code_challenge_method") != "S256" || f.Has("nonce") {
		t.Fatalf("GetPKCERequestSession: form %v, want the challenge and its method only", f)
	}
	if got.GetID() != ar.GetID() || got.GetClient().GetID() != env.client.ID {
		t.Fatalf("GetPKCERequestSession: request %q of %q", got.GetID(), got.GetClient().GetID())
	}
	must(t, env.storage.DeletePKCERequestSession(x, "sig-1"), "DeletePKCERequestSession")
	_, err = env.storage.GetPKCERequestSession(x, "sig-1", &openid.DefaultSession{})
	wantErr(t, err, fosite.ErrNotFound, "GetPKCERequestSession after DeletePKCERequestSession")
	must(t, env.storage.InvalidateAuthorizeCodeSession(x, "sig-1"), "InvalidateAuthorizeCodeSession")
	tokenRequest := fosite.NewAccessRequest(&openid.DefaultSession{})
	tokenRequest.Client = env.client
	oidc, err := env.storage.GetOpenIDConnectSession(x, "code-sig-1", tokenRequest)
	must(t, err, "GetOpenIDConnectSession after the code was used")
	if f := oidc.GetRequestForm(); f.Get("nonce") != "n-0S6_WzA2Mj" || f.Get("acr_values") != "LoA2 LoA3" || f.Has("code_challenge") {
		t.Fatalf("GetOpenIDConnectSession: form %v, want nonce, acr_values and ui_locales", f)
	}
	checkSession(t, oidc.GetSession(), ar.Session.(*openid.DefaultSession), "GetOpenIDConnectSession")
	must(t, env.storage.DeleteOpenIDConnectSession(x, "code-sig-1"), "DeleteOpenIDConnectSession")

	// The code is used: a second exchange fails at the code, whatever else it sends.
	_, err = env.storage.GetAuthorizeCodeSession(env.storage.TokenExchange(env.ctx), "sig-1", &openid.DefaultSession{})
	wantErr(t, err, fosite.ErrInvalidatedAuthorizeCode, "GetAuthorizeCodeSession of a used code")
	wantErr(t, env.storage.InvalidateAuthorizeCodeSession(env.ctx, "sig-1"), fosite.ErrInvalidatedAuthorizeCode, "a second InvalidateAuthorizeCodeSession")

	// A code without PKCE has no PKCE request; an OpenID Connect request
	// under another code, and the requests of a batch without a code, are
	// records of their own.
	ar2 := env.authorizeRequest("sub-chi")
	ctx, flush = env.storage.BatchAuthorize(env.ctx)
	must(t, env.storage.CreateAuthorizeCodeSession(ctx, "sig-2", ar2), "CreateAuthorizeCodeSession (batched)")
	must(t, env.storage.CreateOpenIDConnectSession(ctx, "code-sig-9", ar2), "CreateOpenIDConnectSession (batched, another code)")
	must(t, flush(env.ctx), "writing the batch")
	_, err = env.storage.GetPKCERequestSession(env.storage.TokenExchange(env.ctx), "sig-2", &openid.DefaultSession{})
	wantErr(t, err, fosite.ErrNotFound, "GetPKCERequestSession of a code without PKCE")
	noSecrets(t, env.storedRecord(t, store.KindOIDC, "code-sig-9").Data, "an OpenID Connect request under another code")
	ctx, flush = env.storage.BatchAuthorize(env.ctx)
	must(t, env.storage.CreatePKCERequestSession(ctx, "sig-3", ar2), "CreatePKCERequestSession (batched, no code)")
	must(t, flush(env.ctx), "writing the batch")
	noSecrets(t, env.storedRecord(t, store.KindPKCE, "sig-3").Data, "a PKCE request without its code")
	got, err = env.storage.GetPKCERequestSession(env.ctx, "sig-3", &openid.DefaultSession{})
	must(t, err, "GetPKCERequestSession of a record of its own")
	checkRequest(t, got, ar2, "GetPKCERequestSession of a record of its own")
	must(t, env.storage.DeletePKCERequestSession(env.ctx, "sig-3"), "DeletePKCERequestSession of a record of its own")
	noRecord(store.KindPKCE, "sig-3", "after DeletePKCERequestSession")
}
