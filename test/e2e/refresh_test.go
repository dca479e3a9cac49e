package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// Businesses the tests of refreshes act for.
const (
	hoangLong     = "0101234565"
	hoangLongName = "Công ty TNHH Thương mại Hoàng Long"
)

// refreshed redeems the refresh token and verifies the new ID token, failing
// the test when the refresh is refused.
func (rp *relyingParty) refreshed(t *testing.T, refreshToken, what string) *tokens {
	t.Helper()
	tok, err := rp.refresh(refreshToken)
	if err != nil {
		t.Fatalf("%s: refreshing: %v", what, err)
	}
	return rp.verify(t, tok)
}

// refused redeems the refresh token and fails the test unless the token
// endpoint answers invalid_grant.
func (rp *relyingParty) refused(t *testing.T, refreshToken, what string) {
	t.Helper()
	if _, err := rp.refresh(refreshToken); err == nil {
		t.Fatalf("%s: the refresh was accepted", what)
	} else if code := grantError(t, err); code != "invalid_grant" {
		t.Fatalf("%s: the refresh gave %q, want invalid_grant", what, code)
	}
}

// TestUnlinkRevokesBusinessRefreshTokens unlinks a representative with the
// command line: the refresh tokens that act for the business are refused
// from then on (their families are revoked, at every application), while
// the person's own tokens keep working.
func TestUnlinkRevokesBusinessRefreshTokens(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, dat)
	srv.LinkBusiness(t, dat.PersonalID, hoangLong, hoangLongName, "legal_representative")
	scopes := []string{"openid", "profile", "business"}
	portalRP := newRP(t, srv, srv.CreateClient(t, portal(scopes...)))
	oneStop := portal(scopes...)
	oneStop.Name = "Hệ thống một cửa điện tử"
	oneStopRP := newRP(t, srv, srv.CreateClient(t, oneStop))
	b := srv.NewBrowser(t)

	// As the business at the portal, then at the one-stop system.
	ar, resp := portalRP.authorize(t, b, scopes)
	form := login(t, b, resp, dat.PersonalID, dat.Password).MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business")
	asBusiness := portalRP.exchange(t, ar, portalRP.code(t, ar, b.Submit(t, form, map[string]string{"tax_code": hoangLong})))
	wantClaims(t, "ID token", asBusiness.Claims, map[string]any{"tax_code": hoangLong})
	ar, resp = oneStopRP.authorize(t, b, scopes)
	form = resp.MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business")
	atOneStop := oneStopRP.exchange(t, ar, oneStopRP.code(t, ar, b.Submit(t, form, map[string]string{"tax_code": hoangLong})))
	// As themselves at the portal.
	ar, resp = portalRP.authorize(t, b, scopes)
	form = resp.MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business")
	asSelf := portalRP.exchange(t, ar, portalRP.code(t, ar, b.Submit(t, form, map[string]string{"tax_code": ""})))

	// While the link holds, a refresh keeps acting for the business.
	business := map[string]any{"tax_code": hoangLong, "name": hoangLongName, "role": "legal_representative"}
	next := portalRP.refreshed(t, asBusiness.RefreshToken, "refresh before the unlink")
	wantClaims(t, "refreshed ID token before the unlink", next.Claims, map[string]any{"tax_code": hoangLong, "business": business})
	wantClaims(t, "refreshed access token before the unlink", jwtPayload(t, next.AccessToken), map[string]any{"tax_code": hoangLong})

	srv.CLI(t, "", "business", "unlink", "--tax-code", hoangLong, sub)

	portalRP.refused(t, next.RefreshToken, "the portal's token for the business after the unlink")
	oneStopRP.refused(t, atOneStop.RefreshToken, "the one-stop system's token for the business after the unlink")
	if in := srv.Introspect(t, portalRP.client, next.RefreshToken); in["active"] != false {
		t.Errorf("after the unlink, the business's refresh token introspects %v", in)
	}
	self := portalRP.refreshed(t, asSelf.RefreshToken, "the person's own token after the unlink")
	noClaims(t, "the person's own refreshed ID token", self.Claims, "tax_code", "business")
	wantClaims(t, "the person's own refreshed ID token", self.Claims, map[string]any{"sub": sub, "name": dat.Name})
}

