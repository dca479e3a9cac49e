package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestParallelSilentAuthorizationsAllLoggedOut: a portal signs the person
// in, then eight applications authorize with prompt=none at the same moment
// on that session (as the iframes of a portal page do); the logout tells
// every one of them.
func TestParallelSilentAuthorizationsAllLoggedOut(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, dat)
	portal := startRP(t, srv, rpSpec{Name: "Cổng thông tin tỉnh", FirstParty: true})
	apps := make([]*logoutRP, 8)
	for i := range apps {
		apps[i] = startRP(t, srv, rpSpec{Name: fmt.Sprintf("Ứng dụng %d", i+1), FirstParty: true})
	}
	b := srv.NewBrowser(t)
	atPortal := portal.signIn(t, b, datSignIn, nil)
	sid := sidOf(atPortal)

	ars := make([]*authRequest, len(apps))
	resps := make([]*harness.Response, len(apps))
	for i, rp := range apps {
		ars[i] = rp.newRequest(openidProfile, oauth2.SetAuthURLParam("prompt", "none"))
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range apps {
		wg.Go(func() {
			<-start
			resps[i] = b.Get(t, ars[i].URL)
		})
	}
	close(start)
	wg.Wait()
	for i, rp := range apps {
		toks := rp.exchange(t, ars[i], rp.code(t, ars[i], resps[i]))
		if sidOf(toks) != sid {
			t.Fatalf("%s got the session %s, want %s", rp.client.Name, sidOf(toks), sid)
		}
		rp.remember(t, toks)
	}

	checkLoggedOut(t, b.Get(t, portal.logoutURL(url.Values{"id_token_hint": {atPortal.RawIDToken}})))
	for _, rp := range append([]*logoutRP{portal}, apps...) {
		if tok := rp.waitLogout(t, sid)[0]; tok.Sub != sub {
			t.Errorf("%s's logout token has sub %q, want %q", rp.client.Name, tok.Sub, sub)
		}
	}
	loggedOut(t, b)
}

// TestReauthenticationKeepsTheSession: prompt=login by the person of the
// session keeps it (same sid, a new auth_time, its applications stay
// logged in and are told when it ends); another person's login in the same
// browser replaces it, and the replaced session's applications are told.
func TestReauthenticationKeepsTheSession(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, dat)
	other := srv.CreateCitizen(t, hang)
	portal := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true})
	motcua := startRP(t, srv, rpSpec{Name: "Một cửa điện tử", FirstParty: true})
	b := srv.NewBrowser(t)

	first := portal.signIn(t, b, datSignIn, nil)
	sid := sidOf(first)
	atMotcua := motcua.signIn(t, b, datSignIn, nil)
	auth0 := claimTime(t, first.Claims, "auth_time")
	time.Sleep(1100 * time.Millisecond)

	ar, resp := portal.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("prompt", "login"))
	resp.MustPage(t, http.StatusOK, "/login")
	again := portal.exchange(t, ar, portal.code(t, ar, login(t, b, resp, dat.PersonalID, dat.Password)))
	portal.remember(t, again)
	if sidOf(again) != sid {
		t.Fatalf("re-authentication of the same person changed the session %s to %s", sid, sidOf(again))
	}
	if auth := claimTime(t, again.Claims, "auth_time"); !auth.After(auth0) {
		t.Errorf("after prompt=login: auth_time %v, want later than %v", auth, auth0)
	}
	loggedIn(t, b, sid)
	if n := len(deliveries(t, srv).of(sid)); n != 0 {
		t.Errorf("re-authentication queued %d logout notifications for the session", n)
	}
	if _, err := motcua.refresh(atMotcua.RefreshToken); err != nil {
		t.Errorf("re-authentication at the portal revoked Một cửa's refresh token: %v", err)
	}
	// Single sign-on continues with the new authentication time.
	ar, resp = motcua.authorize(t, b, openidProfile)
	singleRedirect(t, resp, motcua.client.RedirectURI())
	sso := motcua.exchange(t, ar, motcua.code(t, ar, resp))
	if sidOf(sso) != sid || !claimTime(t, sso.Claims, "auth_time").Equal(claimTime(t, again.Claims, "auth_time")) {
		t.Errorf("single sign-on after the re-authentication: sid %s auth_time %v, want %s and %v", sidOf(sso),
			claimTime(t, sso.Claims, "auth_time"), sid, claimTime(t, again.Claims, "auth_time"))
	}
	time.Sleep(1500 * time.Millisecond) // the worker runs every second: nothing was queued to arrive
	portal.noLogout(t, sid)
	motcua.noLogout(t, sid)

	// Another person logs in in the same browser: the session is replaced,
	// and both applications of the replaced session are told.
	ar, resp = portal.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("prompt", "login"))
	resp.MustPage(t, http.StatusOK, "/login")
	theirs := portal.exchange(t, ar, portal.code(t, ar, login(t, b, resp, hang.PersonalID, hang.Password)))
	portal.remember(t, theirs)
	if sidOf(theirs) == sid || theirs.IDToken.Subject != other {
		t.Fatalf("another person's login: sid %s sub %s, want a new session of %s", sidOf(theirs), theirs.IDToken.Subject, other)
	}
	portal.waitLogout(t, sid)
	motcua.waitLogout(t, sid)
	checkDeliveries(t, settledDeliveries(t, srv, sid), sid, sub, "replaced", "delivered", portal, motcua)
}
