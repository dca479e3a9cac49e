package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// TestRedisLossKeepsJWTAccessTokens restarts the node's Redis without
// persistence (every ephemeral record is lost): a live JWT access token
// stays active at introspection and userinfo, one revoked before the loss
// (at the revocation endpoint, or by locking its account) stays inactive,
// an opaque token is lost with its record (documented), a refresh token
// still refreshes, and a JWT revoked after the loss is inactive.
func TestRedisLossKeepsJWTAccessTokens(t *testing.T) {
	t.Parallel()
	redis := services.StartRedis(t)
	srv := harness.Start(t, harness.WithEnv("DINHDANH_REDIS_ADDRS", redis.Addr))
	datSub := srv.CreateCitizen(t, dat)
	srv.CreateCitizen(t, hang)
	jwtApp := srv.CreateClient(t, portal("openid", "profile", "offline_access"))
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
	live := signIn(jwtRP, b, dat.PersonalID, dat.Password)
	revoked := signIn(jwtRP, b, dat.PersonalID, dat.Password)
	opaque := signIn(opaqueRP, b, dat.PersonalID, dat.Password)
	locked := signIn(jwtRP, srv.NewBrowser(t), hang.PersonalID, hang.Password)
	if strings.Count(live.AccessToken, ".") != 2 || strings.Count(opaque.AccessToken, ".") == 2 {
		t.Fatalf("the access tokens are not a JWT and an opaque token: %q, %q", live.AccessToken, opaque.AccessToken)
	}
	srv.Revoke(t, jwtApp, revoked.AccessToken, "access_token")
	srv.CLI(t, "", "account", "lock", "--reason", "mất điện thoại", hang.PersonalID)

	redis.Restart(t) // empty: no persistence

	// The node reconnects by itself.
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := srv.HTTP.Get(srv.URL("/health/ready"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the node is not ready after Redis came back")
		}
		time.Sleep(100 * time.Millisecond)
	}

	timed := func(what string, f func()) {
		t.Helper()
		start := time.Now()
		f()
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s took %s", what, d)
		}
	}
	timed("introspection of the live JWT", func() {
		in := srv.Introspect(t, jwtApp, live.AccessToken)
		if in["active"] != true || in["sub"] != datSub || in["client_id"] != jwtApp.ID || !strings.Contains(in["scope"].(string), "openid") {
			t.Errorf("after the loss of Redis, a live JWT access token introspects %v, want active for %s", in, datSub)
		}
	})
	timed("userinfo with the live JWT", func() {
		if _, claims := jwtRP.userinfo(t, live.AccessToken); claims["sub"] != datSub || claims["name"] != dat.Name {
			t.Errorf("userinfo with the live JWT after the loss: %v", claims)
		}
	})
	for _, c := range []struct {
		name  string
		app   *harness.Client
		token string
	}{{"JWT revoked at the revocation endpoint", jwtApp, revoked.AccessToken},
		{"JWT of the locked account", jwtApp, locked.AccessToken},
		{"opaque token (lost with its record)", opaqueApp, opaque.AccessToken}} {
		timed("introspection of the "+c.name, func() {
			if in := srv.Introspect(t, c.app, c.token); in["active"] != false {
				t.Errorf("after the loss of Redis, the %s introspects %v, want inactive", c.name, in)
			}
		})
		if status := userinfoStatus(t, srv, c.token); status != http.StatusUnauthorized {
			t.Errorf("after the loss of Redis, userinfo with the %s: %d, want 401", c.name, status)
		}
	}

	// The refresh token, durable, still refreshes; the new access token is active.
	next, err := jwtRP.refresh(live.RefreshToken)
	if err != nil {
		t.Fatalf("refreshing after the loss of Redis: %v", err)
	}
	if in := srv.Introspect(t, jwtApp, next.AccessToken); in["active"] != true {
		t.Errorf("the access token of a refresh after the loss introspects %v", in)
	}

	// A JWT revoked after the loss (its record is gone) is revoked durably.
	srv.Revoke(t, jwtApp, live.AccessToken, "access_token")
	if in := srv.Introspect(t, jwtApp, live.AccessToken); in["active"] != false {
		t.Errorf("a JWT revoked after the loss of Redis introspects %v", in)
	}
	if status := userinfoStatus(t, srv, live.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("userinfo with a JWT revoked after the loss: %d, want 401", status)
	}
	// Revoking a token revokes its grant: the refreshed token goes with it.
	if in := srv.Introspect(t, jwtApp, next.AccessToken); in["active"] != false {
		t.Errorf("the refreshed token of a revoked grant introspects %v", in)
	}
}