// TestRefreshRechecksAccount refreshes tokens whose family nothing revoked
// after their account changed: the representation of their business is
// removed behind the unlink's back (as for a family issued before refresh
// tokens recorded their business), and the person's name is changed. The
// new ID token, access token and introspection answer say what holds now.
func TestRefreshRechecksAccount(t *testing.T) {
	t.Parallel()
	srv := harness.StartInProcess(t)
	sub := srv.CreateCitizen(t, dat)
	srv.LinkBusiness(t, dat.PersonalID, hoangLong, hoangLongName, "legal_representative")
	scopes := []string{"openid", "profile", "business"}
	rp := newRP(t, srv, srv.CreateClient(t, portal(scopes...)))
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, scopes)
	form := login(t, b, resp, dat.PersonalID, dat.Password).MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business")
	first := rp.exchange(t, ar, rp.code(t, ar, b.Submit(t, form, map[string]string{"tax_code": hoangLong})))
	wantClaims(t, "ID token", first.Claims, map[string]any{"tax_code": hoangLong, "name": dat.Name})
	sid := first.Claims["sid"]

	ctx := t.Context()
	st := srv.App.Store
	if err := st.RemoveRepresentation(ctx, sub, identity.TaxCode(hoangLong)); err != nil {
		t.Fatal(err)
	}
	acct, err := st.GetAccount(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	const newName = "Nguyễn Hữu Đạt Minh"
	acct.FullName = newName
	if err := st.UpdateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}

	next := rp.refreshed(t, first.RefreshToken, "refresh after the representation went")
	noClaims(t, "refreshed ID token", next.Claims, "tax_code", "business")
	wantClaims(t, "refreshed ID token", next.Claims, map[string]any{"sub": sub, "sid": sid, "name": newName,
		"given_name": "Minh", "account_kind": "citizen"})
	noClaims(t, "refreshed access token", jwtPayload(t, next.AccessToken), "tax_code")
	in := srv.Introspect(t, rp.client, next.AccessToken)
	wantClaims(t, "introspection of the refreshed access token", in, map[string]any{"active": true, "sub": sub})
	noClaims(t, "introspection of the refreshed access token", in, "tax_code")
	_, claims := rp.userinfo(t, next.AccessToken)
	noClaims(t, "userinfo", claims, "tax_code", "business")

	// The next rotation starts from the re-checked session: still no business.
	again := rp.refreshed(t, next.RefreshToken, "second refresh")
	noClaims(t, "ID token of the second refresh", again.Claims, "tax_code", "business")
	noClaims(t, "access token of the second refresh", jwtPayload(t, again.AccessToken), "tax_code")
}

// TestRefreshFamilyLifetime gives refresh-token families a lifetime of a few
// seconds: rotations do not extend it, and once it has passed the newest
// token is refused and its family revoked.
func TestRefreshFamilyLifetime(t *testing.T) {
	t.Parallel()
	const lifetime = 6 * time.Second
	srv := harness.Start(t, harness.WithEnv("DINHDANH_TOKENS_REFRESH_FAMILY_LIFETIME", lifetime.String()))
	srv.CreateCitizen(t, dat)
	rp := newRP(t, srv, srv.CreateClient(t, portal()))
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, openidProfile)
	resp = login(t, b, resp, dat.PersonalID, dat.Password)
	authorized := time.Now() // the family starts when the code is issued, before this
	toks := rp.exchange(t, ar, rp.code(t, ar, resp))

	// Within the lifetime, rotations work.
	for i := range 2 {
		toks = rp.refreshed(t, toks.RefreshToken, "refresh within the family's lifetime")
		if i == 0 && time.Since(authorized) > lifetime/2 {
			t.Fatalf("the first refresh came %s after the authorization: too slow to test a lifetime of %s",
				time.Since(authorized), lifetime)
		}
	}

	time.Sleep(time.Until(authorized.Add(lifetime + time.Second)))
	rp.refused(t, toks.RefreshToken, "refresh past the family's lifetime")
	if in := srv.Introspect(t, rp.client, toks.RefreshToken); in["active"] != false {
		t.Errorf("past the family's lifetime, the newest refresh token introspects %v", in)
	}
	if in := srv.Introspect(t, rp.client, toks.AccessToken); in["active"] != false {
		t.Errorf("past the family's lifetime, the family's access token introspects %v", in)
	}

	// A new login starts a new family.
	ar, resp = rp.authorize(t, b, openidProfile)
	fresh := rp.exchange(t, ar, rp.code(t, ar, resp))
	rp.refreshed(t, fresh.RefreshToken, "refresh of a new family")
}
