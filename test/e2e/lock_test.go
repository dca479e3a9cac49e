package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestLockRevokesAccessTokens: locking an account revokes its access tokens
// at once, JWT and opaque alike, and its refresh tokens: introspection says
// inactive and userinfo answers 401, long before the tokens expire. Another
// person's tokens stay active, and a code not yet exchanged is spent.
func TestLockRevokesAccessTokens(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	datSub := srv.CreateCitizen(t, dat)
	srv.CreateCitizen(t, hang)
	jwtApp := srv.CreateClient(t, portal("openid", "profile"))
	spec := portal("openid", "profile")
	spec.AccessTokenFormat = "opaque"
	spec.RedirectURIs = []string{"https://motcua.example.gov.vn/callback"}
	opaqueApp := srv.CreateClient(t, spec)
	jwtRP, opaqueRP := newRP(t, srv, jwtApp), newRP(t, srv, opaqueApp)

	signIn := func(rp *relyingParty, b *harness.Browser, identifier, password string) *tokens {
		ar, resp := rp.authorize(t, b, openidProfile)
		if resp.Page != nil {
			resp = login(t, b, resp, identifier, password)
		}
		return rp.exchange(t, ar, rp.code(t, ar, resp))
	}
	b := srv.NewBrowser(t)
	atJWT := signIn(jwtRP, b, dat.PersonalID, dat.Password)
	atOpaque := signIn(opaqueRP, b, dat.PersonalID, dat.Password)
	if strings.Count(atJWT.AccessToken, ".") != 2 || strings.Count(atOpaque.AccessToken, ".") == 2 {
		t.Fatalf("the access tokens are not one JWT and one opaque token: %q, %q", atJWT.AccessToken, atOpaque.AccessToken)
	}
	other := signIn(jwtRP, srv.NewBrowser(t), hang.PersonalID, hang.Password)
	for _, c := range []struct {
		app   *harness.Client
		token string
	}{{jwtApp, atJWT.AccessToken}, {opaqueApp, atOpaque.AccessToken}, {jwtApp, atJWT.RefreshToken}} {
		if in := srv.Introspect(t, c.app, c.token); in["active"] != true || in["sub"] != datSub {
			t.Fatalf("before the lock, a token introspects %v", in)
		}
	}

	// A code issued before the lock and not yet exchanged.
	pending, resp := jwtRP.authorize(t, b, openidProfile)
	pendingCode := jwtRP.code(t, pending, resp)

	srv.CLI(t, "", "account", "lock", "--reason", "mất điện thoại", dat.PersonalID)

	if _, err := jwtRP.config.Exchange(jwtRP.ctx, pendingCode, pending.PKCE.ExchangeOption()); err == nil {
		t.Error("a code issued before the lock was exchanged after it")
	} else if code := grantError(t, err); code != "invalid_grant" {
		t.Errorf("exchanging a code of a locked account: %q, want invalid_grant", code)
	}

	for _, c := range []struct {
		name  string
		app   *harness.Client
		token string
	}{{"JWT access token", jwtApp, atJWT.AccessToken}, {"opaque access token", opaqueApp, atOpaque.AccessToken},
		{"refresh token", jwtApp, atJWT.RefreshToken}, {"refresh token (opaque client)", opaqueApp, atOpaque.RefreshToken}} {
		if in := srv.Introspect(t, c.app, c.token); in["active"] != false {
			t.Errorf("after the lock, the %s introspects %v", c.name, in)
		}
	}
	for name, token := range map[string]string{"JWT": atJWT.AccessToken, "opaque": atOpaque.AccessToken} {
		if status := userinfoStatus(t, srv, token); status != http.StatusUnauthorized {
			t.Errorf("after the lock, userinfo with the %s access token: %d, want 401", name, status)
		}
	}
	// Another person's tokens are untouched.
	if in := srv.Introspect(t, jwtApp, other.AccessToken); in["active"] != true {
		t.Errorf("another person's access token introspects %v after the lock", in)
	}
	if status := userinfoStatus(t, srv, other.AccessToken); status != http.StatusOK {
		t.Errorf("userinfo with another person's access token: %d", status)
	}
}
